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
