"""Stratified samples with design weights (churnlab.sampling)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnlab.errors import DataError
from churnlab.sampling import WEIGHT, allocate, fit_sample


def _base(n=10_000, rate=0.13, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"customer_id": np.arange(n), "event": rng.random(n) < rate,
                         "plan": rng.choice(["a", "b", "c"], n, p=[0.7, 0.25, 0.05]),
                         "x": rng.normal(size=n)})


def test_allocation_worked_example():
    # Hamilton's method: 100 seats over (900, 90, 10) -> exact (90, 9, 1), floors keep 2 in the last
    assert allocate([900, 90, 10], 100).tolist() == [89, 9, 2]
    assert allocate([500, 300, 200], 10).tolist() == [5, 3, 2]
    assert allocate([5, 5], 100).tolist() == [5, 5]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 5_000), min_size=1, max_size=12), st.integers(1, 20_000))
def test_allocation_sums_and_bounds(counts, n):
    a = allocate(counts, n)
    N = np.asarray(counts)
    assert (a <= N).all() and (a >= np.minimum(N, 2)).all()
    floors = int(np.minimum(N, 2).sum())
    assert a.sum() == min(n, N.sum()) or (floors > n and a.sum() == floors)


def test_sample_keeps_the_churn_rate_and_weights_sum_to_population():
    df = _base()
    s = fit_sample(df, size=2_000, strata=["event"], seed=7)
    assert s.sampled and s.size == 2_000 and s.population == 10_000
    assert s.weights.sum() == pytest.approx(10_000)
    assert s.frame["event"].mean() == pytest.approx(df["event"].mean(), abs=1 / 2_000)
    # weighted mean of a covariate estimates the population mean (unbiased; within 4 SE here)
    est = np.average(s.frame["x"], weights=s.weights)
    assert abs(est - df["x"].mean()) < 4 * df["x"].std() / np.sqrt(2_000)
    assert s.frame["customer_id"].is_monotonic_increasing  # original order kept
    assert WEIGHT not in df.columns


def test_sample_is_reproducible_and_seed_dependent():
    df = _base()
    a = fit_sample(df, size=500, strata=["event", "plan"], seed=1)
    b = fit_sample(df, size=500, strata=["event", "plan"], seed=1)
    c = fit_sample(df, size=500, strata=["event", "plan"], seed=2)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not a.frame.index.equals(c.frame.index)


def test_every_stratum_is_kept_with_its_weight():
    df = _base()
    s = fit_sample(df, size=300, strata=["event", "plan"], seed=3)
    pop = df.groupby(["event", "plan"]).size()
    got = s.frame.groupby(["event", "plan"]).agg(n=(WEIGHT, "size"), w=(WEIGHT, "first"))
    assert set(got.index) == set(pop.index)
    assert np.allclose(got["w"], pop[got.index] / got["n"])


def test_no_sampling_below_the_size():
    df = _base(n=800)
    s = fit_sample(df, size=1_000, strata=["event"], seed=0)
    assert not s.sampled and (s.weights == 1).all() and s.size == 800
    assert "all 800 customers" in s.describe()
    assert fit_sample(df, size=None, seed=0).size == 800


def test_describe_and_metrics_state_the_design():
    s = fit_sample(_base(), size=2_000, strata=["event"], seed=0)
    assert s.describe().startswith("Models fitted on a 2,000-customer sample of 10,000, weighted")
    m = s.metrics()
    assert m == {"population": 10_000, "size": 2_000, "sampled": True, "fraction": 0.2,
                 "strata": ["event"], "seed": 0}


def test_missing_stratum_column_is_one_line():
    with pytest.raises(DataError, match="stratum column 'nope'"):
        fit_sample(_base(), size=10, strata=["nope"], seed=0)
