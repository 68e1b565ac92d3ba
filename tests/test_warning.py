"""Early warning (churnlab.causes.warning): known answers, leakage, acceptance on simulated and IBM data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from churnlab.causes import plots as cp
from churnlab.causes import warning as w
from churnlab.causes import warning_list as wl
from churnlab.collect import collect
from churnlab.design import leaky_features
from churnlab.errors import DataError
from churnlab.params import load_params

from .conftest import ROOT

SCENARIOS = ("telecom", "retail", "software")


# --------------------------------------------------------------------------- shared data

@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Stage 1 (n_customers=5000, the params files) and the time-ordered validation, once each."""
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            p = load_params(ROOT / "params" / f"{name}.yaml")
            col = collect(p, tmp_path_factory.mktemp(name))
            res = w.validate(col.snapshots, seed=p.seed, lead_days=p.snapshots.lead_days,
                             exclude=tuple(leaky_features(col.analysis)))
            cache[name] = (p, col, res)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def telco(tmp_path_factory):
    from .conftest import TELCO

    if not TELCO.exists():
        pytest.skip(f"{TELCO} not available")
    col = collect(load_params(ROOT / "params" / "examples" / "telco_ibm.yaml"),
                  tmp_path_factory.mktemp("telco"))
    return col, w.cross_validate(col.analysis, seed=42, folds=5,
                                 exclude=tuple(leaky_features(col.analysis)))


def _toy(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["month_to_month", "one_year"], n)
    x = rng.normal(size=n)
    x[:10] = np.nan
    logit = -2 + 2.5 * (plan == "month_to_month") + 1.5 * np.nan_to_num(x)
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(np.where(np.arange(n) < n // 2, "2025-01-01", "2025-04-01")),
        "customer_id": [f"C{i:04d}" for i in range(n)],
        "churn_next": rng.random(n) < 1 / (1 + np.exp(-logit)),
        "tenure_months": rng.uniform(0, 36, n),
        "plan": plan,
        "member": rng.random(n) < 0.5,
        "x": x,
        "noise": rng.normal(size=n),
        "signup_date": pd.Timestamp("2024-01-01"),
    })


# --------------------------------------------------------------------------- known answers

