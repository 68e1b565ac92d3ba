"""The survival models (churnlab.survival) against hand, published and simulated answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import survival
from churnlab.units import calendar_months
from churnlab.errors import DataError


def _tiny():
    return pd.DataFrame({"duration": [1, 2, 2, 3, 4, 5], "event": [1, 1, 0, 1, 0, 1]})


def test_km_known_answer():
    s = survival.km_summary(_tiny(), horizons=(1, 2, 3, 5))
    # hand computation: S(1) = 5/6, S(2) = 5/6 * 4/5, S(3) = 4/6 * 2/3, S(5) = 0
    assert s.survival["survival"].tolist() == pytest.approx([5 / 6, 4 / 6, 4 / 9, 0.0])
    assert s.median == 3
    # RMST(5) = 1 + 5/6 + 4/6 + 2 * 4/9 (area under the step curve)
    assert s.rmst == pytest.approx(1 + 5 / 6 + 4 / 6 + 2 * 4 / 9)
    assert s.customers == 6 and s.churned == 4


def _leukemia():
    # Freireich et al. (1963) remission times in weeks, as in Kleinbaum & Klein,
    # "Survival Analysis: A Self-Learning Text", chapter 2 (log-rank chi-square 16.79)
    mp = [(6, 1), (6, 1), (6, 1), (7, 1), (10, 1), (13, 1), (16, 1), (22, 1), (23, 1), (6, 0),
          (9, 0), (10, 0), (11, 0), (17, 0), (19, 0), (20, 0), (25, 0), (32, 0), (32, 0), (34, 0),
          (35, 0)]
    placebo = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]
    rows = [("6-MP", t, e) for t, e in mp] + [("placebo", t, e) for t, e in placebo]
    return pd.DataFrame(rows, columns=["group", "duration", "event"])


def test_logrank_reproduces_the_textbook_value():
    res = survival.logrank(_leukemia(), column="group")
    assert res["statistic"] == pytest.approx(16.79, abs=0.01) and res["df"] == 1
    assert res["p_value"] < 1e-4


def test_km_by_segment_medians():
    t = survival.km_by_segment(_leukemia(), column="group", horizons=(10,), min_count=5).set_index("level")
    # textbook medians: placebo 8 weeks, 6-MP 23 weeks
    assert t.loc["placebo", "median"] == 8 and t.loc["6-MP", "median"] == 23
    assert t.loc["placebo", "S(10)"] == pytest.approx(8 / 21)


def test_no_events_is_a_clear_error():
    with pytest.raises(DataError, match="no churn events"):
        survival.km_summary(_tiny().assign(event=0))
    with pytest.raises(DataError, match="single level"):
        survival.logrank(_tiny().assign(group="a"), column="group")


def test_cox_reproduces_the_rossi_coefficients():
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    res = survival.cox_model(rossi, covariates=["fin", "age", "race", "wexp", "mar", "paro", "prio"],
                             duration="week", event="arrest")
    coef = dict(zip(res.hazard_ratios["term"], np.log(res.hazard_ratios["hr"])))
    # Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R" (2011), Rossi data
    published = {"fin": -0.379, "age": -0.057, "race": 0.314, "wexp": -0.150, "mar": -0.434,
                 "paro": -0.085, "prio": 0.091}
    for term, b in published.items():
        assert coef[term] == pytest.approx(b, abs=1e-3), term
    # the same source: age and wexp break proportional hazards
    assert "age" in res.ph_violations
    assert 0.6 < res.concordance < 0.7


def test_piecewise_hazard_is_events_over_exposure():
    t = survival.piecewise_hazard(_tiny(), breakpoints=[2, 4])
    # [0,2): events at 1 -> 1; exposure = 1+2+2+2+2+2 = 11
    # [2,4): events at 2, 3 -> 2; exposure = 0+0+0+1+2+2 = 5; [4,inf): event at 5; exposure 0+0+0+0+0+1
    assert t["events"].tolist() == [1, 2, 1]
    assert t["exposure"].tolist() == [11, 5, 1]
    assert t["hazard"].tolist() == pytest.approx([1 / 11, 2 / 5, 1.0])


def test_piecewise_hazard_shows_the_planted_contract_end_spike(tmp_path):
    from churnlab.collect import collect
    from churnlab.params import validate_params

    from .conftest import scenario_params

    p = validate_params(scenario_params("telecom", source={"n_customers": 4000}))
    a = collect(p, tmp_path / "data", with_snapshots=False).analysis
    h = survival.piecewise_hazard(a[a["plan"] == "one_year"], breakpoints=list(range(1, 37)))
    h = h.set_index("start")["hazard"]
    within = h.loc[[float(m) for m in range(2, 11)]].mean()
    # the simulator plants a spike in the month a 12-month term ends (ground truth: x12)
    assert h.loc[12.0] > 3 * within and h.loc[24.0] > 3 * within


# --------------------------------------------------------------------------- survival table


def test_survival_table_whole_periods_and_entry():
    a = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "start_date": pd.to_datetime(["2020-01-15", "2023-03-10", "2023-06-01", "2023-12-20",
                                      "2022-11-15"]),
        # a: active since 2020; b: left 2 months 10 days in; c: left exactly 12 months in;
        # d: joined 11 days before as_of (no time at risk); e: pre-window, left in the window
        "end_date": pd.to_datetime([None, "2023-05-20", "2024-06-01", None, "2023-02-01"]),
        "event": [0, 1, 1, 0, 1]})
    as_of = pd.Timestamp("2023-12-31")
    a["duration_days"] = ((a["end_date"].fillna(as_of) - a["start_date"]).dt.days).astype(float)
    a.loc[2, "duration_days"] = float((pd.Timestamp("2024-06-01") - a.loc[2, "start_date"]).days)
    st = survival.survival_table(a, unit="month", observed_from="2023-01-01").set_index("customer_id")
    assert st.attrs["dropped"] == 1 and "d" not in st.index
    assert st.loc["a", "duration"] == 47 and st.loc["a", "event"] == 0  # 47 complete months
    assert st.loc["a", "entry"] == 35                                   # 2020-01-15 .. 2022-12-15
    assert st.loc["b", "duration"] == 3 and st.loc["b", "entry"] == 0   # left in month 3
    assert st.loc["c", "duration"] == 12                                # exactly 12 months: month 12
    assert st.loc["e", "duration"] == 3 and st.loc["e", "entry"] == 1   # joined 1.5 months before
    assert st.attrs["left_truncated"] == 2


def test_survival_table_errors():
    a = pd.DataFrame({"duration_days": [10.0, 20.0], "event": [1, 0]})
    with pytest.raises(DataError, match="unit"):
        survival.survival_table(a, unit="fortnight")
    with pytest.raises(DataError, match="start_date"):
        survival.survival_table(a, observed_from="2020-01-01")
    with pytest.raises(DataError, match="duration_days"):
        survival.survival_table(a.assign(duration_days=[np.nan, 1.0]))


def test_exposure_rates_divide_by_time_observed():
    df = pd.DataFrame({"duration": [10.0, 4.0, 1.0], "entry": [5.0, 0.0, 0.0], "n_complaints": [5, 2, 1],
                       "n_returns": [1, 0, 0], "event": [1, 0, 0]})
    df.attrs["unit"] = "month"
    out = survival.exposure_rates(df)
    # 5 in 5 months observed; 2 in 4; 1 in 1 month counts over the 3-month floor
    assert out["n_complaints_per_month"].tolist() == [1.0, 0.5, 1 / 3]
    assert "n_returns" in out and "n_complaints" not in out
    assert out.attrs["renamed"] == {"n_complaints": "n_complaints_per_month"}


# --------------------------------------------------------------------------- left truncation


def _truncated_sample(n=4000, seed=1):
    """Exponential lifetimes (rate 0.05/month) with half the customers joining before the window."""
    rng = np.random.default_rng(seed)
    T = rng.exponential(1 / 0.05, n)
    entry = np.where(rng.random(n) < 0.5, rng.uniform(0, 40, n), 0.0)
    window = 36.0
    keep = T > entry  # those who left before the window are invisible
    T, entry = T[keep], entry[keep]
    end = entry + window
    return pd.DataFrame({"duration": np.minimum(T, end), "event": (T <= end).astype(int),
                         "entry": entry})


def test_km_with_entry_recovers_the_true_curve():
    df = _truncated_sample()
    s = survival.km_summary(df, entry="entry", horizons=(12, 24))
    truth = np.exp(-0.05 * np.array([12, 24]))
    np.testing.assert_allclose(s.survival["survival"], truth, atol=0.03)
    naive = survival.km_summary(df, horizons=(12, 24))
    assert (naive.survival["survival"] - truth).min() > 0.05  # ignoring entry is biased upwards


def test_schoenfeld_test_matches_lifelines_and_handles_entry():
    from lifelines import CoxPHFitter
    from lifelines.datasets import load_rossi
    from lifelines.statistics import proportional_hazard_test

    rossi = load_rossi()
    cph = CoxPHFitter().fit(rossi, "week", "arrest")
    ours = survival.schoenfeld_test(cph, rossi, duration="week", event="arrest").set_index("term")
    theirs = proportional_hazard_test(cph, rossi, time_transform="rank").summary
    np.testing.assert_allclose(ours.loc[theirs.index, "statistic"], theirs["test_statistic"], rtol=1e-8)
    # with entry times lifelines has no residuals; ours satisfy the score equation (sum to 0)
    rng = np.random.default_rng(3)
    r2 = rossi.assign(entry=np.minimum(rng.integers(0, 20, len(rossi)), rossi["week"] - 1))
    cph2 = CoxPHFitter().fit(r2, "week", "arrest", entry_col="entry")
    res = survival.schoenfeld_residuals(cph2, r2, duration="week", event="arrest", entry="entry")
    assert np.abs(res.drop(columns="_time").sum()).max() < 1e-4
    wrong = survival.schoenfeld_residuals(cph2, r2, duration="week", event="arrest")
    assert np.abs(wrong.drop(columns="_time").sum()).max() > 1


def test_logrank_with_entry_uses_the_cox_equivalent():
    df = _truncated_sample().assign(group=lambda d: np.where(d.index % 2 == 0, "a", "b"))
    res = survival.logrank(df, column="group", entry="entry")
    assert res["method"].startswith("Cox") and res["p_value"] > 0.01  # same hazard in both
    plain = survival.logrank(_leukemia(), column="group")
    assert plain["method"] == "log-rank"


# --------------------------------------------------------------------------- Cox, AFT, predictions


def _weibull_sample(n=3000, seed=7, shape=1.5, scale=20.0):
    """Weibull AFT lifetimes: log T = log(scale) - 0.5 x1 + 0.4 [grp=b] + eps/shape, censoring at 30."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    grp = rng.choice(["a", "b"], n)
    lin = np.log(scale) - 0.5 * x1 + 0.4 * (grp == "b")
    T = np.exp(lin) * rng.weibull(shape, n)
    C = rng.uniform(5, 30, n)
    return pd.DataFrame({"duration": np.minimum(T, C), "event": (T <= C).astype(int),
                         "x1": x1, "grp": grp, "customer_id": np.arange(n)})


