"""Stage 3 as one function: everything notebook 03 shows, from the collected data.

:func:`analyse` runs, in the notebook's order, the Kaplan-Meier summaries and
log-rank tests, the hazard per period of tenure, Cox with its remedy, the
planted-driver check, the AFT models and the survival curves of today's
customers, the held-out validation, the sBG projection (contracts) and the
BG/NBD study (purchases). A part that cannot run on the data leaves its
result None and records a one-line reason in :attr:`SurvivalResult.skipped`
(the :class:`~churnlab.errors.DataError` message, or why it does not apply).

The three fits later stages reuse are also public on their own, for a stage
opened before this one ran: :func:`fit_curves` (AFT models + curves of the
best one), :func:`fit_sbg` and :func:`fit_bgnbd`. :func:`analyse` calls each
once and keeps the objects on the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import clv
from ..collect.episodes import monthly_episodes, observation_end
from ..errors import DataError
from ..units import PERIODS_PER_YEAR, UNIT_DAYS, bgnbd_code
from .aft import AFTComparison, aft_models
from .competing import CompetingRisks, competing_risks
from .cox import CoxRemedy, cox_with_remedy
from .curves import SurvivalCurves, curve_times, discounted_months_draws, survival_curves
from .hazard import period_hazard
from .km import KMSummary, km_by_segment, km_summary, logrank
from .planted import FACTOR, MIN_EFFECT, planted_recovery, truth_caps
from .readable import per_sd
from .table import Prepared
from .tv_cox import TVCoxResult, episode_covariates, strata_for, tv_cox
from .validation import Validation, holdout_validation

#: Columns whose levels get their own hazard panel, the first one present with two levels.
HAZARD_COLUMNS = ("plan", "Contract", "billing")
#: Segments compared by Kaplan-Meier: categorical covariates with 2..8 levels, at most this many.
MAX_SEGMENT_COLUMNS = 6
#: Polarization phi = 1 / (alpha + beta + 1) below which the sBG is read as geometric.
GEOMETRIC_POLARIZATION = 1e-4
#: Drop-out probability per purchase a / (a + b) below which the BG/NBD sees nobody leave.
DEGENERATE_DROPOUT = 0.01


@dataclass
class SurvivalResult:
    """Everything notebook 03 shows. ``None`` (or empty) where a part did not run;
    ``skipped`` maps the part's name to the one-line reason.

    ``segments``: :func:`km_by_segment` of each of ``segment_columns``;
    ``logrank``: one test per segment column, largest statistic first (None if
    no test ran); ``hazard``: :func:`period_hazard` per level of
    ``hazard_column`` (or of all customers), with dotted ``hazard_marks`` at
    contract ends; ``drivers``: the time-varying Cox model on monthly episodes
    (:func:`fit_drivers`); ``planted``: :func:`planted_recovery` of its estimates
    (simulated data);
    ``curves``: conditional survival curves of the active customers from the
    best AFT model, ``predictions`` read from them at the horizons (one row per
    active customer, most likely to leave within the first horizon first: the
    content of ``survival_predictions.csv``); ``derl``:
    the sBG's discounted expected residual lifetime at the annual discount rate.
    """

    params: object
    prepared: Prepared
    km_all: KMSummary | None = None
    segment_columns: list[str] = field(default_factory=list)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    logrank: pd.DataFrame | None = None
    hazard_column: str | None = None
    hazard_marks: tuple[int, ...] = ()
    hazard: dict[str, pd.DataFrame] = field(default_factory=dict)
    remedy: CoxRemedy | None = None
    drivers: TVCoxResult | None = None
    planted: pd.DataFrame | None = None
    aft: AFTComparison | None = None
    curves: SurvivalCurves | None = None
    predictions: pd.DataFrame | None = None
    validation: Validation | None = None
    sbg: clv.SBGProjection | None = None
    derl: float | None = None
    bgnbd: clv.BGNBDStudy | None = None
    alive_vs_inactivity: pd.DataFrame | None = None
    competing: CompetingRisks | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The survival table the models were fitted on."""
        return self.prepared.table

    @property
    def unit_label(self) -> str:
        """The time unit in the plural, for labels (``months``)."""
        return f"{self.params.survival.unit}s"

    @property
    def focus_column(self) -> str:
        """The prediction column notebook 03 ranks by: P(churn) within the third horizon
        (the last if fewer), e.g. ``p_churn_12``."""
        horizons = tuple(self.params.survival.horizons)
        return f"p_churn_{horizons[min(2, len(horizons) - 1)]:g}"

    @property
    def remedied(self) -> bool:
        """True when the Cox model was refitted after a proportional-hazards remedy."""
        return self.remedy is not None and self.remedy.final is not self.remedy.first

    @property
    def sbg_geometric(self) -> bool:
        """The sBG found no spread in churn probabilities (polarization ~ 0: geometric)."""
        return self.sbg is not None and self.sbg.fit.polarization < GEOMETRIC_POLARIZATION

    @property
    def bgnbd_degenerate(self) -> bool:
        """The BG/NBD drop-out probability per purchase a / (a + b) is below 1%."""
        return self.bgnbd is not None and \
            self.bgnbd.fit.a / (self.bgnbd.fit.a + self.bgnbd.fit.b) < DEGENERATE_DROPOUT

    def riskiest(self, n: int = 10) -> pd.DataFrame | None:
        """The ``n`` active customers most likely to leave within the focus horizon."""
        if self.predictions is None:
            return None
        return self.predictions.sort_values(self.focus_column, ascending=False).head(n)

    def note(self, part: str) -> str:
        """The Markdown sentence(s) notebook 03 shows for ``part`` (see
        :data:`churnlab.survival.notes.NOTES`); the skip reason if the part was skipped."""
        from .notes import note

        return note(self, part)

    def metrics(self) -> dict[str, dict]:
        """``{"survival": {...}}``: the headline numbers of metrics.json."""
        sp = self.params.survival
        st = self.prepared.table
        out = {"unit": sp.unit, "customers": len(st), "left_truncated": st.attrs["left_truncated"],
               "dropped_no_time_at_risk": st.attrs["dropped"]}
        km = self.km_all
        if km is not None:
            out["km"] = {"median": km.median, "median_ci": list(km.median_ci), "rmst": km.rmst,
                         "rmst_tau": km.tau,
                         "survival": {f"{h:g}": s for h, s in zip(km.survival["horizon"],
                                                                   km.survival["survival"])}}
            if km.curve is not None:
                out["km"]["curve"] = {c: [round(float(v), 6) for v in km.curve[c]] for c in km.curve.columns}
        if self.logrank is not None:
            out["logrank"] = {r.column: {"statistic": r.statistic, "p_value": r.p_value}
                              for r in self.logrank.itertuples()}
        if self.remedy is not None:
            first, final = self.remedy.first, self.remedy.final
            out["cox"] = {"hazard_ratios": dict(zip(first.hazard_ratios["term"], first.hazard_ratios["hr"])),
                          "concordance": first.concordance,
                          "ph_violations": first.ph_violations,
                          "remedy": {"strata": self.remedy.strata,
                                     "time_interactions": self.remedy.interactions,
                                     "hazard_ratios": dict(zip(final.hazard_ratios["term"],
                                                               final.hazard_ratios["hr"]))},
                          **readable_metrics(first, self.params)}
        if self.drivers is not None:
            out["drivers"] = drivers_metrics(self.drivers, self.params)
        if self.planted is not None:
            out["planted"] = {r.feature: {
                "planted_log_hr": r.planted_log_hr, "log_hr": r.log_hr, "log_ci_low": r.log_ci_low,
                "log_ci_high": r.log_ci_high, "p_value": r.p_value, "recovered": r.recovered,
                "asserted": bool(r.asserted)} for r in self.planted.itertuples()}
            out["planted_factor"], out["planted_min_effect"] = FACTOR, MIN_EFFECT
        if self.aft is not None:
            out["aft"] = {"best": self.aft.best, "aic": dict(zip(self.aft.table["model"],
                                                                 self.aft.table["aic"]))}
        if self.competing is not None:
            out["competing"] = competing_metrics(self.competing)
        v = self.validation
        if v is not None:
            models = v.concordance.set_index("model")
            fitted = models.drop(index=[m for m in models.index if m not in v.calibration_error])
            out["validation"] = {"concordance_test": fitted["test"].to_dict(),
                                 "integrated_brier": models["integrated_brier"].to_dict(),
                                 "calibration_error": v.calibration_error, "horizon": v.horizon}
        if self.sbg is not None:
            f = self.sbg.fit
            out["sbg"] = {"alpha": f.alpha, "beta": f.beta, "period": sp.cohort_period,
                          "fit_periods": self.sbg.fit_periods, "cohorts": self.cohorts,
                          "holdout_mape": self.sbg.mape, "holdout_bias": self.sbg.bias,
                          "holdout_error": {f"{k:g}": v for k, v in self.sbg.holdout_errors.items()},
                          "derl": self.derl, "converged": f.converged}
        bg = self.bgnbd
        if bg is not None:
            out["bgnbd"] = {"r": bg.fit.r, "alpha": bg.fit.alpha, "a": bg.fit.a, "b": bg.fit.b,
                            "time_unit": sp.bgnbd_unit, "converged": bg.fit.converged,
                            "horizon": bg.horizon, "mean_p_alive": bg.summary["p_alive"].mean()}
            if bg.holdout_days:
                out["bgnbd"]["holdout"] = {"days": bg.holdout_days, "predicted": bg.predicted_total,
                                           "actual": bg.actual_total}
        return {"survival": out}

    @property
    def cohorts(self) -> int | None:
        """Number of acquisition cohorts in the sBG's cohort table."""
        return None if self.sbg is None else int(self.sbg.table["cohorts"].iloc[0])


