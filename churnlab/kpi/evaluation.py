"""Stage 5, KPI evaluation (GUIDE §1.3, §1.8-1.9; seeds 000, 001, 002).

Formulas (all rates are shares, 0.05 = 5%):

* **Period churn rate** = customers who were active at the start of the period
  and churned in it / customers active at the start (seed 001). Customers
  acquired inside the period are *not* in the denominator (seed 002), and the
  rule for those who join and churn in the same period is explicit: they are
  left out of the rate and counted on their own (``new_and_churned``).
* **Retention rate** = 1 - churn rate (retained / initial customers).
* **Customer growth rate** = (customers at the end - at the start) / at the start.
* **Annualising** (Gold, *Fighting Churn with Data*, 2020, ch. 2): a constant
  per-period rate c gives 1 - (1 - c)^n over n periods, and back
  c = 1 - (1 - C)^(1/n).
* **MRR movements** (ChartMogul's definitions): per customer and month against
  the previous month -- *new* (first MRR ever), *expansion* (up), *contraction*
  (down, still paying), *churn* (to zero), *reactivation* (from zero after
  having paid before). Gross revenue retention GRR = (MRR_start - contraction -
  churn) / MRR_start; net NRR = (MRR_start + expansion - contraction - churn) /
  MRR_start; gross MRR churn = (churn + contraction) / MRR_start; net MRR churn
  = (churn + contraction - expansion - reactivation) / MRR_start;
  quick ratio = (new + expansion + reactivation) / (contraction + churn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..units import DAYS_PER_MONTH, FREQ
from ..errors import DataError
from ..params import HIGHER_IS_BETTER



# =========================================================================== churn and retention


def _period_index(start, end, period: str) -> pd.PeriodIndex:
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

    ``customers``: one row per customer with ``start_date``, ``end_date`` (NaT while
    active) and ``churned``; a customer churned in period P when ``churned`` and
    ``end_date`` falls in P. Periods run from the one containing ``start`` to the
    last complete one by ``end``. With ``segment`` the table has a row per
    period and level. Columns: period, (segment), at_start, churned, new,
    new_and_churned, at_end, churn_rate, retention_rate, growth_rate.
    """
    for col in ("start_date", "end_date", "churned"):
        if col not in customers:
            raise DataError(f"customers: expected a {col!r} column (dates are needed for period rates)")
    periods = _period_index(start, end, period)
    s = pd.to_datetime(customers["start_date"]).to_numpy()
    churned = customers["churned"].astype(bool).to_numpy()
    e = pd.to_datetime(customers["end_date"]).where(churned).to_numpy()
    groups = (customers[segment].astype("string").fillna("(missing)").to_numpy() if segment
              else np.full(len(customers), "all", dtype=object))
    rows = []
    for p in periods:
        a, b = np.datetime64(p.start_time), np.datetime64(p.end_time)
        active_at_start = (s < a) & ~(e < a)          # NaT compares False: still active
        left_in = (e >= a) & (e <= b)
        new = (s >= a) & (s <= b)
        for g in np.unique(groups):
            m = groups == g
            n0 = int((active_at_start & m).sum())
            c = int((active_at_start & left_in & m).sum())
            nw = int((new & m).sum())
            nc = int((new & left_in & m).sum())
            rows.append({"period": str(p), "segment": g, "at_start": n0, "churned": c, "new": nw,
                         "new_and_churned": nc, "at_end": n0 - c + nw - nc})
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


def end_reasons(customers: pd.DataFrame, *, period: str, start, end) -> pd.DataFrame:
    """Churners per period by ``end_reason`` (voluntary / involuntary / ...), with shares."""
    if "end_reason" not in customers:
        raise DataError("customers: no end_reason column; voluntary and involuntary churn "
                        "cannot be told apart")
    periods = _period_index(start, end, period)
    ch = customers[customers["churned"].astype(bool) & customers["end_date"].notna()].copy()
    ch["period"] = pd.to_datetime(ch["end_date"]).dt.to_period(FREQ[period])
    ch = ch[ch["period"].isin(periods)]
    t = ch.groupby(["period", ch["end_reason"].fillna("unknown")]).size().unstack(fill_value=0)
    t.index = t.index.astype(str)
    return t


# =========================================================================== cohorts and MRR


def monthly_revenue(usage: pd.DataFrame, *, value: str, customer_col: str = "customer_id",
                    period_col: str = "period") -> pd.DataFrame:
    """Customers x months table of revenue (0 where a customer paid nothing that month)."""
    for col in (customer_col, period_col, value):
        if col not in usage:
            raise DataError(f"usage: expected a {col!r} column")
    month = pd.to_datetime(usage[period_col]).dt.to_period("M")
    t = usage.assign(_m=month).pivot_table(index=customer_col, columns="_m", values=value,
                                           aggfunc="sum", fill_value=0.0)
    full = pd.period_range(t.columns.min(), t.columns.max(), freq="M")
    return t.reindex(columns=full, fill_value=0.0)


