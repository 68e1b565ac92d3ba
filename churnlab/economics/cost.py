"""Stage 4, cost of churn and retention economics (GUIDE §1.7, seeds 001 and 004).

* :func:`cost_of_churn` -- the four components of what churn cost in the study
  period, by period and segment:

  - **direct** = churners x (termination + equipment recovery + compensation);
  - **indirect** = churners x (acquisition cost of a replacement + extra service cost);
  - **lost future revenue** = for each churner, the mean CLV of *retained*
    customers at the same tenure (and segment, where there are enough of them):
    the value the churner would have brought had they stayed;
  - **opportunity** = retention spend that changed nothing: offers to customers
    who left anyway (the whole offer cost), and the assumed
    ``stay_anyway_share`` of offers to customers who were kept.

  The four add up to the total.
* :func:`revenue_at_risk` -- sum over active customers of P(churn within H) x value.
* Campaign economics on the early-warning list: :func:`save_rates`,
  :func:`campaign_customers`, :func:`profit_curve`, :func:`profit_distribution`.
  For a contacted customer i with churn probability p_i, value CLV_i, acceptance
  a_i (P(takes the offer)), save rate s (P(stays | offer)), incentive c_i paid by
  everyone who accepts (also by those who would have stayed: that is the waste)
  and contact cost f::

      E[profit_i] = p_i * s * CLV_i - a_i * c_i - f

* :func:`fix_roi` -- which cause is worth fixing: value lost to each exit reason,
  value saved by cutting it, against the investment.
* :func:`tornado` -- sensitivity of any result to the key assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..intervals import wilson
from ..errors import DataError
from ..figures import PALETTE, axes

COMPONENTS = ("direct", "indirect", "lost_revenue", "opportunity")
#: Offer that fits each stated exit reason (the playbook of seeds 000/001/004).
REASON_OFFER = {"price": "discount", "service": "service_recovery", "product": "service_recovery",
                "competitor": "renewal", "moved": "loyalty", "no_longer_needed": "loyalty"}
#: Offer that fits each driver family (notebook 02's playbook).
FAMILY_OFFER = {"price": "discount", "service": "service_recovery", "engagement": "loyalty",
                "contract_end": "renewal"}


# =========================================================================== cost of churn


def _periods(dates: pd.Series, period: str) -> pd.Series:
    freq = {"month": "M", "quarter": "Q", "year": "Y"}[period]
    return pd.to_datetime(dates).dt.to_period(freq).astype("string")


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


def waterfall(cost: ChurnCost, *, ax=None):
    """Waterfall of the four components up to the total cost of churn."""
    ax = axes(ax, (8, 4.2))
    labels = ["direct", "indirect", "lost future revenue", "opportunity", "total"]
    vals = [cost.totals[c] for c in COMPONENTS]
    bottoms = np.concatenate([[0.0], np.cumsum(vals)[:-1]])
    ax.bar(labels[:4], vals, bottom=bottoms, color=COMPONENT_COLORS)
    ax.bar(labels[4], cost.totals["total"], color="0.25")
    for i, (v, b) in enumerate(zip(vals + [cost.totals["total"]], list(bottoms) + [0.0])):
        ax.text(i, b + v, f"{v:,.0f}", ha="center", va="bottom", fontsize=9)
    start, end = cost.window
    ax.set_ylabel(cost.currency)
    ax.set_title(f"Cost of churn, {start:%Y-%m-%d} to {end:%Y-%m-%d} ({cost.currency})")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    return ax


COMPONENT_COLORS = ["#7f8c8d", "#e67e22", PALETTE["churned"], "#8e44ad"]


def breakdown_plots(cost: ChurnCost, *, period: str, segment: str | None = None):
    """Two panels: the components stacked by period, and by segment (currency on the axes)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(14, 3.8))
    by_period = cost.table.groupby("period")[list(COMPONENTS)].sum()
    by_period.plot.bar(stacked=True, ax=axes[0], width=0.85, color=COMPONENT_COLORS)
    step = max(1, len(by_period) // 12)
    axes[0].set_xticks(range(0, len(by_period), step), by_period.index[::step], rotation=45)
    axes[0].set(ylabel=cost.currency, xlabel=period, title=f"Cost of churn by {period} ({cost.currency})")
    axes[0].yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    axes[0].legend(frameon=False, fontsize=8)
    by_seg = cost.table.groupby("segment")[list(COMPONENTS)].sum()
    by_seg.plot.barh(stacked=True, ax=axes[1], color=COMPONENT_COLORS, legend=False)
    axes[1].set(xlabel=cost.currency, ylabel="",
                title=f"Cost of churn by {segment or 'segment'} ({cost.currency})")
    axes[1].xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    fig.tight_layout()
    return fig


def revenue_at_risk(p_churn: pd.Series, value: pd.Series) -> float:
    """sum_i P(churn_i within H) x value_i over active customers (aligned on the index)."""
    v = value.reindex(p_churn.index)
    if v.isna().any():
        raise DataError(f"revenue at risk: {int(v.isna().sum())} customers have a churn "
                        "probability but no value")
    return float((p_churn.astype(float) * v.astype(float)).sum())


# =========================================================================== campaign


def save_rates(offers: pd.DataFrame, reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the save desk did: acceptance and save rates with Wilson 95% intervals.

    Rows: ``all`` offers and, when exit reasons are known (``reasons``:
    customer_id, reason), offers that ``fit`` the stated reason
    (:data:`REASON_OFFER`) and those that did not (``no fit``). Exit reasons
    exist only for customers who eventually left, so the ``fit``/``no fit`` rows
    describe those customers only (kept customers are missing from them): they
    show the pattern, not rates to plan with. Columns: offers,
    accept_rate (+ CI), save_rate = P(kept | offer) (+ CI).
    """
    if offers is None or offers.empty:
        raise DataError("no retention offers in the data; give campaign.accept_rate in the params")
    groups = {"all": offers}
    if reasons is not None and len(reasons):
        reason = offers["customer_id"].map(reasons.drop_duplicates("customer_id")
                                           .set_index("customer_id")["reason"])
        known = reason.notna()
        fit = offers["offer_type"] == reason.map(REASON_OFFER)
        if known.any():
            groups["fit"] = offers[known & fit]
            groups["no fit"] = offers[known & ~fit]
    rows = []
    for name, o in groups.items():
        n = len(o)
        if n == 0:
            continue
        acc, kept = int(o["accepted"].sum()), int(o["saved"].sum())
        (al,), (ah,) = wilson(np.array([acc]), np.array([n]))
        (sl,), (sh,) = wilson(np.array([kept]), np.array([n]))
        rows.append({"offers": name, "n": n, "accept_rate": acc / n, "accept_low": al,
                     "accept_high": ah, "save_rate": kept / n, "save_low": sl, "save_high": sh})
    return pd.DataFrame(rows).set_index("offers")


@dataclass
class CampaignInputs:
    """Save and acceptance rates the campaign plans with, and the Beta(alpha, beta)
    describing the save rate's uncertainty. ``rates`` is the save desk's table
    (None when the rate comes from the params); ``note`` says where they came from."""

    save_rate: float
    accept_rate: float
    alpha: float
    beta: float
    rates: pd.DataFrame | None
    note: str

    @property
    def save_range(self) -> tuple[float, float]:
        """The save rate's 95% interval (Wilson from the desk's record, else Beta quantiles)."""
        if self.rates is not None:
            return float(self.rates.loc["all", "save_low"]), float(self.rates.loc["all", "save_high"])
        from scipy import stats

        lo, hi = stats.beta.ppf([0.025, 0.975], self.alpha, self.beta)
        return float(lo), float(hi)


def campaign_inputs(offers: pd.DataFrame | None, reasons: pd.DataFrame | None, campaign) -> CampaignInputs:
    """The rates for the campaign: ``campaign.accept_rate`` when the params give one
    (Beta with strength ``accept_uncertainty``), else the save desk's record
    (:func:`save_rates`, ``all`` row; Beta(kept + 1, not kept + 1), the posterior
    under a flat prior). The same rate is used for acceptance (who takes, and is
    paid, the incentive) when estimated from the desk's offers."""
    if campaign.accept_rate is not None:
        a, k = campaign.accept_rate, campaign.accept_uncertainty
        return CampaignInputs(a, a, a * k, (1 - a) * k, None,
                              f"save rate from the params: {a:.0%} (Beta, strength {k:g})")
    rates = save_rates(offers, reasons)
    n = int(rates.loc["all", "n"])
    kept = int(round(rates.loc["all", "save_rate"] * n))
    return CampaignInputs(float(rates.loc["all", "save_rate"]), float(rates.loc["all", "accept_rate"]),
                          kept + 1.0, n - kept + 1.0, rates,
                          f"save rate from {n:,} offers of the save desk")


def campaign_customers(warning: pd.DataFrame, value: pd.Series, *, incentive: dict[str, float],
                       families: pd.Series, accept_fit: float, accept_other: float,
                       save_rate: float, contact_cost: float,
                       offer_for: Callable[[str | None], str | None] | None = None) -> pd.DataFrame:
    """Per active customer: churn probability, value, offer, and expected profit of contacting.

    ``warning``: customer_id, churn_probability (notebook 02's list); ``value``:
    CLV by customer id; ``families``: each customer's driver family (from the
    top reason); ``incentive``: cost per accepted offer by family. The offer is
    the one that fits the family (differentiated), or ``offer_for(family)`` to
    force another policy (e.g. a discount for all); acceptance is ``accept_fit``
    when the offer fits the family, else ``accept_other``.
    """
    df = warning[["customer_id", "churn_probability"]].copy()
    df["customer_id"] = df["customer_id"].astype(str)  # a CSV may have read ids as numbers
    value = value.set_axis(value.index.astype(str))
    families = families.set_axis(families.index.astype(str))
    df["clv"] = df["customer_id"].map(value)
    if df["clv"].isna().all():
        raise DataError("no customer of the early-warning list has a value")
    df["clv"] = df["clv"].fillna(0.0)
    df["family"] = df["customer_id"].map(families)
    fitting = df["family"].map(FAMILY_OFFER)
    offer = fitting if offer_for is None else df["family"].map(offer_for)
    df["offer"] = offer.fillna("discount")
    fam_of_offer = {v: k for k, v in FAMILY_OFFER.items()}
    df["incentive"] = df["offer"].map(lambda o: incentive.get(fam_of_offer.get(o, "price"), 0.0))
    df["accept"] = np.where(df["offer"] == fitting, accept_fit, accept_other)
    p = df["churn_probability"].astype(float)
    df["expected_profit"] = p * save_rate * df["clv"] - df["accept"] * df["incentive"] - contact_cost
    df.attrs.update(save_rate=save_rate, contact_cost=contact_cost)
    return df


def _ranked(customers: pd.DataFrame, order: str) -> pd.DataFrame:
    """Customers from the highest ``risk`` (churn probability) or ``risk_value``
    (probability x CLV) down; ties keep their order."""
    key = {"risk": customers["churn_probability"],
           "risk_value": customers["churn_probability"] * customers["clv"]}[order]
    return customers.iloc[np.argsort(-key.to_numpy(), kind="stable")]


def profit_curve(customers: pd.DataFrame, *, order: str = "risk", steps: int = 100) -> pd.DataFrame:
    """Cumulative expected profit of contacting the top share k of customers.

    ``order``: ``risk`` (churn probability) or ``risk_value`` (probability x CLV),
    highest first; ``random`` gives the untargeted (mass) campaign's expectation,
    k x the sum over everyone. Columns: share, customers, profit.
    """
    n = len(customers)
    if order == "random":
        total = customers["expected_profit"].sum()
        shares = np.linspace(0, 1, steps + 1)
        return pd.DataFrame({"share": shares, "customers": np.round(shares * n).astype(int),
                             "profit": shares * total})
    cum = np.concatenate([[0.0], _ranked(customers, order)["expected_profit"].to_numpy().cumsum()])
    counts = np.unique(np.round(np.linspace(0, 1, steps + 1) * n).astype(int))
    return pd.DataFrame({"share": counts / n, "customers": counts, "profit": cum[counts]})


@dataclass
class CampaignPlan:
    """The best targeting on a profit curve: share, customers, expected profit,
    the save rate at which that campaign breaks even, and its two parts: ``gain``
    = sum p_i CLV_i (the value at stake) and ``spend`` = sum(a_i c_i + f)."""

    share: float
    customers: int
    profit: float
    break_even_save_rate: float
    gain: float
    spend: float


def best_target(customers: pd.DataFrame, curve: pd.DataFrame, *, order: str = "risk") -> CampaignPlan:
    """The k that maximises expected profit, and the break-even save rate there.

    Break-even: the save rate s* at which the chosen customers' expected profit
    is 0: s* = sum(a_i c_i + f) / sum(p_i CLV_i).
    """
    i = int(curve["profit"].to_numpy().argmax())
    k = int(curve["customers"].iloc[i])
    top = _ranked(customers, order).iloc[:k]
    gain = float((top["churn_probability"] * top["clv"]).sum())
    spend = float((top["accept"] * top["incentive"]).sum() + k * customers.attrs["contact_cost"])
    return CampaignPlan(float(curve["share"].iloc[i]), k, float(curve["profit"].iloc[i]),
                        spend / gain if gain > 0 else float("nan"), gain, spend)


def profit_distribution(plan: CampaignPlan, *, alpha: float, beta: float, draws: int = 4000,
                        seed: int = 0) -> np.ndarray:
    """Profit of the planned campaign when the save rate is uncertain: s ~ Beta(alpha, beta).

    Profit is linear in s: profit(s) = s x gain - spend (:class:`CampaignPlan`);
    one value per draw (seeded).
    """
    s = np.random.default_rng(seed).beta(alpha, beta, size=draws)
    return s * plan.gain - plan.spend


def profit_curve_plot(curves: dict[str, pd.DataFrame], *, currency: str, plan: CampaignPlan | None = None,
                      ax=None):
    """Expected profit against the share of customers contacted, one line per policy."""
    ax = axes(ax, (8, 4.4))
    for name, c in curves.items():
        ax.plot(c["share"], c["profit"], label=name, lw=1.6, ls="--" if "mass" in name else "-")
    if plan is not None:
        ax.axvline(plan.share, color="0.4", ls=":", lw=1)
        ax.annotate(f"best: top {plan.share:.0%}\n{plan.profit:,.0f} {currency}",
                    (plan.share, plan.profit), xytext=(10, -30), textcoords="offset points", fontsize=9)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xlabel("share of active customers contacted")
    ax.set_ylabel(f"expected profit ({currency})")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.legend(frameon=False)
    ax.set_title("Retention campaign: expected profit by targeting depth")
    return ax


# =========================================================================== which fix pays


def fix_roi(churners: pd.DataFrame, fixes: dict, *, years: float,
            benefit_years: float = 1.0) -> pd.DataFrame:
    """Per exit reason: churners and value lost to it, saved by a fix, and the ROI.

    ``churners``: customer_id, reason (NaN when not answered), lost_value. Reason
    shares among those who answered are applied to all churners (non-response is
    assumed unrelated to the reason). Per year: lost = churners x share / years;
    saved = reduction x lost; ROI = (value saved per year x ``benefit_years`` -
    investment) / investment: the return over the years the fix is counted to
    work (notebook 04 uses the CLV horizon). ``fixes``: reason -> FixParams.
    """
    answered = churners[churners["reason"].notna()]
    if answered.empty:
        raise DataError("no exit reasons in the data: the fix ranking needs stated reasons")
    if years <= 0:
        raise DataError("the study window must be longer than 0 years")
    share = answered["reason"].value_counts(normalize=True)
    value_per = answered.groupby("reason")["lost_value"].mean()
    rows = []
    n = len(churners)
    for reason, s in share.items():
        lost_n = n * s / years
        lost_v = lost_n * value_per[reason]
        row = {"reason": reason, "share_of_churners": s, "churners_per_year": lost_n,
               "value_lost_per_year": lost_v, "reduction": np.nan, "customers_saved_per_year": np.nan,
               "value_saved_per_year": np.nan, "investment": np.nan, "roi": np.nan}
        fx = fixes.get(reason)
        if fx is not None:
            row.update(reduction=fx.reduction, customers_saved_per_year=fx.reduction * lost_n,
                       value_saved_per_year=fx.reduction * lost_v, investment=fx.investment,
                       roi=(fx.reduction * lost_v * benefit_years - fx.investment) / fx.investment
                       if fx.investment > 0 else np.inf)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["roi", "value_lost_per_year"], ascending=False, na_position="last",
                           ignore_index=True)


