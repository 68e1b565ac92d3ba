"""What ``metrics.json`` may hold: one pydantic model per section, one field per key.

These models are the single definition of the file. :func:`churnlab.metrics.record`
validates a section against its model before writing it, and the report reads
the file through :class:`StudyMetrics` (attribute access, no string paths), so
a misspelt or renamed key fails loudly instead of showing up as "—".

Rules of the models:

- ``extra="forbid"``: an unknown key is an error naming the section and key.
- ``strict=True`` and numbers typed ``int | float`` (:data:`Number`): nothing
  is coerced, so a validated section dumps back to exactly the same JSON
  (``model_dump(exclude_unset=True)``); ints stay ints, floats stay floats.
- Every key is optional (a notebook writes some keys only when the data allow),
  and every computed number may be ``None`` (``NaN`` is written as ``null``).
- Keys that are data (segments, periods, horizons, model names) are
  ``dict[str, ...]`` maps.

Each field's ``description`` is its documentation; the README's
"``metrics.json`` keys" table summarises them (``tests/test_metrics_readme.py``
checks that the two agree).
"""

from __future__ import annotations

from typing import Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ChurnlabError

Number = Union[int, float]
"""A JSON number, kept as written (an int stays an int)."""

Num = Optional[Number]
Map = dict[str, Optional[Number]]
"""A dynamic-key map (segment, period, horizon, model, ...) to a number or None."""

#: keys renamed since earlier versions of the file: (section, old key) -> new key
RENAMED = {("retention", "break_even_accept_rate"): "break_even_save_rate"}


class MetricsError(ChurnlabError, ValueError):
    """A ``metrics.json`` section (or the whole file) does not match its definition."""


def _f(description: str):
    """An optional field documented by ``description``."""
    return Field(default=None, description=description)


class Strict(BaseModel):
    """Base of every metrics model: unknown keys are errors, values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


# =========================================================================== data (notebook 01)


class DataSection(Strict):
    """``data``: what was collected and which churn definition was applied (notebook 01)."""

    n_customers: Optional[int] = _f("customers who started on or before `as_of`")
    n_churned: Optional[int] = _f("of those, churned by `as_of` under the chosen definition")
    churn_rate: Num = _f("`n_churned / n_customers`")
    definition: Optional[str] = _f("the churn definition applied (contractual, inactivity, partial, category)")
    as_of: Optional[str] = _f("the analysis date (ISO)")
    source: Optional[str] = _f("where the data came from: `simulate` or `files`")
    tables: Optional[dict[str, int]] = _f("rows per written Parquet file")
    median_duration_months: Num = _f("median of `duration` (censored durations included as they are)")
    n_snapshots: Optional[int] = _f("snapshot dates built for prediction")
    snapshot_positive_rate: Num = _f("share of snapshot rows labelled `churn_next` (None without snapshots)")
    churned_by_definition: Optional[dict[str, int]] = _f(
        "churners under each definition that applies to the data (contractual also split by end reason)")
    rows_dropped: Optional[dict[str, int]] = _f("rows removed by cleaning, per reason")


# =========================================================================== causes, warning (notebook 02)


class SegmentRate(Strict):
    """Churn of one level of a categorical column."""

    customers: Optional[int] = _f("customers in the level")
    churned: Optional[int] = _f("of those, churned")
    rate: Num = _f("`churned / customers`")
    ci_low: Num = _f("Wilson 95% interval, lower bound")
    ci_high: Num = _f("Wilson 95% interval, upper bound")


class CausesSection(Strict):
    """``causes``: stated and revealed causes of churn (notebook 02)."""

    segment_churn: Optional[dict[str, dict[str, SegmentRate]]] = _f(
        "per categorical column and level: customers, churned, rate and its Wilson 95% CI")
    top_drivers: Optional[list[str]] = _f(
        "features ordered by mean |SHAP| of the early-warning model that drives the list, one-hot "
        "columns summed per customer before the absolute value (top 10; predictive attributions, not causes)")
    logit_terms: Optional[int] = _f("terms of the multivariable logistic regression (0 if not fitted)")
    exit_reasons: Optional[Map] = _f("share of answering churners per stated exit reason")
    exit_reasons_answered: Optional[int] = _f("churners who stated an exit reason")


class WarningModel(Strict):
    """One early-warning model's raw scores on the held-out rows (same validation for both)."""

    roc_auc: Num = _f("held-out ROC AUC")
    roc_auc_ci: Optional[list[Num]] = _f(
        "95% interval of the ROC AUC [low, high]: percentile bootstrap, 1,000 stratified resamples of the test rows")
    pr_auc: Num = _f("held-out precision-recall AUC (average precision)")
    top_decile_lift: Num = _f("churn rate of the riskiest 10% / the average churn rate")
    top_decile_lift_ci: Optional[list[Num]] = _f("95% interval of the lift, same bootstrap")
    brier: Num = _f("Brier score of the raw scores (mean squared error of the probabilities)")
    log_loss: Num = _f("log loss of the raw scores")
    ece_10_equal_count: Num = _f("expected calibration error of the raw scores, 10 equal-count bins")


