"""Stage 3-4, probability models of retention and value (Fader & Hardie).

* :mod:`.cohorts` -- subscriptions to survivors per acquisition cohort and age;
* :mod:`.sbg` -- the shifted-beta-geometric model of contractual retention and
  its projection from a cohort table;
* :mod:`.bgnbd` -- the BG/NBD model of repeat buying, P(alive) and its holdout check;
* :mod:`.gamma_gamma` -- spend per transaction and the BG/NBD x Gamma-Gamma CLV;
* :mod:`.optimise` -- the maximum-likelihood fit they share;
* :mod:`.plots` -- their figures.
"""

from .optimise import maximise  # noqa: F401
from .cohorts import PERIODS, cohort_table  # noqa: F401
from .sbg import (  # noqa: F401
    SBGResult, fit_sbg, fit_sbg_cohorts, per_period_discount, SBGProjection, sbg_projection
)
from .bgnbd import (  # noqa: F401
    BGNBDResult, fit_bgnbd, rfm_summary, FREQUENCY_GROUPS, P_ALIVE_BANDS, by_frequency,
    BGNBDStudy, bgnbd_study, alive_vs_inactivity
)
from .gamma_gamma import GammaGammaResult, fit_gamma_gamma, bgnbd_clv  # noqa: F401
from .plots import (  # noqa: F401
    sbg_projection_plot, bgnbd_holdout_plot, retention_rate_plot, p_alive_plot
)
