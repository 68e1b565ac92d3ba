"""Tests of churnlab.clv against the published Fader-Hardie estimates."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, hyp2f1

from churnlab.clv.models import _maximise
from churnlab.errors import DataError
from churnlab.clv import (BGNBDResult, BGNBDStudy, GammaGammaResult,
                                       SBGProjection, SBGResult,
                                       alive_vs_inactivity, bgnbd_clv, bgnbd_holdout_plot,
                                       bgnbd_study, cohort_table, fit_bgnbd, fit_gamma_gamma,
                                       fit_sbg, fit_sbg_cohorts, per_period_discount,
                                       rfm_summary, sbg_projection, sbg_projection_plot)

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


# --------------------------------------------------------------------------- convergence reporting

def test_fits_report_what_the_optimiser_tried(cdnow_fit):
    for fit in (fit_sbg(REGULAR[:8]), cdnow_fit):
        assert fit.attempts and fit.attempts[0].startswith("BFGS: ")
        assert fit.attempts[-1].endswith("converged") == fit.converged
        if len(fit.attempts) == 2:  # BFGS stopped short; Nelder-Mead took over from there
            assert fit.attempts[0].startswith("BFGS: stopped (")
            assert fit.attempts[1].startswith("Nelder-Mead from its end point: ")
    # the default keeps hand-made results working
    assert SBGResult(alpha=1, beta=1, loglik=0, n_periods=1, converged=True).attempts == []


def test_maximise_reports_failures():
    _, _, ok, attempts = _maximise(lambda x: np.inf, np.zeros(2))
    assert not ok and len(attempts) == 2
    assert attempts[0].startswith("BFGS: stopped (non-finite log-likelihood")
    assert attempts[1].startswith("Nelder-Mead from the starting values: stopped")
    x, ll, ok, attempts = _maximise(lambda x: float(np.sum((x - 1.0) ** 2)), np.zeros(2))
    assert ok and attempts == ["BFGS: converged"]
    np.testing.assert_allclose(x, np.e, rtol=1e-6)


# --------------------------------------------------------------------------- cohort_table

def _tiny_customers() -> pd.DataFrame:
    rows = [  # id, start, end
        ("g", "2022-12-15", None),          # before observed_from = 2023-01-01
        ("a", "2023-01-10", None),
        ("b", "2023-01-20", "2023-01-25"),  # leaves in its acquisition month: lost at t = 1
        ("c", "2023-01-31", "2023-02-28"),  # leaves on the last day of Feb: lost at t = 1
        ("d", "2023-01-05", "2023-03-01"),  # active at the end of Feb, lost at t = 2
        ("e", "2023-02-14", "2023-04-15"),
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
    # as_of mid-April: the last complete month is March; f's May end has not happened yet
    t = cohort_table(df, as_of="2023-04-15", observed_from="2023-01-01")
    assert list(t.columns) == [0, 1, 2] and t.dtypes.eq(float).all()
    assert t.index.name == "cohort" and t.columns.name == "age"
    assert _rows(t) == {"2023-01": [4, 2, 1], "2023-02": [1, 1], "2023-03": [1], "2023-04": [1]}
    assert np.isnan(t.loc["2023-02", 2])
    a = t.attrs
    assert a["last_complete_period"] == "2023-03"
    assert a["left_out_before_window"] == 1 and a["left_out_after_as_of"] == 1
    assert a["customers"] == 7
    assert any("still being acquired" in n for n in a["notes"])
    # as_of on the last day of April: April is complete, h (started 20 April) is in
    t = cohort_table(df, as_of="2023-04-30", observed_from="2023-01-01")
    assert _rows(t) == {"2023-01": [4, 2, 1, 1], "2023-02": [1, 1, 0], "2023-03": [1, 1],
                        "2023-04": [2]}
    assert t.attrs["last_complete_period"] == "2023-04"
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
    # Q1: a b c d e f; at the end of Q2 only a is left (e left in April, f in May)
    assert _rows(t) == {"2023Q1": [6, 1], "2023Q2": [2]}
    t = cohort_table(df, period="quarter", as_of="2023-05-15", observed_from="2023-01-01")
    assert _rows(t) == {"2023Q1": [6], "2023Q2": [2]}  # Q2 incomplete: nobody is past age 0
    t = cohort_table(df, period="year", as_of="2023-12-31")
    assert _rows(t) == {"2022": [1, 1], "2023": [8]}


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

    theta ~ Beta(0.8, 2.5); a customer is lost in month (cohort + T), T ~ Geometric(theta),
    on a random day of that month; ends after June 2024 are not in the data yet (NaT).
    Returns the customers and, per cohort, the true survivors S_c(t) = #(T > t).
    """
    rng = np.random.default_rng(2007)
    n, n_coh = 2000, 20
    c = np.repeat(np.arange(n_coh), n)
    life = rng.geometric(rng.beta(SBG_TRUE["alpha"], SBG_TRUE["beta"], c.size))
    months = pd.date_range("2022-01-01", periods=40, freq="MS")

    def some_day(month_no):
        return months[month_no] + pd.to_timedelta(rng.integers(0, 28, month_no.size), "D")

    end = np.full(c.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    seen = c + life < 30
    end[seen] = some_day(c[seen] + life[seen])
    df = pd.DataFrame({"start_date": some_day(c), "end_date": end})
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


# --------------------------------------------------------------------------- BG/NBD study

BGNBD_TRUE = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
DAY0 = pd.Timestamp("2023-01-02")
AS_OF = DAY0 + pd.Timedelta(days=52 * 7 - 1)  # 52 calibration weeks, then 26 holdout weeks


@pytest.fixture(scope="module")
def bgnbd_tx() -> pd.DataFrame:
    """8000 BG/NBD customers (weeks), first purchases spread over the first 12 weeks.

    lambda ~ Gamma(r, alpha), p ~ Beta(a, b); Poisson purchases, a drop-out coin after each
    repeat purchase; purchase times floored to days over 52 + 26 weeks.
    """
    rng = np.random.default_rng(2005)
    n, end = 8000, 78.0
    lam = rng.gamma(BGNBD_TRUE["r"], 1 / BGNBD_TRUE["alpha"], n)
    p = rng.beta(BGNBD_TRUE["a"], BGNBD_TRUE["b"], n)
    t = rng.integers(0, 12 * 7, n) / 7.0
    cust, times = [np.arange(n)], [t.copy()]
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1 / lam[idx])
        alive[idx[t[idx] >= end]] = False
        idx = idx[t[idx] < end]
        cust.append(idx)
        times.append(t[idx])
        alive[idx[rng.random(idx.size) < p[idx]]] = False
    days = np.floor(np.concatenate(times) * 7).astype(int)
    return pd.DataFrame({"customer_id": np.concatenate(cust),
                         "date": DAY0 + pd.to_timedelta(days, "D")})


