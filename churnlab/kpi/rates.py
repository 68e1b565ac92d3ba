"""Churn, retention and growth per period, and churn measured three ways (GUIDE §1.3; docs/glossary.md#churn-rate).

Formulas (all rates are shares, 0.05 = 5%):

* **Period churn rate** = lapses in the period of customers who were active at
  its start / customers active at the start (ChartMogul's customer
  churn rate, "churned customers / customers at the start of the period";
  Fader & Hardie 2007 count the customers lost in each period of a cohort the
  same way). It is counted on the **event history** (:mod:`.history`): every
  lapse counts in its period even when the customer comes back later, and a
  return counts as a *reactivation* in the period it happens (the customer is
  then active again and in the next period's denominator). Customers acquired
  (or back) inside the period are *not* in the denominator (Gold, *Fighting Churn with Data*, ch. 2), and the
  rule for a spell that starts and lapses in the same period is explicit: it is
  left out of the rate and counted on its own (``new_and_churned``).
* **Retention rate** = 1 - churn rate (retained / initial customers).
* **Customer growth rate** = (customers at the end - at the start) / at the start.
* **Annualising** (Gold, *Fighting Churn with Data*, 2020, ch. 2): a constant
  per-period rate c gives 1 - (1 - c)^n over n periods, and back
  c = 1 - (1 - C)^(1/n).
* **Hazard rate** = churn events / customer-months at risk (entry times
  respected); the **sBG monthly churn** = mean of 1 - r(age + 1) over the
  current customers (Fader & Hardie 2007). :func:`consistency` compares the
  three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..units import DAYS_PER_MONTH, FREQ


def period_index(start, end, period: str) -> pd.PeriodIndex:
    """Complete periods from the one containing ``start`` to the last one ending by ``end``."""
    freq = FREQ[period]
    first = pd.Period(pd.Timestamp(start), freq)
    last = pd.Period(pd.Timestamp(end), freq)
    if last.end_time.normalize() > pd.Timestamp(end).normalize():
        last = last - 1
    if last < first:
        raise DataError(f"no complete {period} between {pd.Timestamp(start):%Y-%m-%d} and "
                        f"{pd.Timestamp(end):%Y-%m-%d}")
    return pd.period_range(first, last, freq=freq)


def churn_rates(customers: pd.DataFrame, *, period: str, start, end,
                segment: str | None = None) -> pd.DataFrame:
    """Churn, retention and growth per complete period (module docstring for the rules).

    ``customers``: one row per spell of activity (:mod:`.history`) with ``start_date``,
    ``end_date`` (the lapse, NaT while open), ``churned`` and optionally ``spell``
    (1 = first, > 1 = after a return; without it every row is a customer's only
    spell); a spell lapsed in period P when ``churned`` and ``end_date`` falls in P.
    Periods run from the one containing ``start`` to the last complete one by
    ``end``. With ``segment`` the table has a row per period and level. Columns:
    period, (segment), at_start, churned, new, reactivated, new_and_churned, at_end,
    churn_rate, retention_rate, growth_rate; at_end = at_start - churned + new +
    reactivated - new_and_churned.
    """
    for col in ("start_date", "end_date", "churned"):
        if col not in customers:
            raise DataError(f"customers: expected a {col!r} column (dates are needed for period rates)")
    periods = period_index(start, end, period)
    s = pd.to_datetime(customers["start_date"]).to_numpy()
    churned = customers["churned"].astype(bool).to_numpy()
    e = pd.to_datetime(customers["end_date"]).where(churned).to_numpy()
    first = (customers["spell"].to_numpy() == 1) if "spell" in customers else np.ones(len(customers), bool)
    groups = (customers[segment].astype("string").fillna("(missing)").to_numpy() if segment
              else np.full(len(customers), "all", dtype=object))
    rows = []
    for p in periods:
        a, b = np.datetime64(p.start_time), np.datetime64(p.end_time)
        active_at_start = (s < a) & ~(e < a)          # NaT compares False: still active
        left_in = (e >= a) & (e <= b)
        began = (s >= a) & (s <= b)
        for g in np.unique(groups):
            m = groups == g
            n0 = int((active_at_start & m).sum())
            c = int((active_at_start & left_in & m).sum())
            nw = int((began & first & m).sum())
            back = int((began & ~first & m).sum())
            nc = int((began & left_in & m).sum())
            rows.append({"period": str(p), "segment": g, "at_start": n0, "churned": c, "new": nw,
                         "reactivated": back, "new_and_churned": nc, "at_end": n0 - c + nw + back - nc})
    out = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["churn_rate"] = np.where(out["at_start"] > 0, out["churned"] / out["at_start"], np.nan)
        out["growth_rate"] = np.where(out["at_start"] > 0,
                                      (out["at_end"] - out["at_start"]) / out["at_start"], np.nan)
    out["retention_rate"] = 1.0 - out["churn_rate"]
    return out if segment else out.drop(columns="segment")


def annualise(rate, periods_per_year: float):
    """Annual rate from a constant per-period rate: 1 - (1 - c)^n (Gold 2020)."""
    return 1.0 - (1.0 - np.asarray(rate, dtype=float)) ** periods_per_year


def per_period(annual_rate, periods_per_year: float):
    """Per-period rate from an annual rate: 1 - (1 - C)^(1/n) (Gold 2020)."""
    return 1.0 - (1.0 - np.asarray(annual_rate, dtype=float)) ** (1.0 / periods_per_year)


def pooled_churn(rates: pd.DataFrame, *, last: int = 12) -> float:
    """Churn pooled over the ``last`` periods of a :func:`churn_rates` table:
    sum of churned / sum of customers at the start."""
    t = rates.tail(last)
    return float(t["churned"].sum() / t["at_start"].sum())


def conversion_table(monthly: float, yearly_rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Monthly <-> annual churn: the pooled ``monthly`` rate annualised, and the latest
    complete year's rate (from a yearly :func:`churn_rates` table, if any) per month.

    A yearly rate counts only customers present at the start of the year, so it is
    lower than the compounded monthly rate when many customers join during the year.
    """
    rows = [("monthly churn (last 12 months, pooled)", monthly),
            ("→ annualised: 1 − (1 − c)^12", float(annualise(monthly, 12)))]
    yearly = yearly_rates["churn_rate"].dropna() if yearly_rates is not None else pd.Series(dtype=float)
    if len(yearly):
        rows += [("annual churn, latest complete year", float(yearly.iloc[-1])),
                 ("→ per month: 1 − (1 − C)^(1/12)", float(per_period(yearly.iloc[-1], 12)))]
    return pd.DataFrame(rows, columns=["rate", "value"])