def revenue_cohorts(revenue: pd.DataFrame, cohort: pd.Series) -> pd.DataFrame:
    """Revenue retention by acquisition cohort: revenue of the cohort's customers in
    month c + t / their revenue in month c (the acquisition month, t = 0).

    ``revenue``: customers x months (:func:`monthly_revenue`); ``cohort``: acquisition
    month (Period) per customer. NaN beyond the data. Rows: cohorts; columns: t.
    """
    cohort = cohort.reindex(revenue.index).dropna()
    months = list(revenue.columns)
    pos = {m: i for i, m in enumerate(months)}
    rows = {}
    for c, ids in cohort.groupby(cohort).groups.items():
        if c not in pos:
            continue
        i = pos[c]
        sums = revenue.loc[ids].iloc[:, i:].sum(axis=0).to_numpy()
        if sums[0] <= 0:
            continue
        rows[str(c)] = sums / sums[0]
    width = max((len(v) for v in rows.values()), default=0)
    return pd.DataFrame({k: np.pad(v, (0, width - len(v)), constant_values=np.nan)
                         for k, v in rows.items()}).T.rename_axis("cohort")


def mrr_movements(revenue: pd.DataFrame) -> pd.DataFrame:
    """MRR movements per month from a customers x months MRR table (module docstring).

    Columns: month, mrr_start, new, expansion, contraction, churn, reactivation,
    mrr_end, grr, nrr, net_mrr_churn, quick_ratio. The first month has no
    previous month and is left out.
    """
    m = revenue.to_numpy(dtype=float)
    if m.shape[1] < 2:
        raise DataError("MRR movements need at least two months of revenue")
    paid_before = m[:, 0] > 0
    rows = []
    for j in range(1, m.shape[1]):
        prev, cur = m[:, j - 1], m[:, j]
        new = (prev == 0) & (cur > 0) & ~paid_before
        react = (prev == 0) & (cur > 0) & paid_before
        up = (prev > 0) & (cur > prev)
        down = (prev > 0) & (cur > 0) & (cur < prev)
        gone = (prev > 0) & (cur == 0)
        rows.append({"month": str(revenue.columns[j]), "mrr_start": prev.sum(),
                     "new": cur[new].sum(), "expansion": (cur - prev)[up].sum(),
                     "contraction": (prev - cur)[down].sum(), "churn": prev[gone].sum(),
                     "reactivation": cur[react].sum(), "mrr_end": cur.sum()})
        paid_before |= cur > 0
    out = pd.DataFrame(rows)
    return out.assign(**mrr_ratios(out))


def mrr_ratios(t: pd.DataFrame) -> dict[str, pd.Series]:
    """GRR, NRR, net MRR churn and quick ratio from movement totals (ChartMogul)."""
    start = t["mrr_start"].replace(0, np.nan)
    lost = t["contraction"] + t["churn"]
    with np.errstate(divide="ignore", invalid="ignore"):
        quick = (t["new"] + t["expansion"] + t["reactivation"]) / lost.replace(0, np.nan)
    return {"grr": (t["mrr_start"] - lost) / start, "gross_mrr_churn": lost / start,
            "nrr": (t["mrr_start"] + t["expansion"] - lost) / start,
            "net_mrr_churn": (lost - t["expansion"] - t["reactivation"]) / start,
            "quick_ratio": quick}


def trailing_mrr(movements: pd.DataFrame, *, months: int = 12) -> pd.DataFrame:
    """GRR, NRR, net MRR churn and quick ratio of the movements pooled over the
    trailing ``months`` (monthly rates: pooled movements / pooled starting MRR),
    one row per month that has a full window."""
    cols = ["mrr_start", "new", "expansion", "contraction", "churn", "reactivation"]
    pooled = movements[cols].rolling(months).sum().dropna()
    out = pd.DataFrame(mrr_ratios(pooled), index=pooled.index)
    out.insert(0, "month", movements.loc[pooled.index, "month"])
    return out.reset_index(drop=True)


# =========================================================================== win-back, save desk


def _chain_ends(subs: pd.DataFrame, *, gap_days: int, end) -> pd.DataFrame:
    """One row per relationship (chained spells, :func:`churnlab.definitions.spell_chains`):
    its end (NaT while open) and the start of the customer's next relationship."""
    from ..collect.definitions import spell_chains

    s = spell_chains(subs, gap_days=gap_days, as_of=pd.Timestamp(end).date())
    chains = s.groupby(["customer_id", "chain"], sort=True).agg(start=("start_date", "min"),
                                                                 end=("chain_end", "first"))
    chains["next_start"] = chains.groupby(level="customer_id")["start"].shift(-1)
    return chains.reset_index()


