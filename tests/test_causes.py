"""Cause analysis (churnlab.causes) against published values and hand computations."""

from __future__ import annotations

import csv
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from churnlab import causes
from churnlab.collect import collect
from churnlab.errors import DataError
from churnlab.intervals import wilson
from churnlab.params import load_params

from .conftest import ROOT

Z = 1.959963984540054  # standard normal 97.5% quantile


def _two_groups(n_a=100, churn_a=30, n_b=200, churn_b=20) -> pd.DataFrame:
    grp = ["a"] * n_a + ["b"] * n_b
    churned = [True] * churn_a + [False] * (n_a - churn_a) + [True] * churn_b + [False] * (n_b - churn_b)
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(n_a + n_b)], "grp": grp,
                         "churned": churned})


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """Simulated customers with known effects: x1 up, x2 down, cat=b up, x3 ~ x1 (collinear)."""
    rng = np.random.default_rng(20240601)
    n = 4000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    x3 = x1 + rng.normal(scale=0.05, size=n)          # VIF of x1 and x3 ~ 400
    cat = rng.choice(["a", "b", "c"], p=[0.5, 0.3, 0.2], size=n)
    eta = -1.0 + 1.0 * x1 - 0.8 * x2 + 0.7 * (cat == "b")
    churned = rng.random(n) < 1 / (1 + np.exp(-eta))
    x2_obs = x2.copy()
    x2_obs[:40] = np.nan                               # median-imputed, and the notes say so
    return pd.DataFrame({"customer_id": [f"S{i:05d}" for i in range(n)], "churned": churned,
                         "event": churned.astype(int), "duration": rng.uniform(1, 30, n),
                         "x1": x1, "x2": x2_obs, "x3": x3, "cat": cat, "flat": 1.0,
                         "recency_days": rng.integers(0, 400, n)})


# --------------------------------------------------------------------------- known answers

def test_wilson_interval_matches_newcombe_1998():
    # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion:
    # comparison of seven methods", Statist. Med. 17:857-872, Table II, method 3
    # (Wilson score without continuity correction), 95% limits to 4 decimals.
    published = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                 (0, 20): (0.0000, 0.1611), (1, 29): (0.0061, 0.1718)}
    for (k, n), (lo, hi) in published.items():
        got_lo, got_hi = wilson(k, n)
        assert round(float(got_lo), 4) == lo and round(float(got_hi), 4) == hi
    # and segment_churn reports the same interval for a segment of 81/263
    df = pd.DataFrame({"seg": "s", "churned": [True] * 81 + [False] * 182})
    t = causes.segment_churn(pd.concat([df, pd.DataFrame({"seg": ["t"] * 40, "churned": False})]),
                             columns=["seg"]).table.set_index("level")
    assert (t.loc["s", "customers"], t.loc["s", "churned"]) == (263, 81)
    assert [round(t.loc["s", "ci_low"], 4), round(t.loc["s", "ci_high"], 4)] == [0.2553, 0.3662]


def test_rate_ratio_and_ci_by_hand():
    out = causes.compare_groups(_two_groups(), min_count=30)
    row = out.set_index(["covariate", "level"]).loc[("grp", "a")]
    # a = 30 of 100 churned in the level, c = 20 of 200 outside: RR = 0.30 / 0.10 = 3
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 20 - 1 / 200)   # log method (Katz 1978)
    assert row["effect_kind"] == "rate_ratio" and row["effect"] == pytest.approx(3.0)
    assert row["effect_ci_low"] == pytest.approx(3 * math.exp(-Z * se), rel=1e-9)
    assert row["effect_ci_high"] == pytest.approx(3 * math.exp(Z * se), rel=1e-9)
    assert (round(row["effect_ci_low"], 3), round(row["effect_ci_high"], 3)) == (1.797, 5.008)
    assert row["rate_in"] == pytest.approx(0.3) and row["rate_out"] == pytest.approx(0.1)
    # shares of churned / retained customers in the level
    assert row["churned_value"] == pytest.approx(30 / 50)
    assert row["retained_value"] == pytest.approx(70 / 250)
    # chi-square without continuity correction: X2 = N(ad-bc)^2 / (r1 r2 c1 c2)
    x2 = 300 * (30 * 180 - 70 * 20) ** 2 / (100 * 200 * 50 * 250)
    from scipy.stats import chi2
    assert row["p_value"] == pytest.approx(chi2.sf(x2, 1), rel=1e-9)