class WarningCalibration(Strict):
    """Calibration of the chosen model's scores on the held-out rows."""

    method: Optional[str] = _f("`platt` or `isotonic`")
    reason: Optional[str] = _f("why that method (few events: Platt; else the lower cross-fitted Brier score)")
    events: Optional[int] = _f("churners (or stayers, if fewer) on the held-out rows")
    event_rate: Num = _f("churn rate on the held-out rows")
    mean_probability: Num = _f("mean calibrated probability on the held-out rows (cross-fitted)")
    brier_raw: Num = _f("Brier score before calibration")
    brier_calibrated: Num = _f("Brier score after calibration (5-fold cross-fitted on the held-out rows)")
    ece_10_equal_count_raw: Num = _f("expected calibration error before calibration, 10 equal-count bins")
    ece_10_equal_count_calibrated: Num = _f("the same after calibration (cross-fitted)")


class WarningSection(Strict):
    """``warning``: the early-warning model (notebook 02; absent when it was skipped)."""

    validation: Optional[str] = _f("how it was validated: time-ordered snapshots with an embargo, or 5-fold CV without dates")
    horizon_days: Optional[int] = _f("label horizon: probabilities are P(churn within this many days)")
    model: Optional[str] = _f("the model that drives the list: higher held-out ROC AUC (`xgboost` or `logistic`)")
    model_choice: Optional[str] = _f("the sentence stating the choice and the two AUCs")
    auc: Num = _f("held-out ROC AUC of the chosen model")
    auc_ci: Optional[list[Num]] = _f("its 95% bootstrap interval [low, high]")
    auc_difference_ci: Optional[list[Num]] = _f(
        "95% bootstrap interval of AUC(xgboost) - AUC(logistic), paired on the same resamples")
    pr_auc: Num = _f("held-out precision-recall AUC of the chosen model")
    top_decile_lift: Num = _f("churn rate of the riskiest 10% / the average churn rate (chosen model)")
    top_decile_lift_ci: Optional[list[Num]] = _f("its 95% bootstrap interval [low, high]")
    brier: Num = _f("Brier score of the chosen model's calibrated probabilities (cross-fitted)")
    models: Optional[dict[str, WarningModel]] = _f("per model (`xgboost`, `logistic`): raw held-out metrics")
    calibration: Optional[WarningCalibration] = _f("calibration of the chosen model's scores")
    excluded_features: Optional[dict[str, str]] = _f(
        "features left out of every model as consequences of churn or stand-ins for tenure, with the reason")
    n_high_risk: Optional[int] = _f("active customers in the high risk tier of the early-warning list")


# =========================================================================== survival (notebook 03)


class KMCurve(Strict):
    """The Kaplan-Meier step curve, thinned to at most 100 points (draw it as steps, ``where="post"``)."""

    time: list[Number] = _f("times (in `survival.unit`s) where the curve starts, steps down or ends")
    survival: list[Number] = _f("S(t) from each time on")
    ci_low: list[Num] = _f("95% confidence interval of S(t), lower bound")
    ci_high: list[Num] = _f("95% confidence interval of S(t), upper bound")


