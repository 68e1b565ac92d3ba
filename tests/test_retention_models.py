"""Tests of churnlab.retention_models against the published Fader-Hardie estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from churnlab.errors import DataError
from churnlab.retention_models import (BGNBDResult, SBGResult, fit_bgnbd, fit_sbg,
                                       fit_sbg_cohorts, rfm_summary)

DATA = Path(__file__).parent / "data"

# Fader & Hardie (2007), Table 1: survivors of 1000 customers, years 0-12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow) -> BGNBDResult:
    return fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


# --------------------------------------------------------------------------- sBG

# alpha, beta: Fader & Hardie (2007), "How to Project Customer Retention", fitted on years 1-7.
# The log-likelihoods are the maxima this fit reaches; they were not checked against the paper.
@pytest.mark.parametrize("data, alpha, beta, loglik", [
    (REGULAR, 0.704, 1.182, -1680.3),
    (HIGH_END, 0.668, 3.806, -1611.2),
])
def test_sbg_reproduces_fader_hardie_2007(data, alpha, beta, loglik):
    fit = fit_sbg(data[:8])  # years 0..7: the paper's calibration period
    assert isinstance(fit, SBGResult)
    assert fit.converged
    assert fit.n_periods == 7
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta
    assert round(fit.loglik, 1) == loglik


def test_sbg_quantities_are_consistent():
    fit = fit_sbg(REGULAR[:8])
    t = np.arange(1, 30)
    s = fit.survival(np.arange(0, 30))
    assert s[0] == pytest.approx(1.0)
    # S(t) = prod r_i; P(T = t) = S(t-1) - S(t)
    np.testing.assert_allclose(s[1:], np.cumprod(fit.retention_rate(t)), rtol=1e-12)
    np.testing.assert_allclose(fit.churn_probability(t), s[:-1] - s[1:], rtol=1e-10)
    # retention rises with tenure (heterogeneity sorting)
    assert np.all(np.diff(fit.retention_rate(t)) > 0)
    proj = fit.project(12, n0=1000)
    assert list(proj.index) == list(range(13))
    assert proj.loc[0, "expected_alive"] == pytest.approx(1000)
    assert np.isnan(proj.loc[0, "retention_rate"])
    # the calibration-period fit tracks the observed survivors closely
    np.testing.assert_allclose(proj["expected_alive"].to_numpy()[:8], REGULAR[:8], rtol=0.03)


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("d", [0.1, 0.15])
def test_derl_matches_direct_summation(n, d):
    fit = fit_sbg(HIGH_END[:8])
    t = np.arange(n, n + 5000)
    log_s = betaln(fit.alpha, fit.beta + t) - betaln(fit.alpha, fit.beta + n - 1)
    direct = np.sum(np.exp(log_s) / (1 + d) ** (t - n))
    assert fit.discounted_expected_residual_lifetime(d, n) == pytest.approx(direct, rel=1e-9)


def test_sbg_cohorts_pool_likelihoods():
    one = fit_sbg(REGULAR[:8])
    table = pd.DataFrame([REGULAR[:8], REGULAR[:8]])
    two = fit_sbg_cohorts(table)
    assert two.alpha == pytest.approx(one.alpha, rel=1e-4)
    assert two.beta == pytest.approx(one.beta, rel=1e-4)
    assert two.loglik == pytest.approx(2 * one.loglik, rel=1e-8)


def test_sbg_cohorts_of_different_ages_recover_parameters():
    rng = np.random.default_rng(7)
    alpha, beta, n0, k = 1.2, 3.0, 4000, 8
    rows = []
    for age in range(1, k + 1):
        theta = rng.beta(alpha, beta, size=n0)
        life = rng.geometric(theta)  # T = period of churn, 1, 2, ...
        rows.append([(life > t).sum() for t in range(age + 1)] + [np.nan] * (k - age))
    table = pd.DataFrame(rows, columns=range(k + 1))
    fit = fit_sbg_cohorts(table)
    assert fit.converged and fit.n_periods == k
    assert fit.alpha == pytest.approx(alpha, rel=0.2)
    assert fit.beta == pytest.approx(beta, rel=0.2)


def test_sbg_bad_input():
    with pytest.raises(DataError, match="single period"):
        fit_sbg([1000])
    with pytest.raises(DataError, match="single period"):
        fit_sbg_cohorts(pd.DataFrame([[1000, np.nan], [500, np.nan]]))
    with pytest.raises(DataError, match="increasing"):
        fit_sbg([1000, 800, 900])
    with pytest.raises(DataError, match="no customer churned"):
        fit_sbg([100, 100, 100])
    fit = fit_sbg(REGULAR[:8])
    with pytest.raises(DataError):
        fit.discounted_expected_residual_lifetime(0.0, 1)


# --------------------------------------------------------------------------- BG/NBD

def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_fit):
    fit = cdnow_fit
    assert fit.converged
    assert round(fit.r, 3) == 0.243
    assert round(fit.alpha, 3) == 4.414
    assert round(fit.a, 3) == 0.793
    assert round(fit.b, 3) == 2.426
    assert round(fit.loglik, 1) == -9582.4


def test_bgnbd_conditional_expectation_and_p_alive(cdnow_fit):
    fit = cdnow_fit
    # the customer with x=2, t_x=30.43, T=38.86 (weeks): 1.226 purchases expected in 39 weeks
    assert fit.expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=1e-3)
    # no repeat purchase: cannot have dropped out
    assert fit.p_alive(0, 0, 38.86) == 1.0
    p = fit.p_alive([1, 2, 5], [2.0, 30.43, 10.0], [38.86, 38.86, 38.86])
    assert np.all((p > 0) & (p < 1))
    # a long silence after frequent buying makes a customer likely gone
    assert fit.p_alive(5, 10.0, 38.86) < fit.p_alive(5, 38.0, 38.86)


def test_bgnbd_unconditional_expectation(cdnow_fit):
    fit = cdnow_fit
    t = np.array([1.0, 10.0, 39.0, 78.0])
    e = fit.expected_purchases_new(t)
    assert np.all(np.diff(e) > 0) and e[0] > 0
    # a brand-new customer (x = 0, t_x = 0, T = 0) conditions on nothing
    np.testing.assert_allclose(fit.expected_purchases(t, 0, 0, 0), e, rtol=1e-10)


def test_bgnbd_needs_repeat_buyers():
    with pytest.raises(DataError, match="no repeat purchases; BG/NBD needs some"):
        fit_bgnbd([0, 0, 0], [0, 0, 0], [10, 20, 30])
    with pytest.raises(DataError, match="recency"):
        fit_bgnbd([1, 2], [5, 40], [30, 30])


# --------------------------------------------------------------------------- rfm_summary

def test_rfm_summary_hand_example():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c", "c", "d"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-01 15:30", "2024-01-15", "2024-01-29",
                 "2024-01-08", "2024-01-01", "2024-03-01", "2024-02-10"], format="ISO8601"),
    })
    out = rfm_summary(tx, as_of="2024-01-29", unit="W")
    # d first buys after as_of: excluded; c's March purchase is ignored
    assert list(out.index) == ["a", "b", "c"]
    assert out.index.name == "customer_id"
    a, b, c = out.loc["a"], out.loc["b"], out.loc["c"]
    assert a["frequency"] == 2            # two same-day purchases on Jan 1 count once
    assert a["recency"] == pytest.approx(4.0) and a["T"] == pytest.approx(4.0)
    assert b["frequency"] == 0 and b["recency"] == 0 and b["T"] == pytest.approx(3.0)
    assert c["frequency"] == 0 and c["T"] == pytest.approx(4.0)
    days = rfm_summary(tx, as_of="2024-01-29", unit="D")
    assert days.loc["a", "recency"] == 28 and days.loc["a", "T"] == 28


def test_rfm_summary_bad_input():
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})
    with pytest.raises(DataError, match="unit"):
        rfm_summary(tx, as_of="2024-02-01", unit="Y")
    with pytest.raises(DataError, match="no column"):
        rfm_summary(tx.rename(columns={"date": "when"}), as_of="2024-02-01")
    with pytest.raises(DataError, match="no transactions"):
        rfm_summary(tx, as_of="2023-12-01")
