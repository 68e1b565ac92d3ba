"""Fitting lifelines regression models: the model frame and a fit that retries with a ridge penalty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design import CovariateDesign


def model_frame(df: pd.DataFrame, design: CovariateDesign, duration: str, event: str,
                entry: str | None, strata: list[str] = ()) -> pd.DataFrame:
    """The lifelines input: the design's model columns, duration, event, entry and the
    ``strata`` columns as text (missing as ``"(missing)"``)."""
    X = design.transform(df)
    X[duration] = df[duration].astype(float)
    X[event] = df[event].astype(int)
    if entry:
        X[entry] = df[entry].astype(float)
    for col in strata:
        X[col] = df[col].astype("string").fillna("(missing)")
    return X


def fit_quietly(make, X: pd.DataFrame, **kwargs) -> tuple[object | None, list[str]]:
    """Fit ``make(penalizer)``; retry with a small ridge penalty if it fails to converge.

    Returns (fitted model or None, attempts as readable lines).
    """
    import warnings

    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    attempts = []
    for penalizer in (0.0, 0.01, 0.1):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                model = make(penalizer).fit(X, **kwargs)
            except (ConvergenceError, ConvergenceWarning, ValueError, np.linalg.LinAlgError) as exc:
                first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
                attempts.append(f"penalizer {penalizer:g}: did not converge ({first})")
                continue
        attempts.append(f"penalizer {penalizer:g}: converged")
        return model, attempts
    return None, attempts
