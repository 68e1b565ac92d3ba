"""Scores of survival predictions: concordance with entry times, integrated Brier score.

Both respect left truncation, as the survival table does: a customer who
entered the data window at tenure ``e`` is only seen at risk after ``e``.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def _arrays(time, risk, event, entry) -> tuple[np.ndarray, ...]:
    t, r = np.asarray(time, dtype=float), np.asarray(risk, dtype=float)
    e = np.asarray(event).astype(bool)
    s = np.zeros(len(t)) if entry is None else np.asarray(entry, dtype=float)
    if not (len(t) == len(r) == len(e) == len(s)):
        raise DataError("time, risk, event and entry must have the same length")
    if not (np.isfinite(t).all() and np.isfinite(r).all() and np.isfinite(s).all()):
        raise DataError("time, risk and entry must be finite (no missing values)")
    if np.any(s > t):
        raise DataError("an entry time is after its exit time")
    return t, r, e, s


def concordance(time, risk, event, entry=None, *, chunk: int = 512) -> float:
    """Harrell's C of a risk score, counting only pairs seen at risk together.

    A pair (i, j) is comparable when the shorter time ``T_i`` ends in churn,
    and (left truncation) the other customer was under observation then,
    ``entry_j < T_i <= T_j``. For equal times the pair counts only when exactly
    one churned, which is then the shorter. C = (concordant + ties / 2) /
    comparable, concordant when the one who churned first has the higher risk
    (Harrell et al. 1996, Stat Med 15:361; the risk-set rule for delayed entry
    is that of R's ``survival::concordance`` on (start, stop] data).

    Without ``entry`` (or with all entries before the first exit) this is
    exactly lifelines' ``concordance_index(time, -risk, event)``. ``risk``:
    higher means expected to churn sooner (e.g. a Cox partial hazard).
    """
    t, r, e, s = _arrays(time, risk, event, entry)
    check_entry = entry is not None
    num = den = 0.0
    for lo in range(0, len(t), chunk):  # rows i (the shorter one), all columns j
        ti, ri, ei = t[lo:lo + chunk, None], r[lo:lo + chunk, None], e[lo:lo + chunk, None]
        shorter = (ti < t[None, :]) | ((ti == t[None, :]) & ~e[None, :])
        ok = ei & shorter
        if check_entry:
            ok &= s[None, :] < ti
        den += ok.sum()
        num += (ok & (ri > r[None, :])).sum() + 0.5 * (ok & (ri == r[None, :])).sum()
    if den == 0:
        raise DataError("no comparable pairs: no customer churned while another was at risk")
    return float(num / den)


def integrated_brier(train_time, train_event, test_time, test_event, survival: np.ndarray,
                     times) -> float:
    """Integrated Brier score of predicted survival curves, censoring-weighted.

    IBS = 1 / (t_max - t_min) * integral of BS(t) dt over ``times``, where BS(t)
    is the Brier score with inverse probability of censoring weights (Graf et
    al. 1999, Stat Med 18:2529), as computed by scikit-survival's
    ``integrated_brier_score`` (censoring distribution from the training
    customers' Kaplan-Meier). 0 is perfect; a useful model beats the
    Kaplan-Meier curve without covariates.

    ``survival``: one row per test customer, one column per time in ``times``.
    Times are measured on the scale of ``*_time`` (e.g. months since entering
    the data, so that left-truncated customers start at 0).

    The censoring weights exist only up to the longest training follow-up
    ``t_max``: times at or after it are left out, and a test customer followed
    longer is censored at ``t_max`` (for every time t < t_max he is still at
    risk, so BS(t) is unchanged). NaN when fewer than two times remain.
    """
    from sksurv.metrics import integrated_brier_score
    from sksurv.util import Surv

    train_time = np.asarray(train_time, float)
    test_time, test_event = np.asarray(test_time, float), np.asarray(test_event).astype(bool)
    times = np.asarray(times, dtype=float)
    t_max = float(train_time.max())
    keep = times < t_max
    if keep.sum() < 2:
        return float("nan")
    late = test_time > t_max
    y_train = Surv.from_arrays(np.asarray(train_event).astype(bool), train_time)
    y_test = Surv.from_arrays(test_event & ~late, np.where(late, t_max, test_time))
    surv = np.asarray(survival, float)[:, keep]
    return float(integrated_brier_score(y_train, y_test, surv, times[keep]))