class KaplanMeier(Strict):
    """Kaplan-Meier estimate of all customers (with entry times)."""

    median: Num = _f("median lifetime in `survival.unit`s (None when not reached)")
    median_ci: Optional[list[Num]] = _f("95% confidence interval of the median [low, high]")
    rmst: Num = _f("restricted mean survival time up to `rmst_tau`")
    rmst_tau: Num = _f("the restriction time of `rmst`")
    survival: Optional[Map] = _f("S(h) per horizon h (in `survival.unit`s, as text)")
    curve: Optional[KMCurve] = _f("the step curve (time, S, 95% CI), at most 100 points")


class LogRank(Strict):
    """Log-rank test of one segment column."""

    statistic: Num = _f("test statistic")
    p_value: Num = _f("p-value")


class CoxRemedy(Strict):
    """The Cox model refitted where proportional hazards fail."""

    strata: Optional[list[str]] = _f("categorical columns turned into strata")
    time_interactions: Optional[list[str]] = _f("numeric terms split at the median tenure")
    hazard_ratios: Optional[Map] = _f("hazard ratio per term of the refitted model")


class CoxModel(Strict):
    """Cox proportional-hazards model (all covariates, entry times)."""

    hazard_ratios: Optional[Map] = _f("hazard ratio per term")
    concordance: Num = _f("Harrell's C on the customers the model was fitted to (lifelines; "
                          "ignores entry times; the held-out C is in `validation`)")
    ph_violations: Optional[list[str]] = _f("terms failing the Schoenfeld test")
    remedy: Optional[CoxRemedy] = _f("the strata, time interactions and refitted hazard ratios")
    scale: Optional[Map] = _f("SD of each numeric term over the fitted customers: the hazard ratio "
                              "per 1 SD is hazard_ratio ** scale (category levels: none, vs the reference)")
    labels: Optional[dict[str, str]] = _f("readable label per term (feature metadata, the params' `labels`)")
    per: Optional[dict[str, str]] = _f("what one step of each term is: 'per 1 SD = 2.3 failures a month', "
                                       "or 'level vs reference'")


class DriverModel(Strict):
    """The drivers model: Cox with time-varying covariates on monthly episodes."""

    episodes: Optional[int] = _f("customer-months at risk fitted (covariates as known at each month's start)")
    customers: Optional[int] = _f("customers with at least one month at risk")
    events: Optional[int] = _f("churn events in those months (voluntary only when end reasons exist)")
    observed_until: Optional[str] = _f("last day statuses are known (`as_of`, minus the inactivity window for shops)")
    strata: Optional[list[str]] = _f("columns with their own baseline hazard (contract or billing type)")
    hazard_ratios: Optional[Map] = _f("ratio of monthly hazards per term, per the term's unit")
    ci_low: Optional[Map] = _f("Wald 95% interval of the hazard ratio, lower bound, per term")
    ci_high: Optional[Map] = _f("Wald 95% interval of the hazard ratio, upper bound, per term")
    p_value: Optional[Map] = _f("Wald p-value per term (unadjusted)")
    scale: Optional[Map] = _f("SD of each numeric term over the fitted customer-months (HR per 1 SD = "
                              "hazard_ratio ** scale)")
    labels: Optional[dict[str, str]] = _f("readable label per term (feature metadata, the params' `labels`)")
    per: Optional[dict[str, str]] = _f("what one step of each term is ('per 1 SD = …', 'level vs reference')")


class PlantedDriver(Strict):
    """One planted driver of the simulator against the drivers model."""

    planted_log_hr: Num = _f("the planted log hazard ratio per its stated unit (monthly hazard)")
    log_hr: Num = _f("the estimated log hazard ratio (None when no term carries it)")
    log_ci_low: Num = _f("95% interval of the estimate (log scale), lower bound")
    log_ci_high: Num = _f("95% interval of the estimate (log scale), upper bound")
    p_value: Num = _f("Wald p-value of the estimate")
    recovered: Optional[bool] = _f(
        "significant, right sign, and the CI covers the planted value or the estimate is within "
        "`planted_factor` of it (None: not comparable)")
    asserted: Optional[bool] = _f("comparable and |planted log-HR| >= `planted_min_effect`: must be recovered")