def test_smd_by_hand():
    c, r = [2.0, 4.0, 6.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    df = pd.DataFrame({"x": c + r, "churned": [True] * 4 + [False] * 5})
    row = causes.compare_groups(df, numeric=["x"], categorical=[]).iloc[0]
    sp = math.sqrt((3 * (20 / 3) + 4 * 2.5) / 7)           # pooled SD, var_c = 20/3, var_r = 2.5
    g = (1 - 3 / (4 * 9 - 9)) * (5 - 3) / sp               # Hedges' g = 0.85875
    se = math.sqrt(9 / 20 + g ** 2 / (2 * (9 - 3.94)))
    assert (row["churned_value"], row["retained_value"]) == (5.0, 3.0)
    assert row["effect_kind"] == "smd" and row["effect"] == pytest.approx(g, rel=1e-12)
    assert round(g, 5) == 0.85875
    assert row["effect_ci_low"] == pytest.approx(g - Z * se, rel=1e-9)
    assert row["effect_ci_high"] == pytest.approx(g + Z * se, rel=1e-9)
    from scipy.stats import ttest_ind
    assert row["p_value"] == pytest.approx(ttest_ind(c, r, equal_var=False).pvalue)


def test_bh_adjustment_is_monotone_and_not_below_p(planted):
    out = causes.compare_groups(planted)
    assert set(out["covariate"]) == {"x1", "x2", "x3", "cat"}   # flat, ids, outcome, recency out
    s = out.sort_values("p_value")
    assert (s["p_adjusted"] >= s["p_value"] - 1e-15).all()
    assert s["p_adjusted"].is_monotonic_increasing
    m = len(s)   # BH: the largest p is never adjusted upward
    assert s["p_adjusted"].iloc[-1] == pytest.approx(s["p_value"].iloc[-1])
    assert s["p_adjusted"].iloc[0] <= s["p_value"].iloc[0] * m


# --------------------------------------------------------------------------- covariates

def test_covariates_split_and_skip(planted):
    cov = causes.covariates(planted.assign(empty=np.nan, when=pd.Timestamp("2024-01-01")))
    assert cov["numeric"] == ["x1", "x2", "x3"]
    assert cov["categorical"] == ["cat"]
    assert any(s.startswith("flat: constant") for s in cov["skipped"])
    assert any(s.startswith("empty: all values missing") for s in cov["skipped"])
    assert "recency_days" not in str(cov)          # definition-implied feature


# --------------------------------------------------------------------------- logistic drivers

def test_logistic_recovers_planted_signs_and_drops_collinear(planted):
    res = causes.logistic_drivers(planted, numeric=["x1", "x2", "x3", "flat"],
                                  categorical=["cat"])
    t = res.table.set_index("term")
    kept = [x for x in ("x1", "x3") if x in t.index]
    gone = [x for x in ("x1", "x3") if x not in t.index]
    assert len(kept) == 1 and len(gone) == 1
    d = res.dropped.set_index("term")
    assert d.loc[gone[0], "reason"].startswith("VIF") and d.loc[gone[0], "vif"] > 5
    assert d.loc["flat", "reason"] == "constant"
    assert any(gone[0] in n and "VIF" in n for n in res.notes)
    assert any("median" in n and "indicator" in n and "x2 (40" in n for n in res.notes)
    assert any("reference level is 'a'" in n for n in res.notes)
    assert not res.regularized
    assert t.loc[kept[0], "odds_ratio"] > 1 and t.loc[kept[0], "p_value"] < 1e-6
    assert t.loc["x2", "odds_ratio"] < 1 and t.loc["x2", "p_value"] < 1e-6
    assert t.loc["cat=b", "odds_ratio"] > 1 and t.loc["cat=b", "ci_low"] > 1
    assert (t["ci_low"] <= t["odds_ratio"]).all() and (t["odds_ratio"] <= t["ci_high"]).all()
    assert list(res.table.columns) == ["term", "odds_ratio", "ci_low", "ci_high", "p_value",
                                       "p_adjusted"]
    assert (res.table["p_adjusted"] >= res.table["p_value"]).all()


def test_logistic_separation_is_dropped_or_regularised():
    rng = np.random.default_rng(3)
    y = rng.random(300) < 0.4
    df = pd.DataFrame({"churned": y, "noise": rng.normal(size=300),
                       "flag": np.where(np.arange(300) < 40, "tiny", "big")})
    df.loc[df["flag"].eq("tiny"), "churned"] = False                        # level never churns
    df["leak"] = df["churned"] * 2.0 + rng.uniform(0, 0.5, 300)                # separates perfectly
    res = causes.logistic_drivers(df, numeric=["noise", "leak"], categorical=["flag"])
    assert "flag=tiny" in set(res.dropped["term"])
    assert res.regularized and any("L2" in n for n in res.notes)
    assert res.table["p_value"].isna().all() and np.isfinite(res.table["odds_ratio"]).all()


# --------------------------------------------------------------------------- segments, cohorts, reasons

def test_segment_churn_skips_small_segments():
    df = _two_groups()
    df.loc[:4, "grp"] = "tiny"                                             # 5 customers, all churned
    res = causes.segment_churn(df, columns=["grp"], min_count=30)
    assert set(res.table["level"]) == {"a", "b"}
    sk = res.skipped.set_index("level")
    assert sk.loc["tiny", "customers"] == 5 and "min_count=30" in sk.loc["tiny", "reason"]
    t = res.table.set_index("level")
    assert t.loc["a", "churn_rate"] == pytest.approx(25 / 95)
    assert (t["ci_low"] < t["churn_rate"]).all() and (t["churn_rate"] < t["ci_high"]).all()


def test_metric_cohorts_deciles(planted):
    out = causes.metric_cohorts(planted, column="x1", q=10)
    assert len(out) == 10 and out["customers"].sum() == len(planted)
    assert out["churn_rate"].iloc[-1] > out["churn_rate"].iloc[0]           # planted: x1 raises churn
    ties = causes.metric_cohorts(planted.assign(z=np.r_[np.zeros(3000), np.arange(1000)]),
                                 column="z", q=10)
    assert len(ties) < 10                                                   # duplicate edges dropped


def test_exit_reasons_pareto_and_vs_drivers():
    df = pd.DataFrame({"churned": [True] * 8 + [False] * 2,
                       "exit_reason": ["price"] * 4 + ["service"] * 2 + ["moved", None, None, None],
                       "charge_change": [0.3, 0.2, 0.4, 0.3, 0.0, 0.1, 0.0, 0.5, 0.0, 0.0]})
    p = causes.exit_reason_pareto(df)
    assert p["reason"].tolist() == ["price", "service", "moved"]
    assert p["count"].tolist() == [4, 2, 1]
    assert p["cumulative_share"].round(6).tolist() == [round(4 / 7, 6), round(6 / 7, 6), 1.0]
    v = causes.reasons_vs_drivers(df, drivers=["charge_change"]).set_index("reason")
    assert v.loc["price", "mean_reason"] == pytest.approx(0.3)
    assert v.loc["price", "mean_other"] == pytest.approx(0.1 / 3)          # service, service, moved
    assert v.loc["price", "n_other"] == 3


# --------------------------------------------------------------------------- errors and plots

def test_no_churners_or_no_retained_is_a_data_error():
    df = _two_groups().assign(churned=False)
    with pytest.raises(DataError, match="has no churned customers; cause analysis needs both groups"):
        causes.compare_groups(df)
    with pytest.raises(DataError, match="has no retained customers"):
        causes.segment_churn(df.assign(churned=True), columns=["grp"])
    with pytest.raises(DataError, match="no churned customers"):
        causes.logistic_drivers(df, numeric=[], categorical=["grp"])


def test_plots_draw_and_return_axes(planted):
    seg = causes.segment_churn(planted, columns=["cat"])
    axes = [causes.segment_plot(seg.table, column="cat", overall=planted["churned"].mean()),
            causes.cohort_plot(causes.metric_cohorts(planted, column="x2")),
            causes.odds_ratio_plot(causes.logistic_drivers(planted, numeric=["x1", "x2"],
                                                           categorical=["cat"]).table),
            causes.pareto_plot(causes.exit_reason_pareto(pd.DataFrame(
                {"churned": True, "exit_reason": ["price", "price", "moved"]})))]
    for ax in axes:
        assert isinstance(ax, plt.Axes)
    assert axes[2].get_xscale() == "log"


# --------------------------------------------------------------------------- real data

def test_ibm_telco_contract(tmp_path, telco_csv):
    with open(telco_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    counts: dict[str, list[int]] = {}
    for r in rows:
        c = counts.setdefault(r["Contract"], [0, 0])
        c[0] += 1
        c[1] += r["Churn"] == "Yes"
    expected = {k: round(ch / n, 4) for k, (n, ch) in counts.items()}
    # counted from the raw CSV: 1655/3875, 166/1473, 48/1695
    assert expected == {"Month-to-month": 0.4271, "One year": 0.1127, "Two year": 0.0283}

    p = load_params(ROOT / "params" / "examples" / "telco_ibm.yaml")
    tables = {k: v.model_copy(update={"path": str(telco_csv)}) for k, v in p.source.tables.items()}
    p = p.model_copy(update={"source": p.source.model_copy(update={"tables": tables})})
    a = collect(p, tmp_path / "data").analysis
    seg = causes.segment_churn(a, columns=["Contract"]).table.set_index("level")
    assert seg["churn_rate"].round(4).to_dict() == expected
    assert seg["customers"].to_dict() == {k: n for k, (n, _) in counts.items()}

    res = causes.logistic_drivers(a)
    t = res.table.set_index("term")
    for term in ("Contract=One year", "Contract=Two year"):               # vs Month-to-month
        assert t.loc[term, "p_value"] < 0.001 and t.loc[term, "odds_ratio"] < 1
    assert any("Month-to-month" in n for n in res.notes)
