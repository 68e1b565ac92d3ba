"""Stage 5, KPI evaluation: period rates, revenue, win-back, lifecycle, indicators, scorecard.

:mod:`.history` the event history (spells of activity, lapses and returns),
:mod:`.rates` churn / retention / growth per period and churn measured three ways,
:mod:`.revenue` revenue cohorts and MRR movements, :mod:`.winback` win-back, save
desk and definition sensitivity, :mod:`.lifecycle` lifecycle stages,
:mod:`.scorecard` indicators and the scorecard, :mod:`.stage` the whole stage
(:func:`evaluate` -> :class:`KpiResult`), :mod:`.plots` its figures.
"""

from .history import lapses_per_period, purchase_spells, subscription_spells  # noqa: F401
from .lifecycle import STAGES, lifecycle_counts, lifecycle_states, transition_matrix  # noqa: F401
from .plots import (  # noqa: F401
    churn_rate_plot, cohort_heatmap, cohort_panels, customers_at_start_plot, end_reasons_plot,
    indicator_panels, indicator_plot, lifecycle_area_plot, lifecycle_panels, mrr_movements_plot,
    rate_panels, segment_rates_plot, sensitivity_plot, transition_heatmap,
)
from .rates import (  # noqa: F401
    Consistency, annualise, churn_rates, consistency, conversion_table, end_reasons, hazard_rate,
    per_period, period_index, pooled_churn, sbg_monthly_churn,
)
from .revenue import (  # noqa: F401
    monthly_revenue, mrr_movements, mrr_ratios, revenue_cohorts, trailing_mrr,
)
from .scorecard import KPI_UNITS, convert_rate, indicators, scorecard, style_scorecard  # noqa: F401
from .stage import INPUT_TABLES, KpiResult, evaluate, latest_kpis, study_revenue  # noqa: F401
from .winback import (  # noqa: F401
    gap_sensitivity, inactivity_sensitivity, save_desk, winback_from_spells, winback_purchases,
    winback_subscriptions,
)
