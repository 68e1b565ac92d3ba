"""Stage 2 as one result: what notebook 02 shows, and the ``causes`` and ``warning`` sections.

Two entry points:

* :func:`early_warning` -- the early-warning model, its validation, the SHAP ranking
  and the warning list (what stage 4 needs: the cost notebook asks for this alone);
* :func:`analyse` -- the whole cause analysis, including :func:`early_warning`.

Features that restate the outcome -- retention offers (a consequence of churn: offers go
to customers who are already cancelling) and stand-ins for tenure -- are left out of the
cause analysis and the early-warning model by one rule, :func:`churnlab.design.leaky_features`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..collect.pipeline import Collection
from ..design import covariates, leaky_features, segment_column
from ..errors import DataError
from ..params import StudyParams
from . import drivers, narrative, playbook, reasons, warning, warning_list

@dataclass
class EarlyWarning:
    """The early-warning model and its list.

    ``validation`` held-out metrics, predictions, the chosen model and its
    calibration (time-ordered on snapshots with an embargo, or cross-validation for
    data without dates); ``ranking`` mean |SHAP| per feature of the chosen model on
    the latest snapshot; ``warning_list`` every active customer with calibrated
    probability, risk tier, top-3 reasons and the playbook's action; ``excluded``
    features left out as restating the outcome (:func:`leaky_features`);
    ``horizon_days`` the label horizon; ``skipped`` why there is no model (too few
    churners, no usable covariates), else None.
    """

    validation: warning.ValidationResult | None
    ranking: pd.DataFrame | None
    warning_list: pd.DataFrame | None
    skipped: str | None = None
    excluded: dict[str, str] = field(default_factory=dict)
    horizon_days: int | None = None

    def metrics(self) -> dict[str, dict]:
        """The ``warning`` section: the chosen model, both models' held-out metrics, calibration."""
        v = self.validation
        if v is None:
            return {}
        ci = lambda r, k: [r[f"{k}_low"], r[f"{k}_high"]]  # noqa: E731
        models = {m: {"roc_auc": r["roc_auc"], "roc_auc_ci": ci(r, "auc"), "pr_auc": r["pr_auc"],
                      "top_decile_lift": r["top_decile_lift"], "top_decile_lift_ci": ci(r, "lift"),
                      "brier": r["brier"], "log_loss": r["log_loss"], "ece_10_equal_count": r["ece"]}
                  for m, r in v.metrics.iterrows()}
        raw, cal = v.metrics.loc[v.chosen], v.calibrated
        return {"warning": {
            "validation": v.note, "horizon_days": self.horizon_days, "model": v.chosen,
            "model_choice": v.choice, "auc": raw["roc_auc"], "auc_ci": ci(raw, "auc"),
            "auc_difference_ci": list(v.auc_difference), "pr_auc": raw["pr_auc"],
            "top_decile_lift": raw["top_decile_lift"], "top_decile_lift_ci": ci(raw, "lift"),
            "brier": cal["brier"], "models": models,
            "calibration": {"method": v.calibration.method, "reason": v.calibration.reason,
                            "events": v.calibration.events, "event_rate": cal["base_rate"],
                            "mean_probability": float(v.calibration.held_out.mean()),
                            "brier_raw": raw["brier"], "brier_calibrated": cal["brier"],
                            "ece_10_equal_count_raw": raw["ece"],
                            "ece_10_equal_count_calibrated": cal["ece"]},
            "excluded_features": dict(self.excluded),
            "n_high_risk": int((self.warning_list["risk_tier"] == "high").sum())}}


def early_warning(params: StudyParams, collection: Collection) -> EarlyWarning:
    """Fit, validate, choose, calibrate and rank the early-warning model; build the warning list.

    Time-ordered validation when there are at least two snapshot dates
    (:func:`warning.validate`, embargo = ``params.snapshots.lead_days``), else
    stratified cross-validation on the analysis table (:func:`warning.cross_validate`).
    Features of :func:`leaky_features` are left out of both models. The model with
    the higher held-out AUC scores the list and explains it (SHAP); its scores are
    calibrated on the held-out rows. Risk tiers by rank (``params.warning.high_share``,
    ``medium_share``); actions from the playbook (``params.playbook`` overrides the
    defaults).
    """
    a, snaps = collection.analysis, collection.snapshots
    excluded = leaky_features(a)
    dated = bool(len(snaps)) and snaps["snapshot_date"].nunique() >= 2
    horizon = params.snapshots.lead_days if dated else None
    try:
        if dated:
            result = warning.validate(snaps, seed=params.seed, lead_days=horizon, exclude=tuple(excluded))
        else:
            result = warning.cross_validate(a, seed=params.seed, exclude=tuple(excluded))
    except DataError as exc:
        return EarlyWarning(None, None, None, str(exc), excluded, horizon)
    rows = snaps[snaps["snapshot_date"] == snaps["snapshot_date"].max()] if len(snaps) else a
    ranking = warning_list.shap_ranking(result.models, rows, which=result.chosen)
    pb = params.playbook
    actions = {f: playbook.action_for(f, families=pb.families, actions=pb.actions)
               for f in set(ranking["feature"])}
    wl = warning_list.early_warning_list(
        result.models, warning_list.current_customers(a),
        playbook={f: act for f, act in actions.items() if act},
        tier_shares=(params.warning.high_share, params.warning.medium_share),
        which=result.chosen, calibration=result.calibration)
    wl.attrs["held_out"] = held_out_deciles(result.predictions)
    return EarlyWarning(result, ranking, wl, None, excluded, horizon)


