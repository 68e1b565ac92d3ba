"""Notebook 02's sections: each function shows what one code cell of the notebook shows.

Every view takes the :class:`~churnlab.causes.stage.CausesResult` of ``study.causes()`` and
displays its notes, figures and tables in order through :func:`churnlab.display.show`.
"""

from __future__ import annotations

from ..display import show
from . import plots, warning_list
from .stage import CausesResult


def header(res: CausesResult, name: str) -> None:
    """The study's size, churn rate and covariates, and any covariates or sections skipped."""
    a, cov = res.collection.analysis, res.covariates
    show(f"**Study:** {name} · **customers:** {len(a):,} · "
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


def segments(res: CausesResult) -> None:
    """Churn rate by segment for the first four categorical covariates, and the segments skipped."""
    show(plots.segment_panels(res.segments.table, columns=res.covariates["categorical"][:4],
                              overall=res.churn_rate))
    if len(res.segments.skipped):
        show(res.segments.skipped)


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


def validation(res: CausesResult) -> None:
    """The early-warning models' validation note and metrics."""
    v = res.warning.validation
    if v is not None:
        show(f"Validation: {v.note}.", v.metrics)


def evaluation(res: CausesResult) -> None:
    """ROC, precision-recall and calibration of the early-warning models."""
    v = res.warning.validation
    if v is not None:
        show(plots.evaluation_panels(v.predictions))


def driver_ranking(res: CausesResult, top: int = 10) -> None:
    """The SHAP driver ranking: chart, then the ``top`` rows."""
    r = res.warning.ranking
    if r is not None:
        show(plots.shap_bar(r), r.head(top))


def planted(res: CausesResult) -> None:
    """The simulator's planted drivers against the model's ranking (simulated data only)."""
    if res.planted is not None:
        show("**Planted vs recovered**: the simulator's drivers, strongest first, and where "
             "the model ranks them.", res.planted)


def early_warning_list(res: CausesResult, top: int = 10) -> None:
    """Risk tiers, the actions suggested, and the ``top`` customers of the early-warning list."""
    wl = res.warning.warning_list
    if wl is not None:
        show(warning_list.tier_summary(wl), res.action_counts, wl.head(top))
