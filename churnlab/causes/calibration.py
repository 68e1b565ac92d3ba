"""Calibrating early-warning scores on held-out rows, before any money is computed from them.

A model's scores rank customers; a campaign multiplies them by money, so they must
also be honest probabilities. :func:`calibrate` maps the chosen model's held-out
scores to probabilities with scikit-learn's ``CalibratedClassifierCV`` (the frozen
scores as the classifier):

* **Platt** (``method="sigmoid"``): ``P(churn) = 1 / (1 + exp(A * logit(s) + B))``,
  two parameters, stable with few events (Platt 1999);
* **isotonic**: a non-decreasing step function of the score (Zadrozny & Elkan 2002),
  flexible but it needs many events to avoid over-fitting.

With fewer than ``min_events`` events (churners or stayers, whichever is fewer) the
method is Platt. Otherwise both are compared on the held-out rows by stratified
K-fold cross-fitting -- each row calibrated by a map fitted on the other folds --
and the one with the lower Brier score wins (the Brier score, not the log loss: an
isotonic step at 0 or 1 makes the log loss infinite on one row). The cross-fitted
probabilities are also what the before/after reliability plot and the calibration
metrics show, so the "after" is not judged on the rows it was fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

METHODS = {"platt": "sigmoid", "isotonic": "isotonic"}

#: Fewer events than this on the held-out rows: Platt, without a comparison.
MIN_EVENTS = 200
#: Fewer events than this: Platt fitted on all held-out rows, not cross-fitted (no fold
#: would hold enough events); the "after" metrics are then in-sample and say so.
MIN_CROSS_FIT = 10


class ScoreColumn(ClassifierMixin, BaseEstimator):
    """Scores already computed, as a fitted scikit-learn classifier: ``X[:, 0]`` is P(churn).

    ``decision_function`` is the score's log-odds, so Platt scaling fits
    ``A * logit(s) + B`` (the identity map of a calibrated score is ``A = -1, B = 0``).
    """

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        s = np.clip(np.asarray(X, dtype=float)[:, 0], 0.0, 1.0)
        return np.c_[1 - s, s]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def decision_function(self, X):
        s = np.clip(np.asarray(X, dtype=float)[:, 0], 1e-9, 1 - 1e-9)
        return np.log(s / (1 - s))


def _fit(method: str, s: np.ndarray, y: np.ndarray):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    # ensemble=False: one map fitted on the scores of all rows. The frozen scores need no
    # folds, so the "split" is all rows once (no class-count checks on tiny data).
    whole = [(np.arange(len(s)), np.arange(len(s)))]
    cal = CalibratedClassifierCV(FrozenEstimator(ScoreColumn().fit(None)), method=METHODS[method],
                                 cv=whole, ensemble=False)
    return cal.fit(s.reshape(-1, 1), y)


def cross_fitted(method: str, s, y, *, seed: int, folds: int = 5) -> np.ndarray:
    """Each row's calibrated probability from a ``method`` map fitted on the other folds
    (stratified K-fold, shuffled with ``seed``)."""
    from sklearn.model_selection import StratifiedKFold

    s, y = np.asarray(s, dtype=float), np.asarray(y).astype(int)
    out = np.empty(len(s))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(s.reshape(-1, 1), y):
        out[te] = _fit(method, s[tr], y[tr]).predict_proba(s[te].reshape(-1, 1))[:, 1]
    return out


@dataclass
class Calibration:
    """The calibration map of the chosen model's scores.

    ``method``: ``platt`` or ``isotonic``; ``reason``: why that method;
    ``comparison``: cross-fitted Brier score and log loss per method compared
    (one row when Platt was imposed by few events); ``held_out``: each held-out
    row's cross-fitted calibrated probability; ``events``: churners (or stayers,
    if fewer) on the held-out rows.
    """

    method: str
    reason: str
    comparison: pd.DataFrame
    held_out: np.ndarray
    events: int
    fitted: object

    def apply(self, scores) -> np.ndarray:
        """Calibrated P(churn) for raw model scores (the map fitted on all held-out rows)."""
        s = np.asarray(scores, dtype=float).reshape(-1, 1)
        return self.fitted.predict_proba(s)[:, 1]


def calibrate(y, scores, *, seed: int, folds: int = 5, min_events: int = MIN_EVENTS) -> Calibration:
    """Choose and fit the calibration map of held-out ``scores`` (see the module docstring)."""
    from sklearn.metrics import brier_score_loss, log_loss

    y = np.asarray(y).astype(int)
    s = np.asarray(scores, dtype=float)
    events = int(min(y.sum(), len(y) - y.sum()))
    methods = ["platt"] if events < min_events else ["platt", "isotonic"]
    if events < MIN_CROSS_FIT:
        fitted = _fit("platt", s, y)
        held = fitted.predict_proba(s.reshape(-1, 1))[:, 1]
        comparison = pd.DataFrame({"brier": [brier_score_loss(y, held)], "log_loss": [
            log_loss(y, np.clip(held, 1e-15, 1 - 1e-15), labels=[0, 1])]},
            index=pd.Index(["platt"], name="method"))
        return Calibration("platt", f"Platt scaling: only {events} events on the held-out rows, "
                           "fitted and judged on the same rows (not cross-fitted)", comparison, held,
                           events, fitted)
    folds = min(folds, events // 2)
    held = {m: cross_fitted(m, s, y, seed=seed, folds=folds) for m in methods}
    comparison = pd.DataFrame(
        {"brier": [brier_score_loss(y, held[m]) for m in methods],
         "log_loss": [log_loss(y, np.clip(held[m], 1e-15, 1 - 1e-15), labels=[0, 1]) for m in methods]},
        index=pd.Index(methods, name="method"))
    if len(methods) == 1:
        method = "platt"
        reason = (f"Platt scaling: {events} events on the held-out rows (< {min_events}), "
                  "too few for an isotonic map")
    else:
        method = str(comparison["brier"].idxmin())
        other = "isotonic" if method == "platt" else "platt"
        reason = (f"{'Platt scaling' if method == 'platt' else 'isotonic regression'}: lower "
                  f"{folds}-fold cross-fitted Brier score on the held-out rows "
                  f"({comparison.loc[method, 'brier']:.4f} vs {comparison.loc[other, 'brier']:.4f} "
                  f"for {other}; {events} events)")
    return Calibration(method, reason, comparison, held[method], events, _fit(method, s, y))
