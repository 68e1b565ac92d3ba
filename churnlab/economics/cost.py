"""Stage 4, cost of churn (GUIDE §1.7; docs/glossary.md#cost-of-churn: Reichheld & Sasser 1990).

* :func:`cost_of_churn` -- the four components of what churn cost in the study
  period, by period and segment:

  - **direct** = churners x (termination + equipment recovery + compensation);
  - **indirect** = churners x (acquisition cost of a replacement + extra service cost);
  - **lost future revenue** = for each churner, the mean CLV of *retained*
    customers at the same tenure (and segment, where there are enough of them):
    the value the churner would have brought had they stayed
    (:func:`comparable_value`);
  - **opportunity** = retention spend that changed nothing: offers to customers
    who left anyway (the whole offer cost), and the assumed
    ``stay_anyway_share`` of offers to customers who were kept.

  The four add up to the total.
* :func:`revenue_at_risk` -- sum over active customers of P(churn within H) x value.
* :func:`fix_roi` -- which cause is worth fixing: value lost to each exit reason,
  value saved by cutting it (discounted over the stated horizon), against the investment.

Campaign economics live in :mod:`.campaign`, the sensitivity analysis in
:mod:`.assumptions`, the figures in :mod:`.plots`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import discount
from ..errors import DataError
from ..units import FREQ

COMPONENTS = ("direct", "indirect", "lost_revenue", "opportunity")


def _periods(dates: pd.Series, period: str) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period(FREQ[period]).astype("string")


def churners_and_retained(analysis: pd.DataFrame, clv: pd.Series, tenure_months: pd.Series, *,
                          segment: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables :func:`comparable_value` compares.

    ``churners``: the analysis rows of customers who churned and have an end date,
    with ``tenure_months`` (= their ``duration``, in months); ``retained``: one row per
    valued active customer with ``customer_id``, ``tenure_months`` and ``clv`` (``clv`` and
    ``tenure_months`` share the customer index). With a ``segment`` column of the
    analysis table both get a ``segment`` column (missing -> ``(missing)``).
    """
    churners = analysis[analysis["churned"].astype(bool) & analysis["end_date"].notna()].copy()
    churners["tenure_months"] = churners["duration"]
    retained = pd.DataFrame({"customer_id": clv.index.to_numpy(),
                             "tenure_months": tenure_months.reindex(clv.index).to_numpy(),
                             "clv": clv.to_numpy()})
    if segment:
        seg_ids = analysis.set_index("customer_id")[segment]
        churners["segment"] = churners[segment].astype("string").fillna("(missing)")
        retained["segment"] = seg_ids.reindex(clv.index).astype("string").fillna("(missing)").to_numpy()
    return churners, retained


def comparable_value(churners: pd.DataFrame, active_value: pd.DataFrame, *,
                     band_months: float = 6, segment: str | None = None,
                     min_group: int = 20) -> pd.Series:
    """The value each churner would have brought: the mean CLV of retained customers
    at the same tenure band (``band_months`` wide) -- within the churner's segment
    when that cell has at least ``min_group`` retained customers, else across
    segments, else the overall mean.

    ``churners``: tenure_months (and ``segment``); ``active_value``: tenure_months,
    clv (and ``segment``). Returns a Series aligned with ``churners``.
    """
    if active_value.empty:
        raise DataError("no retained customers to compare churners with")
    band = lambda t: np.floor(np.asarray(t, dtype=float) / band_months)  # noqa: E731
    av = active_value.assign(_band=band(active_value["tenure_months"]))
    ch = churners.assign(_band=band(churners["tenure_months"]))
    out = pd.Series(float(av["clv"].mean()), index=churners.index)
    by_band = av.groupby("_band")["clv"].agg(["mean", "size"])
    ok = by_band[by_band["size"] >= min_group]["mean"]
    out = ch["_band"].map(ok).fillna(out)
    if segment:
        by_seg = av.groupby([segment, "_band"])["clv"].agg(["mean", "size"])
        ok2 = by_seg[by_seg["size"] >= min_group]["mean"]
        keys = pd.MultiIndex.from_arrays([ch[segment], ch["_band"]])
        seg_val = pd.Series(ok2.reindex(keys).to_numpy(), index=ch.index)
        out = seg_val.fillna(out)
    return out.astype(float)


@dataclass
class ChurnCost:
    """Cost of churn in the study period.

    ``table``: one row per period x segment with churners, offers and the four
    components plus ``total``; ``totals``: the components and total summed;
    ``per_churner``: churner-level lost value; ``currency``, ``window``.
    """

    table: pd.DataFrame
    totals: dict[str, float]
    per_churner: pd.DataFrame
    currency: str
    window: tuple[pd.Timestamp, pd.Timestamp]

    def by_segment(self) -> pd.DataFrame:
        """The components and their total summed by segment."""
        out = self.table.groupby("segment")[list(COMPONENTS)].sum()
        return out.assign(total=out.sum(axis=1))


