"""Early-warning indicators per period and the KPI scorecard against targets (GUIDE §1.9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..params import HIGHER_IS_BETTER
from ..units import FREQ


def indicators(*, active_per_period: pd.Series, interactions: pd.DataFrame | None = None,
               usage: pd.DataFrame | None = None, usage_cols: tuple[str, ...] = (),
               period: str = "month") -> pd.DataFrame:
    """Early-warning indicators per period: complaints (and contacts) per 100 active
    customers, mean response hours, share unresolved, mean satisfaction (csat), and
    the mean of each usage column per customer-month.

    ``active_per_period``: active customers at the start of each period (index:
    period strings), the denominator of the rates.
    """
    out = pd.DataFrame(index=active_per_period.index)
    freq = FREQ[period]
    if interactions is not None and len(interactions):
        it = interactions.assign(period=pd.to_datetime(interactions["date"]).dt.to_period(freq).astype(str))
        g = it.groupby("period")
        complaints = it[it["kind"].isin(["complaint", "ticket"])].groupby("period").size()
        out["complaints_per_100"] = 100 * complaints.reindex(out.index).fillna(0) / active_per_period
        out["contacts_per_100"] = 100 * g.size().reindex(out.index).fillna(0) / active_per_period
        out["response_hours"] = g["response_hours"].mean().reindex(out.index)
        if "resolved" in it:
            out["unresolved_share"] = 1 - g["resolved"].mean().reindex(out.index)
        if "csat" in it:
            out["satisfaction"] = g["csat"].mean().reindex(out.index)
    if usage is not None and len(usage):
        u = usage.assign(period=pd.to_datetime(usage["period"]).dt.to_period(freq).astype(str))
        for col in usage_cols:
            if col in u:
                out[f"{col}_mean"] = u.groupby("period")[col].mean().reindex(out.index)
    return out


#: Display unit of each scored KPI ("%": a share, "x": a ratio).
KPI_UNITS = {"monthly_churn": "%", "monthly_retention": "%", "growth_rate": "%", "winback_rate": "%",
             "save_rate": "%", "grr": "%", "nrr": "%", "quick_ratio": "x"}


def scorecard(current: dict[str, float], previous: dict[str, float], targets: dict[str, float],
              *, tolerance: float = 0.1) -> pd.DataFrame:
    """Each KPI against its target: status and trend against the previous period.

    *on track*: meets the target; *watch*: misses it by at most ``tolerance``
    (relative to the target); *off track*: misses it by more; *no target*. The
    trend is ``up``/``down``/``flat`` (|change| < 0.5% of the value).
    """
    rows = []
    for k, v in current.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        better_high = HIGHER_IS_BETTER.get(k, True)
        t = targets.get(k)
        if t is None:
            status = "no target"
        else:
            gap = (v - t) if better_high else (t - v)  # >= 0 meets the target
            status = "on track" if gap >= 0 else ("watch" if -gap <= tolerance * abs(t) else "off track")
        prev = previous.get(k)
        trend = None
        if prev is not None and not (isinstance(prev, float) and np.isnan(prev)):
            trend = "flat" if abs(v - prev) < 0.005 * max(abs(v), 1e-12) else ("up" if v > prev else "down")
        rows.append({"kpi": k, "value": float(v), "target": t, "previous": prev, "trend": trend,
                     "status": status, "higher_is_better": better_high})
    return pd.DataFrame(rows)


_STATUS_COLORS = {"on track": "background-color: #d5f5e3", "watch": "background-color: #fcf3cf",
                  "off track": "background-color: #f5b7b1"}


def style_scorecard(card: pd.DataFrame):
    """The scorecard for display: status cells coloured (green on track, yellow watch,
    red off track), values to 4 significant digits, missing values as a dash."""
    return card.style.map(lambda s: _STATUS_COLORS.get(s, ""), subset=["status"]).format(
        {"value": "{:.4g}", "target": "{:.4g}", "previous": "{:.4g}"}, na_rep="–")