class AftModels(Strict):
    """Weibull / log-normal / log-logistic accelerated-failure-time models."""

    best: Optional[str] = _f("the model with the lowest AIC")
    aic: Optional[Map] = _f("AIC per model")


class SurvivalValidation(Strict):
    """Held-out validation of the survival models."""

    concordance_test: Optional[Map] = _f("held-out Harrell's C per model, pairs seen at risk together "
                                         "(entry times respected)")
    integrated_brier: Optional[Map] = _f("held-out integrated Brier score per model over periods "
                                         "1..`horizon` after entering the data (IPCW), with the "
                                         "Kaplan-Meier curve without covariates as reference")
    calibration_error: Optional[Map] = _f("per model, mean absolute gap between predicted and Kaplan-Meier "
                                          "observed P(churn within `horizon`) over risk groups, "
                                          "weighted by group size")
    horizon: Num = _f("the calibration horizon (in `survival.unit`s)")


class SBGFit(Strict):
    """Shifted-beta-geometric model on acquisition cohorts (contractual studies)."""

    alpha: Num = _f("sBG α")
    beta: Num = _f("sBG β; α/(α+β) is the mean churn probability per period")
    period: Optional[str] = _f("the cohort period (month or quarter)")
    fit_periods: Optional[int] = _f("periods used for the fit")
    cohorts: Optional[int] = _f("acquisition cohorts")
    holdout_mape: Num = _f("mean absolute percentage error of the projection on held-out periods: "
                           "mean |actual - projected| / actual of the pooled survival, as a fraction")
    holdout_bias: Num = _f("mean signed error of the projection on held-out periods: mean (actual - "
                           "projected) / actual, as a fraction; > 0 = survival understated")
    holdout_error: Optional[Map] = _f("signed error (actual - projected) / actual at each held-out "
                                      "age, in periods since acquisition")
    derl: Num = _f("discounted expected residual lifetime (Fader & Hardie 2010, eq. 6) of a customer "
                   "who has renewed once, at the end of their second period, at "
                   "survival.annual_discount_rate; in periods' worth of payments")
    converged: Optional[bool] = _f("whether the optimiser converged")


class BGNBDHoldout(Strict):
    """BG/NBD prediction against what happened after `as_of`."""

    days: Optional[int] = _f("length of the holdout in days")
    predicted: Num = _f("predicted purchases in the holdout")
    actual: Num = _f("actual purchases in the holdout")


class BGNBDFit(Strict):
    """BG/NBD model as of `as_of` (non-contractual studies)."""

    r: Num = _f("BG/NBD r")
    alpha: Num = _f("BG/NBD α")
    a: Num = _f("BG/NBD a")
    b: Num = _f("BG/NBD b")
    time_unit: Optional[str] = _f("the time unit of the fit (day, week or month)")
    converged: Optional[bool] = _f("whether the optimiser converged")
    horizon: Num = _f("horizon of the expected purchases, in `time_unit`s")
    mean_p_alive: Num = _f("mean P(alive) of the customers")
    holdout: Optional[BGNBDHoldout] = _f("predicted vs actual purchases when data go past `as_of`")


class CompetingRisks(Strict):
    """Voluntary and involuntary churn as competing risks (studies that record the cause)."""

    events: Optional[dict[str, int]] = _f("churn events per cause")
    incidence: Optional[dict[str, Map]] = _f("per cause, the Aalen-Johansen cumulative incidence at "
                                             "each horizon (share of customers who left for that cause "
                                             "by then, entry times respected)")
    incidence_ci: Optional[dict[str, dict[str, list[Number]]]] = _f(
        "per cause and horizon, the 95% pointwise confidence interval of the cumulative incidence")
    hazard_ratios: Optional[dict[str, Map]] = _f("per cause, the cause-specific Cox hazard ratio per "
                                                 "term (other causes censored)")
    skipped: Optional[dict[str, str]] = _f("causes without a model of their own, and why")