@pytest.fixture(scope="module")
def study(bgnbd_tx) -> BGNBDStudy:
    return bgnbd_study(bgnbd_tx, as_of=AS_OF, unit="W")


def test_bgnbd_study_recovers_simulated_parameters(study):
    f = study.fit
    assert f.converged
    # tolerances hold over 20 seeds of this simulation (worst: r 6%, alpha 13%, a 12%, b 19%,
    # mean drop-out a / (a + b) 6%): a and b are the least well identified
    for name, rel in [("r", 0.15), ("alpha", 0.15), ("a", 0.15), ("b", 0.25)]:
        assert getattr(f, name) == pytest.approx(BGNBD_TRUE[name], rel=rel), name
    t = BGNBD_TRUE
    assert f.a / (f.a + f.b) == pytest.approx(t["a"] / (t["a"] + t["b"]), rel=0.10)
    assert study.holdout_days == 182 and study.horizon == pytest.approx(26.0)
    assert study.new_after_as_of == 0
    # the holdout check: totals and FHL Figure 4 by calibration frequency
    assert study.predicted_total == pytest.approx(study.actual_total, rel=0.10)
    s = study.summary
    assert study.actual_total == s["actual_purchases"].sum()
    np.testing.assert_allclose(s["expected_holdout"], s["expected_purchases"])
    bf = study.by_frequency
    assert list(bf.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert bf["customers"].sum() == len(s)
    assert bf.loc["7+", "customers"] == (s["frequency"] >= 7).sum()
    assert bf.loc["0", "actual"] == s.loc[s["frequency"] == 0, "actual_purchases"].mean()
    big = bf[bf["customers"] >= 200]
    np.testing.assert_allclose(big["expected"], big["actual"], rtol=0.15)
    assert s["p_alive"].between(0, 1).all() and (s.loc[s["frequency"] == 0, "p_alive"] == 1).all()
    ax = bgnbd_holdout_plot(study, ax=plt.subplots()[1])
    assert len(ax.lines) == 2 and ax.get_legend() is not None


def test_bgnbd_study_holdout_counts_days_and_skips_new_customers(bgnbd_tx):
    extra = pd.DataFrame({"customer_id": ["x"] * 6 + ["new", "new"], "date": pd.to_datetime([
        "2023-03-01", "2023-06-01",                              # calibration: frequency 1
        "2024-02-01 09:00", "2024-02-01 17:30", "2024-02-01",    # three on one holdout day
        "2024-03-15",
        "2024-02-10", "2024-03-01"], format="ISO8601")})         # first buys after as_of
    tx = pd.concat([bgnbd_tx, extra], ignore_index=True)
    st = bgnbd_study(tx, as_of=AS_OF, unit="W", horizon=13)
    assert st.summary.loc["x", "frequency"] == 1
    assert st.summary.loc["x", "actual_purchases"] == 2
    assert "new" not in st.summary.index and st.new_after_as_of == 1
    assert st.actual_total == st.summary["actual_purchases"].sum()
    # an explicit horizon: expected_purchases covers it, the holdout check keeps 26 weeks
    assert st.horizon == 13.0 and st.holdout_days == 182
    x = st.summary.loc["x"]
    assert x["expected_purchases"] == pytest.approx(
        st.fit.expected_purchases(13, x["frequency"], x["recency"], x["T"]))
    assert x["expected_holdout"] > x["expected_purchases"]


def test_bgnbd_study_without_holdout(bgnbd_tx):
    st = bgnbd_study(bgnbd_tx[bgnbd_tx["date"] <= AS_OF], as_of=AS_OF, unit="D")
    assert st.holdout_days == 0 and st.by_frequency is None
    assert st.horizon == 182.0 and np.isnan(st.actual_total)
    assert "actual_purchases" not in st.summary
    assert st.predicted_total == pytest.approx(st.summary["expected_purchases"].sum())
    ax = bgnbd_holdout_plot(st)
    assert "predicted only" in ax.get_title() and len(ax.lines) == 1


def test_bgnbd_study_needs_repeat_buyers():
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 3],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01 18:00", "2024-01-03",
                                               "2024-02-01"], format="ISO8601")})
    with pytest.raises(DataError, match="no customer bought on two different days up to as_of"):
        bgnbd_study(tx, as_of="2024-01-31")