def winback_subscriptions(subs: pd.DataFrame, *, gap_days: int, window_days: int, end) -> dict:
    """Contracts: churn events (a relationship ends: no new spell within ``gap_days``)
    and how many came back within ``window_days`` after that gap.

    Only spells up to ``end`` are used, and only churn events whose whole return
    window (``gap_days + window_days`` after the end) lies before ``end`` count
    (the others could still come back). Returns churn_events, returned, rate.
    """
    c = _chain_ends(subs, gap_days=gap_days, end=end)
    reach = pd.Timedelta(days=gap_days + window_days)
    observable = c["end"].notna() & (c["end"] + reach <= pd.Timestamp(end))
    back = observable & c["next_start"].notna() & (c["next_start"] <= c["end"] + reach)
    n = int(observable.sum())
    return {"churn_events": n, "returned": int(back.sum()), "rate": back.sum() / n if n else np.nan}


def winback_purchases(transactions: pd.DataFrame, *, inactivity_days: int, window_days: int,
                      end) -> dict:
    """Shops: a customer churns when ``inactivity_days`` pass without a purchase; they
    come back if they buy within ``window_days`` after that moment.

    Churn events count only when their follow-up window ends by ``end``.
    Returns churn_events, returned, rate.
    """
    d = (transactions[["customer_id", "date"]].assign(day=lambda x: pd.to_datetime(x["date"]).dt.normalize())
         .drop_duplicates(["customer_id", "day"]).sort_values(["customer_id", "day"]))
    d = d[d["day"] <= pd.Timestamp(end)]
    nxt = d.groupby("customer_id")["day"].shift(-1)
    churn_at = d["day"] + pd.Timedelta(days=inactivity_days)
    churn = nxt.isna() | (nxt > churn_at)
    observable = churn & (churn_at + pd.Timedelta(days=window_days) <= pd.Timestamp(end))
    back = observable & nxt.notna() & (nxt <= churn_at + pd.Timedelta(days=window_days))
    n = int(observable.sum())
    return {"churn_events": n, "returned": int(back.sum()), "rate": back.sum() / n if n else np.nan}


def save_desk(offers: pd.DataFrame) -> dict:
    """Save-desk success: accepted offers that kept the customer / accepted offers
    (and saved / all offers)."""
    if offers is None or offers.empty:
        return {"offers": 0, "accepted": 0, "saved": 0, "success_rate": np.nan, "save_rate": np.nan}
    acc = int(offers["accepted"].sum())
    saved = int((offers["saved"] & offers["accepted"]).sum())
    return {"offers": len(offers), "accepted": acc, "saved": saved,
            "success_rate": saved / acc if acc else np.nan, "save_rate": saved / len(offers)}


# =========================================================================== lifecycle


STAGES = ("potential", "first purchase", "repeat/stable", "dormant/churned", "recovered")


def lifecycle_states(activity: pd.DataFrame, signup: pd.Series, *, period: str, start, end,
                     dormant_days: int, first: pd.Series | None = None) -> pd.DataFrame:
    """Each customer's lifecycle stage at the end of each period (seed 002).

    ``activity``: customer_id, date of each active day (a purchase, or a month
    with a subscription); ``signup``: signup date per customer. At a period's end:
    *potential* (signed up, never active), *first purchase* (first activity in the
    period), *recovered* (active in the period after being dormant at the previous
    end), *repeat/stable* (active within ``dormant_days``), *dormant/churned*
    (no activity for ``dormant_days``). ``first``: the true first purchase or
    contract start per customer when the activity data begin later (customers
    who started before the data window are then not "first purchase" in its first
    period). Returns customers x periods of stages.
    """
    periods = _period_index(start, end, period)
    act = activity.assign(day=pd.to_datetime(activity["date"]).dt.normalize())
    seen = act.groupby("customer_id")["day"].min()
    if first is not None:
        seen = pd.to_datetime(first).combine_first(seen)
    first = seen
    ids = signup.index.union(first.index)
    signup = pd.to_datetime(signup.reindex(ids))
    first = first.reindex(ids)
    days = act.groupby("customer_id")["day"].apply(lambda x: np.sort(x.to_numpy())).reindex(ids)
    out = {}
    prev = pd.Series("potential", index=ids)
    for p in periods:
        a, b = p.start_time.normalize(), p.end_time.normalize()
        last = pd.Series([_last_before(v, b) for v in days], index=ids)
        active_in = pd.Series([_any_between(v, a, b) for v in days], index=ids)
        state = pd.Series(pd.NA, index=ids, dtype="object")
        state[signup <= b] = "potential"
        recent = last.notna() & ((b - last).dt.days < dormant_days)
        state[last.notna()] = "dormant/churned"
        state[recent] = "repeat/stable"
        state[active_in & (prev == "dormant/churned")] = "recovered"
        state[(first >= a) & (first <= b)] = "first purchase"
        out[str(p)] = state
        prev = state
    return pd.DataFrame(out)


