"""Cost of churn and campaign economics against hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.economics import cost
from churnlab.errors import DataError
from churnlab.params import CostParams, FixParams

COSTS = CostParams(termination=10, equipment_recovery=20, compensation=5, acquisition_cost=100,
                   extra_service_cost=15, offer_cost={"default": 30, "discount": 50},
                   stay_anyway_share=0.2)


def _churners():
    return pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                         "end_date": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-02-05",
                                                     "2022-06-01"]),  # d: before the window
                         "lost_value": [500.0, 300.0, 200.0, 999.0]})


def _offers():
    return pd.DataFrame({"customer_id": ["a", "e", "f"],
                         "date": pd.to_datetime(["2024-01-05", "2024-01-15", "2024-02-10"]),
                         "offer_type": ["discount", "loyalty", "renewal"],
                         "accepted": [True, True, False], "saved": [False, True, False]})


def test_cost_components_by_hand_and_they_sum_to_the_total():
    seg = pd.Series({"a": "x", "b": "y", "c": "x", "d": "x", "e": "y", "f": "x"})
    res = cost.cost_of_churn(_churners(), _offers(), COSTS, period="month", currency="EUR",
                             window=("2024-01-01", "2024-12-31"), segments=seg)
    t = res.totals
    assert t["churners"] == 3
    assert t["direct"] == 3 * (10 + 20 + 5)
    assert t["indirect"] == 3 * (100 + 15)
    assert t["lost_revenue"] == 500 + 300 + 200
    # a: discount, not saved -> 50 wasted; e: loyalty (default 30), saved -> 0.2 x 30; f: 30 wasted
    assert t["opportunity"] == pytest.approx(50 + 0.2 * 30 + 30)
    assert t["total"] == pytest.approx(sum(t[c] for c in cost.COMPONENTS))
    tab = res.table.set_index(["period", "segment"])
    assert tab.loc[("2024-01", "x"), "churners"] == 1 and tab.loc[("2024-01", "y"), "offers"] == 1
    assert tab.loc[("2024-02", "x"), "total"] == pytest.approx(35 + 115 + 200 + 30)
    assert res.table["total"].sum() == pytest.approx(t["total"])


def test_comparable_value_uses_retained_customers_at_the_same_tenure():
    active = pd.DataFrame({"tenure_months": [1, 2, 3, 7, 8, 30] * 10,
                           "clv": [100, 100, 100, 400, 400, 900] * 10})
    ch = pd.DataFrame({"tenure_months": [2.5, 7.0, 40.0]})
    v = cost.comparable_value(ch, active, band_months=6, min_group=5)
    assert v.tolist() == [100, 400, pytest.approx(active["clv"].mean())]


def test_revenue_at_risk():
    p = pd.Series({"a": 0.1, "b": 0.5})
    assert cost.revenue_at_risk(p, pd.Series({"a": 1000.0, "b": 200.0, "c": 5.0})) == 200.0
    with pytest.raises(DataError, match="no value"):
        cost.revenue_at_risk(p, pd.Series({"a": 1.0}))


def _campaign():
    warning = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                            "churn_probability": [0.6, 0.4, 0.1, 0.05]})
    clv = pd.Series({"a": 1000.0, "b": 500.0, "c": 2000.0, "d": 100.0})
    fam = pd.Series({"a": "price", "b": "service", "c": "engagement", "d": "price"})
    return cost.campaign_customers(warning, clv, incentive={"price": 40, "service": 20, "engagement": 30},
                                   families=fam, accept_fit=0.5, accept_other=0.25, save_rate=0.5,
                                   contact_cost=5)


def test_campaign_profit_formula_and_curve():
    c = _campaign().set_index("customer_id")
    # a: 0.6 x 0.5 x 1000 - 0.5 x 40 - 5 = 275
    assert c.loc["a", "expected_profit"] == pytest.approx(275)
    assert c.loc["b", "expected_profit"] == pytest.approx(0.4 * 0.5 * 500 - 0.5 * 20 - 5)
    assert c.loc["c", "offer"] == "loyalty"
    curve = cost.profit_curve(_campaign(), order="risk", steps=4)
    assert curve["customers"].tolist() == [0, 1, 2, 3, 4]
    assert curve["profit"].iloc[2] == pytest.approx(275 + 85)
    plan = cost.best_target(_campaign(), curve)
    expected = {1: 275, 2: 360, 3: 360 + 80, 4: 360 + 80 + (0.05 * 0.5 * 100 - 20 - 5)}
    assert plan.customers == max(expected, key=expected.get) and plan.profit == pytest.approx(440)
    # break-even save rate: spend / sum(p x CLV) over the chosen three
    spend = 0.5 * 40 + 0.5 * 20 + 0.5 * 30 + 3 * 5
    assert plan.break_even_save_rate == pytest.approx(spend / (600 + 200 + 200))
    # a mass campaign is k x the total
    mass = cost.profit_curve(_campaign(), order="random", steps=4)
    assert mass["profit"].iloc[-1] == pytest.approx(_campaign()["expected_profit"].sum())
    # a forced discount for everyone: fits only the price-driven customers
    one = cost.campaign_customers(pd.DataFrame({"customer_id": ["b"], "churn_probability": [0.4]}),
                                  pd.Series({"b": 500.0}), incentive={"price": 40}, families=pd.Series({"b": "service"}),
                                  accept_fit=0.5, accept_other=0.25, save_rate=0.5, contact_cost=5,
                                  offer_for=lambda f: "discount")
    assert one.loc[0, "accept"] == 0.25 and one.loc[0, "incentive"] == 40


def test_profit_distribution_is_linear_in_the_save_rate():
    c = _campaign()
    plan = cost.best_target(c, cost.profit_curve(c, steps=4))
    draws = cost.profit_distribution(plan, alpha=50, beta=50, draws=20000, seed=3)
    # E[profit] at E[s] = 0.5 equals the plan's expected profit
    assert draws.mean() == pytest.approx(plan.profit, rel=0.02)
    assert (draws > plan.profit).mean() == pytest.approx(0.5, abs=0.02)


def test_save_rates_recover_a_planted_rate():
    rng = np.random.default_rng(8)
    n = 2000
    accepted = rng.random(n) < 0.8
    saved = accepted & (rng.random(n) < 0.5 / 0.8)
    offers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "offer_type": "discount",
                           "accepted": accepted, "saved": saved})
    r = cost.save_rates(offers).loc["all"]
    assert r["save_low"] < 0.5 < r["save_high"] and r["accept_low"] < 0.8 < r["accept_high"]
    with pytest.raises(DataError, match="accept_rate"):
        cost.save_rates(offers.iloc[:0])


def test_fix_roi_by_hand():
    ch = pd.DataFrame({"reason": ["price"] * 6 + ["service"] * 2 + [None] * 2,
                       "lost_value": [100.0] * 6 + [400.0] * 2 + [0.0] * 2})
    fixes = {"price": FixParams(reduction=0.5, investment=200),
             "service": FixParams(reduction=0.25, investment=1000)}
    roi = cost.fix_roi(ch, fixes, years=2, benefit_years=2).set_index("reason")
    # 10 churners, answered shares 0.75 / 0.25; per year 3.75 and 1.25 churners
    assert roi.loc["price", "value_lost_per_year"] == pytest.approx(3.75 * 100)
    assert roi.loc["price", "value_saved_per_year"] == pytest.approx(0.5 * 375)
    assert roi.loc["price", "roi"] == pytest.approx((187.5 * 2 - 200) / 200)
    assert roi.loc["service", "roi"] == pytest.approx((0.25 * 1.25 * 400 * 2 - 1000) / 1000)
    assert roi.index[0] == "price"


def test_tornado_swings():
    f = lambda a, b: {"y": 2 * a + b}  # noqa: E731
    t = cost.tornado(f, {"a": (0, 10), "b": (0, 1)}, {"a": 5, "b": 0.5})
    assert t["assumption"].tolist() == ["a", "b"] and t["swing"].tolist() == [20, 1]


def test_campaign_inputs_from_params_or_from_the_desk():
    from churnlab.params import CampaignParams

    given = CampaignParams(contact_cost=1, incentive_cost={"price": 5}, accept_rate=0.3,
                           accept_uncertainty=100)
    ci = cost.campaign_inputs(None, None, given)
    assert (ci.save_rate, ci.alpha, ci.beta, ci.rates) == (0.3, 30, 70, None)
    lo, hi = ci.save_range
    assert lo < 0.3 < hi and hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 101), rel=0.05)
    estimated = CampaignParams(contact_cost=1, incentive_cost={"price": 5})
    offers = pd.DataFrame({"customer_id": list("abcd"), "offer_type": "discount",
                           "accepted": [True, True, True, False], "saved": [True, False, True, False]})
    ci = cost.campaign_inputs(offers, None, estimated)
    assert (ci.save_rate, ci.accept_rate, ci.alpha, ci.beta) == (0.5, 0.75, 3, 3)
    with pytest.raises(DataError, match="accept_rate"):
        cost.campaign_inputs(None, None, estimated)