def test_alive_vs_inactivity(study):
    s = study.summary
    silent = (AS_OF - s["last_purchase"]).dt.days >= 182  # the 26-week inactivity rule
    out = alive_vs_inactivity(study, silent)
    assert list(out.index) == ["churned", "active"]
    assert list(out["customers"].columns) == ["<0.25", "0.25-0.5", "0.5-0.75", ">=0.75"]
    band = pd.cut(s["p_alive"], [0, 0.25, 0.5, 0.75, np.inf], right=False,
                  labels=["<0.25", "0.25-0.5", "0.5-0.75", ">=0.75"])
    expected = pd.crosstab(silent.map({True: "churned", False: "active"}), band)
    expected.columns = expected.columns.astype(str)
    pd.testing.assert_frame_equal(out["customers"], expected.loc[["churned", "active"]],
                                  check_names=False, check_dtype=False)
    bought = s["actual_purchases"] > 0
    cell = silent & (band == ">=0.75")
    assert out.loc["churned", ("bought_again", ">=0.75")] == pytest.approx(bought[cell].mean())
    # one-time buyers keep P(alive) = 1 even when the inactivity rule calls them churned
    assert out.loc["churned", ("customers", ">=0.75")] >= (silent & (s["frequency"] == 0)).sum() > 0
    # both rules agree on who is gone: the low-P(alive) churned rarely come back
    assert out.loc["churned", ("bought_again", "<0.25")] < out.loc["active", ("bought_again", ">=0.75")]
    part = alive_vs_inactivity(study, silent.iloc[:100].rename(lambda i: i))
    assert part["customers"].to_numpy().sum() == 100 and part.attrs["left_out_no_label"] == len(s) - 100
    with pytest.raises(DataError, match="no customer id in labels"):
        alive_vs_inactivity(study, pd.Series([True], index=["nobody"]))
    with pytest.raises(DataError, match="Series"):
        alive_vs_inactivity(study, silent.to_numpy())