def test_aft_models_pick_the_true_weibull_and_recover_its_coefficients():
    df = _weibull_sample()
    cmp = survival.aft_models(df, covariates=["x1", "grp"], reference={"grp": "a"})
    assert cmp.best == "Weibull"
    assert cmp.table["converged"].all()
    params = cmp.best_model.params_["lambda_"]
    assert params["x1"] == pytest.approx(-0.5, abs=0.05)
    assert params["grp=b"] == pytest.approx(0.4, abs=0.08)
    assert np.exp(cmp.best_model.params_["rho_"]["Intercept"]) == pytest.approx(1.5, rel=0.08)
    # Weibull AFT is also PH: the Cox hazard ratio of x1 is exp(0.5 * shape)
    cox = survival.cox_model(df, covariates=["x1", "grp"], reference={"grp": "a"})
    hr = cox.hazard_ratios.set_index("term")["hr"]
    assert hr["x1"] == pytest.approx(np.exp(0.5 * 1.5), rel=0.08)


def test_current_predictions_are_conditional_on_tenure():
    df = _weibull_sample()
    cmp = survival.aft_models(df, covariates=["x1", "grp"])
    p = survival.current_predictions(cmp.models["Weibull"], cmp.design, df, horizons=(6,), cap=60)
    assert len(p) == int((df["event"] == 0).sum())
    # by hand for one customer: 1 - S(t + 6) / S(t), Weibull S(t) = exp(-(t/lambda)^rho)
    m = cmp.models["Weibull"]
    row = df[df["event"] == 0].iloc[0]
    X = cmp.design.transform(df.loc[[row.name]])
    S = m.predict_survival_function(X, times=[row["duration"], row["duration"] + 6]).to_numpy()[:, 0]
    assert p.iloc[0]["p_churn_6"] == pytest.approx(1 - S[1] / S[0], rel=1e-6)
    assert (p["expected_remaining"] <= 60).all() and (p["expected_remaining"] > 0).all()


