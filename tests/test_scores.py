"""Survival scores: concordance with entry times (against lifelines and a pair-by-pair count),
integrated Brier score (against a hand computation)."""

from __future__ import annotations

import numpy as np
import pytest

from churnlab.errors import DataError
from churnlab.survival.scores import concordance, integrated_brier


def _pairs(t, r, e, s):
    """Pair-by-pair reference: comparable if the shorter churned (ties: exactly one churned)
    and the other was at risk then (entry < the shorter time)."""
    num = den = 0.0
    for i in range(len(t)):
        for j in range(len(t)):
            if i == j or not e[i]:
                continue
            shorter = t[i] < t[j] or (t[i] == t[j] and not e[j])
            if shorter and s[j] < t[i]:
                den += 1
                num += 1.0 if r[i] > r[j] else 0.5 if r[i] == r[j] else 0.0
    return num / den


def _sample(n, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 15, n).astype(float)  # whole periods: many tied times
    r = np.round(rng.normal(size=n), 1)  # tied risks too
    e = rng.random(n) < 0.6
    s = np.minimum(rng.integers(0, 10, n), t - 1).clip(0)
    return t, r, e, s


def test_without_entry_it_is_lifelines_concordance_index():
    from lifelines.utils import concordance_index

    for seed in range(5):
        t, r, e, _ = _sample(300, seed)
        assert concordance(t, r, e) == pytest.approx(concordance_index(t, -r, e), abs=1e-12)


def test_with_entry_it_counts_only_pairs_at_risk_together():
    for seed in range(5):
        t, r, e, s = _sample(120, seed)
        assert concordance(t, r, e, s, chunk=17) == pytest.approx(_pairs(t, r, e, s), abs=1e-12)


def test_left_truncation_naive_pairs_inflate_the_concordance():
    """Customers are seen only if they survive to a late entry. The naive C also compares a
    churner with customers who entered the data only later -- they outlived the churner by
    selection, whatever their risk -- so it overstates the ranking quality; pairs seen at
    risk together do not. For a binary score with hazard ratio h (exponential lifetimes),
    the one at higher risk churns first in h / (1 + h) of such pairs at any time, so the
    entry-aware C stays between 0.5 and that value."""
    rng = np.random.default_rng(7)
    n, h = 6000, 3.0
    x = (rng.random(n) < 0.5).astype(float)
    T = rng.exponential(1 / (0.05 * h ** x))
    entry = rng.uniform(0, 30, n) * (rng.random(n) < 0.7)  # 70% join the window late
    seen = T > entry
    ev = np.ones(seen.sum(), dtype=bool)
    aware = concordance(T[seen], x[seen], ev, entry[seen])
    naive = concordance(T[seen], x[seen], ev)
    assert 0.5 < aware < h / (1 + h)
    assert naive > aware + 0.01


def test_concordance_errors():
    with pytest.raises(DataError, match="same length"):
        concordance([1, 2], [1], [1, 0])
    with pytest.raises(DataError, match="entry time is after"):
        concordance([1, 2], [1, 2], [1, 1], [3, 0])
    with pytest.raises(DataError, match="no comparable pairs"):
        concordance([1, 2], [1, 2], [0, 0])


def test_integrated_brier_without_censoring_is_the_mean_squared_error_integral():
    """No censoring: every weight is 1, BS(t) = mean_i (1{T_i > t} - S_i(t))^2, and the
    integral is the trapezoid rule over the times divided by their span."""
    rng = np.random.default_rng(3)
    n = 400
    lam = rng.uniform(0.05, 0.3, n)
    T = np.ceil(rng.exponential(1 / lam))
    times = np.arange(1.0, 9.0)
    S = np.exp(-np.outer(lam, times))
    ev = np.ones(n, dtype=bool)
    bs = ((T[:, None] > times[None, :]).astype(float) - S) ** 2
    expected = np.trapezoid(bs.mean(axis=0), times) / (times[-1] - times[0])
    assert integrated_brier(T, ev, T, ev, S, times) == pytest.approx(expected, rel=1e-9)


def test_integrated_brier_with_test_customers_followed_longer_than_any_training_customer():
    """The censoring weights end at the longest training follow-up t_max (scikit-survival
    raises beyond it): later test times are censored at t_max and grid times >= t_max left
    out. Without censoring before t_max, BS(t) for t < t_max is still the plain mean squared
    error, and a test customer's time beyond t_max does not matter."""
    rng = np.random.default_rng(5)
    lam = rng.uniform(0.05, 0.3, 300)
    T = np.ceil(rng.exponential(1 / lam))
    train = np.minimum(T, 6.0)  # follow-up ends at 6 for the training customers
    ev_train = T <= 6.0
    times = np.arange(1.0, 9.0)  # the grid reaches past 6
    S = np.exp(-np.outer(lam, times))
    T_test = T + 3.0 * (T > 6)  # some test customers seen past any training customer
    ev = np.ones(len(T), dtype=bool)
    ibs = integrated_brier(train, ev_train, T_test, ev, S, times)
    kept = times[times < 6.0]
    bs = ((T_test[:, None] > kept[None, :]).astype(float) - S[:, : len(kept)]) ** 2
    expected = np.trapezoid(bs.mean(axis=0), kept) / (kept[-1] - kept[0])
    assert ibs == pytest.approx(expected, rel=1e-9)
    assert integrated_brier(train, ev_train, T + 50.0 * (T > 6), ev, S, times) == pytest.approx(ibs)
    assert np.isnan(integrated_brier(train, ev_train, T_test, ev, S[:, :1], times[:1]))
