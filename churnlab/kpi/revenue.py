"""Revenue per customer and month, revenue cohorts and MRR movements (GUIDE §1.8).

**MRR movements** (ChartMogul, "Data Table and MRR Movements",
help.chartmogul.com/hc/en-us/articles/203299912): per customer and month against
the previous month -- *new* (first MRR ever), *expansion* (up), *contraction*
(down, still paying), *churn* (to zero), *reactivation* (from zero after
having paid before). Which movements each ratio includes (all per month, over
MRR_start = MRR of the customers paying at the start of the month):

=================  ===  =========  ===========  =====  ============
ratio              new  expansion  contraction  churn  reactivation
=================  ===  =========  ===========  =====  ============
GRR                 -       -           x         x         -
NRR                 -       x           x         x         -
gross MRR churn     -       -           x         x         -
net MRR churn       -       x           x         x         x
quick ratio         x       x           x         x         x
=================  ===  =========  ===========  =====  ============

* GRR = (MRR_start - contraction - churn) / MRR_start;
* NRR = (MRR_start + expansion - contraction - churn) / MRR_start: ChartMogul's
  "Net MRR Retention" *excludes New Business and Reactivation* (a returning
  customer was not paying at the start; help.chartmogul.com/hc/en-us/articles/6886664393500);
* gross MRR churn = (churn + contraction) / MRR_start;
* net MRR churn = (churn + contraction - expansion - reactivation) / MRR_start:
  ChartMogul's "Net MRR Churn Rate" *is offset by expansion and reactivation*
  (help.chartmogul.com/hc/en-us/articles/4414075567250);
* quick ratio = (new + expansion + reactivation) / (contraction + churn).

So, following ChartMogul, the two net figures treat reactivation differently on
purpose and are not complements: 1 - NRR = net MRR churn + reactivation / MRR_start
(tested on a hand-built movement table). All are monthly rates; pooled over 12
months they stay monthly rates (pooled movements / pooled starting MRR), and the
scorecard converts them to the period of their target (0.991 a month = 0.897 a year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError


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
    """GRR, NRR, gross and net MRR churn and quick ratio from movement totals (module
    docstring: which movements each includes, after ChartMogul)."""
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