# --------------------------------------------------------------------------- Gamma-Gamma

CDNOW_CAL_END = pd.Timestamp("1997-09-30")  # 39 weeks from 1 January 1997


@pytest.fixture(scope="module")
def cdnow_money() -> pd.DataFrame:
    """lifetimes' CDNOW summary: ID, x, t_x, T (weeks) and zbar (m_x, rounded to cents)."""
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def cdnow_unrounded(cdnow_money) -> pd.DataFrame:
    """(x, m_x) per customer from the raw CDNOW 1/10th sample, m_x not rounded.

    Hardie's RFM convention: purchases on the same day are one transaction (their
    values summed); the first day is dropped; calibration = 1997-01-01..1997-09-30.
    """
    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "ID", "date", "cds", "value"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    cal = raw[raw["date"] <= CDNOW_CAL_END].groupby(["ID", "date"], as_index=False)["value"].sum()
    repeat = cal[cal["date"] > cal.groupby("ID")["date"].transform("min")]
    g = repeat.groupby("ID")["value"]
    ids = cdnow_money["ID"]
    return pd.DataFrame({"x": g.size().reindex(ids, fill_value=0).to_numpy(),
                         "m_x": g.mean().reindex(ids, fill_value=0.0).to_numpy()}, index=ids)


def test_gamma_gamma_reproduces_fader_hardie_2013(cdnow_money, cdnow_unrounded):
    u = cdnow_unrounded
    # the derivation agrees with lifetimes' published summary (which rounds m_x to cents)
    np.testing.assert_array_equal(u["x"], cdnow_money["x"])
    np.testing.assert_allclose(u["m_x"], cdnow_money["zbar"], atol=0.005 + 1e-9)
    fit = fit_gamma_gamma(u["x"], u["m_x"])
    assert isinstance(fit, GammaGammaResult) and fit.converged
    assert fit.n_customers == 946
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p, q, gamma.
    assert round(fit.p, 2) == 6.25
    assert round(fit.q, 2) == 3.74
    assert round(fit.gamma, 2) == 15.44
    # the maximum reached here; CLVTools' test of the same fit expects -4055.9177
    assert fit.loglik == pytest.approx(-4055.9177, abs=1e-3)
    assert fit.mean_spend == pytest.approx(fit.p * fit.gamma / (fit.q - 1))
    # E(M) at this fit (not a published figure; 35.22 at the rounded 6.25, 3.74, 15.44);
    # the 946 observed m_x average 35.08
    assert round(fit.mean_spend, 2) == 35.17
    assert u.loc[u["x"] > 0, "m_x"].mean() == pytest.approx(35.08, abs=0.005)


