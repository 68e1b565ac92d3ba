"""Stage 2, cause analysis: drivers (:mod:`.drivers`), early warning (:mod:`.warning`),
the cause -> action playbook (:mod:`.playbook`)."""

from .drivers import (  # noqa: F401
    OUTCOME_COLUMNS, MISSING, Z95, COMPARE_COLUMNS, covariates, compare_groups, SegmentResult,
    segment_churn, metric_cohorts, LogitResult, logistic_drivers, exit_reason_pareto,
    reasons_vs_drivers, pareto_plot, segment_plot, cohort_plot, odds_ratio_plot
)