def test_cox_remedy_stratifies_a_category_that_breaks_ph():
    rng = np.random.default_rng(11)
    n = 3000
    grp = rng.choice(["steady", "cliff"], n)
    x = rng.normal(size=n)
    # "cliff" customers: low hazard, then a wall at t = 12 (like a contract end)
    T = np.where(grp == "steady", rng.exponential(20, n), np.where(rng.random(n) < 0.7, 12.0, 40.0))
    T = T * np.exp(-0.3 * x)
    df = pd.DataFrame({"duration": np.minimum(T, 30), "event": (T < 30).astype(int), "grp": grp, "x": x})
    rem = survival.cox_with_remedy(df, covariates=["x", "grp"])
    assert any(t.startswith("grp") for t in rem.first.ph_violations)
    assert "grp" in rem.strata and "grp" in rem.final.strata
    assert not any(t.startswith("grp") for t in rem.final.hazard_ratios["term"])


def test_cox_remedy_time_interaction_for_a_numeric_effect_that_fades():
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=n)
    # hazard ratio exp(0.8 x) in the first 10 periods, none after: piecewise exponential
    t1 = rng.exponential(1 / (0.05 * np.exp(0.8 * x)))
    T = np.where(t1 < 10, t1, 10 + rng.exponential(1 / 0.05, n))
    df = pd.DataFrame({"duration": np.minimum(T, 40), "event": (T < 40).astype(int), "x": x})
    rem = survival.cox_with_remedy(df, covariates=["x"])
    assert rem.interactions == ["x"]
    hr = rem.final.hazard_ratios.set_index("term")["hr"]
    early, late = hr[f"x (tenure <= {rem.cut:g})"], hr[f"x (tenure > {rem.cut:g})"]
    assert early > 1.5 and late < early