def test_gamma_gamma_on_the_rounded_lifetimes_summary(cdnow_money):
    d = cdnow_money
    fit = fit_gamma_gamma(d["x"], d["zbar"])
    assert fit.converged and fit.n_customers == 946
    # m_x rounded to cents moves gamma along a flat ridge of the likelihood: 15.45, as in
    # the lifetimes documentation ("p: 6.25, q: 3.74, v: 15.45"), not the published 15.44
    assert (round(fit.p, 2), round(fit.q, 2), round(fit.gamma, 2)) == (6.25, 3.74, 15.45)
    # customer 1: x = 2, m_x = 22.35 -> (gamma + 2 * 22.35) p / (2 p + q - 1)
    x, m = 2, 22.35
    assert d.loc[0, "x"] == x and d.loc[0, "zbar"] == m
    hand = (fit.gamma + m * x) * fit.p / (fit.p * x + fit.q - 1)
    got = fit.conditional_expected_spend(d["x"], d["zbar"])
    assert got[0] == pytest.approx(hand, rel=1e-12)
    assert got[0] == pytest.approx(24.6586, abs=1e-3)  # lifetimes docs: 24.658619
    # a weighted average of the population mean and the customer's own mean
    w = fit.p * x / (fit.p * x + fit.q - 1)
    assert got[0] == pytest.approx((1 - w) * fit.mean_spend + w * m, rel=1e-12)
    # no repeat purchase: the population mean, whatever monetary_value says
    zero = (d["x"] == 0).to_numpy()
    np.testing.assert_allclose(got[zero], fit.mean_spend, rtol=1e-12)
    assert fit.conditional_expected_spend([0, 0], [0.0, np.nan]) == pytest.approx(
        [fit.mean_spend] * 2)
    # more transactions pull the estimate towards the customer's own average
    e = fit.conditional_expected_spend([1, 5, 50], [100.0] * 3)
    assert np.all(np.diff(e) > 0) and e[-1] < 100


def test_gamma_gamma_bad_input():
    with pytest.raises(DataError, match="no customer has a repeat transaction"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(DataError, match="zero or negative for 2 repeat buyer"):
        fit_gamma_gamma([1, 2, 3], [10.0, 0.0, -5.0])
    with pytest.raises(DataError, match="same length"):
        fit_gamma_gamma([1, 2, 3], [10.0, 12.0])
    with pytest.raises(DataError, match="missing or infinite for 1 repeat buyer"):
        fit_gamma_gamma([1, 2], [10.0, np.nan])
    with pytest.raises(DataError, match="frequency must be finite"):
        fit_gamma_gamma([1, np.inf], [10.0, 12.0])
    with pytest.raises(DataError, match="non-negative whole number"):
        fit_gamma_gamma([1, 1.5], [10.0, 12.0])
    heavy = GammaGammaResult(p=2.0, q=0.8, gamma=10.0, loglik=0.0, converged=True)
    with pytest.raises(DataError, match="q <= 1"):
        heavy.mean_spend
    with pytest.raises(DataError, match="q <= 1"):
        heavy.conditional_expected_spend([0], [0.0])
    assert heavy.conditional_expected_spend([3], [20.0])[0] == pytest.approx(
        (10 + 60) * 2 / (6 + 0.8 - 1))


# ----------------------------------------------------------------- BG/NBD x Gamma-Gamma CLV

# FHL (2005) BG/NBD and Fader & Hardie (2013) Gamma-Gamma estimates for CDNOW, by hand
BG = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, loglik=0.0, converged=True)
GG = GammaGammaResult(p=6.25, q=3.74, gamma=15.44, loglik=0.0, converged=True)


def _hand_expected_purchases(t, x, t_x, T):
    """FHL (2005) eq. (10), written out again for the test."""
    r, al, a, b = BG.r, BG.alpha, BG.a, BG.b
    core = (a + b + x - 1) / (a - 1) * (
        1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1,
                                                           t / (al + T + t)))
    odds = a / (b + x - 1) * ((al + T) / (al + t_x)) ** (r + x) if x > 0 else 0.0
    return core / (1 + odds)