class SurvivalSection(Strict):
    """``survival``: the survival picture (notebook 03)."""

    unit: Optional[str] = _f("the time unit of durations (day, week, month)")
    customers: Optional[int] = _f("customers in the survival table")
    left_truncated: Optional[int] = _f("customers entering late (joined before the data window)")
    dropped_no_time_at_risk: Optional[int] = _f("rows with no time at risk observed")
    km: Optional[KaplanMeier] = _f("Kaplan-Meier (with entry times): median, S(h) per horizon, RMST")
    logrank: Optional[dict[str, LogRank]] = _f("per segment column: log-rank statistic and p-value")
    cox: Optional[CoxModel] = _f("Cox model: hazard ratios, concordance, PH violations and remedy")
    drivers: Optional[DriverModel] = _f("time-varying Cox on monthly episodes: hazard ratios with 95% CIs")
    planted: Optional[dict[str, PlantedDriver]] = _f("simulated data: each planted driver, its estimate and verdict")
    planted_factor: Num = _f("the recovery rule's tolerance: estimate within this factor of the planted log-HR")
    planted_min_effect: Num = _f("planted drivers with |log-HR| at least this large are asserted")
    aft: Optional[AftModels] = _f("AFT models by AIC")
    validation: Optional[SurvivalValidation] = _f("held-out concordance and calibration per model")
    sbg: Optional[SBGFit] = _f("contractual studies: sBG on acquisition cohorts")
    bgnbd: Optional[BGNBDFit] = _f("non-contractual studies: BG/NBD")
    competing: Optional[CompetingRisks] = _f("studies with exit causes: cumulative incidence and "
                                             "cause-specific Cox per cause")


# =========================================================================== value, cost, retention (notebook 04)


class SegmentCLV(Strict):
    """Mean CLV of one segment."""

    mean: Num = _f("mean CLV")
    ci_low: Num = _f("bootstrap 95% interval, lower bound")
    ci_high: Num = _f("bootstrap 95% interval, upper bound")
    customers: Optional[int] = _f("active customers in the segment")


class GammaGamma(Strict):
    """Gamma-Gamma spend model (non-contractual studies)."""

    p: Num = _f("Gamma-Gamma p")
    q: Num = _f("Gamma-Gamma q")
    gamma: Num = _f("Gamma-Gamma γ")
    mean_spend: Num = _f("expected mean spend per purchase")


class ValueSection(Strict):
    """``value``: customer lifetime value of the active customers (notebook 04)."""

    currency: Optional[str] = _f("currency of the money amounts")
    horizon_months: Optional[Number] = _f("CLV horizon in months")
    margin_rate: Num = _f("margin as a share of revenue")
    discount_rate: Num = _f("discount rate per `discount_period`")
    discount_period: Optional[str] = _f("the period of `discount_rate` (year or month)")
    method: Optional[str] = _f("survival model (contractual) or BG/NBD × Gamma-Gamma")
    clv_mean: Num = _f("mean CLV of active customers")
    clv_total: Num = _f("total CLV of active customers")
    customers: Optional[int] = _f("active customers valued")
    clv_by_segment: Optional[dict[str, SegmentCLV]] = _f(
        "per segment: mean CLV with bootstrap 95% interval, and customers")
    interval: Optional[str] = _f("how the segment intervals were computed")
    clv_mean_ci: Optional[list[Number]] = _f("95% interval of `clv_mean`")
    clv_mean_ci_method: Optional[str] = _f("how `clv_mean_ci` was computed: whether it includes the "
                                           "uncertainty of the fitted model parameters")
    gamma_gamma: Optional[GammaGamma] = _f("non-contractual: the Gamma-Gamma fit")
    sbg_check: Optional[Map] = _f(
        "contractual: expected discounted months from the sBG and from the survival model, side by side")


class CostComponents(Strict):
    """The parts of the cost of churn; they sum to ``cost.total``."""

    direct: Num = _f("churners × (termination + equipment recovery + compensation)")
    indirect: Num = _f("churners × (acquisition cost of a replacement + extra service cost)")
    lost_revenue: Num = _f(
        "per churner, the mean CLV of retained customers at the same tenure (and segment): "
        "the value the churner would have brought")
    opportunity: Num = _f(
        "retention spend that changed nothing: offers to customers who left anyway, and the "
        "stay-anyway share of offers to customers who were kept")