# =========================================================================== sensitivity


def tornado(compute: Callable[..., dict[str, float]], ranges: dict[str, tuple[float, float]],
            base: dict[str, float]) -> pd.DataFrame:
    """One-at-a-time sensitivity: each assumption at its low and high value, the rest at base.

    ``compute(**assumptions)`` returns named results; ``ranges``: assumption ->
    (low, high). Returns one row per assumption and result with the result at
    low, at high, the base and the swing |high - low|, largest swing first.
    """
    ref = compute(**base)
    rows = []
    for name, (lo, hi) in ranges.items():
        r_lo, r_hi = compute(**{**base, name: lo}), compute(**{**base, name: hi})
        for res in ref:
            rows.append({"assumption": name, "low": lo, "high": hi, "result": res,
                         "base_value": ref[res], "at_low": r_lo[res], "at_high": r_hi[res],
                         "swing": abs(r_hi[res] - r_lo[res])})
    return pd.DataFrame(rows).sort_values(["result", "swing"], ascending=[True, False],
                                          ignore_index=True)


def tornado_plot(table: pd.DataFrame, *, result: str, currency: str, ax=None):
    """Tornado chart of one result: bars from its value at each assumption's low to high."""
    t = table[table["result"] == result].sort_values("swing")
    ax = axes(ax, (7, 0.9 + 0.5 * len(t)))
    base = float(t["base_value"].iloc[0])
    y = np.arange(len(t))
    lo, hi = t["at_low"].to_numpy(), t["at_high"].to_numpy()
    ax.barh(y, lo - base, left=base, color=PALETTE["retained"], alpha=0.8, label="assumption low")
    ax.barh(y, hi - base, left=base, color=PALETTE["churned"], alpha=0.8, label="assumption high")
    ax.axvline(base, color="0.2", lw=1)
    ax.set_yticks(y, [f"{a} ({lo_:g} / {hi_:g})" for a, lo_, hi_ in zip(t["assumption"], t["low"], t["high"])])
    ax.set_xlabel(f"{result} ({currency})")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Sensitivity of {result}")
    return ax