# --------------------------------------------------------------------------- drivers


def drivers_metrics(d: TVCoxResult, params) -> dict:
    """The ``survival.drivers`` section of metrics.json from a fitted drivers model."""
    hr = d.hazard_ratios
    return {"episodes": d.episodes, "customers": d.customers, "events": d.events,
            "observed_until": d.model_attrs.get("observed_until"), "strata": d.strata,
            **{key: dict(zip(hr["term"], hr[col])) for key, col in
               (("hazard_ratios", "hr"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                ("p_value", "p_value"))},
            **readable_metrics(d, params)}


def readable_metrics(model, params) -> dict:
    """``scale``, ``labels`` and ``per`` of a fitted Cox model (a :class:`CoxResult` or
    :class:`TVCoxResult`) for metrics.json: what the report needs to show hazard ratios per SD
    under readable labels (:mod:`churnlab.survival.readable`)."""
    table = readable_table(model, params)
    return {"scale": {t: s for t, s in zip(table["term"], table["sd"]) if s is not None and s == s},
            "labels": dict(zip(table["term"], table["label"])),
            "per": dict(zip(table["term"], table["per"]))}


def readable_table(model, params) -> pd.DataFrame:
    """The model's hazard ratios per SD with readable labels (:func:`~churnlab.survival.readable.per_sd`),
    the params' ``labels`` overriding the feature metadata."""
    return per_sd(model.hazard_ratios, model.scale, labels=getattr(params, "labels", None) or {},
                  reference=model.design.reference)


def fit_drivers(params, collection, prepared: Prepared, *,
                skipped: dict[str, str] | None = None) -> tuple[TVCoxResult | None, pd.DataFrame | None]:
    """The drivers model and, on simulated data, the planted drivers against it.

    :func:`churnlab.collect.episodes.monthly_episodes` of the analysis table (window from
    ``prepared.observed_from`` to :func:`~churnlab.collect.episodes.observation_end`;
    static covariates: the categorical ones of ``prepared`` with at most 12 levels; the
    simulator's caps on running counts, :func:`~churnlab.survival.planted.truth_caps`),
    then :func:`~churnlab.survival.tv_cox.tv_cox` stratified by contract or billing type
    (:func:`~churnlab.survival.tv_cox.strata_for`) and :func:`planted_recovery`.
    ``(None, None)`` when the data have no dates or the fit fails (``skipped["Drivers"]``).
    """
    skipped = {} if skipped is None else skipped
    a, truth = collection.analysis, collection.ground_truth
    if "start_date" not in a or a["start_date"].isna().any():
        skipped["Drivers"] = ("the monthly drivers model needs start dates; this data has a "
                              "duration only (see the Cox model on customer attributes)")
        return None, None
    static = [c for c in prepared.categorical if c in a and a[c].nunique() <= 12]
    read = {k: pd.read_parquet(collection.tables[k]) for k in ("usage", "interactions")
            if k in collection.tables}
    c = params.churn
    try:
        ep = monthly_episodes(a, usage=read.get("usage"), interactions=read.get("interactions"),
                              observed_from=prepared.observed_from,
                              observed_until=observation_end(params.as_of, definition=c.definition,
                                                             inactivity_days=c.inactivity_days),
                              static=static, caps=truth_caps(truth))
        covs = episode_covariates(ep)
        d = tv_cox(ep, covariates=covs, strata=strata_for(ep, static), reference=prepared.reference)
    except DataError as exc:
        skipped["Drivers"] = str(exc)
        return None, None
    planted = None
    if truth and truth.get("drivers"):
        planted = planted_recovery(truth["drivers"], d.hazard_ratios, strata=d.strata)
    return d, planted


# --------------------------------------------------------------------------- the fits later stages reuse


def curve_times_for(params) -> np.ndarray:
    """The times (survival units) the curves are kept at: the 0.25 grid up to
    ``survival.remaining_cap``, the survival horizons and the campaign horizon,
    and every month of the CLV horizon (:func:`churnlab.survival.curves.curve_times`)."""
    sp = params.survival
    horizons = tuple(sp.horizons) + ((params.campaign.horizon_months,) if params.campaign else ())
    return curve_times(unit=sp.unit, horizons=horizons, cap=sp.remaining_cap,
                       months=params.value.horizon_months if params.value else 0)


def unobserved_lag(st: pd.DataFrame, as_of, unit: str) -> float:
    """Time (survival units) from the observation end to ``as_of``: (t0 - t_obs) / days per
    unit, 0 without an ``observed_until`` column (contracts, undated exports)."""
    if "observed_until" not in st or st.empty:
        return 0.0
    days = (pd.Timestamp(as_of).normalize() - pd.to_datetime(st["observed_until"]).max()).days
    return max(float(days), 0.0) / UNIT_DAYS[unit]


def fit_curves(params, prepared: Prepared, *, skipped: dict[str, str] | None = None
               ) -> tuple[AFTComparison | None, SurvivalCurves | None]:
    """The AFT models compared by AIC and the survival curves of the best one for the
    active customers (at :func:`curve_times_for`). (None, None) if the models cannot be
    fitted, (models, None) if none converged or nobody is active; the reason goes to
    ``skipped["Parametric models"]`` or ``skipped["Predictions"]``."""
    skipped = {} if skipped is None else skipped
    st = prepared.table
    try:
        aft = aft_models(st, covariates=prepared.covariates, entry=prepared.entry,
                         reference=prepared.reference)
    except DataError as exc:
        skipped["Parametric models"] = str(exc)
        return None, None
    if aft.best is None:
        skipped["Predictions"] = "no parametric model converged"
        return aft, None
    try:
        lag = unobserved_lag(st, params.as_of, params.survival.unit)
        curves = survival_curves(aft.best_model, aft.design, st, name=aft.best,
                                 unit=params.survival.unit, times=curve_times_for(params),
                                 cap=params.survival.remaining_cap, lag=lag)
    except DataError as exc:
        skipped["Predictions"] = str(exc)
        return aft, None
    vp = params.value
    if vp is not None and getattr(aft.best_model, "variance_matrix_", None) is not None:
        basis = (int(vp.horizon_months), float(vp.monthly_discount()))
        curves.value_draws = discounted_months_draws(
            aft.best_model, aft.design, st, unit=params.survival.unit, months=basis[0],
            monthly_discount=basis[1], lag=lag, n_draws=vp.bootstrap, seed=params.seed)
        curves.value_basis = basis
    return aft, curves


def _sbg_not_applicable(params, collection) -> str | None:
    if params.churn.definition != "contractual":
        return "the sBG is for contracts; this study is non-contractual (see section 8)"
    if "start_date" not in collection.analysis:
        return "the sBG needs acquisition dates; this data has none (tenure only)"
    return None


def fit_sbg(params, collection, prepared: Prepared, *,
            skipped: dict[str, str] | None = None) -> clv.SBGProjection | None:
    """The sBG projection of notebook 03: :func:`churnlab.clv.cohort_table` of the analysis
    table per ``survival.cohort_period`` (left truncation at the data window), fitted on
    ``survival.fit_periods`` ages. None for non-contractual studies, data without start
    dates, or when the fit fails (reason in ``skipped["sBG"]``)."""
    skipped = {} if skipped is None else skipped
    reason = _sbg_not_applicable(params, collection)
    if reason:
        skipped["sBG"] = reason
        return None
    sp = params.survival
    try:
        cohorts = clv.cohort_table(collection.analysis, period=sp.cohort_period,
                                   as_of=params.as_of, observed_from=prepared.observed_from)
        return clv.sbg_projection(cohorts, fit_periods=sp.fit_periods)
    except DataError as exc:
        skipped["sBG"] = str(exc)
        return None


def fit_bgnbd(params, collection, transactions: pd.DataFrame | None, *,
              skipped: dict[str, str] | None = None) -> clv.BGNBDStudy | None:
    """The BG/NBD study of notebook 03 (:func:`churnlab.clv.bgnbd_study` of
    ``transactions`` (customer_id, date) up to ``as_of``, in ``survival.bgnbd_unit``).
    None for contractual studies, without transactions, or when the fit fails
    (reason in ``skipped["BG/NBD"]``). ``collection`` is taken for symmetry with
    :func:`fit_sbg`; the transactions come already read (the study reads each table once)."""
    skipped = {} if skipped is None else skipped
    if transactions is None or params.churn.definition == "contractual":
        skipped["BG/NBD"] = ("it is for purchases without contracts; this study has no "
                             "transaction data to model (see section 7)")
        return None
    sp = params.survival
    try:
        return clv.bgnbd_study(transactions, as_of=params.as_of, unit=bgnbd_code(sp.bgnbd_unit),
                               horizon=sp.bgnbd_horizon)
    except DataError as exc:
        skipped["BG/NBD"] = str(exc)
        return None


# --------------------------------------------------------------------------- notebook 03


def segment_columns(prepared: Prepared) -> list[str]:
    """Categorical covariates with 2 to 8 levels, at most :data:`MAX_SEGMENT_COLUMNS`."""
    st = prepared.table
    return [c for c in prepared.categorical if 2 <= st[c].nunique() <= 8][:MAX_SEGMENT_COLUMNS]


def hazard_groups(st: pd.DataFrame) -> tuple[str | None, dict[str, pd.DataFrame]]:
    """The customers whose hazard notebook 03 draws: one group per level of the first
    of :data:`HAZARD_COLUMNS` with two or more levels (levels with 5+ churn events),
    else all customers."""
    col = next((c for c in HAZARD_COLUMNS if c in st and st[c].nunique() > 1), None)
    if col is None:
        return None, {"all customers": st}
    return col, {f"{col}={v}": g for v, g in st.groupby(col) if g["event"].sum() >= 5}


def competing_metrics(cr: CompetingRisks) -> dict:
    """The ``survival.competing`` section of metrics.json."""
    at = cr.at.assign(h=cr.at["horizon"].map(lambda h: f"{h:g}"))
    return {"events": cr.events,
            "incidence": {c: dict(zip(g["h"], g["cif"])) for c, g in at.groupby("cause")},
            "incidence_ci": {c: {h: [lo, hi] for h, lo, hi in zip(g["h"], g["ci_low"], g["ci_high"])}
                             for c, g in at.groupby("cause")},
            "hazard_ratios": {c: dict(zip(m.hazard_ratios["term"], m.hazard_ratios["hr"]))
                              for c, m in cr.models.items()},
            "skipped": cr.skipped}


def fit_competing(prepared: Prepared, horizons, ground_truth: dict | None, *,
                  skipped: dict[str, str]) -> CompetingRisks | None:
    """Competing risks when the survival table records exit causes (``end_reason``), with the
    simulator's planted cause-specific effects next to the estimates; None (and the reason in
    ``skipped``) otherwise."""
    st = prepared.table
    if "end_reason" not in st:
        skipped["Competing risks"] = "the data record no exit cause (end_reason)"
        return None
    try:
        cr = competing_risks(st, covariates=prepared.covariates, horizons=horizons, entry=prepared.entry,
                             reference=prepared.reference)
    except DataError as exc:
        skipped["Competing risks"] = str(exc)
        return None
    planted = (ground_truth or {}).get("competing", {})
    for cause, model in cr.models.items():
        drivers = planted.get(cause)
        drivers = (ground_truth or {}).get("drivers") if drivers == "drivers" else drivers
        if drivers:
            cr.planted[cause] = planted_recovery(drivers, model.hazard_ratios,
                                                 renamed=st.attrs["renamed"])
    return cr


def contract_marks(params) -> tuple[int, ...]:
    """Periods right after a 12-, 24- and 36-month term (13, 25, 37) for monthly
    contractual studies, else none."""
    monthly_contracts = params.survival.unit == "month" and params.churn.definition == "contractual"
    return (13, 25, 37) if monthly_contracts else ()


def analyse(params, collection, prepared: Prepared, *,
            transactions: pd.DataFrame | None = None) -> SurvivalResult:
    """Notebook 03 on a study: ``params`` (StudyParams), ``collection``
    (:class:`churnlab.collect.Collection`), ``prepared`` (:func:`churnlab.survival.prepare`
    of its analysis table) and ``transactions`` (customer_id, date; None when the study
    has none). See the module docstring."""
    sp = params.survival
    st, entry, horizons = prepared.table, prepared.entry, tuple(sp.horizons)
    res = SurvivalResult(params, prepared)
    skipped = res.skipped
    try:
        res.km_all = km_summary(st, entry=entry, horizons=horizons)
    except DataError as exc:
        skipped["Kaplan-Meier"] = str(exc)

    res.segment_columns = segment_columns(prepared)
    if res.segment_columns:
        res.segments = pd.concat([km_by_segment(st, column=c, entry=entry, horizons=horizons)
                                  for c in res.segment_columns], ignore_index=True)
    tests = []
    for c in res.segment_columns:
        try:
            tests.append(logrank(st, column=c, entry=entry))
        except DataError as exc:
            skipped[f"Log-rank for {c}"] = str(exc)
    if tests:
        res.logrank = pd.DataFrame(tests).sort_values("statistic", ascending=False)

    res.hazard_marks = contract_marks(params)
    periods = int(min(st["duration"].max(), 48 if sp.unit == "month" else 40))
    try:
        res.hazard_column, groups = hazard_groups(st)
        res.hazard = {label: period_hazard(g, periods=periods, entry=entry)
                      for label, g in groups.items()}
    except DataError as exc:
        skipped["Hazard"] = str(exc)
    if not res.hazard and "Hazard" not in skipped:
        skipped["Hazard"] = f"no level of {res.hazard_column} has 5 or more churn events"

    try:
        res.remedy = cox_with_remedy(st, covariates=prepared.covariates, entry=entry,
                                     reference=prepared.reference)
    except DataError as exc:
        skipped["Cox model"] = str(exc)
    res.drivers, res.planted = fit_drivers(params, collection, prepared, skipped=skipped)

    res.competing = fit_competing(prepared, horizons, collection.ground_truth, skipped=skipped)
    res.aft, res.curves = fit_curves(params, prepared, skipped=skipped)
    if res.curves is not None:
        res.predictions = res.curves.predictions(horizons).sort_values(
            f"p_churn_{horizons[0]:g}", ascending=False)
    try:
        res.validation = holdout_validation(
            st, covariates=prepared.covariates, entry=entry, horizon=sp.calibration_horizon,
            test_share=sp.test_share, seed=params.seed, reference=prepared.reference,
            aft=res.aft.best if res.aft is not None else None)
    except DataError as exc:
        skipped["Validation"] = str(exc)

    res.sbg = fit_sbg(params, collection, prepared, skipped=skipped)
    if res.sbg is not None:
        res.derl = res.sbg.derl(sp.annual_discount_rate, PERIODS_PER_YEAR[sp.cohort_period])
    res.bgnbd = fit_bgnbd(params, collection, transactions, skipped=skipped)
    if res.bgnbd is not None:
        labels = collection.analysis.set_index("customer_id")["churned"]
        try:
            res.alive_vs_inactivity = clv.alive_vs_inactivity(res.bgnbd, labels)
        except DataError as exc:
            skipped["P(alive) vs inactivity"] = str(exc)
    return res
