"""Defensible early warning (issue 11, defects 4-5): known answers for grouped SHAP, the embargo,
the leaky-feature rule, model choice, calibration and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from churnlab.causes import calibration as cal
from churnlab.causes import scores
from churnlab.causes import warning as w
from churnlab.causes import warning_list as wl
from churnlab.design import CONSEQUENCES, leaky_features


def _snapshots(logit_of, *, n: int = 2500, seed: int = 0, noise: int = 3) -> pd.DataFrame:
    """Two snapshot dates 120 days apart, features x1..x3 (+ noise), label from ``logit_of(df)``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{k}": rng.normal(size=2 * n) for k in range(1, 4 + noise)})
    df.insert(0, "customer_id", [f"C{i % n:05d}" for i in range(2 * n)])
    df.insert(1, "snapshot_date", pd.to_datetime(np.where(np.arange(2 * n) < n, "2025-01-01", "2025-05-01")))
    p = 1 / (1 + np.exp(-logit_of(df)))
    df["churn_next"] = rng.random(2 * n) < p
    return df


# --------------------------------------------------------------------------- defect 4: SHAP per feature

@pytest.fixture(scope="module")
def many_levels():
    """A 12-level category with no effect, a numeric with one (logit = -1.5 + 1.2 x)."""
    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                       "industry": rng.choice([f"ind{k:02d}" for k in range(12)], n),
                       "x": rng.normal(size=n)})
    df["churned"] = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.2 * df["x"])))
    return df, w.fit_models(df, seed=1, label="churned")


def test_grouped_shap_is_the_per_customer_sum_of_pred_contribs(many_levels):
    import xgboost

    df, m = many_levels
    M = m.matrix(df)
    contrib = m.xgboost.get_booster().predict(xgboost.DMatrix(M, missing=np.nan), pred_contribs=True)
    cols = [i for i, c in enumerate(M.columns) if c.startswith("industry_")]
    phi = wl.shap_values(m, df)
    np.testing.assert_allclose(phi["industry"], contrib[:, cols].sum(axis=1), rtol=1e-6, atol=1e-7)
    rank = wl.shap_ranking(m, df)
    expected = np.abs(contrib[:, cols].sum(axis=1)).mean()
    assert rank.set_index("feature").loc["industry", "mean_abs_shap"] == pytest.approx(expected, rel=1e-6)


def test_a_many_level_category_without_effect_is_not_inflated(many_levels):
    df, m = many_levels
    rank = wl.shap_ranking(m, df).set_index("feature")
    assert rank.index[0] == "x"
    # the old rule, sum of |phi| over the dummies, credits the noise category far more
    phi = wl._contributions(m, df, "xgboost")[0]
    old = phi[[c for c in phi if c.startswith("industry_")]].abs().sum(axis=1).mean()
    assert rank.loc["industry", "mean_abs_shap"] < 0.6 * old
    assert rank.loc["industry", "mean_abs_shap"] < 0.25 * rank.loc["x", "mean_abs_shap"]


def test_logistic_shap_is_exact_linear_shap(many_levels):
    df, m = many_levels
    phi = wl.shap_values(m, df, which="logistic")
    p = m.predict(df, model="logistic")
    np.testing.assert_allclose(phi.sum(axis=1), np.log(p / (1 - p)), rtol=1e-8, atol=1e-8)  # local accuracy
    # phi_x = beta_x (z - mean z): mean zero over the training rows, correlation 1 with x
    assert abs(phi["x"].mean()) < 1e-10 and np.corrcoef(phi["x"], df["x"])[0, 1] == pytest.approx(1.0)
    assert wl.shap_ranking(m, df, which="logistic")["feature"].iloc[0] == "x"


# --------------------------------------------------------------------------- defect 5: embargo

def test_embargo_drops_training_dates_whose_label_window_reaches_the_test_date():
    dates = pd.to_datetime(["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"])
    df = pd.DataFrame({"snapshot_date": np.repeat(dates, 4), "customer_id": list("abcd") * 4,
                       "churn_next": [True, False, False, False] * 4})
    sp = w.time_split(df, lead_days=180)
    # 2025-07-01 + 180 d = 2025-12-28 > 2025-10-01: dropped; 2025-04-01 + 180 d = 2025-09-28: kept
    assert sp.train_dates == list(dates[:2]) and sp.embargoed == [dates[2]]
    assert sp.test_dates == [dates[3]] and set(sp.train["snapshot_date"]) == set(dates[:2])
    # a window that ends exactly on the test date is allowed (92 days: 07-01 + 92 = 10-01)
    assert w.time_split(df, lead_days=92).embargoed == []
    assert w.time_split(df, lead_days=93).embargoed == [dates[2]]
    with pytest.raises(w.DataError, match="label window"):
        w.time_split(df, lead_days=400)


