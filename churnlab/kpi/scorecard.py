"""Early-warning indicators per period and the KPI scorecard against targets (GUIDE §1.9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError
from ..params import HIGHER_IS_BETTER, KPI_KINDS
from ..units import FREQ, PERIODS_PER_YEAR
from .rates import annualise, per_period


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


def convert_rate(value, kind: str, *, from_period: str, to_period: str):
    """A per-period KPI expressed per another period (``month``, ``quarter``, ``year``),
    assuming the same rate in every sub-period (Gold 2020, *Fighting Churn with Data*, ch. 2):

    * ``churn`` c: 1 - (1 - c)^n (:func:`.rates.annualise`, :func:`.rates.per_period`);
    * ``retention`` r (logo retention, GRR, NRR): r^n, i.e. the churn rule on 1 - r;
    * ``growth`` g: (1 + g)^n - 1;
    * ``count`` (events per 100 customers and period): x n;

    with n = to-periods per from-period (a monthly GRR of 0.991 is 0.991^12 = 0.897 a year).
    """
    if from_period == to_period:
        return value
    a, b = PERIODS_PER_YEAR[from_period], PERIODS_PER_YEAR[to_period]
    if kind == "count":
        return value * a / b

    def churn(c):
        return per_period(annualise(c, a), b)

    if kind == "churn":
        return float(churn(value))
    if kind == "retention":
        return float(1.0 - churn(1.0 - value))
    if kind == "growth":
        return float(-churn(-value))
    raise DataError(f"{kind!r} is not a per-period rate; it cannot be converted between periods")


def scorecard(current: dict[str, float], previous: dict[str, float], targets: dict, *,
              periods: dict[str, str] | None = None, tolerance: float = 0.1) -> pd.DataFrame:
    """Each KPI against its target: status and trend against the previous period.

    ``targets``: KPI -> :class:`churnlab.params.Target` (value, period) or a bare number
    (same period as measured); ``periods``: KPI -> the period its ``current`` and
    ``previous`` values are measured over (per-period rates, :data:`KPI_KINDS`). A value
    measured over another period than its target's is converted to the target's period
    (:func:`convert_rate`) so like is compared with like; the row's ``period`` says which.
    *on track*: meets the target; *watch*: misses it by at most ``tolerance`` (relative to
    the target); *off track*: misses it by more; *no target*. The trend is
    ``up``/``down``/``flat`` (|change| < 0.5% of the value).
    """
    periods = periods or {}
    rows = []
    for k, v in current.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        better_high = HIGHER_IS_BETTER.get(k, True)
        spec = targets.get(k)
        t = getattr(spec, "value", spec)
        measured = periods.get(k)
        period = getattr(spec, "period", None) or measured
        prev = previous.get(k)
        if measured and period != measured:
            conv = lambda x: convert_rate(x, KPI_KINDS[k], from_period=measured, to_period=period)  # noqa: E731
            v, prev = conv(v), (None if prev is None else conv(prev))
        if t is None:
            status = "no target"
        else:
            gap = (v - t) if better_high else (t - v)  # >= 0 meets the target
            status = "on track" if gap >= 0 else ("watch" if -gap <= tolerance * abs(t) else "off track")
        trend = None
        if prev is not None and not (isinstance(prev, float) and np.isnan(prev)):
            trend = "flat" if abs(v - prev) < 0.005 * max(abs(v), 1e-12) else ("up" if v > prev else "down")
        rows.append({"kpi": k, "value": float(v), "target": t, "period": period, "previous": prev,
                     "trend": trend, "status": status, "higher_is_better": better_high})
    return pd.DataFrame(rows)


_STATUS_COLORS = {"on track": "background-color: #d5f5e3", "watch": "background-color: #fcf3cf",
                  "off track": "background-color: #f5b7b1"}


#: the text columns of the scorecard whose cells are words (translated for display)
TEXT_COLUMNS = ("kpi", "period", "trend", "status")


def translated_scorecard(card: pd.DataFrame, cat: "i18n.Catalogue") -> pd.DataFrame:
    """``card`` with its column labels and the cells of :data:`TEXT_COLUMNS` in ``cat``'s language.

    A label or cell the catalogue does not have stays as it is (``churnlab/i18n/zh/kpi.yaml``
    has the KPI names, periods, trends and statuses). English returns ``card`` itself.
    """
    if cat.english:
        return card
    out = card.copy()
    for col in TEXT_COLUMNS:
        if col in out:
            out[col] = out[col].map(lambda v: cat.lookup(v) if isinstance(v, str) else v)
    return out.rename(columns={c: cat.lookup(c) for c in out.columns if isinstance(c, str)})


def style_scorecard(card: pd.DataFrame, cat: "i18n.Catalogue | None" = None):
    """The scorecard for display: status cells coloured (green on track, yellow watch,
    red off track), values to 4 significant digits, missing values as a dash.

    Its labels and words are in ``cat``'s language (default: the session's,
    :func:`churnlab.i18n.current`), translated before styling (:func:`translated_scorecard`):
    :func:`churnlab.display.show` translates frames, not Stylers.

    A Styler does not escape its cells unless told (unlike ``DataFrame.to_html``), so every
    cell, the index and the column labels are HTML-escaped (``escape="html"``)."""
    cat = cat or i18n.current()
    label = (lambda c: c) if cat.english else cat.lookup  # noqa: E731
    colors = {label(k): v for k, v in _STATUS_COLORS.items()}
    shown = translated_scorecard(card, cat)
    numbers = {label(c): "{:.4g}" for c in ("value", "target", "previous")}
    return (shown.style.map(lambda s: colors.get(s, ""), subset=[label("status")])
            .format(escape="html", na_rep="–")
            .format(numbers, na_rep="–", escape="html")
            .format_index(escape="html", axis=0).format_index(escape="html", axis=1))