def test_holdout_validation_on_known_model():
    df = _weibull_sample(n=4000)
    v = survival.holdout_validation(df, covariates=["x1", "grp"], horizon=10, seed=1)
    assert v.n_test == pytest.approx(1000, abs=2)
    c = v.concordance.set_index("model")["test"]
    assert 0.6 < c["Cox"] < 0.8 and abs(c["Cox"] - c["Weibull AFT"]) < 0.02
    # the true model is well calibrated
    assert v.calibration_error["Weibull AFT"] < 0.06  # ~ the sampling noise of 10 groups of 100
    # both models beat the Kaplan-Meier curve without covariates on the integrated Brier score
    ibs = v.concordance.set_index("model")["integrated_brier"]
    assert ibs["Cox"] < ibs["Kaplan-Meier (no covariates)"] and ibs["Weibull AFT"] < ibs["Kaplan-Meier (no covariates)"]
    assert set(v.calibration["group"]) == set(range(1, 11))


def test_period_hazard_and_planted_recovery_table():
    df = pd.DataFrame({"duration": [1, 2, 2, 3, 3, 3], "event": [1, 1, 0, 1, 0, 0],
                       "entry": [0, 0, 0, 2, 0, 0]})
    h = survival.period_hazard(df, periods=3, entry="entry")
    # period 1: 5 at risk (entry 2 joins later), 1 event; period 2: 4 at risk, 1 event;
    # period 3: the two with duration 3 plus the late entrant = 3, 1 event
    assert h["at_risk"].tolist() == [5, 4, 3] and h["events"].tolist() == [1, 1, 1]
    log = np.log
    hr = pd.DataFrame({"term": ["x_so_far", "senior=True", "tiny"],
                       "log_hr": [0.45, 0.9, 0.1], "log_ci_low": [0.3, 0.7, -0.1],
                       "log_ci_high": [0.6, 1.1, 0.3], "p_value": [1e-6, 1e-9, 0.4]})
    hr = hr.assign(hr=np.exp(hr["log_hr"]), ci_low=np.exp(hr["log_ci_low"]),
                   ci_high=np.exp(hr["log_ci_high"]))
    drivers = [{"feature": "plan", "level": "m2m", "log_hazard_ratio": 2.0},
               {"feature": "x", "log_hazard_ratio": 0.5},
               {"feature": "senior", "log_hazard_ratio": 0.2},
               {"feature": "tiny", "log_hazard_ratio": log(1.1)},
               {"feature": "payment_failures_mean", "log_hazard_ratio": 3.0}]
    t = survival.planted_recovery(drivers, hr, renamed={"x": "x_so_far"}, strata=["plan"])
    assert t["term"].tolist() == [None, "x_so_far", "senior=True", "tiny", None]
    assert t["recovered"].tolist() == [None, True, False, False, None]
    assert t["asserted"].tolist() == [False, True, True, False, False]   # |log-HR| >= 0.2 only
    assert "stratifies" in t["verdict"][0] and "involuntary" in t["verdict"][4]
    assert "factor 2" in t["verdict"][2] and "not significant" in t["verdict"][3]