def test_validate_reports_the_embargo():
    df = _snapshots(lambda d: -1 + d["x1"])
    extra = df[df["snapshot_date"] == df["snapshot_date"].max()].assign(
        snapshot_date=pd.Timestamp("2025-04-01"))
    res = w.validate(pd.concat([df, extra]), seed=0, lead_days=60)
    assert "2025-04-01 left out of training (embargo" in res.note
    assert res.models is not None and res.predictions["snapshot_date"].nunique() == 1


# --------------------------------------------------------------------------- defect 5: leaky features

def test_leaky_features_flags_consequences_and_tenure_stand_ins():
    rng = np.random.default_rng(0)
    n = 500
    duration = rng.integers(1, 72, n).astype(float)
    monthly = rng.uniform(60, 80, n)  # Telco-like: TotalCharges ~ MonthlyCharges x tenure
    a = pd.DataFrame({"customer_id": range(n), "duration": duration, "churned": rng.random(n) < 0.3,
                      "monthly": monthly, "total": monthly * duration, "n_offers": rng.integers(0, 3, n),
                      "offer_accepted": rng.random(n) < 0.2, "plan": rng.choice(["a", "b"], n)})
    out = leaky_features(a)
    assert set(out) == {"total", *CONSEQUENCES}
    assert "tenure" in out["total"] and "consequence" in out["n_offers"]
    X, design = w.design_matrix(a.drop(columns="duration"), exclude=tuple(out))
    assert not set(out) & set(design.source.values()) and "monthly" in design.numeric


# --------------------------------------------------------------------------- defect 5: model choice

@pytest.mark.parametrize("seed", [0, 1])
def test_planted_logistic_model_chooses_logistic(seed):
    res = w.validate(_snapshots(lambda d: -1.5 + 0.9 * d["x1"] - 0.7 * d["x2"] + 0.5 * d["x3"], seed=seed),
                     seed=seed, lead_days=90)
    assert res.chosen == "logistic", res.metrics["roc_auc"]
    assert res.choice.startswith("logistic drives the list")


@pytest.mark.parametrize("seed", [0, 1])
def test_strongly_non_linear_model_chooses_xgboost(seed):
    # churn when x1 and x2 have the same sign (an interaction no additive logit can express)
    res = w.validate(_snapshots(lambda d: -1.0 + 3.0 * np.sign(d["x1"] * d["x2"]), seed=seed),
                     seed=seed, lead_days=90)
    assert res.chosen == "xgboost", res.metrics["roc_auc"]
    assert res.auc_difference[0] > 0  # clearly better, not a near tie


def test_choose_model_breaks_a_tie_towards_logistic():
    m = pd.DataFrame({"roc_auc": [0.8, 0.8]}, index=["xgboost", "logistic"])
    assert w.choose_model(m)[0] == "logistic"
    assert w.choose_model(m.assign(roc_auc=[0.81, 0.8]))[0] == "xgboost"


# --------------------------------------------------------------------------- defect 5: calibration

def _miscalibrated(n: int, seed: int, base: float = -2.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(base + 1.2 * z)))
    raw = 1 / (1 + np.exp(-(0.5 + 3.0 * z)))  # over-confident and far too high
    return y, raw


def test_calibration_fixes_a_miscalibrated_score():
    y, raw = _miscalibrated(5000, 0)
    c = cal.calibrate(y, raw, seed=0)
    before, after = scores.expected_calibration_error(y, raw), scores.expected_calibration_error(y, c.held_out)
    assert before > 0.2 and after < 0.03 and after < before / 5
    assert c.held_out.mean() == pytest.approx(y.mean(), abs=0.01)
    assert c.apply(raw).mean() == pytest.approx(y.mean(), abs=0.01)
    assert scores.evaluate(y, c.held_out)["brier"] < scores.evaluate(y, raw)["brier"]
    assert set(c.comparison.index) == {"platt", "isotonic"} and c.events >= cal.MIN_EVENTS


