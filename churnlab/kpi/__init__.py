"""Stage 5, KPI evaluation: period rates, revenue, win-back, lifecycle, indicators, scorecard.

:mod:`.rates` churn / retention / growth per period and churn measured three ways,
:mod:`.revenue` revenue cohorts and MRR movements, :mod:`.winback` win-back, save
desk and definition sensitivity, :mod:`.lifecycle` lifecycle stages,
:mod:`.scorecard` indicators and the scorecard, :mod:`.stage` the whole stage
(:func:`evaluate` -> :class:`KpiResult`), :mod:`.plots` its figures.
"""

from .lifecycle import STAGES, lifecycle_counts, lifecycle_states, transition_matrix  # noqa: F401
from .rates import (  # noqa: F401
    Consistency, annualise, churn_rates, consistency, end_reasons, hazard_rate, per_period,
    period_index, sbg_monthly_churn,
)
from .revenue import (  # noqa: F401
    monthly_revenue, mrr_movements, mrr_ratios, revenue_cohorts, trailing_mrr,
)
from .scorecard import indicators, scorecard  # noqa: F401
from .winback import (  # noqa: F401
    gap_sensitivity, inactivity_sensitivity, save_desk, winback_purchases, winback_subscriptions,
)
