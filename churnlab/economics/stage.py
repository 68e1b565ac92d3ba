"""Stage 4 as one call: customer value, cost of churn, revenue at risk, campaign,
fix ranking and sensitivity from the outputs of stages 1-3 (notebook 04).

:func:`analyse` takes the study's params, its collection (stage 1), the survival
table (stage 3's :class:`churnlab.survival.Prepared`), the hand-overs of earlier
stages (survival curves, sBG, BG/NBD, the early-warning list) and the canonical
tables it needs; it reads no file. :class:`EconomicsResult` holds everything
notebook 04 shows and, in :meth:`EconomicsResult.metrics`, the ``value``,
``cost`` and ``retention`` sections of ``metrics.json``.

The study window runs from the start of the observed data (``survival.observed_from``,
else the first start date) to ``as_of``; ``years`` = its length in years (at least
a month), the denominator of the per-year figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..design import segment_column
from ..errors import DataError
from ..survival.curves import SurvivalCurves
from ..units import DAYS_PER_MONTH
from .campaign import (Campaign, CampaignInputs, CampaignPlan, PolicyComparison, ProfitRisk,
                       PLANNED, assess_policies, campaign_inputs, compare_policies, driver_families,
                       held_out_calibration)
from .cost import (COMPONENTS, ChurnCost, churners_and_retained, comparable_value, cost_of_churn,
                   fix_roi, revenue_at_risk)
from .assumptions import assumption_ranges, sensitivity
from .value import (ContractualValue, PurchaseValue, ValueInterval, clv_by_segment, contractual_clv,
                    purchase_clv, revenue_column, sbg_crosscheck)

#: How CLV is computed, by setting (``value.method`` in metrics.json).
METHODS = {True: "survival (AFT) expected discounted lifetime", False: "BG/NBD x Gamma-Gamma"}
#: How the segment intervals are computed (``value.interval``).
INTERVAL = "bootstrap over customers, percentile 95%"


@dataclass
class RevenueAtRisk:
    """sum_i P(churn_i within ``horizon_months``) x CLV_i over the ``customers``
    active customers with a prediction; ``share`` of their total CLV."""

    amount: float
    horizon_months: int
    customers: int
    share: float


@dataclass
class EconomicsResult:
    """Everything notebook 04 shows (see the module docstring of each part).

    Setting: ``currency``, ``horizon_months`` (of CLV), ``margin_rate``,
    ``discount_rate`` per ``discount_period`` (``monthly_discount`` per month),
    ``contractual`` (CLV from survival curves, else BG/NBD x Gamma-Gamma),
    ``segment`` (the breakdown column or None), ``window`` and ``years`` (the
    study window), ``dated`` (False when the data have no end dates: every churner
    is counted in the period of ``as_of``).

    Value: ``value`` (:class:`.value.ContractualValue` or :class:`.value.PurchaseValue`),
    ``clv`` and ``tenure_months`` per active customer, ``clv_by_segment``,
    ``revenue_column`` and ``survival_model`` (contracts), ``sbg_check``.
    Cost: ``churn_cost`` (:class:`.cost.ChurnCost`), ``cost_by_segment``,
    ``at_risk`` (:class:`RevenueAtRisk`). Campaign: ``inputs``
    (:class:`.campaign.CampaignInputs`), ``planted_save_rate`` (simulated data, when
    the rate is estimated from the save desk's record),
    ``policies`` (:class:`.campaign.PolicyComparison`), ``profit``
    (:class:`.campaign.ProfitRisk`). ``fix_roi``, ``sensitivity`` (tornado table).
    ``skipped``: section -> one-line reason it could not run.
    """

    currency: str
    horizon_months: int
    margin_rate: float
    discount_rate: float
    discount_period: str
    monthly_discount: float
    contractual: bool
    segment: str | None
    window: tuple[pd.Timestamp, pd.Timestamp]
    years: float
    dated: bool
    value: ContractualValue | PurchaseValue
    clv: pd.Series
    tenure_months: pd.Series
    clv_by_segment: pd.DataFrame
    revenue_column: str | None
    survival_model: str | None
    sbg_check: pd.DataFrame | None
    churn_cost: ChurnCost
    cost_by_segment: pd.DataFrame
    at_risk: RevenueAtRisk | None
    inputs: CampaignInputs | None
    planted_save_rate: float | None
    policies: PolicyComparison | None
    profit: ProfitRisk | None
    fix_roi: pd.DataFrame | None
    sensitivity: pd.DataFrame
    clv_interval: ValueInterval | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    #: each customer's level of ``segment`` (index: customer_id), None without a segment
    segment_of: pd.Series | None = None

    @property
    def gamma_gamma(self):
        """The Gamma-Gamma spend model (shops), else None."""
        return self.value.gamma_gamma if isinstance(self.value, PurchaseValue) else None

    @property
    def top_share(self) -> float:
        """Share of the total CLV held by the top 20% of customers."""
        return float(self.clv.nlargest(max(1, len(self.clv) // 5)).sum() / self.clv.sum())

    @property
    def plan(self) -> CampaignPlan | None:
        """The planned campaign (targeting by risk, differentiated offers), or None."""
        return self.policies.plan if self.policies is not None else None

    @property
    def planted_recovered(self) -> bool | None:
        """Whether the planted save rate lies in the estimate's interval (None without one)."""
        if self.planted_save_rate is None or self.inputs is None:
            return None
        lo, hi = self.inputs.save_range
        return bool(lo <= self.planted_save_rate <= hi)

    def metrics(self) -> dict[str, dict]:
        """The ``value``, ``cost`` and ``retention`` sections of metrics.json."""
        by_seg = {r.segment: {"mean": r.clv_mean, "ci_low": r.ci_low, "ci_high": r.ci_high,
                              "customers": r.customers} for r in self.clv_by_segment.itertuples()}
        value = {"currency": self.currency, "horizon_months": self.horizon_months,
                 "margin_rate": self.margin_rate, "discount_rate": self.discount_rate,
                 "discount_period": self.discount_period, "method": METHODS[self.contractual],
                 "clv_mean": float(self.clv.mean()), "clv_total": float(self.clv.sum()),
                 "customers": len(self.clv), "clv_by_segment": by_seg, "interval": INTERVAL}
        if self.clv_interval is not None:
            value["clv_mean_ci"] = [self.clv_interval.low, self.clv_interval.high]
            value["clv_mean_ci_method"] = self.clv_interval.method
        gg = self.gamma_gamma
        if gg is not None:
            value["gamma_gamma"] = {"p": gg.p, "q": gg.q, "gamma": gg.gamma, "mean_spend": gg.mean_spend}
        if self.sbg_check is not None:
            value["sbg_check"] = self.sbg_check.set_index("model")["expected_months"].to_dict()
        totals = self.churn_cost.totals
        cost = {"currency": self.currency, "dated": self.dated,
                "window": [f"{self.window[0]:%Y-%m-%d}", f"{self.window[1]:%Y-%m-%d}"],
                "total": totals["total"], "churners": totals["churners"],
                "components": {c: totals[c] for c in COMPONENTS}}
        if self.at_risk is not None:
            cost.update(revenue_at_risk=self.at_risk.amount,
                        revenue_at_risk_horizon_months=self.at_risk.horizon_months)
        retention = {"currency": self.currency}
        plan, profit = self.plan, self.profit
        if plan is not None:
            table = self.policies.table
            retention.update(
                optimal_target_share=plan.share, optimal_customers=plan.customers,
                expected_profit=plan.profit, break_even_save_rate=plan.break_even_save_rate,
                save_rate=self.inputs.save_rate, profit_p05=profit.p05, profit_p95=profit.p95,
                p_loss=profit.p_loss, policies=dict(zip(table["policy"], table["expected_profit"])),
                save_rate_ci=list(self.inputs.save_range), save_rate_source=self.inputs.note,
                value_basis="value if retained through the lead time (not the CLV, which already "
                            "discounts the churn a save prevents), net of the stay-anyway share",
                profit_uncertainty=profit.sources, policy=self.policies.policy,
                recommended_policy=self.policies.recommendation.policy,
                recommendation=self.policies.recommendation.reason,
                policy_plans={name: policy_plan(p, self.policies.risks.get(name))
                              for name, p in self.policies.plans.items()},
                profit_curves={name: curve_points(c) for name, c in self.policies.curves.items()})
        if self.fix_roi is not None:
            retention["fix_ranking"] = [fix_row(r) for r in self.fix_roi.to_dict("records")]
            retention["fix_horizon_months"] = self.horizon_months
        return {"value": value, "cost": cost, "retention": retention}


#: The columns of :func:`.cost.fix_roi` that ``retention.fix_ranking`` carries for each fix.
FIX_FIELDS = ("reason", "share_of_churners", "value_lost_per_year", "reduction", "value_saved_pv",
              "investment", "roi")


def fix_row(row: dict) -> dict:
    """One row of :func:`.cost.fix_roi` as an entry of ``retention.fix_ranking``: the reason, its
    ROI and the basis of the ROI (value saved over the horizon, investment); NaN -> None."""
    return {k: (None if k != "reason" and pd.isna(row[k]) else row[k]) for k in FIX_FIELDS}


def curve_points(curve: pd.DataFrame, *, points: int = 50) -> dict[str, float]:
    """A profit curve (share, profit) at the shares 0, 1/points (2%), ..., 1 (the nearest computed share
    to each), for ``retention.profit_curves``: share as text (``"0.02"``) -> expected profit."""
    shares = curve["share"].to_numpy()
    out = {}
    for k in range(points + 1):
        i = int(np.abs(shares - k / points).argmin())
        out[f"{k / points:g}"] = float(curve["profit"].iloc[i])
    return out


def policy_plan(plan: CampaignPlan, risk: ProfitRisk | None) -> dict:
    """One targeted policy's best plan (share, customers, expected profit, break-even save rate)
    and, with its ``risk``, the 5th/95th percentiles and the chance of a loss."""
    out = {"share": plan.share, "customers": plan.customers, "expected_profit": plan.profit,
           "break_even_save_rate": plan.break_even_save_rate}
    if risk is not None:
        out.update(profit_p05=risk.p05, profit_p95=risk.p95, p_loss=risk.p_loss)
    return out


def study_window(analysis: pd.DataFrame, observed_from,
                 as_of) -> tuple[tuple[pd.Timestamp, pd.Timestamp], float]:
    """The study window (start of the observed data, ``as_of``) and its length in years
    (365.25-day years, at least 1/12)."""
    start = (observed_from or analysis["start_date"].min()) if "start_date" in analysis else as_of
    window = (pd.Timestamp(start), pd.Timestamp(as_of))
    return window, max((window[1] - window[0]).days / 365.25, 1 / 12)


def _value(params, collection, prepared, curves, bgnbd, tables, contractual, monthly):
    """(value model, clv, tenure in months, revenue column) of the active customers."""
    vp, a = params.value, collection.analysis
    if contractual:
        if curves is None:
            raise DataError("no survival model converged; see notebook 03")
        rev_col = revenue_column(a, vp.revenue_column)
        revenue = prepared.table.set_index("customer_id")[rev_col]
        val = contractual_clv(curves, revenue, margin_rate=vp.margin_rate, monthly_discount=monthly,
                              horizon_months=vp.horizon_months)
        return val, val.clv, val.table.set_index("customer_id")["tenure_months"], rev_col
    if bgnbd is None or "transactions" not in tables:
        raise DataError("no BG/NBD model of the purchases (see notebook 03): the value of "
                        "shoppers needs it and the transactions")
    val = purchase_clv(bgnbd, tables["transactions"], as_of=params.as_of, margin_rate=vp.margin_rate,
                       monthly_discount=monthly, horizon_months=vp.horizon_months)
    active_ids = a.loc[~a["churned"].astype(bool), "customer_id"]
    clv = val.clv.reindex(active_ids).dropna()
    return val, clv, a.set_index("customer_id")["duration"].reindex(clv.index), None


def _campaign(params, offers, tables, warning_list, skipped) -> Campaign | None:
    """The campaign on the early-warning list, or None (the reason in ``skipped``)."""
    camp = params.campaign
    if warning_list is None:
        skipped["campaign"] = "no early-warning list (notebook 02 did not write one)."
        return None
    if offers is None and camp.accept_rate is None:
        skipped["campaign"] = ("this data has no retention offers to learn the save rate from, and the "
                               "params give no `campaign.accept_rate`.")
        return None
    try:
        inputs = campaign_inputs(offers, tables.get("exit_reasons"), camp)
    except DataError as exc:
        skipped["campaign"] = str(exc)
        return None
    listed = warning_list.assign(churn_probability=warning_list["churn_probability"].astype(float))
    stay_anyway = params.costs.stay_anyway_share if params.costs is not None else 0.0
    return Campaign(listed, driver_families(listed, params.playbook.families), inputs,
                    camp.incentive_cost, camp.contact_cost, stay_anyway=stay_anyway,
                    calibration=warning_list.attrs.get("held_out"))


def analyse(params, collection, prepared, *, curves: SurvivalCurves | None, sbg=None, bgnbd=None,
            warning_list: pd.DataFrame | None = None,
            tables: dict[str, pd.DataFrame] | None = None) -> EconomicsResult:
    """Stage 4 of a study (notebook 04); see the module docstring.

    ``params``: :class:`churnlab.params.StudyParams` with value, costs and campaign
    sections (:meth:`~churnlab.params.StudyParams.economics` raises otherwise);
    ``collection``: :class:`churnlab.collect.Collection`; ``prepared``: the
    survival table (:class:`churnlab.survival.Prepared`); ``curves``: the best AFT
    model's survival curves (None: no model converged; contractual studies then
    raise :class:`DataError`, others skip the revenue at risk); ``sbg``: notebook
    03's :class:`churnlab.clv.SBGProjection` (the cross-check) or None; ``bgnbd``:
    notebook 03's :class:`churnlab.clv.BGNBDStudy` (CLV of shoppers) or None;
    ``warning_list``: notebook 02's early-warning list (customer_id,
    churn_probability, reason_1, ...) or None; ``tables``: canonical tables
    ``transactions`` (customer_id, date, amount), ``offers``, ``exit_reasons``
    (present keys only).
    """
    vp, cp, camp = params.economics()
    tables = tables or {}
    a = collection.analysis
    skipped: dict[str, str] = {}
    monthly = vp.monthly_discount()
    contractual = "transactions" not in collection.tables or params.churn.definition == "contractual"
    segment = segment_column(a, configured=vp.segment, candidates=prepared.categorical)
    # windowed definitions: churn is only dated up to the observation end (censor_at)
    until = a["observed_until"].max() if "observed_until" in a else params.as_of
    window, years = study_window(a, prepared.observed_from, until)

    # --- value
    val, clv, tenure, rev_col = _value(params, collection, prepared, curves, bgnbd, tables,
                                       contractual, monthly)
    seg_ids = a.set_index("customer_id")[segment] if segment else pd.Series("all", index=a["customer_id"])
    by_seg = clv_by_segment(clv, seg_ids, n_boot=vp.bootstrap, seed=params.seed)
    interval = (val.mean_interval(clv.index, n_draws=vp.bootstrap, seed=params.seed)
                if isinstance(val, PurchaseValue) else val.mean_interval(clv.index, n_boot=vp.bootstrap, seed=params.seed))
    sbg_check = None
    if contractual and "start_date" in a:
        if sbg is None:
            skipped["sBG cross-check"] = "notebook 03 fitted no sBG."
        else:
            sbg_check = sbg_crosscheck(sbg.fit, val.table, period=params.survival.cohort_period,
                                       monthly_discount=monthly, horizon_months=vp.horizon_months)

    # --- cost of churn
    dated = "end_date" in a
    if not dated:  # a customer table without dates: all churn falls in the export's period
        a = a.assign(end_date=pd.Timestamp(params.as_of))
        window = (pd.Timestamp(params.as_of), pd.Timestamp(params.as_of))
    churned, retained = churners_and_retained(a, clv, tenure, segment=segment)
    churned["lost_value"] = comparable_value(churned, retained, segment="segment" if segment else None)
    offers = tables.get("offers")
    churn_cost = cost_of_churn(churned, offers, cp, period=params.kpi_period, currency=vp.currency,
                               window=window, segments=seg_ids if segment else None)
    at_risk = None
    if curves is None:
        skipped["revenue at risk"] = "no survival model converged (notebook 03)."
    else:
        h = camp.horizon_months
        risk = curves.predictions((h,)).set_index("customer_id")
        p_h = risk[f"p_churn_{h:g}"].reindex(clv.index).dropna()
        amount = revenue_at_risk(p_h, clv)
        at_risk = RevenueAtRisk(amount, h, len(p_h), amount / clv.reindex(p_h.index).sum())

    # --- campaign
    campaign = _campaign(params, offers, tables, warning_list, skipped)
    lead_months = int(round(params.snapshots.lead_days / DAYS_PER_MONTH))  # the list's horizon
    policies = profit = None
    if campaign is not None:
        kept_value = val.retained_value(lead_months).reindex(clv.index)  # a save is worth this
        policies = assess_policies(
            compare_policies(campaign, kept_value), alpha=campaign.inputs.alpha, beta=campaign.inputs.beta,
            seed=params.seed, currency=vp.currency,
            calibration=lambda share: held_out_calibration(campaign.calibration, share))
        profit = policies.risks[policies.policy]

    # --- which fix pays
    roi = None
    if "exit_reason" in a and a["exit_reason"].notna().any():
        per = churn_cost.per_churner
        roi = fix_roi(per.assign(reason=per["exit_reason"]), params.fixes, years=years,
                      horizon_months=vp.horizon_months,
                      monthly_discount=monthly)
    else:
        skipped["fix ranking"] = "this data has no exit reasons, so the fixes cannot be ranked by cause."

    # --- sensitivity
    inputs = campaign.inputs if campaign is not None else None
    base, ranges = assumption_ranges(margin_rate=vp.margin_rate, discount_rate=vp.discount_rate,
                                     acquisition_cost=cp.acquisition_cost, inputs=inputs)
    sens = sensitivity(val, churned, retained, offers, cp, discount_period=vp.discount_period,
                       period=params.kpi_period, currency=vp.currency, window=window, base=base,
                       ranges=ranges, campaign=campaign, lead_months=lead_months,
                       policy=policies.policy if policies is not None else PLANNED)

    truth = collection.ground_truth or {}
    return EconomicsResult(
        currency=vp.currency, horizon_months=vp.horizon_months, margin_rate=vp.margin_rate,
        discount_rate=vp.discount_rate, discount_period=vp.discount_period, monthly_discount=monthly,
        contractual=contractual, segment=segment, window=window, years=years, dated=dated,
        value=val, clv=clv, tenure_months=tenure, clv_by_segment=by_seg, revenue_column=rev_col,
        survival_model=curves.model if curves is not None and contractual else None,
        sbg_check=sbg_check, churn_cost=churn_cost, cost_by_segment=churn_cost.by_segment(),
        at_risk=at_risk, inputs=inputs,
        planted_save_rate=truth.get("save_rate") if inputs is not None and inputs.rates is not None else None,
        policies=policies, profit=profit, fix_roi=roi, sensitivity=sens, clv_interval=interval,
        skipped=skipped, segment_of=seg_ids if segment else None)
