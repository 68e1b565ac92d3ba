"""Tests of churnlab.clv.sbg, .cohorts and .optimise against Fader & Hardie (2007) and by hand."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, hyp2f1

from churnlab.errors import DataError
from churnlab.clv import (SBGProjection, SBGResult, cohort_table, fit_sbg, fit_sbg_cohorts,
                          maximise, per_period_discount, sbg_projection, sbg_projection_plot)

# Fader & Hardie (2007), Table 1: survivors of 1000 customers, years 0-12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


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


@pytest.mark.parametrize("renewals", [0, 1, 4])
@pytest.mark.parametrize("d", [0.1, 0.15])
def test_derl_matches_its_definition(renewals, d):
    """Fader & Hardie (2010), eq. 6: a customer who has made n - 1 renewals, at the end of
    period n, is worth sum_{t >= n} S(t) / S(n - 1) / (1 + d)^(t - n) payments; n = renewals + 1."""
    fit = SBGResult(alpha=0.668, beta=3.806, loglik=np.nan, n_periods=7, converged=True)
    n = renewals + 1
    t = np.arange(n, n + 5000)
    log_s = betaln(fit.alpha, fit.beta + t) - betaln(fit.alpha, fit.beta + n - 1)
    direct = np.sum(np.exp(log_s) / (1 + d) ** (t - n))
    assert fit.discounted_expected_residual_lifetime(d, renewals) == pytest.approx(direct, rel=1e-9)


def test_derl_counts_renewals_made():
    """The renewal count is the one of the docstring: DERL(k) = r_{k+1} * (1 + DERL(k+1) / (1 + d))
    (renew now with probability r_{k+1} = S(k+1)/S(k), Fader & Hardie 2007's retention rate, pay,
    then be a customer with k + 1 renewals one period later); a new customer's discounted
    expected lifetime DEL = 2F1(1, beta; alpha + beta; 1/(1+d)) (Fader & Hardie 2010) is
    their first payment plus DERL(0) one period later."""
    fit = SBGResult(alpha=0.668, beta=3.806, loglik=np.nan, n_periods=7, converged=True)
    d = 0.10
    derl = fit.discounted_expected_residual_lifetime
    for k in range(6):
        assert derl(d, k) == pytest.approx(fit.retention_rate(k + 1) * (1 + derl(d, k + 1) / (1 + d)),
                                           rel=1e-12)
    assert 1 + derl(d, 0) / (1 + d) == pytest.approx(
        hyp2f1(1, fit.beta, fit.alpha + fit.beta, 1 / (1 + d)), rel=1e-12)
    # retention rises with tenure, so a customer who has renewed more is worth more
    assert np.all(np.diff(derl(d, np.arange(10))) > 0)
    with pytest.raises(DataError, match="n_renewals must be >= 0"):
        derl(d, -1)


def test_derl_without_heterogeneity_is_the_textbook_formula():
    """alpha, beta -> infinity with alpha/(alpha+beta) = theta: every customer renews with
    r = 1 - theta, and DERL = r (1 + d) / (1 + d - r) at any tenure (Fader & Hardie 2010, eq. 1)."""
    theta, d = 0.2, 0.05
    fit = SBGResult(alpha=theta * 1e12, beta=(1 - theta) * 1e12, loglik=np.nan, n_periods=4,
                    converged=True)
    r = 1 - theta
    for k in (0, 3):
        assert fit.discounted_expected_residual_lifetime(d, k) == pytest.approx(
            r * (1 + d) / (1 + d - r), rel=1e-6)
    # scipy's 2F1 gives NaN from alpha + beta of about 100; the series takes over seamlessly
    for a, b in ((20.0, 80.0), (50.0, 200.0)):
        fit = SBGResult(alpha=a, beta=b, loglik=np.nan, n_periods=4, converged=True)
        t = np.arange(2, 3000)
        direct = np.sum(np.exp(betaln(a, b + t) - betaln(a, b + 1) - (t - 2) * np.log1p(d)))
        assert fit.discounted_expected_residual_lifetime(d, 1) == pytest.approx(direct, rel=1e-9)


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


# --------------------------------------------------------------------------- cohort_table

def _tiny_customers() -> pd.DataFrame:
    rows = [  # id, start, end
        ("g", "2022-12-15", None),          # before observed_from = 2023-01-01
        ("a", "2023-01-10", None),
        ("b", "2023-01-20", "2023-01-25"),  # leaves within its first month: lost at t = 1
        ("c", "2023-01-31", "2023-02-28"),  # leaves on its first anniversary (Feb 28): t = 1
        ("d", "2023-01-05", "2023-03-01"),  # renewed on Feb 5, gone before Mar 5: t = 2
        ("e", "2023-02-14", "2023-04-15"),  # a day after its 2nd anniversary: t = 3
        ("f", "2023-03-03", "2023-05-10"),
        ("i", "2023-04-02", None),
        ("h", "2023-04-20", None),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date"])
    df["start_date"] = pd.to_datetime(df["start_date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    df["churned"] = df["end_date"].notna()
    return df


def _rows(table: pd.DataFrame) -> dict:
    return {c: [v for v in row if not np.isnan(v)] for c, row in zip(table.index, table.to_numpy())}


def test_cohort_table_by_hand_monthly():
    df = _tiny_customers()
    # as_of mid-April: January's latest starter (c, 31 Jan) has completed 2 months (28 Feb,
    # 31 Mar); e is lost at 3 and f's May end has not happened yet
    t = cohort_table(df, as_of="2023-04-15", observed_from="2023-01-01")
    assert list(t.columns) == [0, 1, 2] and t.dtypes.eq(float).all()
    assert t.index.name == "cohort" and t.columns.name == "age"
    assert _rows(t) == {"2023-01": [4, 2, 1], "2023-02": [1, 1, 1], "2023-03": [1, 1],
                        "2023-04": [1]}
    assert np.isnan(t.loc["2023-03", 2])
    a = t.attrs
    assert a["ages"] == {"2023-01": 2, "2023-02": 2, "2023-03": 1, "2023-04": 0}
    assert a["left_out_before_window"] == 1 and a["left_out_after_as_of"] == 1
    assert a["customers"] == 7
    # as_of on 30 April: c completes its third month; h (started 20 April) is in
    t = cohort_table(df, as_of="2023-04-30", observed_from="2023-01-01")
    assert _rows(t) == {"2023-01": [4, 2, 1, 1], "2023-02": [1, 1, 1], "2023-03": [1, 1],
                        "2023-04": [2]}
    # without a window start, December's cohort is used
    t = cohort_table(df, as_of="2023-04-30")
    assert _rows(t)["2022-12"] == [1, 1, 1, 1, 1] and t.attrs["left_out_before_window"] == 0
    # observed_from inside a month drops that month's cohort (it is left-truncated too)
    t = cohort_table(df, as_of="2023-04-30", observed_from="2023-01-15")
    assert list(t.index) == ["2023-02", "2023-03", "2023-04"]
    assert t.attrs["left_out_before_window"] == 5


def test_cohort_table_by_hand_quarterly_and_yearly():
    df = _tiny_customers()
    t = cohort_table(df, period="quarter", as_of="2023-06-30", observed_from="2023-01-01")
    # Q1: a b c d e f, all but a gone before their first quarterly anniversary
    assert _rows(t) == {"2023Q1": [6, 1], "2023Q2": [2]}
    t = cohort_table(df, period="quarter", as_of="2023-05-15", observed_from="2023-01-01")
    assert _rows(t) == {"2023Q1": [6], "2023Q2": [2]}  # f (3 March) has not completed a quarter
    t = cohort_table(df, period="year", as_of="2023-12-31")
    assert _rows(t) == {"2022": [1, 1], "2023": [8]}


def test_cohort_table_ages_by_renewal_not_by_calendar_period():
    """Annual contracts all starting on 1 January (the defect of issue 11): churn in the
    first contract year is lost at age 1, churn in the second at age 2, never merged."""
    start = pd.Timestamp("2020-01-01")
    ends = ["2020-03-31"] * 30 + ["2020-12-31"] * 10 + ["2021-01-01"] * 5 + ["2021-06-30"] * 20 \
        + ["2022-02-01"] * 5 + [None] * 30
    df = pd.DataFrame({"start_date": start, "end_date": pd.to_datetime(ends)})
    t = cohort_table(df, period="year", as_of="2022-01-01")
    # 40 leave in 2020 (age 1), 5 end on the first anniversary itself (not renewed: age 1),
    # 20 in 2021 (age 2); the 5 who leave in 2022 are after as_of
    assert _rows(t) == {"2020": [100, 55, 35]}
    assert t.attrs["ages"] == {"2020": 2}
    # one day before the second anniversary, year 2 is not complete: truncated at age 1
    assert _rows(cohort_table(df, period="year", as_of="2021-12-31")) == {"2020": [100, 55]}
    # a customer who joins later in the same year makes the cohort wait for their anniversary
    late = pd.concat([df, pd.DataFrame({"start_date": [pd.Timestamp("2020-07-01")],
                                        "end_date": [pd.NaT]})], ignore_index=True)
    assert _rows(cohort_table(late, period="year", as_of="2022-01-01")) == {"2020": [101, 56]}


def test_cohort_table_bad_input():
    df = _tiny_customers()
    with pytest.raises(DataError, match=r"period must be one of \['month', 'quarter', 'year'\]"):
        cohort_table(df, period="week", as_of="2023-04-30")
    with pytest.raises(DataError, match="no column.*'end_date'"):
        cohort_table(df.drop(columns="end_date"), as_of="2023-04-30")
    with pytest.raises(DataError, match="no cohort in the window"):
        cohort_table(df, as_of="2023-04-30", observed_from="2023-06-01")
    with pytest.raises(DataError, match="no cohort in the window"):
        cohort_table(df, as_of="2020-01-31")
    bad = df.copy()
    bad.loc[1, "end_date"] = pd.Timestamp("2022-12-31")
    with pytest.raises(DataError, match="1 customer\\(s\\) have 'end_date' before 'start_date'"):
        cohort_table(bad, as_of="2023-04-30")
    with pytest.raises(DataError, match="as_of"):
        cohort_table(df, as_of="not a date")


# --------------------------------------------------------------------------- sBG projection

SBG_TRUE = {"alpha": 0.8, "beta": 2.5}


@pytest.fixture(scope="module")
def sbg_customers():
    """20 monthly cohorts (2022-01..2023-08) of 2000 customers with sBG lifetimes.

    theta ~ Beta(0.8, 2.5); a customer starts on day 1-28 of their cohort's month and
    renews T - 1 times, T ~ Geometric(theta): they leave within their T-th month, on one
    of the 28 days up to their T-th monthly anniversary (start + T months). Ends after
    June 2024 are not in the data yet (NaT). Returns the customers and, per cohort, the
    true survivors S_c(t) = #(T > t) up to the age its latest starter reaches by 31 Aug 2023.
    """
    rng = np.random.default_rng(2007)
    n, n_coh = 2000, 20
    c = np.repeat(np.arange(n_coh), n)
    life = rng.geometric(rng.beta(SBG_TRUE["alpha"], SBG_TRUE["beta"], c.size))
    months = pd.date_range("2022-01-01", periods=40, freq="MS")
    day = pd.to_timedelta(rng.integers(0, 28, c.size), "D")
    end = np.full(c.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    seen = c + life < 30
    early = pd.to_timedelta(rng.integers(0, 28, c.size), "D")  # days before the anniversary
    end[seen] = (months[c[seen] + life[seen]] + day[seen] - early[seen]).to_numpy()
    df = pd.DataFrame({"start_date": months[c] + day, "end_date": end})
    truth = [[(life[c == k] > t).sum() for t in range(n_coh - k)] for k in range(n_coh)]
    return df, truth


def test_cohort_table_matches_simulated_lifetimes(sbg_customers):
    df, truth = sbg_customers
    t = cohort_table(df, as_of="2023-08-31")
    assert t.shape == (20, 20) and t.index[0] == "2022-01" and t.index[-1] == "2023-08"
    assert list(_rows(t).values()) == truth


def test_sbg_projection_recovers_simulated_parameters(sbg_customers):
    df, _ = sbg_customers
    proj = sbg_projection(cohort_table(df, as_of="2023-08-31"), fit_periods=6)
    assert isinstance(proj, SBGProjection) and proj.period == "month"
    assert proj.fit.converged and proj.fit.n_periods == 6
    assert proj.fit.alpha == pytest.approx(SBG_TRUE["alpha"], rel=0.15)
    assert proj.fit.beta == pytest.approx(SBG_TRUE["beta"], rel=0.15)
    tab = proj.table
    assert list(tab.index) == list(range(20))
    assert tab["held_out"].tolist() == [False] * 7 + [True] * 13
    assert tab["cohorts"].tolist() == list(range(20, 0, -1))
    assert tab["customers"].tolist() == [2000.0 * k for k in range(20, 0, -1)]
    assert tab.loc[0, "actual"] == 1.0 and tab.loc[0, "projected"] == pytest.approx(1.0)
    np.testing.assert_allclose(tab["actual"], tab["actual_alive"] / tab["customers"])
    np.testing.assert_allclose(tab["projected_alive"], tab["customers"] * tab["projected"])
    h = tab[tab["held_out"]]
    assert proj.mape == pytest.approx(np.mean(np.abs(h["projected"] / h["actual"] - 1)))
    assert proj.mape < 0.05
    # DERL at 10% a year, monthly periods
    d = 1.1 ** (1 / 12) - 1
    assert proj.discount_rate(0.10) == pytest.approx(d)
    assert per_period_discount(0.10, 4) == pytest.approx(1.1 ** 0.25 - 1)
    assert proj.derl(0.10) == pytest.approx(proj.fit.discounted_expected_residual_lifetime(d, 1))
    ax = sbg_projection_plot(proj, ax=plt.subplots()[1])
    assert ax.get_xlabel().startswith("periods since acquisition")
    assert ax.get_ylabel() == "share still active"
    assert ax.get_legend() is not None and len(ax.lines) >= 2


def test_sbg_projection_bad_input():
    df = _tiny_customers()
    t = cohort_table(df, as_of="2023-04-30", observed_from="2023-01-01")
    with pytest.raises(DataError, match="fit_periods must be a whole number >= 1"):
        sbg_projection(t, fit_periods=0)
    only_new = cohort_table(df, period="quarter", as_of="2023-05-15", observed_from="2023-01-01")
    with pytest.raises(DataError, match="no cohort observed past its first period"):
        sbg_projection(only_new, fit_periods=1)
    calm = pd.DataFrame([[100.0, 100, 100, 90], [50.0, 50, np.nan, np.nan]])
    with pytest.raises(DataError, match="no customer churned"):
        sbg_projection(calm, fit_periods=2)
    with pytest.raises(DataError, match="ages 0, 1, 2"):
        sbg_projection(t.rename(columns={0: "n0"}), fit_periods=1)
    # everything calibrates, nothing is held out: no MAPE
    p = sbg_projection(t, fit_periods=5)
    assert not p.table["held_out"].any() and np.isnan(p.mape)
    with pytest.raises(DataError, match="periods_per_year"):
        sbg_projection(pd.DataFrame([REGULAR[:8]]), fit_periods=7).discount_rate(0.1)



# --------------------------------------------------------------------------- maximise

def test_maximise_reports_failures():
    _, _, ok, attempts = maximise(lambda x: np.inf, np.zeros(2))
    assert not ok and len(attempts) == 2
    assert attempts[0].startswith("BFGS: stopped (non-finite log-likelihood")
    assert attempts[1].startswith("Nelder-Mead from the starting values: stopped")
    x, ll, ok, attempts = maximise(lambda x: float(np.sum((x - 1.0) ** 2)), np.zeros(2))
    assert ok and attempts == ["BFGS: converged"]
    np.testing.assert_allclose(x, np.e, rtol=1e-6)



# --------------------------------------------------------------------------- projection error

def _projection(actual, fit_periods=3) -> SBGProjection:
    """A projection whose pooled actual survival is ``actual`` (ages 0..), fitted elsewhere."""
    fit = SBGResult(alpha=1.0, beta=3.0, loglik=np.nan, n_periods=fit_periods, converged=True)
    t = np.arange(len(actual))
    s = fit.survival(t)
    table = pd.DataFrame({"actual": actual, "projected": s, "held_out": t > fit_periods},
                         index=pd.Index(t, name="age"))
    h = table[table["held_out"]]
    return SBGProjection(fit=fit, fit_periods=fit_periods, table=table,
                         mape=float(np.mean(np.abs(h["projected"] - h["actual"]) / h["actual"])),
                         period="quarter")


def test_projection_bias_and_drift():
    s = SBGResult(alpha=1.0, beta=3.0, loglik=np.nan, n_periods=3, converged=True).survival(np.arange(9))
    # fewer survivors than projected at every held-out age, 2% then 4%, 6%, 5%, 9%: over, growing
    gap = np.array([0, 0, 0, 0, 0.02, 0.04, 0.06, 0.05, 0.09])
    p = _projection(s * (1 - gap))
    e = p.holdout_errors
    assert e.index.tolist() == [4, 5, 6, 7, 8]
    np.testing.assert_allclose(e, -gap[4:] / (1 - gap[4:]))
    assert p.bias == pytest.approx(e.mean()) and p.bias == pytest.approx(-p.mape)
    assert p.drift == "over"   # 7 dips, but the later half (7, 8) errs more than the earlier (4, 5)
    assert _projection(s * (1 + gap)).drift == "under"
    # one-signed but shrinking; mixed signs; a single held-out age: no drift
    assert _projection(s * (1 - gap[::-1] * (np.arange(9) > 3))).drift is None
    mixed = _projection(s * (1 + np.array([0, 0, 0, 0, 0.02, -0.04, 0.06, -0.05, 0.09])))
    assert mixed.drift is None and abs(mixed.bias) < mixed.mape
    assert _projection(s[:5] * 0.9).drift is None
    calm = _projection(s[:4], fit_periods=3)
    assert len(calm.holdout_errors) == 0 and np.isnan(calm.bias) and calm.drift is None
