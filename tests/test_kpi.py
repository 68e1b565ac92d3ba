"""KPI formulas against published worked examples and hand-built customer tables."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab import kpi
from churnlab.errors import DataError, ParamsError
from churnlab.params import Target, validate_params

from .conftest import scenario_params


def _customers():
    d = pd.to_datetime
    return pd.DataFrame({
        "customer_id": list("abcdefg"),
        "start_date": d(["2023-12-01", "2023-12-15", "2023-11-01", "2024-01-10", "2024-01-05",
                         "2023-06-01", "2024-02-01"]),
        "end_date": d([None, "2024-01-20", "2024-02-10", "2024-01-25", None, "2023-12-31", None]),
        "churned": [False, True, True, True, False, True, False],
        "plan": ["x", "x", "y", "y", "x", "y", "x"]})


def test_period_churn_rate_by_hand():
    r = kpi.churn_rates(_customers(), period="month", start="2024-01-01", end="2024-02-29").set_index("period")
    # January: active at the start a, b, c (f left on 31 Dec); b churned; d joined and left in
    # January (left out of the rate, counted on its own); e joined
    jan = r.loc["2024-01"]
    assert (jan["at_start"], jan["churned"], jan["new"], jan["new_and_churned"]) == (3, 1, 2, 1)
    assert jan["churn_rate"] == pytest.approx(1 / 3) and jan["retention_rate"] == pytest.approx(2 / 3)
    assert jan["at_end"] == 3 and jan["growth_rate"] == 0
    feb = r.loc["2024-02"]   # a, c, e at the start; c leaves; g joins
    assert (feb["at_start"], feb["churned"], feb["new"]) == (3, 1, 1)
    assert feb["churn_rate"] == pytest.approx(1 / 3)
    seg = kpi.churn_rates(_customers(), period="month", start="2024-01-01", end="2024-01-31", segment="plan")
    assert seg.set_index("segment").loc["x", "churn_rate"] == pytest.approx(1 / 2)


def test_incomplete_last_period_is_left_out():
    r = kpi.churn_rates(_customers(), period="quarter", start="2024-01-01", end="2024-05-15")
    assert r["period"].tolist() == ["2024Q1"]
    with pytest.raises(DataError, match="no complete"):
        kpi.churn_rates(_customers(), period="year", start="2024-01-01", end="2024-05-15")


def test_annualisation_fighting_churn_with_data():
    # Gold (2020), Fighting Churn with Data, ch. 2: a 5% monthly churn is about 46% a year,
    # and the conversion is exact both ways
    assert float(kpi.annualise(0.05, 12)) == pytest.approx(0.4596, abs=1e-4)
    assert float(kpi.per_period(kpi.annualise(0.05, 12), 12)) == pytest.approx(0.05)
    assert float(kpi.per_period(0.20, 12)) == pytest.approx(1 - 0.8 ** (1 / 12))


def test_chartmogul_mrr_churn_example():
    # ChartMogul, "MRR Churn Rate": $100 MRR at the start of the month; $10 lost to churn,
    # $10 to contraction, one customer expands by $10 -> gross 20%, net 10%
    months = pd.period_range("2024-01", "2024-02", freq="M")
    rev = pd.DataFrame([[40, 50], [30, 20], [20, 20], [10, 0]], index=list("ABCD"), columns=months,
                       dtype=float)
    mv = kpi.mrr_movements(rev).iloc[0]
    assert (mv["mrr_start"], mv["expansion"], mv["contraction"], mv["churn"]) == (100, 10, 10, 10)
    assert mv["gross_mrr_churn"] == pytest.approx(0.20)
    assert mv["net_mrr_churn"] == pytest.approx(0.10)
    assert mv["grr"] == pytest.approx(0.80) and mv["nrr"] == pytest.approx(0.90)
    assert mv["quick_ratio"] == pytest.approx(10 / 20)


def test_mrr_new_and_reactivation():
    months = pd.period_range("2024-01", "2024-04", freq="M")
    rev = pd.DataFrame([[10, 0, 0, 15], [0, 0, 20, 20]], index=["old", "late"], columns=months, dtype=float)
    mv = kpi.mrr_movements(rev).set_index("month")
    assert mv.loc["2024-02", "churn"] == 10
    assert mv.loc["2024-03", "new"] == 20 and mv.loc["2024-04", "reactivation"] == 15
    assert mv.loc["2024-04", "quick_ratio"] != mv.loc["2024-04", "quick_ratio"]  # nothing lost: NaN


def test_monthly_revenue_and_revenue_cohorts():
    usage = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b"],
                          "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01",
                                                    "2024-01-01", "2024-03-01"]),
                          "mrr": [10.0, 12.0, 15.0, 10.0, 5.0]})
    rev = kpi.monthly_revenue(usage, value="mrr")
    assert rev.loc["b"].tolist() == [10, 0, 5]
    coh = kpi.revenue_cohorts(rev, pd.Series({"a": pd.Period("2024-01", "M"), "b": pd.Period("2024-01", "M")}))
    assert coh.loc["2024-01"].tolist() == pytest.approx([1.0, 0.6, 1.0])


def test_winback_and_save_desk():
    subs = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
                         "start_date": pd.to_datetime(["2023-01-01", "2023-08-01", "2023-01-01", "2023-01-01"]),
                         "end_date": pd.to_datetime(["2023-06-01", None, "2023-03-01", "2024-11-01"])})
    wb = kpi.winback_subscriptions(subs, gap_days=30, window_days=180, end="2024-12-31")
    # a: left 1 Jun, back 1 Aug (61 days): won back; b: gone; c: too recent to judge
    assert (wb["churn_events"], wb["returned"], wb["rate"]) == (2, 1, 0.5)
    tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
                       "date": pd.to_datetime(["2023-01-01", "2023-09-01", "2023-01-05"])})
    wp = kpi.winback_purchases(tx, inactivity_days=90, window_days=180, end="2024-06-30")
    # a: churned 1 Apr, back 1 Sep (153 days later); a again after Sep; b: churned, never back
    assert (wp["churn_events"], wp["returned"]) == (3, 1)
    offers = pd.DataFrame({"accepted": [True, True, False, True], "saved": [True, False, False, True]})
    desk = kpi.save_desk(offers)
    assert desk["success_rate"] == pytest.approx(2 / 3) and desk["save_rate"] == pytest.approx(0.5)


def test_lifecycle_stages_and_transitions():
    act = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
                        "date": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-01-15", "2024-09-01"])})
    signup = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]), index=["a", "b", "c"])
    st = kpi.lifecycle_states(act, signup, period="quarter", start="2024-01-01", end="2024-12-31",
                              dormant_days=90)
    assert st.loc["a"].tolist() == ["first purchase", "dormant/churned", "dormant/churned", "dormant/churned"]
    assert st.loc["b"].tolist() == ["first purchase", "dormant/churned", "recovered", "dormant/churned"]
    assert st.loc["c"].tolist() == ["potential"] * 4
    tm = kpi.transition_matrix(st)
    assert tm.loc["first purchase", "dormant/churned"] == 1.0
    assert tm.loc["dormant/churned", "recovered"] == pytest.approx(1 / 3)
    counts = kpi.lifecycle_counts(st)
    assert counts.loc["2024Q4"].sum() == 3


def test_scorecard_status_and_trend():
    card = kpi.scorecard({"monthly_churn": 0.021, "nrr": 1.02, "save_rate": 0.40, "growth_rate": 0.01},
                         {"monthly_churn": 0.018, "nrr": 1.02},
                         {"monthly_churn": 0.015, "nrr": 1.0, "save_rate": 0.42}, tolerance=0.1).set_index("kpi")
    assert card.loc["monthly_churn", "status"] == "off track" and card.loc["monthly_churn", "trend"] == "up"
    assert card.loc["nrr", "status"] == "on track" and card.loc["nrr", "trend"] == "flat"
    assert card.loc["save_rate", "status"] == "watch"          # 0.40 is within 10% of 0.42
    assert card.loc["growth_rate", "status"] == "no target"


def test_definition_sensitivity_and_consistency():
    tx = pd.DataFrame({"customer_id": ["a", "b", "b", "c"],
                       "date": pd.to_datetime(["2024-01-01", "2024-05-01", "2024-08-01", "2024-06-20"])})
    s = kpi.inactivity_sensitivity(tx, windows=[30, 90, 180], cutoff="2024-07-01", end="2024-12-31")
    # at 1 Jul: a silent 182 days, b 61, c 11
    assert s["churned"].tolist() == [2, 1, 1] and s["returned_share"].tolist() == [0.5, 0.0, 0.0]
    c = kpi.consistency(period_rate=0.010, km_hazard=0.011, sbg_rate=0.02, tolerance=0.25)
    assert c.table["flag"].tolist() == [False, False, True] and not c.agree


def test_hazard_rate_counts_months_at_risk_since_a_date():
    st = pd.DataFrame({"start_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                       "duration": [12.0, 6.0], "event": [0, 1], "entry": [0.0, 0.0]})
    # since 2024-04-01 (tenure 3 months): 9 + 3 months at risk, one churn
    r = kpi.hazard_rate(st, since="2024-04-01", days_per_unit=365.25 / 12)
    assert r == pytest.approx(1 / 12, rel=0.02)


def test_hazard_rate_stops_at_until():
    st = pd.DataFrame({"start_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                       "duration": [12.0, 6.0], "event": [0, 1], "entry": [0.0, 0.0]})
    # between 2024-04-01 and 2024-07-02 (tenure 3 to 6.01): 3 + 3 months at risk, one churn
    # (in period 6); until 2024-06-01 (tenure 5): 2 + 2 months, no churn yet
    r = kpi.hazard_rate(st, since="2024-04-01", until="2024-07-02", days_per_unit=365.25 / 12)
    assert r == pytest.approx(1 / 6, rel=0.02)
    assert kpi.hazard_rate(st, since="2024-04-01", until="2024-06-01",
                           days_per_unit=365.25 / 12) == 0.0


def test_trailing_mrr_pools_the_movements():
    months = pd.period_range("2024-01", "2024-04", freq="M")
    rev = pd.DataFrame([[40, 50, 50, 50], [30, 20, 20, 0], [20, 20, 20, 20], [10, 0, 0, 0]],
                       index=list("ABCD"), columns=months, dtype=float)
    mv = kpi.mrr_movements(rev)
    tr = kpi.trailing_mrr(mv, months=2)
    # Feb + Mar: starting MRR 100 + 90, expansion 10, contraction 10, churn 10
    assert tr["month"].tolist() == ["2024-03", "2024-04"]
    assert tr.loc[0, "grr"] == pytest.approx(170 / 190) and tr.loc[0, "nrr"] == pytest.approx(180 / 190)


def test_winback_ignores_data_after_end_and_chains_overlapping_spells():
    d = pd.to_datetime
    subs = pd.DataFrame({"customer_id": ["a", "a"], "start_date": d(["2023-01-01", "2023-12-20"]),
                         "end_date": d(["2023-02-01", None])})
    # the comeback on 20 Dec is after `end`: unknown on 1 Dec, so it cannot count
    r = kpi.winback_subscriptions(subs, gap_days=30, window_days=60, end="2023-12-01")
    assert (r["churn_events"], r["returned"]) == (1, 0)
    # a Jan-Dec contract with a Mar-Apr add-on ends in December, not in April
    subs = pd.DataFrame({"customer_id": ["b", "b"], "start_date": d(["2023-01-01", "2023-03-01"]),
                         "end_date": d(["2023-12-31", "2023-04-30"])})
    s = kpi.gap_sensitivity(subs, gaps=[0, 30], end="2024-12-31")
    assert s["churn_events"].tolist() == [1, 1]
    assert kpi.subscription_spells(subs, gap_days=30, end="2024-12-31")["end_date"].tolist() == [d("2023-12-31")]


def test_scorecard_converts_a_monthly_grr_to_its_annual_target():
    # a monthly GRR of 0.991 is 0.991^12 = 0.897 a year: not "on track" against an annual 0.98
    targets = {"grr": Target(value=0.98, period="year"), "monthly_churn": Target(value=0.015, period="month"),
               "quick_ratio": Target(value=2.0)}
    periods = {"grr": "month", "monthly_churn": "month"}
    card = kpi.scorecard({"grr": 0.991, "monthly_churn": 0.012, "quick_ratio": 3.0}, {"grr": 0.990},
                         targets, periods=periods, tolerance=0.05).set_index("kpi")
    assert card.loc["grr", "value"] == pytest.approx(0.991 ** 12) and card.loc["grr", "period"] == "year"
    assert card.loc["grr", "previous"] == pytest.approx(0.990 ** 12)
    assert card.loc["grr", "status"] == "off track"             # 0.897 misses 0.98 by more than 5%
    assert card.loc["monthly_churn", "value"] == 0.012 and card.loc["monthly_churn", "status"] == "on track"
    assert card.loc["quick_ratio", "period"] is None
    # the old comparison (monthly value against the annual number) called it on track
    naive = kpi.scorecard({"grr": 0.991}, {}, {"grr": 0.98}, tolerance=0.05)
    assert naive.loc[0, "status"] == "on track"
    assert kpi.scorecard({}, {}, targets, periods=periods).empty   # nothing measured: no rows, no error


def test_convert_rate_by_kind():
    assert kpi.convert_rate(0.05, "churn", from_period="month", to_period="year") == pytest.approx(1 - 0.95 ** 12)
    assert kpi.convert_rate(1 - 0.95 ** 12, "churn", from_period="year", to_period="month") == pytest.approx(0.05)
    assert kpi.convert_rate(0.05, "churn", from_period="month", to_period="quarter") == pytest.approx(1 - 0.95 ** 3)
    assert kpi.convert_rate(1.01, "retention", from_period="month", to_period="year") == pytest.approx(1.01 ** 12)
    assert kpi.convert_rate(0.01, "growth", from_period="month", to_period="year") == pytest.approx(1.01 ** 12 - 1)
    assert kpi.convert_rate(8.0, "count", from_period="month", to_period="quarter") == pytest.approx(24.0)
    with pytest.raises(DataError, match="not a per-period rate"):
        kpi.convert_rate(0.5, "ratio", from_period="month", to_period="year")


@pytest.mark.parametrize("targets, message", [
    ({"grr": 0.98}, "kpi.targets.grr: a per-period rate needs the target's period"),
    ({"growth_rate": 0.0}, "kpi.targets.growth_rate: a per-period rate needs the target's period"),
    ({"monthly_churn": {"value": 0.1, "period": "year"}}, "the name says the target is per month"),
    ({"save_rate": {"value": 0.4, "period": "month"}}, "not a per-period rate, its target takes no period"),
    ({"nrr": {"value": 1.0, "period": "week"}}, "kpi.targets.nrr.period: expected one of"),
])
def test_targets_state_their_period(targets, message):
    with pytest.raises(ParamsError, match=message):
        validate_params(scenario_params("software", kpi={"targets": targets}))
    ok = validate_params(scenario_params("software", kpi={"targets": {"monthly_churn": 0.015, "save_rate": 0.4}}))
    assert ok.kpi.targets["monthly_churn"] == Target(value=0.015, period="month")
    assert ok.kpi.targets["save_rate"].period is None


def test_nrr_and_net_mrr_churn_follow_chartmogul_on_reactivation():
    # Start of March: A 100, B 50, C 30 paying (MRR 180); D paid in January, stopped, and is back in
    # March with 40 (reactivation); E is new with 25. In March A expands to 120, B contracts to 40,
    # C churns. ChartMogul: NRR "excludes New Business and Reactivation" (help.chartmogul.com
    # 6886664393500); net MRR churn = (churn + contraction - expansion - reactivation) / MRR at start
    # (help.chartmogul.com 4414075567250).
    months = pd.period_range("2024-01", "2024-03", freq="M")
    rev = pd.DataFrame([[100, 100, 120], [50, 50, 40], [30, 30, 0], [40, 0, 40], [0, 0, 25]],
                       index=list("ABCDE"), columns=months, dtype=float)
    mv = kpi.mrr_movements(rev).set_index("month").loc["2024-03"]
    assert (mv["mrr_start"], mv["new"], mv["expansion"], mv["contraction"], mv["churn"], mv["reactivation"]) \
        == (180, 25, 20, 10, 30, 40)
    assert mv["grr"] == pytest.approx((180 - 10 - 30) / 180)
    assert mv["nrr"] == pytest.approx((180 + 20 - 10 - 30) / 180)          # no new, no reactivation
    assert mv["net_mrr_churn"] == pytest.approx((30 + 10 - 20 - 40) / 180)  # reactivation offsets churn
    assert mv["quick_ratio"] == pytest.approx((25 + 20 + 40) / (10 + 30))
    # the two differ by exactly the reactivated MRR: 1 - NRR = net MRR churn + reactivation / start
    assert 1 - mv["nrr"] == pytest.approx(mv["net_mrr_churn"] + 40 / 180)


def test_the_cross_check_states_the_remaining_difference_in_numbers():
    from churnlab.kpi.stage import consistency_note

    cons = kpi.consistency(period_rate=0.0109, km_hazard=0.0117, sbg_rate=0.0045, tolerance=0.25)
    note = consistency_note(cons)
    assert not cons.agree and "sBG: expected monthly churn of the current base: 0.0045 a month, -59%" in note
    assert "against the period rate 0.0109" in note and "survival" not in note.split("**")[1]
    assert consistency_note(kpi.consistency(period_rate=0.01, km_hazard=0.011, sbg_rate=None)) == \
        "All methods agree within 25%."