def _last_before(days, b):
    if not isinstance(days, np.ndarray) or days.size == 0:
        return pd.NaT
    i = np.searchsorted(days, np.datetime64(b), side="right")
    return pd.Timestamp(days[i - 1]) if i else pd.NaT


def _any_between(days, a, b) -> bool:
    if not isinstance(days, np.ndarray) or days.size == 0:
        return False
    i = np.searchsorted(days, np.datetime64(a), side="left")
    return bool(i < days.size and days[i] <= np.datetime64(b))


def lifecycle_counts(states: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage per period (periods as rows)."""
    return states.apply(lambda c: c.value_counts()).T.reindex(columns=list(STAGES)).fillna(0).astype(int)


def transition_matrix(states: pd.DataFrame) -> pd.DataFrame:
    """Share of customers moving from each stage (rows) to each stage (columns)
    between consecutive period ends, pooled over all periods."""
    pairs = []
    cols = list(states.columns)
    for a, b in zip(cols[:-1], cols[1:]):
        m = states[a].notna() & states[b].notna()
        pairs.append(pd.DataFrame({"from": states.loc[m, a], "to": states.loc[m, b]}))
    t = pd.concat(pairs)
    counts = pd.crosstab(t["from"], t["to"]).reindex(index=list(STAGES), columns=list(STAGES)).fillna(0)
    return counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)


# =========================================================================== indicators


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


# =========================================================================== scorecard




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


# =========================================================================== sensitivity, consistency


def inactivity_sensitivity(transactions: pd.DataFrame, *, windows: list[int], cutoff, end) -> pd.DataFrame:
    """Share of customers called churned at ``cutoff`` for each inactivity window, and
    the share of those "churners" who bought again between ``cutoff`` and ``end``."""
    d = transactions[["customer_id", "date"]].assign(day=lambda x: pd.to_datetime(x["date"]).dt.normalize())
    cutoff, end = pd.Timestamp(cutoff), pd.Timestamp(end)
    before = d[d["day"] <= cutoff].groupby("customer_id")["day"].max()
    after = set(d.loc[(d["day"] > cutoff) & (d["day"] <= end), "customer_id"])
    rows = []
    for w in windows:
        churned = before[(cutoff - before).dt.days >= w]
        back = churned.index.isin(list(after))
        rows.append({"window_days": w, "customers": len(before), "churned": len(churned),
                     "churn_share": len(churned) / len(before) if len(before) else np.nan,
                     "returned_share": back.mean() if len(churned) else np.nan})
    return pd.DataFrame(rows)


def gap_sensitivity(subs: pd.DataFrame, *, gaps: list[int], end) -> pd.DataFrame:
    """Subscriptions: churn events for each re-subscription gap, and the share of
    them that did come back later (a new relationship after the gap)."""
    rows = []
    for g in gaps:
        c = _chain_ends(subs, gap_days=g, end=end)
        churn = c["end"].notna()
        n = int(churn.sum())
        rows.append({"gap_days": g, "churn_events": n,
                     "returned_share": float((churn & c["next_start"].notna()).sum() / n) if n else np.nan})
    return pd.DataFrame(rows)


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


def hazard_rate(st: pd.DataFrame, *, since, days_per_unit: float = DAYS_PER_MONTH) -> float:
    """Churn events per customer-month at risk since ``since``, from a survival table
    (:func:`churnlab.survival.survival_table`: duration, event, entry, start_date).

    Each customer's months at risk run from max(entry, tenure on ``since``) to their
    duration; with ``days_per_unit`` the length of the table's time unit.
    """
    if "start_date" not in st:
        raise DataError("the survival table has no start dates; the rate since a date needs them")
    t = st["duration"].to_numpy(float)
    since_tenure = (pd.Timestamp(since) - pd.to_datetime(st["start_date"])).dt.days.to_numpy() / days_per_unit
    lo = np.maximum(st["entry"].to_numpy(float), since_tenure)
    exposure = np.clip(t - lo, 0, None).sum() * days_per_unit / DAYS_PER_MONTH
    events = int((st["event"].astype(bool).to_numpy() & (t > lo)).sum())
    return events / exposure if exposure > 0 else float("nan")


def sbg_monthly_churn(fit, ages) -> float:
    """Expected churn next month of customers at the given ages (months): mean of
    1 - r(age + 1), the sBG retention rate (Fader & Hardie 2007)."""
    ages = np.asarray(ages, dtype=float)
    return float(np.mean(1.0 - fit.retention_rate(ages + 1.0)))
