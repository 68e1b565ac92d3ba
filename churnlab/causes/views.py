"""Notebook 02's sections: each function shows what one code cell of the notebook shows.

Every view takes the :class:`~churnlab.causes.stage.CausesResult` of ``study.causes()`` and
displays its notes, figures and tables in order through :func:`churnlab.display.show`.
"""

from __future__ import annotations

from .. import i18n
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
        cat = i18n.current()  # each reason translated on its own, then joined
        show(cat("Skipped covariates: {reasons}", reasons=_join([cat.lookup(r) for r in cov["skipped"]], cat)))
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


#: the columns of the group comparison shown (the table keeps more: kind, p_value, rates in/out)
COMPARISON_SHOWN = ["covariate", "level", "churned_value", "retained_value", "effect", "effect_ci_low",
                    "effect_ci_high", "effect_kind", "p_adjusted"]


def comparison(res: CausesResult, top: int = 15) -> None:
    """Churned against retained: the ``top`` metrics that differ most, in the columns a reader
    needs (:data:`COMPARISON_SHOWN`), so the table fits the page."""
    t = res.comparison
    show(t[[c for c in COMPARISON_SHOWN if c in t]].head(top))


def _join(parts: list[str], cat: "i18n.Catalogue") -> str:
    """Items of a list joined as the language writes them: ``; `` in English, ``；`` in Chinese."""
    return ("; " if cat.english else "；").join(parts)


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
    cat = i18n.current()  # note by note: a template's field must not swallow the next bullet
    show("\n".join(f"* {cat.text(note)}" for note in lg.notes))
    if len(lg.dropped):
        show(lg.dropped)
    show(plots.odds_ratio_plot(lg.table), lg.table)


def _interval(lo: float, hi: float, fmt: str = ".3f") -> str:
    return f"95% CI {lo:{fmt}}–{hi:{fmt}}"


def validation(res: CausesResult) -> None:
    """How the early-warning models were validated, which one drives the list and why,
    both models' held-out metrics with bootstrap intervals (one column per model, so the
    table is narrow), and what was left out."""
    ew, v = res.warning, res.warning.validation
    if v is None:
        return
    cat = i18n.current()
    lo, hi = v.auc_difference
    if lo <= 0 <= hi:
        verdict = cat("the AUC difference xgboost − logistic ({interval}) includes 0: on this held-out "
                      "window the two models rank customers about equally well",
                      interval=_interval(lo, hi))
    else:
        better = "xgboost" if lo > 0 else "logistic"
        verdict = cat("the AUC difference xgboost − logistic ({interval}) excludes 0: {better} ranks "
                      "customers better on this held-out window", interval=_interval(lo, hi),
                      better=better)
    m = v.metrics.loc[v.chosen]
    lines = [cat("**Validation:** {note}.", note=v.note),
             cat("**Model choice:** {choice}; {verdict}. The metric is the ROC AUC because the list "
                 "is used as a ranking and the probabilities are recalibrated afterwards.",
                 choice=v.choice, verdict=verdict),
             cat("The chosen model's top 10% churn {lift:.1f}× as often as average ({lift_ci}); AUC "
                 "{auc:.3f} ({auc_ci}). Intervals: 1,000 stratified bootstrap resamples of the test rows.",
                 lift=m["top_decile_lift"], lift_ci=_interval(m["lift_low"], m["lift_high"], ".1f"),
                 auc=m["roc_auc"], auc_ci=_interval(m["auc_low"], m["auc_high"]))]
    if ew.excluded:
        lines.append(cat("**Left out of every model** (they restate the outcome): {features}.",
                         features=_join([f"{md_code(c)} — {cat.lookup(why)}"
                                         for c, why in ew.excluded.items()], cat)))
    show("\n\n".join(lines), v.metrics.T)


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
        cat = i18n.current()
        top_rows = wl.head(top)
        if not cat.english and "suggested_action" in top_rows:  # "a; b" cells: each action translated
            top_rows = top_rows.assign(suggested_action=top_rows["suggested_action"].map(
                lambda v: _join([cat.lookup(a) for a in v.split("; ")], cat) if isinstance(v, str) else v))
        show(warning_list.tier_summary(wl), res.action_counts, top_rows)