def end_reasons(customers: pd.DataFrame, *, period: str, start, end) -> pd.DataFrame:
    """Churners per period by ``end_reason`` (voluntary / involuntary / ...), with shares."""
    if "end_reason" not in customers:
        raise DataError("customers: no end_reason column; voluntary and involuntary churn "
                        "cannot be told apart")
    periods = period_index(start, end, period)
    ch = customers[customers["churned"].astype(bool) & customers["end_date"].notna()].copy()
    ch["period"] = pd.to_datetime(ch["end_date"]).dt.to_period(FREQ[period])
    ch = ch[ch["period"].isin(periods)]
    t = ch.groupby(["period", ch["end_reason"].fillna("unknown")]).size().unstack(fill_value=0)
    t.index = t.index.astype(str)
    return t


@dataclass
class Consistency:
    """Monthly churn measured three ways, and whether they agree within ``tolerance``."""

    table: pd.DataFrame
    tolerance: float
    agree: bool


def consistency(*, period_rate: float, km_hazard: float, sbg_rate: float | None,
                tolerance: float = 0.25) -> Consistency:
    """Compare the monthly churn rate from the period table, the Kaplan-Meier /
    life-table hazard (events / months at risk) and the sBG's implied monthly
    churn. Each is flagged when it differs from the period rate by more than
    ``tolerance`` (relative)."""
    rows = [("period churn rate (customers at the start of each month)", period_rate),
            ("survival: churn events per customer-month at risk", km_hazard)]
    if sbg_rate is not None and np.isfinite(sbg_rate):
        rows.append(("sBG: expected monthly churn of the current base", sbg_rate))
    t = pd.DataFrame(rows, columns=["method", "monthly_churn"])
    t["relative_difference"] = t["monthly_churn"] / period_rate - 1 if period_rate else np.nan
    t["flag"] = t["relative_difference"].abs() > tolerance
    return Consistency(t, tolerance, not bool(t["flag"].any()))


def hazard_rate(st: pd.DataFrame, *, since, until=None, days_per_unit: float = DAYS_PER_MONTH) -> float:
    """Churn events per customer-month at risk between ``since`` and ``until``, from a
    survival table (:func:`churnlab.survival.survival_table`: duration, event, entry,
    start_date).

        rate = #{events with lo_i < t_i <= hi_i} / sum_i max(min(t_i, hi_i) - lo_i, 0)

    with t_i the duration, lo_i = max(entry_i, tenure on ``since``) and hi_i the tenure
    on ``until`` (no limit if None): the life-table hazard of the months between the
    two days, in the table's time unit of ``days_per_unit`` days. The survival table is
    already censored by :func:`churnlab.collect.definitions.censor_at`, so for silent
    churn the events and months at risk stop at the observation end, like the period
    rates they are compared with.
    """
    if "start_date" not in st:
        raise DataError("the survival table has no start dates; the rate since a date needs them")
    t = st["duration"].to_numpy(float)
    start = pd.to_datetime(st["start_date"])
    since_tenure = (pd.Timestamp(since) - start).dt.days.to_numpy() / days_per_unit
    hi = np.inf if until is None else (pd.Timestamp(until) - start).dt.days.to_numpy() / days_per_unit
    lo = np.maximum(st["entry"].to_numpy(float), since_tenure)
    exposure = np.clip(np.minimum(t, hi) - lo, 0, None).sum() * days_per_unit / DAYS_PER_MONTH
    events = int((st["event"].astype(bool).to_numpy() & (t > lo) & (t <= hi)).sum())
    return events / exposure if exposure > 0 else float("nan")


def sbg_monthly_churn(fit, ages) -> float:
    """Expected churn next month of customers at the given ages (months): mean of
    1 - r(age + 1), the sBG retention rate (Fader & Hardie 2007)."""
    ages = np.asarray(ages, dtype=float)
    return float(np.mean(1.0 - fit.retention_rate(ages + 1.0)))