def held_out_deciles(pred: pd.DataFrame, *, groups: int = 10) -> list[dict]:
    """Observed and expected churners per tenth of the held-out rows, riskiest first.

    ``pred``: held-out rows with ``y`` (0/1) and ``p_calibrated`` (cross-fitted calibrated
    probabilities). Row j of the ranking (highest probability first) falls in group
    floor(j * groups / n); per group: rows, observed = sum y, expected = sum p. A campaign
    that contacts the top share of the list checks its probabilities against the groups
    it covers (:func:`churnlab.economics.campaign.held_out_calibration`).
    """
    p = pred["p_calibrated"].to_numpy(float)
    y = pred["y"].to_numpy(float)
    order = np.argsort(-p, kind="stable")
    grp = np.arange(len(p)) * groups // max(len(p), 1)
    return [{"rows": int((grp == g).sum()), "observed": float(y[order][grp == g].sum()),
             "expected": float(p[order][grp == g].sum())} for g in range(groups)]


@dataclass
class CausesResult:
    """Notebook 02's content. Tables are as the :mod:`.drivers` functions return them;
    ``skipped`` maps a section to the one-line reason it could not run."""

    params: StudyParams
    collection: Collection
    covariates: dict[str, list[str]]
    pareto: pd.DataFrame | None
    reason_shares: pd.DataFrame | None
    reason_segment: str | None
    reasons_vs_drivers: pd.DataFrame | None
    comparison: pd.DataFrame
    segments: drivers.SegmentResult
    cohorts: dict[str, pd.DataFrame]
    cohort_summary: pd.DataFrame
    top_cohorts: list[str]
    logit: drivers.LogitResult | None
    warning: EarlyWarning
    planted: pd.DataFrame | None
    action_counts: pd.DataFrame | None
    skipped: dict[str, str] = field(default_factory=dict)
    recovery: pd.DataFrame | None = None  # how clearly the logit finds each planted driver (narrative.recovery)

    @property
    def churn_rate(self) -> float:
        return float(self.collection.analysis["churned"].mean())

    def metrics(self) -> dict[str, dict]:
        """The ``causes`` section (and ``warning`` when there is a model)."""
        seg: dict[str, dict] = {}
        for r in self.segments.table.itertuples():
            seg.setdefault(r.column, {})[str(r.level)] = {
                "customers": r.customers, "churned": r.churned, "rate": r.churn_rate,
                "ci_low": r.ci_low, "ci_high": r.ci_high}
        ranking = self.warning.ranking
        out = {"segment_churn": seg,
               "top_drivers": ranking["feature"].head(10).tolist() if ranking is not None else [],
               "logit_terms": int(len(self.logit.table)) if self.logit is not None else 0}
        if self.pareto is not None:
            out["exit_reasons"] = dict(zip(self.pareto["reason"], self.pareto["share"]))
            out["exit_reasons_answered"] = int(self.pareto.attrs["answered"])
        return {"causes": out, **self.warning.metrics()}


def planted_vs_recovered(truth: dict | None, ranking: pd.DataFrame | None) -> pd.DataFrame | None:
    """The simulator's drivers (strongest first) and the rank the model gives each."""
    if not truth or not truth.get("drivers") or ranking is None:
        return None
    pos = dict(zip(ranking["feature"], ranking["rank"]))
    planted = pd.DataFrame(truth["drivers"])[["feature", "direction", "description"]]
    planted.insert(0, "planted_rank", range(1, len(planted) + 1))
    planted["recovered_rank"] = planted["feature"].map(pos)
    return planted


#: Snapshot columns that are not covariates of the landmark model (keys and the outcome).
SNAPSHOT_KEYS = ("snapshot_date", "customer_id", "churn_next")


