"""Notebook 02's sections: each function shows what one code cell of the notebook shows.

Every view takes the :class:`~churnlab.causes.stage.CausesResult` of ``study.causes()`` and
displays its notes, figures and tables in order through :func:`churnlab.display.show`.
"""

from __future__ import annotations

from ..display import show
from ..escape import md, md_code
from . import narrative, plots, warning_list
from .stage import CausesResult


def header(res: CausesResult, name: str) -> None:
    """The study's size, churn rate and covariates, and any covariates or sections skipped."""
    a, cov = res.collection.analysis, res.covariates
    show(f"**Study:** {md(name)} · **customers:** {len(a):,} · "
         f"**churned:** {int(a['churned'].sum()):,} ({res.churn_rate:.1%}) · "
         f"**numeric covariates:** {len(cov['numeric'])} · **categorical:** {len(cov['categorical'])}")
    if cov["skipped"]:
        show("Skipped covariates: " + "; ".join(cov["skipped"]))
    for section, reason in res.skipped.items():
        show(f"**{section.capitalize()} skipped:** {reason}")


def stated_reasons(res: CausesResult) -> None:
    """The exit-survey Pareto: how many answered, the chart and the table."""
    if res.pareto is None:
        show("This data has no exit-survey answers.")
        return
    p = res.pareto
    show(f"{p.attrs['answered']:,} of {p.attrs['churned']:,} churners gave a reason.",
         plots.pareto_plot(p), p)


def reason_shares(res: CausesResult) -> None:
    """Stated exit reasons by segment level, when the data has them."""
    if res.reason_shares is not None:
        show(plots.reason_shares_plot(res.reason_shares, segment=res.reason_segment))


def reasons_vs_drivers(res: CausesResult, top: int = 12) -> None:
    """Do stated reasons match behaviour: the ``top`` comparisons by p-value."""
    if res.reasons_vs_drivers is not None:
        show(res.reasons_vs_drivers.sort_values("p_value").head(top))


def comparison(res: CausesResult, top: int = 15) -> None:
    """Churned against retained: the ``top`` metrics that differ most."""
    show(res.comparison.head(top))


def segments(res: CausesResult) -> None:
    """Churn rate by segment for the first four categorical covariates, one sentence naming the
    levels with the highest and lowest rate (:func:`.narrative.segment_sentence`), and the
    segments skipped."""
    columns = res.covariates["categorical"][:4]
    show(plots.segment_panels(res.segments.table, columns=columns, overall=res.churn_rate),
         narrative.segment_sentence(res.segments.table, columns))
    if len(res.segments.skipped):
        show(res.segments.skipped)


def cohort_summary(res: CausesResult) -> None:
    """The metrics whose deciles are charted next, with their churn rate spread."""
    show(res.cohort_summary)


def cohorts(res: CausesResult) -> None:
    """Churn rate by decile of the metrics that differ most."""
    show(plots.cohort_panels(res.cohorts, metrics=res.top_cohorts))


def logit(res: CausesResult) -> None:
    """The logistic regression: its notes, the covariates dropped, the odds-ratio chart and table."""
    lg = res.logit
    if lg is None:
        return
    show("\n".join(f"* {note}" for note in lg.notes))
    if len(lg.dropped):
        show(lg.dropped)
    show(plots.odds_ratio_plot(lg.table), lg.table)


def _interval(lo: float, hi: float, fmt: str = ".3f") -> str:
    return f"95% CI {lo:{fmt}}–{hi:{fmt}}"


def validation(res: CausesResult) -> None:
    """How the early-warning models were validated, which one drives the list and why,
    both models' held-out metrics with bootstrap intervals, and what was left out."""
    ew, v = res.warning, res.warning.validation
    if v is None:
        return
    lo, hi = v.auc_difference
    if lo <= 0 <= hi:
        verdict = (f"the AUC difference xgboost − logistic ({_interval(lo, hi)}) includes 0: on "
                   "this held-out window the two models rank customers about equally well")
    else:
        better = "xgboost" if lo > 0 else "logistic"
        verdict = (f"the AUC difference xgboost − logistic ({_interval(lo, hi)}) excludes 0: "
                   f"{better} ranks customers better on this held-out window")
    m = v.metrics.loc[v.chosen]
    lines = [f"**Validation:** {v.note}.",
             f"**Model choice:** {v.choice}; {verdict}. The metric is the ROC AUC because the list "
             "is used as a ranking and the probabilities are recalibrated afterwards.",
             f"The chosen model's top 10% churn {m['top_decile_lift']:.1f}× as often as average "
             f"({_interval(m['lift_low'], m['lift_high'], '.1f')}); AUC {m['roc_auc']:.3f} "
             f"({_interval(m['auc_low'], m['auc_high'])}). Intervals: 1,000 stratified bootstrap "
             "resamples of the test rows."]
    if ew.excluded:
        lines.append("**Left out of every model** (they restate the outcome): "
                     + "; ".join(f"{md_code(c)} — {why}" for c, why in ew.excluded.items()) + ".")
    show("\n\n".join(lines), v.metrics)


def evaluation(res: CausesResult) -> None:
    """ROC, precision-recall and the reliability diagram before/after calibration."""
    v = res.warning.validation
    if v is None:
        return
    c, cal = v.calibration, v.calibrated
    raw = v.metrics.loc[v.chosen]
    show(plots.evaluation_panels(v.predictions, chosen=v.chosen),
         f"**Calibration** ({c.reason}). On the held-out rows, {cal['base_rate']:.1%} churned "
         f"within the horizon; the calibrated probabilities average {c.held_out.mean():.1%} "
         f"(raw scores {v.predictions[f'p_{v.chosen}'].mean():.1%}). Expected calibration error "
         f"(10 equal-count bins) {raw['ece']:.4f} before, {cal['ece']:.4f} after; Brier score "
         f"{raw['brier']:.4f} before, {cal['brier']:.4f} after (after: each row calibrated by a map "
         "fitted on the other folds). The early-warning list and notebook 04 use the calibrated "
         "probabilities.", c.comparison)


def driver_ranking(res: CausesResult, top: int = 10) -> None:
    """The SHAP ranking of the model that drives the list: chart, then the ``top`` rows."""
    r, v = res.warning.ranking, res.warning.validation
    if r is None:
        return
    lead = r.iloc[0]
    show(plots.shap_bar(r, model=v.chosen),
         f"Ranked by the {v.chosen} model's SHAP values on the latest snapshot: "
         f"{md_code(lead['feature'])} moves the predicted log-odds most ({lead['share']:.0%} of the total "
         "mean |SHAP|). These are predictive attributions — what the model leans on to rank "
         "customers — not causal effects: a feature can predict churn because it accompanies it.",
         r.head(top))


def planted(res: CausesResult) -> None:
    """The simulator's planted drivers against the model's ranking (simulated data only), then in
    words how clearly the logistic model recovers each (:func:`.narrative.recovery_sentences`)."""
    if res.planted is not None:
        show("**Planted vs recovered**: the simulator's drivers, strongest first, and where "
             "the model ranks them.", res.planted, *narrative.recovery_sentences(res.recovery))


def early_warning_list(res: CausesResult, top: int = 10) -> None:
    """Risk tiers, the actions suggested, and the ``top`` customers of the early-warning list."""
    wl = res.warning.warning_list
    if wl is not None:
        show(warning_list.tier_summary(wl), res.action_counts, wl.head(top))