class CostSection(Strict):
    """``cost``: the cost of churn in the study window (notebook 04)."""

    currency: Optional[str] = _f("currency of the money amounts")
    dated: Optional[bool] = _f("False when the data carry no end dates: every churner is counted at "
                               "`as_of` and `window` is that one day")
    window: Optional[list[str]] = _f("the study window [start, end] (ISO dates)")
    total: Num = _f("cost of churn in `window`")
    churners: Optional[int] = _f("churners in `window`")
    components: Optional[CostComponents] = _f("`direct`, `indirect`, `lost_revenue`, `opportunity`")
    revenue_at_risk: Num = _f(
        "Σ over active customers of P(churn within `revenue_at_risk_horizon_months`) × CLV")
    revenue_at_risk_horizon_months: Optional[Number] = _f("horizon of `revenue_at_risk`, in months")


class FixROI(Strict):
    """One exit reason of ``retention.fix_ranking``: what fixing it would return."""

    reason: Optional[str] = _f("the exit reason")
    share_of_churners: Num = _f("share of answering churners who gave it")
    value_lost_per_year: Num = _f("value lost to it a year (churners a year x their value had they stayed)")
    reduction: Num = _f("share of those churners the fix keeps (params `fixes`; None: no fix costed)")
    value_saved_pv: Num = _f("value the fix saves over `retention.fix_horizon_months`, discounted monthly")
    investment: Num = _f("the fix's investment, paid today (params `fixes`)")
    roi: Num = _f("(value_saved_pv - investment) / investment; > 0: the fix pays (None: no fix costed)")


class PolicyPlan(Strict):
    """The best plan of one targeted policy and its profit risk."""

    share: Num = _f("share of the early-warning list contacted")
    customers: Optional[int] = _f("customers contacted")
    expected_profit: Num = _f("expected profit")
    break_even_save_rate: Num = _f("save rate at which it breaks even")
    profit_p05: Num = _f("5th percentile of the simulated profit")
    profit_p95: Num = _f("95th percentile of the simulated profit")
    p_loss: Num = _f("probability of a loss")


class RetentionSection(Strict):
    """``retention``: the recommended retention campaign and fixes (notebook 04)."""

    currency: Optional[str] = _f("currency of the money amounts")
    optimal_target_share: Num = _f("best share of the early-warning list to contact (by risk)")
    optimal_customers: Optional[int] = _f("customers contacted at that share")
    expected_profit: Num = _f("expected profit of that plan")
    break_even_save_rate: Num = _f(
        "the save rate at which the plan breaks even (share of contacted would-be churners "
        "who accept the offer and stay)")
    save_rate: Num = _f("the save rate the plan uses")
    save_rate_ci: Optional[list[Num]] = _f("95% interval of the save rate [low, high]")
    save_rate_source: Optional[str] = _f("where the save rate comes from")
    profit_p05: Num = _f("5th percentile of the simulated profit")
    profit_p95: Num = _f("95th percentile of the simulated profit")
    p_loss: Num = _f("probability of a loss")
    profit_uncertainty: Optional[str] = _f("what the profit draws vary (the save rate, and the level of "
                                           "the churn probabilities from their held-out calibration)")
    value_basis: Optional[str] = _f("the value a save is worth in the plan")
    policies: Optional[Map] = _f(
        "expected profit per targeting policy (differentiated, by risk × value, one discount for all, "
        "mass campaign)")
    policy: Optional[str] = _f("the policy of `optimal_target_share` ... `p_loss`: the recommended one, "
                               "else by risk with differentiated offers")
    recommended_policy: Optional[str] = _f("the policy to run (None: no policy is expected to pay)")
    recommendation: Optional[str] = _f("why that policy, in words (the rule of churnlab.economics.recommend)")
    policy_plans: Optional[dict[str, PolicyPlan]] = _f(
        "per targeted policy: its best share, customers, expected profit, break-even save rate, "
        "profit percentiles and chance of a loss")
    fix_ranking: Optional[list[Union[FixROI, str]]] = _f(
        "exit reasons ordered by return on investment of fixing them, each with its ROI, investment "
        "and value saved (older files: the reasons' names only)")
    fix_horizon_months: Optional[Number] = _f("months a fix is counted to keep saving value (the CLV horizon)")
    profit_curves: Optional[dict[str, Map]] = _f(
        "per policy, the expected profit of contacting the top share of the list as the policy ranks "
        "it, at shares 0, 0.02, ..., 1 (share as text -> profit; the report's profit curve)")


