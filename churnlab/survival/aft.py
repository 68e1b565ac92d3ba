"""Parametric accelerated-failure-time (AFT) models compared by AIC.

AFT: log T = b'x + sigma * eps; the distribution of eps gives the model
(Weibull, log-normal, log-logistic; lifelines ``*AFTFitter``). exp(b)
multiplies the expected lifetime. AIC = 2k - 2 log L (Akaike 1974).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import CovariateDesign
from ..errors import DataError
from .fitting import fit_quietly, model_frame
from .table import check_table

AFT_MODELS = ("Weibull", "LogNormal", "LogLogistic")


def aft_fitter(name: str):
    """The lifelines fitter class of an AFT model named in :data:`AFT_MODELS`."""
    from lifelines import LogLogisticAFTFitter, LogNormalAFTFitter, WeibullAFTFitter

    return {"Weibull": WeibullAFTFitter, "LogNormal": LogNormalAFTFitter,
            "LogLogistic": LogLogisticAFTFitter}[name]


@dataclass
class AFTComparison:
    """Parametric accelerated-failure-time models side by side.

    ``table``: model, AIC, log-likelihood, number of parameters, concordance
    and the fit attempts, sorted by AIC (lower is better: the likelihood,
    penalised by 2 per parameter). ``best`` names the lowest-AIC model that
    converged (None if none did); ``models`` holds the fitted lifelines objects.
    """

    table: pd.DataFrame
    best: str | None
    models: dict
    design: CovariateDesign

    @property
    def best_model(self):
        return self.models[self.best] if self.best else None


def aft_models(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
               event: str = "event", entry: str | None = None,
               reference: dict[str, str] | None = None) -> AFTComparison:
    """Weibull, log-normal and log-logistic AFT models (lifelines) compared by AIC.

    AFT: log T = b'x + sigma * eps; the distribution of eps gives the model.
    exp(b) multiplies the expected lifetime (> 1: lasts longer). Durations must
    be > 0 (:func:`survival_table` guarantees it). Each fit that fails to
    converge is retried with a small ridge penalty; the attempts are listed.
    """
    check_table(df, duration, event)
    if (df[duration] <= 0).any():
        raise DataError("parametric models need durations > 0; build the table with "
                        "survival_table(), which drops rows with no time at risk")
    design = CovariateDesign.fit(df, covariates, reference=reference)
    X = model_frame(df, design, duration, event, entry)
    rows, models = [], {}
    for name in AFT_MODELS:
        model, attempts = fit_quietly(lambda p, f=aft_fitter(name): f(penalizer=p), X,
                                       duration_col=duration, event_col=event, entry_col=entry)
        row = {"model": name, "aic": np.nan, "log_likelihood": np.nan, "parameters": np.nan,
               "concordance": np.nan, "converged": model is not None, "attempts": "; ".join(attempts)}
        if model is not None:
            models[name] = model
            row.update(aic=float(model.AIC_), log_likelihood=float(model.log_likelihood_),
                       parameters=int(len(model.params_)), concordance=float(model.concordance_index_))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("aic", na_position="last").reset_index(drop=True)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    best = table.loc[table["converged"], "model"]
    return AFTComparison(table, best.iloc[0] if len(best) else None, models, design)
