"""Stage 4, cost of churn and retention economics: customer value (:mod:`.value`), cost of
churn (:mod:`.cost`), the retention campaign (:mod:`.campaign`), sensitivity to the
key assumptions (:mod:`.assumptions`), figures (:mod:`.plots`) and the stage as one call (:mod:`.stage`)."""

from .value import (  # noqa: F401
    REVENUE_COLUMNS, revenue_column, discount_factors, ContractualValue, contractual_clv,
    PurchaseValue, purchase_clv, repeat_spend, clv_by_segment, sbg_crosscheck
)
from .cost import (  # noqa: F401
    COMPONENTS, churners_and_retained, comparable_value, ChurnCost, cost_of_churn,
    revenue_at_risk, fix_roi
)
from .campaign import (  # noqa: F401
    REASON_OFFER, FAMILY_OFFER, POLICIES, PLANNED, save_rates, CampaignInputs, campaign_inputs,
    driver_families, Campaign, campaign_customers, profit_curve, CampaignPlan,
    best_target, profit_distribution, PolicyComparison, compare_policies, ProfitRisk, profit_risk,
    MASS_SHARE, MAX_LOSS_PROBABILITY, Recommendation, recommend, assess_policies, is_mass
)
from .assumptions import ASSUMPTIONS, tornado, assumption_ranges, sensitivity  # noqa: F401
from .plots import (  # noqa: F401
    COMPONENT_COLORS, clv_histogram, clv_plot, waterfall, cost_by_period_plot,
    cost_by_segment_plot, profit_curve_plot, profit_distribution_plot, fix_roi_plot, tornado_plot
)
from .stage import RevenueAtRisk, EconomicsResult, study_window, analyse  # noqa: F401