def test_evaluate_known_answers():
    p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    m = w.evaluate(y, p)
    # AUC: 16 (churner, stayer) pairs; 0.9 beats 8, 0.7 beats 7 -> 15/16
    assert m["roc_auc"] == pytest.approx(15 / 16)
    # AP: recall 0.5 at precision 1, recall 1 at precision 2/3
    assert m["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # top decile = 1 row (0.9, churned): rate 1 / overall 0.2
    assert m["top_decile_lift"] == pytest.approx(5.0)
    sq = [0.01, 0.64, 0.09, 0.36, 0.25, 0.16, 0.09, 0.04, 0.01, 0.0025]
    assert m["brier"] == pytest.approx(sum(sq) / 10)
    assert (m["n"], m["positives"], m["base_rate"]) == (10, 2, 0.2)


def test_top_decile_lift_rounds_up_and_is_one_for_random_order():
    y = np.array([1, 0] * 10)  # n=20: top 2 rows
    assert w.top_decile_lift(y, np.linspace(1, 0, 20)) == pytest.approx(1.0)  # one of two churned
    assert w.top_decile_lift(y[:11], np.linspace(1, 0, 11)) == pytest.approx(1 / 2 / (6 / 11))


def test_calibration_table_quantile_bins():
    p = np.arange(1, 21) / 20  # 0.05 .. 1.00
    y = np.array([0] * 5 + [0, 0, 0, 0, 1] + [0, 1, 0, 1, 0] + [1] * 5)
    t = w.calibration_table(y, p, bins=4)
    assert list(t["bin"]) == [1, 2, 3, 4] and list(t["n"]) == [5, 5, 5, 5]
    assert t["mean_predicted"].tolist() == pytest.approx([0.15, 0.40, 0.65, 0.90])
    assert t["observed"].tolist() == pytest.approx([0.0, 0.2, 0.4, 1.0])


def test_calibration_table_drops_empty_bins_of_tied_scores():
    p = np.array([0.1] * 8 + [0.9] * 2)
    t = w.calibration_table(np.array([0] * 7 + [1] + [1, 1]), p, bins=5)
    assert t["n"].sum() == 10 and len(t) < 5
    assert t["observed"].tolist() == pytest.approx([1 / 8, 1.0])


# --------------------------------------------------------------------------- design matrix

def test_design_matrix_encodes_and_transforms():
    df = _toy(50)
    X, d = w.design_matrix(df)
    assert d.numeric == ["tenure_months", "x", "noise"]
    assert d.levels == {"plan": ["month_to_month", "one_year"], "member": ["False", "True"]}
    assert list(X.columns) == ["tenure_months", "plan_month_to_month", "plan_one_year",
                               "member_False", "member_True", "x", "noise"]
    assert X["x"].isna().sum() == 10  # NaN kept for xgboost
    assert {"customer_id", "snapshot_date", "signup_date", "churn_next"} <= set(d.dropped)
    assert d.features == ["tenure_months", "plan", "member", "x", "noise"]
    new = pd.DataFrame({"plan": ["two_year", "one_year", None], "member": [True, False, None],
                        "x": [1.0, None, 2.0], "tenure_months": [1, 2, 3]})
    Xn = d.transform(new)  # 'noise' absent -> NaN; unseen / missing level -> zeros
    assert list(Xn.columns) == d.columns
    assert Xn.loc[0, ["plan_month_to_month", "plan_one_year"]].tolist() == [0, 0]
    assert Xn.loc[1, ["plan_month_to_month", "plan_one_year"]].tolist() == [0, 1]
    assert Xn.loc[2, ["member_False", "member_True"]].tolist() == [0, 0]
    assert Xn["noise"].isna().all()


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_leakage_in_design_matrix(scenario, name):
    _, col, res = scenario(name)
    forbidden = set(w.OUTCOME_COLUMNS) | {"customer_id", "snapshot_date", "start_date",
                                          "signup_date", "last_purchase"}
    for frame in (col.snapshots, col.analysis, wl.current_customers(col.analysis)):
        X, d = w.design_matrix(frame)
        sources = set(d.source.values())
        assert not sources & forbidden, sources & forbidden
        assert not any(s.startswith("duration") for s in sources)
        assert all(pd.api.types.is_float_dtype(t) for t in X.dtypes)
    assert not set(res.models.design.source.values()) & forbidden


# --------------------------------------------------------------------------- splits

def test_time_split_orders_dates_and_checks():
    df = _toy()
    sp = w.time_split(df, lead_days=90)
    assert sp.train_dates == [pd.Timestamp("2025-01-01")] and sp.test_dates == [pd.Timestamp("2025-04-01")]
    assert len(sp.train) + len(sp.test) == len(df)
    with pytest.raises(DataError, match="at least 2"):
        w.time_split(df[df["snapshot_date"] == df["snapshot_date"].min()], lead_days=90)
    with pytest.raises(DataError, match="positive"):
        w.time_split(df.assign(churn_next=df["snapshot_date"] == df["snapshot_date"].max()), lead_days=90)
    with pytest.raises(DataError, match="label window"):
        w.time_split(df, lead_days=200)


# --------------------------------------------------------------------------- models, SHAP, list

@pytest.fixture(scope="module")
def toy_models():
    df = _toy(600)
    return df, w.fit_models(df, seed=3)


def test_fit_models_is_seeded(toy_models):
    df, m = toy_models
    again = w.fit_models(df, seed=3)
    assert np.array_equal(m.predict(df), again.predict(df))
    assert np.allclose(m.predict(df, model="logistic"), again.predict(df, model="logistic"))


def test_shap_is_additive_and_aggregated(toy_models):
    df, m = toy_models
    phi = wl.shap_values(m, df)
    margin = m.xgboost.predict(m.matrix(df), output_margin=True)
    assert np.allclose(phi.sum(axis=1), margin, atol=1e-4)
    rank = wl.shap_ranking(m, df)
    assert set(rank["feature"]) == {"tenure_months", "plan", "member", "x", "noise"}
    assert list(rank["feature"][:2]) == ["plan", "x"] or list(rank["feature"][:2]) == ["x", "plan"]
    assert rank["share"].sum() == pytest.approx(1.0)
    rc = wl.reason_codes(m, df.head(50))
    assert list(rc.columns[:3]) == ["reason_1", "reason_2", "reason_3"]
    assert (rc["contribution_1"].fillna(np.inf) >= rc["contribution_2"].fillna(0)).all()
    assert (rc["contribution_1"].dropna() > 0).all()
    assert rc["reason_1"].dropna().isin(rank["feature"]).all()


def test_early_warning_list(toy_models):
    df, m = toy_models
    cur = df.assign(churned=np.arange(len(df)) % 10 == 0)
    playbook = {"plan": "offer a 12-month contract", "x": "call"}
    ew = wl.early_warning_list(m, cur, playbook=playbook, tiers=(0.5, 0.2))
    assert list(ew.columns) == ["customer_id", "churn_probability", "model_score", "risk_tier", "reason_1",
                                "reason_2", "reason_3", "suggested_action"]
    assert len(ew) == int((~cur["churned"]).sum())
    assert ew["churn_probability"].is_monotonic_decreasing
    assert np.array_equal(ew["churn_probability"], ew["model_score"])  # no calibration given
    tier = np.where(ew["churn_probability"] >= 0.5, "high",
                    np.where(ew["churn_probability"] >= 0.2, "medium", "low"))
    assert (ew["risk_tier"] == tier).all()
    row = ew.iloc[0]
    expected = "; ".join(dict.fromkeys(playbook[r] for r in row[["reason_1", "reason_2", "reason_3"]]
                                       if r in playbook))
    assert row["suggested_action"] == expected
    assert (wl.early_warning_list(m, cur)["suggested_action"] == "").all()


def test_plots_return_axes(toy_models):
    df, m = toy_models
    pred = pd.DataFrame({"y": df["churn_next"], "p_xgboost": m.predict(df),
                         "p_logistic": m.predict(df, model="logistic")})
    for f in (cp.roc_curves, cp.pr_curves, cp.calibration_plot):
        assert isinstance(f(pred), plt.Axes)
    _, ax = plt.subplots()
    assert cp.shap_bar(wl.shap_ranking(m, df), ax=ax) is ax


# --------------------------------------------------------------------------- acceptance

@pytest.mark.parametrize("name", [
    "telecom",
    "retail",
    "software",
])
def test_shap_top3_contains_planted_top2(scenario, name):
    _, col, res = scenario(name)
    drivers = [d["feature"] for d in col.ground_truth["drivers"]]
    snaps = col.snapshots
    missing = [f for f in drivers[:2] if f not in snaps.columns]
    assert not missing, f"planted drivers not in the snapshot columns: {missing}"
    test = snaps[snaps["snapshot_date"] == snaps["snapshot_date"].max()]
    top3 = list(wl.shap_ranking(res.models, test, which=res.chosen)["feature"][:3])
    assert set(drivers[:2]) <= set(top3), f"{name}: top-3 {top3}, planted {drivers[:2]}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_time_ordered_validation_beats_chance(scenario, name):
    _, col, res = scenario(name)
    assert res.note.startswith("time-ordered")
    assert list(res.metrics.index) == ["xgboost", "logistic"]
    assert (res.metrics["roc_auc"] > 0.6).all() and (res.metrics["top_decile_lift"] > 1.5).all()
    assert (res.metrics["auc_low"] > 0.5).all()  # better than chance with 95% confidence
    last = col.snapshots["snapshot_date"].max()
    assert (res.predictions["snapshot_date"] == last).all()
    # the model with the higher held-out AUC drives the list
    assert res.metrics.loc[res.chosen, "roc_auc"] == res.metrics["roc_auc"].max()
    assert not {"n_offers", "offer_accepted"} & set(res.models.design.source.values())


def test_warning_list_on_current_customers(scenario):
    _, col, res = scenario("telecom")
    cur = wl.current_customers(col.analysis)
    assert cur["tenure_months"].notna().all()
    ew = wl.early_warning_list(res.models, cur, playbook={"plan": "offer a contract"})
    assert len(ew) == int((~col.analysis["churned"]).sum())
    assert ew["customer_id"].is_unique


def test_ibm_telco_cross_validation(telco):
    col, res = telco
    assert res.note == "no dates: stratified 5-fold cross-validation"
    assert res.predictions[["p_xgboost", "p_logistic"]].notna().all().all()
    assert sorted(res.predictions["fold"].unique()) == [1, 2, 3, 4, 5]
    assert res.metrics["roc_auc"].max() >= 0.82, res.metrics  # 0.83 with TotalCharges, a tenure stand-in
    rank = wl.shap_ranking(res.models, col.analysis, which=res.chosen)
    assert "Contract" in list(rank["feature"][:3]), list(rank["feature"][:5])
    # TotalCharges = MonthlyCharges x tenure restates the outcome: left out by the shared rule
    assert "TotalCharges" in leaky_features(col.analysis)
    assert "TotalCharges" not in res.models.design.source.values()
    with pytest.raises(DataError, match="at least 2"):
        w.validate(col.snapshots, seed=1, lead_days=90)


def test_tiers_by_rank_put_the_top_shares_in_high_and_medium():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"customer_id": [f"c{i}" for i in range(400)], "x": rng.normal(size=400),
                       "churned": rng.random(400) < 0.05})
    train = df.assign(churned=(df["x"] + rng.normal(0, 1, 400)) > 1.5)
    models = w.fit_models(train, seed=0, label="churned")
    cur = df.assign(churned=False)
    out = wl.early_warning_list(models, cur, tier_shares=(0.1, 0.2))
    counts = out["risk_tier"].value_counts()
    assert 35 <= counts["high"] <= 45 and 75 <= counts["medium"] <= 85
    assert out["churn_probability"].is_monotonic_decreasing