def landmark_logit(params: StudyParams, collection: Collection, cov: dict) -> drivers.LogitResult:
    """The multivariable drivers of notebook 02 on a **landmark design**.

    With snapshots (features as of each observation date, outcome ``churn_next`` = churned
    within ``snapshots.lead_days`` after it): :func:`drivers.logistic_drivers` of
    ``churn_next`` on the snapshot features, tenure at the snapshot included, standard errors
    clustered by customer (one customer appears in several snapshots). Every row has the
    same outcome window, so the odds ratios compare like with like, and no feature uses the
    months of the outcome. Without snapshots (exports with no dates): the analysis table with
    tenure as exposure (``duration`` months, an offset of a complementary log-log model of
    the monthly churn rate). The features of :func:`leaky_features` are left out
    (consequences of churn, stand-ins for tenure), as in every other model.
    """
    snaps = collection.snapshots
    if len(snaps) and snaps["churn_next"].nunique() == 2:
        scov = covariates(snaps, exclude=tuple(leaky_features(collection.analysis)) + SNAPSHOT_KEYS)
        res = drivers.logistic_drivers(snaps, numeric=scov["numeric"],
                                       categorical=scov["categorical"], outcome="churn_next",
                                       cluster="customer_id")
        dates = snaps["snapshot_date"]
        res.notes.insert(1, f"Landmark design: {dates.nunique()} snapshot dates from "
                         f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}; features as of each "
                         f"date, outcome: churned within {params.snapshots.lead_days} days after it.")
        return res
    a = collection.analysis
    exposure = a.assign(_months=a["duration"].clip(lower=0.5))
    res = drivers.logistic_drivers(exposure, numeric=cov["numeric"], categorical=cov["categorical"],
                                   exposure="_months")
    res.notes.insert(1, "No snapshot dates: the whole-history table, with months observed as "
                     "exposure (at least half a month).")
    return res


def cohort_summary(cohorts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per metric: number of decile groups and the churn rate in the lowest and highest."""
    return pd.DataFrame([{"metric": m, "groups": len(c), "churn_rate_lowest": c["churn_rate"].iloc[0],
                          "churn_rate_highest": c["churn_rate"].iloc[-1]} for m, c in cohorts.items()])


def strongest_metrics(comparison: pd.DataFrame, candidates, k: int = 2) -> list[str]:
    """The ``k`` numeric covariates with the largest |standardised difference| (among ``candidates``)."""
    num = comparison[comparison["effect_kind"] == "smd"]
    ordered = num.reindex(num["effect"].abs().sort_values(ascending=False).index)["covariate"]
    return [m for m in ordered if m in candidates][:k]


def _reasons(a: pd.DataFrame, cov: dict, segment: str | None) -> tuple:
    """Exit-reason Pareto, shares by the study's segment column, and reasons vs behaviour."""
    if "exit_reason" not in a or not a["exit_reason"].notna().any():
        return None, None, None, None
    pareto = reasons.exit_reason_pareto(a)
    shares, seg = None, segment
    if seg is not None:
        by_seg = reasons.exit_reason_pareto(a, by=seg)
        shares = by_seg.pivot_table(index="reason", columns=seg, values="share").fillna(0)
        shares = shares.loc[pareto["reason"]]  # overall Pareto order
    rvd = reasons.reasons_vs_drivers(a, drivers=cov["numeric"]) if cov["numeric"] else None
    return pareto, shares, seg, rvd


def analyse(params: StudyParams, collection: Collection,
            early: EarlyWarning | None = None) -> CausesResult:
    """The whole cause analysis of notebook 02 (``early`` reuses a fitted :func:`early_warning`)."""
    a = collection.analysis
    leaky = tuple(leaky_features(a))
    cov = covariates(a, exclude=leaky)
    segment = segment_column(a, configured=params.value.segment if params.value else "",
                             candidates=cov["categorical"])
    pareto, shares, seg, rvd = _reasons(a, cov, segment)
    comparison = drivers.compare_groups(a[[c for c in a if c not in leaky]])
    segments = drivers.segment_churn(a, columns=cov["categorical"][:6])
    cohorts = {m: drivers.metric_cohorts(a, column=m) for m in cov["numeric"]}
    skipped = {}
    try:
        logit = landmark_logit(params, collection, cov)
    except DataError as exc:
        logit, skipped["logistic regression"] = None, str(exc)
    early = early or early_warning(params, collection)
    if early.skipped:
        skipped["early-warning model"] = early.skipped
    pb = params.playbook
    counts = (playbook.action_counts(early.warning_list, families=pb.families, actions=pb.actions)
              if early.warning_list is not None else None)
    recovered = (narrative.recovery(collection.ground_truth, logit.table, a, logit.dropped)
                 if logit is not None else None)
    return CausesResult(params, collection, cov, pareto, shares, seg, rvd, comparison, segments,
                        cohorts, cohort_summary(cohorts), strongest_metrics(comparison, cohorts),
                        logit, early, planted_vs_recovered(collection.ground_truth, early.ranking),
                        counts, skipped, recovered)
