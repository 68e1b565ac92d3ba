"""Kaplan-Meier summaries and the log-rank test against hand and published answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import survival
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