def test_few_events_impose_platt():
    y, raw = _miscalibrated(1500, 1, base=-4.0)
    assert y.sum() < cal.MIN_EVENTS
    c = cal.calibrate(y, raw, seed=0)
    assert c.method == "platt" and list(c.comparison.index) == ["platt"] and "too few" in c.reason


def test_isotonic_wins_on_a_step_shaped_score():
    rng = np.random.default_rng(2)
    s = rng.uniform(size=8000)
    y = rng.random(8000) < np.where(s > 0.5, 0.6, 0.05)  # a step no sigmoid of logit(s) can follow
    c = cal.calibrate(y, s, seed=0)
    assert c.method == "isotonic", c.comparison


def test_platt_on_a_calibrated_logit_is_near_identity():
    rng = np.random.default_rng(3)
    p = 1 / (1 + np.exp(-(-1.5 + rng.normal(size=20000))))
    y = rng.random(20000) < p
    c = cal.calibrate(y, p, seed=0, min_events=10**9)
    np.testing.assert_allclose(c.apply(p), p, atol=0.02)


# --------------------------------------------------------------------------- defect 5: metrics and intervals

def test_expected_calibration_error_by_hand():
    p = np.arange(1, 21) / 20
    y = np.array([0] * 5 + [0, 0, 0, 0, 1] + [0, 1, 0, 1, 0] + [1] * 5)
    # 4 bins of 5: |0.15-0| + |0.40-0.2| + |0.65-0.4| + |0.90-1.0|, each weighted 1/4
    assert scores.expected_calibration_error(y, p, bins=4) == pytest.approx((0.15 + 0.2 + 0.25 + 0.1) / 4)


def test_rank_auc_equals_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(4)
    y = rng.random(400) < 0.3
    p = np.round(rng.random(400) + 0.3 * y, 2)  # with ties
    assert scores._auc(y.astype(int), p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_bootstrap_interval_covers_the_true_auc():
    d, covered, runs = 1.0, 0, 60
    true_auc = norm.cdf(d / np.sqrt(2))  # binormal, unit variances
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        y = np.r_[np.ones(80), np.zeros(320)].astype(int)
        p = np.r_[rng.normal(d, 1, 80), rng.normal(0, 1, 320)]
        ci = scores.bootstrap_intervals(y, {"m": p}, seed=seed, n_boot=300).loc["m"]
        covered += ci["auc_low"] <= true_auc <= ci["auc_high"]
    assert covered / runs >= 0.85, covered


def test_bootstrap_is_seeded_stratified_and_paired():
    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.2).astype(int)
    a, b = rng.random(300) + y, rng.random(300) + 0.5 * y
    one = scores.bootstrap_intervals(y, {"a": a, "b": b}, seed=9, n_boot=200)
    assert one.equals(scores.bootstrap_intervals(y, {"a": a, "b": b}, seed=9, n_boot=200))
    assert list(one.index) == ["a", "b", "difference"]
    assert one.loc["difference", "auc_low"] > 0  # a separates much better than b
    assert (one.loc[["a", "b"], "lift_low"] <= one.loc[["a", "b"], "lift_high"]).all()
    same = scores.bootstrap_intervals(y, {"a": a, "b": a}, seed=9, n_boot=200)
    assert same.loc["difference", "auc_low"] == same.loc["difference", "auc_high"] == 0


def test_validation_result_carries_choice_calibration_and_intervals():
    res = w.validate(_snapshots(lambda d: -2 + d["x1"], seed=3), seed=3, lead_days=90)
    assert {"auc_low", "auc_high", "lift_low", "lift_high", "log_loss", "ece"} <= set(res.metrics.columns)
    r = res.metrics.loc[res.chosen]
    assert r["auc_low"] < r["roc_auc"] < r["auc_high"] and r["lift_low"] < r["top_decile_lift"] < r["lift_high"]
    assert res.predictions["p_calibrated"].between(0, 1).all()
    assert res.calibrated["base_rate"] == pytest.approx(res.predictions["y"].mean())
    cur = res.predictions.head(50).merge(_snapshots(lambda d: -2 + d["x1"], seed=3), on=["customer_id", "snapshot_date"])
    out = wl.early_warning_list(res.models, cur, which=res.chosen, calibration=res.calibration,
                                tier_shares=(0.1, 0.2))
    np.testing.assert_allclose(out["churn_probability"], res.calibration.apply(out["model_score"]))
    assert out["model_score"].is_monotonic_decreasing and (out["risk_tier"] == "high").sum() == 5