@pytest.mark.parametrize("planted, est, lo, hi, p, ok, why", [
    (0.4, 0.43, 0.30, 0.57, 1e-9, True, "covers"),          # CI covers the truth
    (8.0, 6.6, 5.8, 7.4, 1e-50, True, "factor 2"),           # misses, but within a factor 2
    (8.0, 0.008, 0.005, 0.011, 1e-9, False, "more than"),    # today's telecom: 1,000x too small
    (0.4, 0.35, -0.05, 0.75, 0.09, False, "not significant"),  # close but not significant
    (0.3, -0.3, -0.4, -0.2, 1e-6, False, "wrong sign"),
    (-1.1, -0.5, -0.6, -0.4, 1e-9, False, "more than"),      # ratio 0.45 < 1/2
    (-1.1, -0.6, -0.7, -0.5, 1e-9, True, "factor 2"),        # ratio 0.55
])
def test_recovery_rule(planted, est, lo, hi, p, ok, why):
    flag, reason = survival.recovered(planted, est, lo, hi, p)
    assert flag is ok and why in reason


def test_truth_caps_read_the_simulators_limits():
    truth = {"hazard": {"linear_predictor": {"complaints_so_far_cap5": 0.15,
                                             "unresolved_so_far_cap3": 0.4, "senior": 0.2}}}
    assert survival.truth_caps(truth) == {"complaints_so_far": 5.0, "unresolved_so_far": 3.0}
    assert survival.truth_caps(None) == {}


def test_no_events_gives_clear_errors_everywhere():
    df = _weibull_sample(n=200).assign(event=0)
    for call in (lambda: survival.cox_model(df, covariates=["x1"]),
                 lambda: survival.aft_models(df, covariates=["x1"]),
                 lambda: survival.holdout_validation(df, covariates=["x1"])):
        with pytest.raises(DataError, match="no churn events"):
            call()


def test_calendar_months_match_pandas_date_offsets():
    rng = np.random.default_rng(0)
    n = 1500
    start = pd.Series(pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), "D")
                      + pd.to_timedelta(rng.integers(0, 86400, n), "s"))
    start = pd.concat([start, pd.Series(pd.to_datetime(["2020-01-31", "2020-01-31", "2019-12-31"]))],
                      ignore_index=True)
    end = start + pd.to_timedelta(rng.integers(0, 2000, len(start)), "D")
    end.iloc[-3:] = pd.to_datetime(["2020-02-29", "2020-03-01", "2020-02-29"])
    full, rest = calendar_months(start, end)
    for i in range(len(start)):  # k = the largest whole month with start + k months <= end
        k = int(full[i])
        assert start[i] + pd.DateOffset(months=k) <= end[i] < start[i] + pd.DateOffset(months=k + 1)
        assert rest[i] == (end[i] > start[i] + pd.DateOffset(months=k))


def test_tenure_proxies_flag_lifetime_totals():
    rng = np.random.default_rng(2)
    d = rng.integers(1, 72, 500).astype(float)
    monthly = rng.uniform(50, 100, 500)
    df = pd.DataFrame({"duration": d, "monthly": monthly, "total": monthly * d})
    assert survival.tenure_proxies(df, ["monthly", "total"]) == ["total"]
