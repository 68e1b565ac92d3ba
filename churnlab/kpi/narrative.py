"""Sentences that read this run's KPIs for the reader (notebook 05), in English or Chinese.

:func:`churn_vs_target_sentence` says, for the latest month, the churn rate against its
target in words (the scorecard's status: on track, watch, off track, or no target), how
it moved from the month before (the scorecard's trend), and the pooled rate of the last
12 months with its compounded annual rate. Each sentence is an English template
translated through the catalogue passed in (``churnlab/i18n/zh/kpi.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from .rates import annualise

ON_TRACK = "In {month} the churn rate was {value} a {period}, at or below the target of {target}: on track."
WATCH = ("In {month} the churn rate was {value} a {period}, above the target of {target} but within the "
         "tolerance: watch.")
OFF_TRACK = "In {month} the churn rate was {value} a {period}, {ratio}× the target of {target}: off track."
NO_TARGET = "In {month} the churn rate was {value} a {period}; no target is set for it."
STATUS = {"on track": ON_TRACK, "watch": WATCH, "off track": OFF_TRACK, "no target": NO_TARGET}
TREND = {"up": "It rose from {previous} the month before.",
         "down": "It fell from {previous} the month before.",
         "flat": "It was about the same the month before ({previous})."}
POOLED = "Over the last 12 months churn averaged {pooled} a month, {annual} a year compounded."


def _rate(x: float) -> str:
    return f"{x:.2%}"


def churn_vs_target_sentence(card: pd.DataFrame | None, monthly: pd.DataFrame | None, *,
                             pooled: float | None = None, cat: i18n.Catalogue | None = None) -> str | None:
    """The latest month's churn against its target in words (see the module docstring).

    ``card``: the scorecard (:func:`.scorecard.scorecard`; its ``monthly_churn`` row gives the
    value, target, period, previous value, trend and status); ``monthly``: the monthly rates
    (their last ``period`` names the month); ``pooled``: churn pooled over the last 12
    months (the third sentence, with its compounded annual rate). None without a monthly
    churn row. ``cat``: the catalogue to write in (English when None).
    """
    if card is None or monthly is None or monthly.empty or "kpi" not in card:
        return None
    rows = card[card["kpi"] == "monthly_churn"]
    if rows.empty:
        return None
    r = rows.iloc[0]
    cat = cat or i18n.catalogue("en")
    target = r["target"]
    has_target = target is not None and not (isinstance(target, float) and np.isnan(target))
    status = r["status"] if has_target else "no target"
    fields = dict(month=str(monthly["period"].iloc[-1]), value=_rate(float(r["value"])),
                  period=str(r["period"] or "month"))
    if has_target:
        fields["target"] = _rate(float(target))
        if status == "off track":
            fields["ratio"] = f"{float(r['value']) / float(target):.1f}" if target else "∞"
    parts = [cat(STATUS.get(status, NO_TARGET), **fields)]
    prev, trend = r.get("previous"), r.get("trend")
    if trend in TREND and prev is not None and not (isinstance(prev, float) and np.isnan(prev)):
        parts.append(cat(TREND[trend], previous=_rate(float(prev))))
    if pooled is not None and np.isfinite(pooled):
        parts.append(cat(POOLED, pooled=_rate(pooled), annual=f"{float(annualise(pooled, 12)):.1%}"))
    return " ".join(parts) if cat.english else "".join(parts)
