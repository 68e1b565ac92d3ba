"""How good are held-out churn scores: discrimination, calibration, and their uncertainty.

* :func:`evaluate` -- ROC AUC, PR AUC, top-decile lift, Brier score and log loss;
* :func:`calibration_table`, :func:`expected_calibration_error` -- predicted vs
  observed churn in equal-count bins;
* :func:`bootstrap_intervals` -- 95% percentile intervals of the ROC AUC and the
  top-decile lift from a seeded, stratified bootstrap of the test rows (and of the
  AUC difference between two models scored on the same rows).

Every function takes labels ``y`` (0/1) and scores ``p`` (probabilities) as arrays.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def top_decile_lift(y, p, *, share: float = 0.10) -> float:
    """Churn rate among the ``ceil(share * n)`` highest scores / overall churn rate.

    Ties at the cut are broken by row order (stable sort of ``-p``).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    k = max(1, math.ceil(share * len(y)))
    top = np.argsort(-p, kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def evaluate(y, p) -> dict:
    """Discrimination and calibration of scores ``p`` against labels ``y``.

    * ``roc_auc``: P(score of a random churner > score of a random stayer), ties 1/2;
    * ``pr_auc``: average precision ``sum_k (R_k - R_{k-1}) P_k``;
    * ``top_decile_lift``: :func:`top_decile_lift`;
    * ``brier``: ``mean((p - y)^2)``;
    * ``log_loss``: ``-mean(y log p + (1 - y) log(1 - p))`` (p clipped to [1e-15, 1 - 1e-15]);
    * ``ece``: :func:`expected_calibration_error` (10 equal-count bins);
    plus ``n``, ``positives`` and ``base_rate``.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    both = 0 < y.sum() < len(y)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "top_decile_lift": top_decile_lift(y, p),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
    }


def calibration_table(y, p, *, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed churn per quantile bin of ``p``.

    Bins as ``sklearn.calibration.calibration_curve(strategy='quantile')``:
    edges at the 0, 1/bins, ..., 1 quantiles of ``p``; empty bins (tied
    scores) are dropped. Columns: ``bin, n, mean_predicted, observed``.
    """
    from sklearn.calibration import calibration_curve

    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    edges = np.percentile(p, np.linspace(0, 100, bins + 1))
    ids = np.searchsorted(edges[1:-1], p)
    counts = np.bincount(ids, minlength=bins)
    nonzero = np.flatnonzero(counts)
    return pd.DataFrame({"bin": nonzero + 1, "n": counts[nonzero],
                         "mean_predicted": predicted, "observed": observed})


def expected_calibration_error(y, p, *, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-count bins of ``p``.

    ``ECE = sum_b (n_b / n) * |mean_predicted_b - observed_b|`` with the bins of
    :func:`calibration_table` (quantile edges; tied scores share a bin). Naeini,
    Cooper & Hauskrecht (2015), *AAAI*; equal-count ("adaptive") bins as in
    Nixon et al. (2019). 0 = every bin's mean prediction equals its churn rate.
    """
    t = calibration_table(y, p, bins=bins)
    return float((t["n"] * (t["mean_predicted"] - t["observed"]).abs()).sum() / t["n"].sum())


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """Mann-Whitney ROC AUC (ties count 1/2): ``(R_pos - n1 (n1 + 1) / 2) / (n1 n0)``."""
    n1 = int(y.sum())
    n0 = len(y) - n1
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def bootstrap_intervals(y, scores: dict[str, np.ndarray], *, seed: int, n_boot: int = 1000,
                        level: float = 0.95) -> pd.DataFrame:
    """Percentile bootstrap intervals of the ROC AUC and top-decile lift per model.

    Each of ``n_boot`` resamples draws the churners and the stayers of the test
    rows separately with replacement (stratified: every resample keeps the test
    set's churn rate and has both classes), with ``numpy.random.default_rng(seed)``;
    every model is scored on the same resamples (rows in their original order, so
    ties at the lift cut break as in :func:`top_decile_lift`). Interval: the ``(1 - level) / 2``
    and ``(1 + level) / 2`` quantiles of the resampled values (Efron & Tibshirani
    1993, ch. 13). With two models, a row ``difference`` holds the interval of
    ``AUC(first) - AUC(second)`` (paired: the same resamples).

    Columns: ``auc_low, auc_high, lift_low, lift_high``, index = model names.
    """
    y = np.asarray(y).astype(int)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("bootstrap_intervals needs both churners and stayers")
    rng = np.random.default_rng(seed)
    names = list(scores)
    arr = {m: np.asarray(scores[m], dtype=float) for m in names}
    auc = np.empty((n_boot, len(names)))
    lift = np.empty((n_boot, len(names)))
    for b in range(n_boot):
        idx = np.sort(np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]))
        yb = y[idx]
        for j, m in enumerate(names):
            pb = arr[m][idx]
            auc[b, j] = _auc(yb, pb)
            lift[b, j] = top_decile_lift(yb, pb)
    q = [(1 - level) / 2, (1 + level) / 2]
    rows = {m: [*np.quantile(auc[:, j], q), *np.quantile(lift[:, j], q)] for j, m in enumerate(names)}
    if len(names) == 2:
        rows["difference"] = [*np.quantile(auc[:, 0] - auc[:, 1], q), np.nan, np.nan]
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["auc_low", "auc_high", "lift_low", "lift_high"])
