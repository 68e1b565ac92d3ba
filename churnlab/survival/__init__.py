"""Stage 3, survival modelling: survival table, Kaplan-Meier, Cox, AFT, hazard, validation."""

from ..units import UNIT_DAYS  # noqa: F401
from .models import (  # noqa: F401
    DEFAULT_HORIZONS, window_start, survival_table, exposure_rates, tenure_proxies, Prepared,
    prepare, KMSummary, kaplan_meier, km_summary, km_by_segment, km_plot, logrank, Design,
    CoxResult, cox_model, schoenfeld_residuals, schoenfeld_test, CoxRemedy, cox_with_remedy,
    hazard_ratio_plot, AFT_MODELS, AFTComparison, aft_models, aft_curves, save_models,
    load_models, piecewise_hazard, period_hazard, period_hazard_plot, current_predictions,
    Validation, holdout_validation, calibration_plot, planted_reference, planted_comparison
)
