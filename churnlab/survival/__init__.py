"""Stage 3, survival modelling: time to churn with censoring (lifelines).

Modules, in the order notebook 03 uses them:

* :mod:`.table` -- the survival table (whole periods, entry times for left
  truncation, rates), :func:`prepare` / :class:`Prepared`;
* :mod:`.km` -- Kaplan-Meier summaries and the log-rank test;
* :mod:`.hazard` -- the hazard per period of tenure, piecewise-constant hazard;
* :mod:`.cox` -- Cox proportional hazards, the Schoenfeld check and its remedy;
* :mod:`.planted` -- the simulator's planted hazard ratios against the estimates;
* :mod:`.aft` -- parametric AFT models compared by AIC;
* :mod:`.curves` -- conditional survival curves of active customers and the
  predictions read from them (the hand-over to later stages);
* :mod:`.validation` -- held-out concordance and calibration;
* :mod:`.plots` -- every figure of the above;
* :mod:`.stage` -- notebook 03 as one function, :func:`analyse` -> :class:`SurvivalResult`
  (also :func:`fit_curves`, and ``stage.fit_sbg`` / ``stage.fit_bgnbd``: the sBG and
  BG/NBD fits of notebook 03, not to be confused with :func:`churnlab.clv.fit_sbg`);
* :mod:`.notes` -- the sentences notebook 03 shows, from a :class:`SurvivalResult`.

Covariates enter the models through :class:`churnlab.design.CovariateDesign`;
lifelines fits go through :mod:`.fitting`.
"""

from ..design import CovariateDesign  # noqa: F401
from ..units import UNIT_DAYS  # noqa: F401
from .table import (  # noqa: F401
    DEFAULT_HORIZONS, check_table, window_start, survival_table, exposure_rates, tenure_proxies,
    Prepared, prepare
)
from .km import KMSummary, kaplan_meier, survival_at, km_summary, km_by_segment, logrank  # noqa: F401
from .fitting import model_frame, fit_quietly  # noqa: F401
from .cox import (  # noqa: F401
    CoxResult, cox_model, schoenfeld_residuals, schoenfeld_test, CoxRemedy, cox_with_remedy
)
from .aft import AFT_MODELS, aft_fitter, AFTComparison, aft_models  # noqa: F401
from .hazard import piecewise_hazard, period_hazard  # noqa: F401
from .curves import (  # noqa: F401
    GRID_STEP, curve_times, SurvivalCurves, survival_curves, current_predictions
)
from .validation import Validation, holdout_validation  # noqa: F401
from .planted import planted_recovery, planted_reference, recovered, truth_caps  # noqa: F401
from .tv_cox import TVCoxResult, tv_cox  # noqa: F401
from .plots import (  # noqa: F401
    km_plot, hazard_ratio_plot, aft_curves, aft_fit_plot, period_hazard_plot, period_hazard_panels,
    prediction_hist, calibration_plot
)
from . import notes, stage  # noqa: F401
from .stage import SurvivalResult, analyse, curve_times_for, fit_curves  # noqa: F401
from . import views  # noqa: F401  (notebook 03, one call per section)
