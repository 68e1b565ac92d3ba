"""Stage 3-4, probability models of retention and value: sBG, BG/NBD, Gamma-Gamma, cohorts."""

from .models import (  # noqa: F401
    SBGResult, fit_sbg, fit_sbg_cohorts, BGNBDResult, fit_bgnbd, rfm_summary, PERIODS,
    cohort_table, per_period_discount, SBGProjection, sbg_projection, sbg_projection_plot,
    FREQUENCY_GROUPS, P_ALIVE_BANDS, BGNBDStudy, bgnbd_study, bgnbd_holdout_plot,
    alive_vs_inactivity, GammaGammaResult, fit_gamma_gamma, bgnbd_clv
)
