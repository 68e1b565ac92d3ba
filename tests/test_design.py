"""The two design matrices of churnlab.design: survival covariates and early-warning features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.design import CovariateDesign, FeatureDesign, as_level, dummy_column


def test_covariate_design_drops_constant_and_identical_columns():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 4], "c": [5.0] * 4,
                       "g": ["x", "y", "x", "y"], "h": ["p", "q", "p", "q"]})
    d = CovariateDesign.fit(df, ["a", "b", "c", "g", "h"], reference={"g": "x", "h": "p"})
    assert d.columns == ["a", "g=y"] and set(d.dropped) == {"b", "c", "h=q"}
    assert d.transform(df.head(2)).columns.tolist() == ["a", "g=y"]
    assert d.source("g=y") == "g" and d.source("a") == "a"


def test_covariate_design_fills_medians_and_codes_missing_levels():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "g": ["x", None, "x", "y"]})
    d = CovariateDesign.fit(df, ["a", "g"])
    X = d.transform(df)
    assert X["a"].tolist() == [1.0, 3.0, 3.0, 5.0]  # median of 1, 3, 5
    assert d.reference == {"g": "x"} and d.categorical["g"] == ["(missing)", "y"]
    assert X["g=(missing)"].tolist() == [0, 1, 0, 0]
    assert as_level(df["g"]).tolist() == ["x", "(missing)", "x", "y"]


def test_feature_design_transform_of_unseen_levels_and_missing_columns():
    d = FeatureDesign(numeric=["n"], levels={"plan": ["a", "b[1]"]},
                      columns=["n", "plan_a", "plan_b(1)"],
                      source={"n": "n", "plan_a": "plan", "plan_b(1)": "plan"}, fill={"n": 0.5})
    X = d.transform(pd.DataFrame({"n": [1.0, np.nan], "plan": ["b[1]", "zzz"]}))
    assert X.columns.tolist() == ["n", "plan_a", "plan_b(1)"]
    assert X.to_numpy().tolist() == [[1.0, 0.0, 1.0], [0.5, 0.0, 0.0]]
    assert d.features == ["n", "plan"] and d.dummies == ["plan_a", "plan_b(1)"]
    assert dummy_column("x", "<5") == "x_lt5"


def test_segment_column_is_one_rule_for_every_stage():
    import pandas as pd
    import pytest

    from churnlab.design import segment_column
    from churnlab.errors import DataError

    a = pd.DataFrame({"customer_id": list("abcdef"), "churned": [True, False] * 3,
                      "one_level": ["x"] * 6, "region": list("nnsswe"), "plan": list("mmyyyy"),
                      "spend": [1.0, 2, 3, 4, 5, 6]})
    assert segment_column(a) == "region"  # the first categorical covariate with 2 to 8 levels
    assert segment_column(a, candidates=["plan", "region"]) == "plan"
    assert segment_column(a, configured="plan") == "plan"
    assert segment_column(a[["customer_id", "churned", "spend"]]) is None
    with pytest.raises(DataError, match="value.segment"):
        segment_column(a, configured="tier")


def test_feature_names_the_models_refuse_are_renamed_and_mapped_back():
    """XGBoost refuses '[', ']', '<' in feature names: numeric columns and dummies get a model
    name without them (unique, even when two names coincide) and ``source`` maps back."""
    from churnlab.causes.warning import design_matrix, fit_models
    from churnlab.design import model_name, unique_name

    assert model_name("a[1] < b") == "a(1) lt b"
    assert unique_name("x", {"x", "x~2"}) == "x~3" and unique_name("y", {"x"}) == "y"
    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame({"plan[a]": rng.normal(size=n), "a<b": rng.normal(size=n),
                       "altb": rng.normal(size=n), "kind<": rng.choice(["x[1]", "y"], n),
                       "churned": rng.random(n) < 0.4})
    X, d = design_matrix(df)
    assert all(not set("[]<") & set(c) for c in X.columns) and len(set(X.columns)) == X.shape[1]
    assert X.columns.tolist() == ["plan(a)", "altb", "altb~2", "kindlt_x(1)", "kindlt_y"]
    assert [d.source[c] for c in X.columns] == ["plan[a]", "a<b", "altb", "kind<", "kind<"]
    assert d.model_numeric == ["plan(a)", "altb", "altb~2"] and d.dummies == ["kindlt_x(1)", "kindlt_y"]
    assert d.features == ["plan[a]", "a<b", "altb", "kind<"]
    pd.testing.assert_frame_equal(d.transform(df), X)
    m = fit_models(df, seed=1, label="churned")  # XGBoost and the logistic baseline fit
    assert m.predict(df).shape == (n,) and m.predict(df, model="logistic").shape == (n,)


def test_covariate_names_holding_equals_signs_map_back_to_their_column():
    """``column=level`` names are looked up, not split: a column ``kat=x`` with level ``q``
    is term ``kat=x=q`` of covariate ``kat=x``; a clash of names keeps both columns."""
    df = pd.DataFrame({"kat=x": ["p", "q", "p", "q", "p"], "kat": ["x=q", "a", "a", "x=q", "a"],
                       "n=1": [1.0, 2, 3, 5, 4]})
    d = CovariateDesign.fit(df, ["kat=x", "kat", "n=1"], reference={"kat=x": "p", "kat": "a"})
    assert d.columns == ["n=1", "kat=x=q", "kat=x=q~2"]
    assert [d.source(c) for c in d.columns] == ["n=1", "kat=x", "kat"]
    X = d.transform(df)
    assert X["kat=x=q"].tolist() == [0, 1, 0, 1, 0] and X["kat=x=q~2"].tolist() == [1, 0, 0, 1, 0]


def test_cox_remedy_on_a_covariate_whose_name_holds_an_equals_sign():
    """A Cox model whose categorical covariate breaks proportional hazards and is named with
    '=' gets its remedy (strata) on that column, not a KeyError on the part before '='."""
    from churnlab.survival.cox import cox_with_remedy

    rng = np.random.default_rng(3)
    n = 400
    g = rng.choice(["a", "b"], n)
    # group b: high early hazard that vanishes (crossing survival curves)
    t = np.where(g == "b", np.where(rng.random(n) < 0.5, rng.exponential(1.0, n), 99.0),
                 rng.exponential(12.0, n))
    df = pd.DataFrame({"grp=x": g, "duration": np.ceil(np.minimum(t, 36)),
                       "event": (t < 36).astype(int), "z": rng.normal(size=n)})
    r = cox_with_remedy(df, covariates=["grp=x", "z"], reference={"grp=x": "a"})
    assert "grp=x" in r.final.strata, r.notes