# =========================================================================== kpi (notebook 05)


class PeriodSeries(Strict):
    """A rate per period, for each period length."""

    month: Optional[Map] = _f("period (`2025-12`) -> rate")
    quarter: Optional[Map] = _f("period (`2025Q4`) -> rate")
    year: Optional[Map] = _f("period (`2025`) -> rate")


class PeriodValues(Strict):
    """A rate of the latest complete period, for each period length."""

    month: Num = _f("latest complete month")
    quarter: Num = _f("latest complete quarter")
    year: Num = _f("latest complete year")


class ScorecardRow(Strict):
    """One KPI of the scorecard."""

    kpi: Optional[str] = _f("KPI name")
    value: Num = _f("value in the latest period, expressed per `period`")
    target: Num = _f("target from the params (None: no target)")
    period: Optional[str] = _f("period of `value`, `target` and `previous` (`month`, `quarter`, `year`; "
                               "the target's, the value converted to it); None: not a per-period rate")
    previous: Num = _f("value in the period before")
    trend: Optional[str] = _f("up, down or flat against `previous`")
    status: Optional[str] = _f("on track, watch, off track or no target")
    unit: Optional[str] = _f("`%` (a fraction), `x` (a ratio) or empty")


class DefinitionSensitivity(Strict):
    """Churn under other definitions: gap (contractual) or inactivity window (transactions)."""

    gap_days: Optional[list[Num]] = _f("contractual: re-subscription gaps tried, in days")
    churn_events: Optional[list[Num]] = _f("contractual: churn events at each gap")
    window_days: Optional[list[Num]] = _f("transactions: inactivity windows tried, in days")
    customers: Optional[list[Num]] = _f("transactions: customers evaluated at each window")
    churned: Optional[list[Num]] = _f("transactions: churned at each window")
    churn_share: Optional[list[Num]] = _f("transactions: churned / customers at each window")
    returned_share: Optional[list[Num]] = _f("share of churners who came back, at each gap or window")


class Consistency(Strict):
    """Cross-check of the monthly churn rate by several methods."""

    methods: Optional[Map] = _f("monthly churn rate per method")
    agree: Optional[bool] = _f("whether all methods agree within `tolerance`")
    tolerance: Num = _f("relative tolerance of the check")
    note: Optional[str] = _f("the check in words: each method that differs, by how much against the "
                             "period rate, and why it can")


