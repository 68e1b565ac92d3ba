"""The drivers model: a Cox model with time-varying covariates on monthly episodes.

h_i(t) = h0_s(t) exp(b' x_i(t)), t = tenure in months, x_i(t) the covariates as known at
the start of the calendar month (:func:`churnlab.collect.episodes.monthly_episodes`),
s the stratum (contract or billing type: each gets its own baseline hazard, so term ends
and renewals need not be proportional). Fitted by partial likelihood on the
counting-process rows (start, stop] (Andersen & Gill 1982; Therneau & Grambsch 2000,
ch. 3) with lifelines ``CoxTimeVaryingFitter``; left-truncated customers enter at their
tenure when the data window opens.

Unlike a Cox model on customer summaries as of ``as_of``, no covariate includes the
months after the one being predicted (a churner's summary includes the run-up to the
exit; a survivor's keeps accumulating exposure), so exp(b) is the ratio of monthly
hazards the simulator plants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..collect.episodes import EPISODE_COLUMNS
from ..design import CovariateDesign
from ..errors import DataError
from .cox import hazard_ratio_table
from .readable import term_scale
from .fitting import fit_quietly

#: Columns that give each level its own baseline hazard (contract terms, billing), first present wins.
STRATA_COLUMNS = ("billing", "Contract", "plan")


@dataclass
class TVCoxResult:
    """A fitted time-varying Cox model.

    ``hazard_ratios``: :func:`churnlab.survival.cox.hazard_ratio_table` (per term: hr, 95% CI,
    p-value, log_hr and its CI); ``strata``; ``episodes``, ``customers``, ``events``: the
    rows, customers and churn events fitted; ``attempts``: the fit attempts;
    ``model_attrs``: the episode table's ``attrs`` (run-in months, censored involuntary
    ends, the observation end); ``scale``: the SD of each numeric term over the fitted
    customer-months, for hazard ratios per SD (:mod:`churnlab.survival.readable`).
    """

    hazard_ratios: pd.DataFrame
    strata: list[str]
    episodes: int
    customers: int
    events: int
    design: CovariateDesign
    attempts: list[str]
    model: object = None
    model_attrs: dict = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)


def strata_for(episodes: pd.DataFrame, candidates: list[str]) -> list[str]:
    """The first of :data:`STRATA_COLUMNS` among ``candidates`` with 2 to 6 levels (or none)."""
    for col in STRATA_COLUMNS:
        if col in candidates and col in episodes and 2 <= episodes[col].nunique() <= 6:
            return [col]
    return []


def episode_covariates(episodes: pd.DataFrame) -> list[str]:
    """Every column of an episode table except the counting-process columns."""
    return [c for c in episodes.columns if c not in EPISODE_COLUMNS]


def tv_cox(episodes: pd.DataFrame, *, covariates: list[str], strata: list[str] = (),
           reference: dict[str, str] | None = None) -> TVCoxResult:
    """Fit h(t | x(t)) = h0_s(t) exp(b'x(t)) on monthly episodes (module docstring).

    ``covariates``: episode columns (categorical ones are one-hot against ``reference`` or
    their most common level, see :class:`CovariateDesign`); ``strata``: columns with their
    own baseline hazard. Raises :class:`DataError` without events or when the fit does not
    converge even with a ridge penalty.
    """
    from lifelines import CoxTimeVaryingFitter

    strata = list(strata)
    if not len(episodes) or int(episodes["event"].sum()) == 0:
        raise DataError("time-varying Cox: the monthly episodes hold no churn event")
    design = CovariateDesign.fit(episodes, [c for c in covariates if c not in strata],
                                 reference=reference)
    X = design.transform(episodes)
    for col in ("customer_id", "start", "stop", "event"):
        X[col] = episodes[col].to_numpy()
    for col in strata:
        X[col] = episodes[col].astype("string").fillna("(missing)").to_numpy()
    model, attempts = fit_quietly(lambda p: CoxTimeVaryingFitter(penalizer=p), X,
                                  id_col="customer_id", start_col="start", stop_col="stop",
                                  event_col="event", strata=strata or None)
    if model is None:
        raise DataError("the time-varying Cox model did not converge; tried: " + "; ".join(attempts))
    return TVCoxResult(hazard_ratio_table(model.summary), strata, len(X),
                       int(episodes["customer_id"].nunique()), int(episodes["event"].sum()),
                       design, attempts, model, dict(episodes.attrs), term_scale(X, design.columns))