def test_bgnbd_clv_by_hand():
    x, t_x, T, m = [2, 0], [30.43, 0.0], [38.86, 32.0], [22.35, 0.0]
    L, d, margin = 4.345, 0.01, 0.3
    got = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=margin, periods=3, period_length=L,
                    discount_rate=d)
    spend = [(15.44 + 2 * 22.35) * 6.25 / (2 * 6.25 + 3.74 - 1), 6.25 * 15.44 / (3.74 - 1)]
    for i in range(2):
        e = [_hand_expected_purchases(k * L, x[i], t_x[i], T[i]) for k in (1, 2, 3)]
        hand = margin * spend[i] * (e[0] / 1.01 + (e[1] - e[0]) / 1.01 ** 2
                                    + (e[2] - e[1]) / 1.01 ** 3)
        assert got[i] == pytest.approx(hand, rel=1e-10)
    # no discounting, one period: margin * E(M) * E[X(L)]
    one = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=margin, periods=1, period_length=L,
                    discount_rate=0.0)
    expected = [margin * spend[i] * _hand_expected_purchases(L, x[i], t_x[i], T[i])
                for i in range(2)]
    np.testing.assert_allclose(one, expected, rtol=1e-10)
    # and without discounting the periods add up to E[X(periods * L)]
    flat = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=1.0, periods=12, period_length=L,
                     discount_rate=0.0)
    np.testing.assert_allclose(flat, GG.conditional_expected_spend(x, m)
                               * BG.expected_purchases(12 * L, x, t_x, T), rtol=1e-10)


def test_bgnbd_clv_on_cdnow(cdnow_money):
    d = cdnow_money
    args = (BG, GG, d["x"], d["t_x"], d["T"], d["zbar"])
    kw = dict(margin_rate=0.3, period_length=365.25 / 12 / 7, discount_rate=0.01)
    year = bgnbd_clv(*args, periods=12, **kw)
    assert year.shape == (len(d),) and np.all(year > 0)
    assert np.all(bgnbd_clv(*args, periods=24, **kw) > year)          # longer horizon
    assert np.all(bgnbd_clv(*args, periods=12, **{**kw, "discount_rate": 0.02}) < year)
    # frequent, recent buyers are worth more than one-off buyers
    assert year[(d["x"] >= 5).to_numpy()].mean() > 5 * year[(d["x"] == 0).to_numpy()].mean()


def test_bgnbd_clv_bad_input():
    ok = dict(margin_rate=0.3, periods=12, period_length=4.345, discount_rate=0.01)
    data = ([1, 0], [5.0, 0.0], [30.0, 20.0], [12.0, 0.0])
    for bad, match in [({"margin_rate": 0.0}, "margin_rate"),
                       ({"margin_rate": 1.5}, "margin_rate"),
                       ({"periods": 0}, "periods"), ({"periods": 2.5}, "periods"),
                       ({"period_length": -1.0}, "period_length"),
                       ({"discount_rate": -0.1}, "discount_rate"),
                       ({"discount_rate": float("nan")}, "discount_rate")]:
        with pytest.raises(DataError, match=match):
            bgnbd_clv(BG, GG, *data, **{**ok, **bad})
    with pytest.raises(DataError, match="recency must be between 0 and T"):
        bgnbd_clv(BG, GG, [1, 0], [40.0, 0.0], [30.0, 20.0], [12.0, 0.0], **ok)
    with pytest.raises(DataError, match="same length"):
        bgnbd_clv(BG, GG, [1, 0], [5.0], [30.0, 20.0], [12.0, 0.0], **ok)
    with pytest.raises(DataError, match="zero or negative"):
        bgnbd_clv(BG, GG, [1, 0], [5.0, 0.0], [30.0, 20.0], [0.0, 0.0], **ok)
