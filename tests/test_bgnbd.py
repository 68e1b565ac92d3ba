"""Tests of churnlab.clv.bgnbd against Fader, Hardie & Lee (2005) and simulated data."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from churnlab.errors import DataError
from churnlab.clv import (BGNBDResult, BGNBDStudy, SBGResult, alive_vs_inactivity,
                          bgnbd_holdout_plot, bgnbd_study, fit_bgnbd, fit_sbg, rfm_summary)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow) -> BGNBDResult:
    return fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


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
    for fit in (fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241]), cdnow_fit):
        assert fit.attempts and fit.attempts[0].startswith("BFGS: ")
        assert fit.attempts[-1].endswith("converged") == fit.converged
        if len(fit.attempts) == 2:  # BFGS stopped short; Nelder-Mead took over from there
            assert fit.attempts[0].startswith("BFGS: stopped (")
            assert fit.attempts[1].startswith("Nelder-Mead from its end point: ")
    # the default keeps hand-made results working
    assert SBGResult(alpha=1, beta=1, loglik=0, n_periods=1, converged=True).attempts == []



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


