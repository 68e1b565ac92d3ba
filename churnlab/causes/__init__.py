"""Stage 2, cause analysis: revealed drivers (:mod:`.drivers`), stated reasons (:mod:`.reasons`),
early warning (:mod:`.warning`), the cause -> action playbook (:mod:`.playbook`), the figures
(:mod:`.plots`) and notebook 02's result (:mod:`.stage`)."""

from .drivers import (  # noqa: F401
    COMPARE_COLUMNS, MISSING, OUTCOME_COLUMNS, Z95, LogitResult, SegmentResult, compare_groups,
    covariates, logistic_drivers, metric_cohorts, segment_churn,
)
from .plots import cohort_plot, odds_ratio_plot, pareto_plot, segment_plot  # noqa: F401
from .reasons import exit_reason_pareto, reasons_vs_drivers  # noqa: F401
