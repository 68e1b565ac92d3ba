"""Stage 5, KPI evaluation: period rates, revenue, win-back, lifecycle, indicators, scorecard."""

from .evaluation import (  # noqa: F401
    churn_rates, annualise, per_period, end_reasons, monthly_revenue, revenue_cohorts,
    mrr_movements, mrr_ratios, trailing_mrr, winback_subscriptions, winback_purchases,
    save_desk, STAGES, lifecycle_states, lifecycle_counts, transition_matrix, indicators,
    scorecard, inactivity_sensitivity, gap_sensitivity, Consistency, consistency, hazard_rate,
    sbg_monthly_churn
)