def cost_of_churn(churners: pd.DataFrame, offers: pd.DataFrame | None, costs, *, period: str,
                  currency: str, window: tuple, segments: pd.Series | None = None) -> ChurnCost:
    """The four components of churn cost (module docstring) by period and segment.

    ``churners``: one row per churned customer with ``customer_id``, ``end_date``
    and ``lost_value`` (from :func:`comparable_value`); only those who left within
    ``window`` count. ``offers``: the save desk's offers (customer_id, date,
    offer_type, saved) or None; ``costs``: :class:`churnlab.params.CostParams`;
    ``segments``: segment by customer id (any customer, kept ones too) or None.
    """
    start, end = (pd.Timestamp(w) for w in window)
    missing = {"customer_id", "end_date", "lost_value"} - set(churners.columns)
    if missing:
        raise DataError(f"churners table: expected columns {sorted(missing)}")

    def seg_of(ids: pd.Series) -> pd.Series:
        if segments is None:
            return pd.Series("all", index=ids.index)
        return ids.map(segments).astype("string").fillna("(missing)")

    ch = churners[(churners["end_date"] >= start) & (churners["end_date"] <= end)].copy()
    ch["period"] = _periods(ch["end_date"], period)
    ch["segment"] = seg_of(ch["customer_id"])
    g = ch.groupby(["period", "segment"])
    table = pd.DataFrame({"churners": g.size(), "lost_revenue": g["lost_value"].sum()})
    if offers is not None and len(offers):
        of = offers[(offers["date"] >= start) & (offers["date"] <= end)].copy()
        price = of["offer_type"].map(lambda t: costs.offer_cost.get(t, costs.offer_cost["default"]))
        of["waste"] = np.where(of["saved"].astype(bool), costs.stay_anyway_share, 1.0) * price
        of["period"] = _periods(of["date"], period)
        of["segment"] = seg_of(of["customer_id"])
        og = of.groupby(["period", "segment"])
        table = table.join(pd.DataFrame({"offers": og.size(), "opportunity": og["waste"].sum()}),
                           how="outer")
    else:
        table["offers"], table["opportunity"] = 0, 0.0
    table = table.fillna({"churners": 0, "offers": 0, "lost_revenue": 0.0, "opportunity": 0.0})
    table[["churners", "offers"]] = table[["churners", "offers"]].astype(int)
    table["direct"] = table["churners"] * (costs.termination + costs.equipment_recovery
                                           + costs.compensation)
    table["indirect"] = table["churners"] * (costs.acquisition_cost + costs.extra_service_cost)
    table["total"] = table[list(COMPONENTS)].sum(axis=1)
    table = table.reset_index()
    totals = {c: float(table[c].sum()) for c in COMPONENTS}
    totals["total"] = float(sum(totals.values()))
    totals["churners"] = int(table["churners"].sum())
    return ChurnCost(table[["period", "segment", "churners", "offers", *COMPONENTS, "total"]],
                     totals, ch, currency, (start, end))


def revenue_at_risk(p_churn: pd.Series, value: pd.Series) -> float:
    """sum_i P(churn_i within H) x value_i over active customers (aligned on the index)."""
    v = value.reindex(p_churn.index)
    if v.isna().any():
        raise DataError(f"revenue at risk: {int(v.isna().sum())} customers have a churn "
                        "probability but no value")
    return float((p_churn.astype(float) * v.astype(float)).sum())



def fix_roi(churners: pd.DataFrame, fixes: dict, *, years: float, horizon_months: int,
            monthly_discount: float) -> pd.DataFrame:
    """Per exit reason: churners and value lost to it, saved by a fix, and the discounted ROI.

    ``churners``: customer_id, reason (NaN when not answered), lost_value (each
    churner's value had they stayed, a present value at the time they would have
    left). Reason shares among those who answered are applied to all churners
    (non-response is assumed unrelated to the reason). Per year: lost = churners x
    share / years; saved = reduction x lost. The fix is counted to work for
    ``horizon_months`` (notebook 04: the CLV horizon), saving ``saved / 12`` of value
    each month, and month k is discounted by ``1 / (1 + d)^k`` with the monthly rate
    ``monthly_discount`` (:func:`churnlab.discount.factors`; Berger & Nasr 1998):

        value_saved_pv = saved / 12 x sum_{k=1..H} (1 + d)^-k
        ROI = (value_saved_pv - investment) / investment

    (an investment paid today). ``fixes``: reason -> FixParams.
    """
    answered = churners[churners["reason"].notna()]
    if answered.empty:
        raise DataError("no exit reasons in the data: the fix ranking needs stated reasons")
    if years <= 0:
        raise DataError("the study window must be longer than 0 years")
    annuity = float(discount.factors(horizon_months, monthly_discount).sum()) / 12.0
    share = answered["reason"].value_counts(normalize=True)
    value_per = answered.groupby("reason")["lost_value"].mean()
    rows = []
    n = len(churners)
    for reason, s in share.items():
        lost_n = n * s / years
        lost_v = lost_n * value_per[reason]
        row = {"reason": reason, "share_of_churners": s, "churners_per_year": lost_n,
               "value_lost_per_year": lost_v, "reduction": np.nan, "customers_saved_per_year": np.nan,
               "value_saved_per_year": np.nan, "value_saved_pv": np.nan, "investment": np.nan,
               "roi": np.nan}
        fx = fixes.get(reason)
        if fx is not None:
            pv = fx.reduction * lost_v * annuity
            row.update(reduction=fx.reduction, customers_saved_per_year=fx.reduction * lost_n,
                       value_saved_per_year=fx.reduction * lost_v, value_saved_pv=pv, investment=fx.investment,
                       roi=(pv - fx.investment) / fx.investment if fx.investment > 0 else np.inf)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["roi", "value_lost_per_year"], ascending=False, na_position="last",
                           ignore_index=True)