class KpiSection(Strict):
    """``kpi``: KPIs per period, scorecard and checks (notebook 05)."""

    churn_rate: Optional[PeriodSeries] = _f(
        "per `month`, `quarter`, `year`: period -> lapses in the period of customers active at its start "
        "(event history: a lapse counts even if the customer returns later) / customers active at its start")
    retention_rate: Optional[PeriodSeries] = _f("per `month`, `quarter`, `year`: period -> 1 - churn rate")
    churn_rate_latest: Optional[PeriodValues] = _f("churn rate of the latest complete periods")
    retention_rate_latest: Optional[PeriodValues] = _f("retention rate of the latest complete periods")
    annualised_churn: Num = _f("1 − (1 − c)^12 of the pooled monthly rate c of the last 12 months")
    growth_rate_latest: Num = _f("customer growth of the latest month, (at end - at start) / at start")
    same_period_churn_rule: Optional[str] = _f(
        "how customers who join and churn in the same period are counted")
    churn_by_kind: Optional[Map] = _f("share of churners per end reason (voluntary, involuntary)")
    cohort_logo_retention_12m: Num = _f("share of acquired customers still active 12 months later")
    grr: Num = _f("software: gross revenue retention per month, (MRR_start - contraction - churn) / MRR_start, "
                  "movements pooled over the last 12 months (the scorecard converts it to its target's period)")
    nrr: Num = _f("software: net revenue retention per month, (MRR_start + expansion - contraction - churn) / "
                  "MRR_start (no new, no reactivation: ChartMogul), pooled over the last 12 months")
    quick_ratio: Num = _f("software: (new + expansion + reactivation) / (contraction + churn) MRR, last 12 months")
    net_mrr_churn: Num = _f("software: net MRR churn per month, (churn + contraction - expansion - reactivation) / "
                            "MRR_start (ChartMogul), pooled over the last 12 months")
    winback_rate: Num = _f("share of churn events won back within `kpi.winback_days` (params)")
    save_rate: Num = _f("save desk: kept / all offers (None without offers)")
    save_desk_success_rate: Num = _f("save desk: kept / accepted offers (None without offers)")
    lifecycle_latest: Optional[Map] = _f("customers per lifecycle stage at the end of the latest quarter")
    indicators_latest: Optional[Map] = _f("leading indicators of the latest month (complaints per 100, ...)")
    scorecard: Optional[list[ScorecardRow]] = _f(
        "per KPI: value, target, previous, trend, status (on track / watch / off track / no target), unit")
    definition_sensitivity: Optional[DefinitionSensitivity] = _f("churn under other definitions")
    consistency: Optional[Consistency] = _f("monthly churn rate by several methods, and whether they agree")


# =========================================================================== the file


class StudyMetrics(Strict):
    """The whole ``metrics.json`` of a run: every section optional."""

    data: Optional[DataSection] = _f("data collection (notebook 01)")
    causes: Optional[CausesSection] = _f("cause analysis (notebook 02)")
    warning: Optional[WarningSection] = _f("the early-warning model (notebook 02)")
    survival: Optional[SurvivalSection] = _f("survival modelling (notebook 03)")
    value: Optional[ValueSection] = _f("customer lifetime value (notebook 04)")
    cost: Optional[CostSection] = _f("cost of churn (notebook 04)")
    retention: Optional[RetentionSection] = _f("retention campaign and fixes (notebook 04)")
    kpi: Optional[KpiSection] = _f("KPI evaluation (notebook 05)")


#: section name -> its model
SECTIONS: dict[str, type[Strict]] = {
    "data": DataSection, "causes": CausesSection, "warning": WarningSection, "survival": SurvivalSection,
    "value": ValueSection, "cost": CostSection, "retention": RetentionSection, "kpi": KpiSection,
}


def _problems(exc: ValidationError, prefix: tuple[str, ...]) -> str:
    """One line per error: ``retention.break_even_accept_rate: unknown key (renamed to ...)``."""
    lines = []
    for err in exc.errors():
        loc = prefix + tuple(str(p) for p in err["loc"])
        where = ".".join(loc)
        if err["type"] == "extra_forbidden":
            new = RENAMED.get(loc[:2]) if len(loc) == 2 else None
            hint = f" (renamed to {loc[0]}.{new})" if new else ""
            lines.append(f"{where}: unknown key{hint}")
        else:
            lines.append(f"{where}: {err['msg']} (got {err.get('input')!r:.60})")
    return "; ".join(lines)


def validate_section(section: str, values: dict) -> Strict:
    """``values`` (already JSON-clean) as the model of ``section``; :class:`MetricsError` if it does not fit."""
    model = SECTIONS.get(section)
    if model is None:
        raise MetricsError(f"metrics.json has no section {section!r}; the sections are {', '.join(SECTIONS)}")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise MetricsError(f"metrics.json section {section!r}: {_problems(exc, (section,))}") from None


def parse(data: dict) -> StudyMetrics:
    """A whole ``metrics.json`` mapping as :class:`StudyMetrics`; :class:`MetricsError` if it does not fit."""
    try:
        return StudyMetrics.model_validate(data)
    except ValidationError as exc:
        raise MetricsError(f"metrics.json: {_problems(exc, ())}") from None


def dump(model: BaseModel) -> dict:
    """The JSON mapping of a validated model: exactly the keys that were set."""
    return model.model_dump(exclude_unset=True)
