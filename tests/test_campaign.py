"""Campaign economics against hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.economics import campaign
from churnlab.errors import DataError
from churnlab.params import CampaignParams


def _campaign():
    warning = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                            "churn_probability": [0.6, 0.4, 0.1, 0.05]})
    clv = pd.Series({"a": 1000.0, "b": 500.0, "c": 2000.0, "d": 100.0})
    fam = pd.Series({"a": "price", "b": "service", "c": "engagement", "d": "price"})
    return campaign.campaign_customers(warning, clv, incentive={"price": 40, "service": 20, "engagement": 30},
                                       families=fam, accept_fit=0.5, accept_other=0.25, save_rate=0.5,
                                       contact_cost=5)


def test_campaign_profit_formula_and_curve():
    c = _campaign().set_index("customer_id")
    # a: 0.6 x 0.5 x 1000 - 0.5 x 40 - 5 = 275
    assert c.loc["a", "expected_profit"] == pytest.approx(275)
    assert c.loc["b", "expected_profit"] == pytest.approx(0.4 * 0.5 * 500 - 0.5 * 20 - 5)
    assert c.loc["c", "offer"] == "loyalty"
    curve = campaign.profit_curve(_campaign(), order="risk", steps=4)
    assert curve["customers"].tolist() == [0, 1, 2, 3, 4]
    assert curve["profit"].iloc[2] == pytest.approx(275 + 85)
    plan = campaign.best_target(_campaign(), curve)
    expected = {1: 275, 2: 360, 3: 360 + 80, 4: 360 + 80 + (0.05 * 0.5 * 100 - 20 - 5)}
    assert plan.customers == max(expected, key=expected.get) and plan.profit == pytest.approx(440)
    # break-even save rate: spend / sum(p x CLV) over the chosen three
    spend = 0.5 * 40 + 0.5 * 20 + 0.5 * 30 + 3 * 5
    assert plan.break_even_save_rate == pytest.approx(spend / (600 + 200 + 200))
    # a mass campaign is k x the total
    mass = campaign.profit_curve(_campaign(), order="random", steps=4)
    assert mass["profit"].iloc[-1] == pytest.approx(_campaign()["expected_profit"].sum())
    # a forced discount for everyone: fits only the price-driven customers
    one = campaign.campaign_customers(pd.DataFrame({"customer_id": ["b"], "churn_probability": [0.4]}),
                                      pd.Series({"b": 500.0}), incentive={"price": 40},
                                      families=pd.Series({"b": "service"}), accept_fit=0.5,
                                      accept_other=0.25, save_rate=0.5, contact_cost=5,
                                      offer_for=lambda f: "discount")
    assert one.loc[0, "accept"] == 0.25 and one.loc[0, "incentive"] == 40


def test_profit_distribution_is_linear_in_the_save_rate():
    c = _campaign()
    plan = campaign.best_target(c, campaign.profit_curve(c, steps=4))
    draws = campaign.profit_distribution(plan, alpha=50, beta=50, draws=20000, seed=3)
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
    r = campaign.save_rates(offers).loc["all"]
    assert r["save_low"] < 0.5 < r["save_high"] and r["accept_low"] < 0.8 < r["accept_high"]
    with pytest.raises(DataError, match="accept_rate"):
        campaign.save_rates(offers.iloc[:0])


def test_campaign_inputs_from_params_or_from_the_desk():
    given = CampaignParams(contact_cost=1, incentive_cost={"price": 5}, accept_rate=0.3,
                           accept_uncertainty=100)
    ci = campaign.campaign_inputs(None, None, given)
    assert (ci.save_rate, ci.alpha, ci.beta, ci.rates) == (0.3, 30, 70, None)
    lo, hi = ci.save_range
    assert lo < 0.3 < hi and hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 101), rel=0.05)
    estimated = CampaignParams(contact_cost=1, incentive_cost={"price": 5})
    offers = pd.DataFrame({"customer_id": list("abcd"), "offer_type": "discount",
                           "accepted": [True, True, True, False], "saved": [True, False, True, False]})
    ci = campaign.campaign_inputs(offers, None, estimated)
    assert (ci.save_rate, ci.accept_rate, ci.alpha, ci.beta) == (0.5, 0.75, 3, 3)
    with pytest.raises(DataError, match="accept_rate"):
        campaign.campaign_inputs(None, None, estimated)


def _setup(save_rate=0.5) -> campaign.Campaign:
    warning = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                            "churn_probability": [0.6, 0.4, 0.1, 0.05],
                            "reason_1": ["monthly_charge_change", "n_complaints", "logins_per_month", None]})
    inputs = campaign.CampaignInputs(save_rate, 0.5, 50.0, 50.0, None, "given")
    families = campaign.driver_families(warning, {"n_complaints": "service",
                                                  "logins_per_month": "engagement"})
    return campaign.Campaign(warning, families, inputs, {"price": 40, "service": 20, "engagement": 30}, 5)


def test_driver_families_default_to_price():
    fam = _setup().families
    assert fam.to_dict() == {"a": "price", "b": "service", "c": "engagement", "d": "price"}


def test_campaign_setup_gives_the_hand_computed_customers():
    clv = pd.Series({"a": 1000.0, "b": 500.0, "c": 2000.0, "d": 100.0})
    pd.testing.assert_frame_equal(_setup().customers(clv), _campaign())
    higher = _setup().customers(clv, save_rate=0.6).set_index("customer_id")
    assert higher.loc["a", "expected_profit"] == pytest.approx(0.6 * 0.6 * 1000 - 0.5 * 40 - 5)


def test_compare_policies():
    clv = pd.Series({"a": 1000.0, "b": 500.0, "c": 2000.0, "d": 100.0})
    cmp = campaign.compare_policies(_setup(), clv)
    assert list(cmp.curves) == list(campaign.POLICIES)
    t = cmp.table.set_index("policy")
    assert list(t.index) == [*list(campaign.POLICIES)[:3], "mass campaign: everyone"]
    assert t.loc["by risk, differentiated offers", "expected_profit"] == pytest.approx(440)
    assert cmp.plan.customers == 3 and cmp.plan is cmp.plans[campaign.PLANNED]
    assert t.loc["mass campaign: everyone", "expected_profit"] == pytest.approx(
        _campaign()["expected_profit"].sum())
    # by risk x value: c (0.1 x 2000 = 200) before b (0.4 x 500 = 200, later in the list)
    assert t.loc["by risk × value, differentiated", "expected_profit"] >= 440 - 1e-9
    # a discount for everyone: b and c get an offer that does not fit (accepted at the same rate here)
    one = t.loc["by risk, a discount for everyone"]
    assert one["expected_profit"] == pytest.approx(275 + (100 - 20 - 5) + (100 - 20 - 5))


def test_profit_risk_summarises_the_draws():
    c = _campaign()
    plan = campaign.best_target(c, campaign.profit_curve(c, steps=4))
    risk = campaign.profit_risk(plan, alpha=5, beta=5, draws=5000, seed=1)
    draws = campaign.profit_distribution(plan, alpha=5, beta=5, draws=5000, seed=1)
    assert np.array_equal(risk.draws, draws)
    assert risk.p05 < risk.median < risk.p95 and risk.p_loss == pytest.approx((draws < 0).mean())


def test_a_save_is_worth_the_value_if_retained_net_of_those_who_stay_anyway():
    from churnlab.economics import value
    from churnlab.survival.curves import SurvivalCurves

    # constant monthly retention q: S(t + k) / S(t) = q^k for both customers
    q, months, d = 0.9, 24, 0.01
    times = np.arange(0, months + 1, dtype=float)
    S = np.repeat((q ** times)[:, None], 2, axis=1)
    curves = SurvivalCurves("Geometric", "month", np.array(["a", "b"]), np.array([5.0, 12.0]), times, S, 60.0)
    val = value.contractual_clv(curves, pd.Series({"a": 100.0, "b": 50.0}), margin_rate=0.5,
                                monthly_discount=d, horizon_months=months)
    disc = (1 + d) ** -np.arange(1, months + 1)
    L = 3  # the customer pays the 3 months of the lead time for sure, then follows q from there
    stay = np.r_[np.ones(L), q ** np.arange(1, months - L + 1)]
    kept = val.retained_value(L)
    assert kept["a"] == pytest.approx(0.5 * 100 * (disc @ stay))
    assert (kept > val.clv).all()  # the CLV already discounts the churn the save prevents
    assert val.retained_value(0).to_numpy() == pytest.approx(val.clv.to_numpy())
    assert val.retained_value(L, margin_rate=1.0)["b"] == pytest.approx(2 * kept["b"])
    # the campaign pays only for saves of customers who would not have stayed anyway
    c0 = campaign.campaign_customers(pd.DataFrame({"customer_id": ["a"], "churn_probability": [0.5]}),
                                     kept, incentive={"price": 10}, families=pd.Series({"a": "price"}),
                                     accept_fit=0.4, accept_other=0.4, save_rate=0.5, contact_cost=2,
                                     stay_anyway=0.3)
    assert c0.loc[0, "expected_profit"] == pytest.approx(0.5 * 0.5 * 0.7 * kept["a"] - 0.4 * 10 - 2)
    plan = campaign.best_target(c0, campaign.profit_curve(c0, steps=1))
    assert plan.break_even_save_rate == pytest.approx((0.4 * 10 + 2) / (0.7 * 0.5 * kept["a"]))
    with pytest.raises(DataError, match="stay_anyway_share"):
        campaign.campaign_customers(pd.DataFrame({"customer_id": ["a"], "churn_probability": [0.5]}),
                                    kept, incentive={}, families=pd.Series({"a": "price"}), accept_fit=0.4,
                                    accept_other=0.4, save_rate=0.5, contact_cost=2, stay_anyway=1.0)


def test_held_out_deciles_and_the_calibration_a_plan_covers():
    from churnlab.causes.stage import held_out_deciles

    pred = pd.DataFrame({"y": [1, 0, 1, 0, 0, 0, 1, 0, 0, 0],
                         "p_calibrated": [0.9, 0.1, 0.8, 0.2, 0.05, 0.3, 0.7, 0.01, 0.02, 0.03]})
    dec = held_out_deciles(pred, groups=5)  # riskiest first: (0.9, 0.8), (0.7, 0.3), (0.2, 0.1), ...
    assert [d["rows"] for d in dec] == [2] * 5
    assert [d["observed"] for d in dec] == [2, 1, 0, 0, 0]
    assert dec[0]["expected"] == pytest.approx(1.7) and dec[1]["expected"] == pytest.approx(1.0)
    cal = campaign.held_out_calibration(dec, 0.3)  # 30% of the list: the first ceil(1.5) = 2 groups
    assert cal == {"observed": 3.0, "expected": pytest.approx(2.7), "rows": 4, "groups": 2}
    assert campaign.held_out_calibration(None, 0.3) is None


def test_profit_risk_includes_the_calibration_of_the_probabilities():
    c = _campaign()
    plan = campaign.best_target(c, campaign.profit_curve(c, steps=4))
    only_s = campaign.profit_risk(plan, alpha=50, beta=50, draws=20000, seed=2)
    both = campaign.profit_risk(plan, alpha=50, beta=50, draws=20000, seed=2,
                                calibration={"observed": 24, "expected": 30.0})
    # probabilities 20% too high on held-out rows: the profit is centred lower and spreads wider
    phi = 24.5 / 30.0
    assert both.draws.mean() == pytest.approx(phi * 0.5 * plan.gain - plan.spend, rel=0.02)
    assert both.p95 - both.p05 > 1.5 * (only_s.p95 - only_s.p05)
    assert both.p_loss >= only_s.p_loss and "level of the churn probabilities" in both.sources
    assert only_s.sources == "the save rate"
