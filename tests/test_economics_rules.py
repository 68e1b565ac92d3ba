"""Which campaign policy to run (economics.campaign.recommend), mass campaigns, and what
retention.fix_ranking / policy_plans record (economics.stage.fix_row, policy_plan)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnlab.economics import campaign
from churnlab.economics.campaign import (MASS_SHARE, MAX_LOSS_PROBABILITY, CampaignPlan, assess_policies,
                                         is_mass, recommend)
from churnlab.economics.stage import FIX_FIELDS, fix_row, policy_plan
from churnlab.metrics import validate_section

from .test_campaign import _setup

# --------------------------------------------------------------------------- recommend


def test_the_most_profitable_policy_is_recommended():
    rec = recommend({"by risk": (936.0, 0.04), "by risk × value": (1351.0, 0.02), "mass": (-1e5, None)})
    assert rec.policy == "by risk × value" and "highest expected profit of the 3" in rec.reason
    assert "2% chance of a loss" in rec.reason


def test_a_risky_best_policy_gives_way_to_a_safer_one_that_pays():
    risky = MAX_LOSS_PROBABILITY + 0.15
    rec = recommend({"by risk": (900.0, 0.05), "by risk × value": (1200.0, risky), "discount": (1000.0, 0.3)},
                    currency="EUR")
    assert rec.policy == "by risk"
    assert rec.reason.startswith("by risk × value would earn more in expectation (1,200 EUR against 900 EUR)")
    assert f"loses money in {risky:.0%}" in rec.reason and "against 5%" in rec.reason


def test_when_every_paying_policy_is_risky_the_best_is_run_as_a_trial():
    rec = recommend({"a": (500.0, 0.4), "b": (800.0, 0.35)})
    assert rec.policy == "b" and "run it as a trial first" in rec.reason


def test_no_policy_is_recommended_when_none_pays():
    rec = recommend({"a": (-5.0, 0.9), "b": (0.0, 0.5), "mass": (-1e5, None)}, currency="EUR")
    assert rec.policy is None and "none of the targeting policies" in rec.reason
    assert "(the best, b, expects 0 EUR)" in rec.reason


def test_ties_go_to_the_earlier_policy_and_unknown_risk_does_not_block():
    assert recommend({"a": (100.0, None), "b": (100.0, 0.0)}).policy == "a"


def test_mass_campaign_threshold():
    assert MASS_SHARE == 0.5
    assert is_mass(0.89) and is_mass(1.0) and is_mass(0.5)
    assert not is_mass(0.49) and not is_mass(0.02) and not is_mass(None)


def test_assess_policies_adds_risks_and_the_plan_follows_the_recommendation():
    clv = pd.Series({"a": 1000.0, "b": 500.0, "c": 2000.0, "d": 100.0})
    cmp = campaign.compare_policies(_setup(), clv)
    assert cmp.recommendation is None and cmp.plan is cmp.plans[campaign.PLANNED]
    out = assess_policies(cmp, alpha=50, beta=50, seed=3)
    assert set(out.risks) == set(cmp.plans)
    best = max(cmp.plans, key=lambda k: cmp.plans[k].profit)
    assert out.recommendation.policy == best and out.plan is cmp.plans[best]
    ref = campaign.profit_risk(cmp.plans[best], alpha=50, beta=50, seed=3)
    assert out.risks[best].p_loss == ref.p_loss and np.array_equal(out.risks[best].draws, ref.draws)


# --------------------------------------------------------------------------- metrics rows


def test_fix_row_carries_the_roi_and_its_basis_and_validates():
    row = {"reason": "price", "share_of_churners": 0.3, "churners_per_year": 10.0, "value_lost_per_year": 9e4,
           "reduction": 0.3, "customers_saved_per_year": 3.0, "value_saved_per_year": 2.7e4,
           "value_saved_pv": 6.3e4, "investment": 6e4, "roi": 0.05}
    out = fix_row(row)
    assert list(out) == list(FIX_FIELDS) and out["roi"] == 0.05 and out["investment"] == 6e4
    uncosted = fix_row({**row, "reason": "moved", "reduction": math.nan, "value_saved_pv": math.nan,
                        "investment": math.nan, "roi": math.nan})
    assert uncosted["roi"] is None and uncosted["investment"] is None and uncosted["value_lost_per_year"] == 9e4
    section = validate_section("retention", {"fix_ranking": [out, uncosted], "fix_horizon_months": 36})
    assert section.fix_ranking[0].roi == 0.05 and section.fix_ranking[1].roi is None
    # older files: the reasons' names only, still read
    assert validate_section("retention", {"fix_ranking": ["price", "moved"]}).fix_ranking == ["price", "moved"]


def test_policy_plan_records_share_profit_and_risk():
    plan = CampaignPlan(0.03, 117, 1351.0, 0.35, 5000.0, 400.0)
    risk = campaign.profit_risk(plan, alpha=50, beta=50, seed=1)
    out = policy_plan(plan, risk)
    assert out == {"share": 0.03, "customers": 117, "expected_profit": 1351.0, "break_even_save_rate": 0.35,
                   "profit_p05": risk.p05, "profit_p95": risk.p95, "p_loss": risk.p_loss}
    assert set(policy_plan(plan, None)) == {"share", "customers", "expected_profit", "break_even_save_rate"}
    validate_section("retention", {"policy_plans": {"by risk": out}})


@pytest.mark.parametrize("bad", [{"fix_ranking": [{"reason": "x", "roi": "high"}]},
                                 {"policy_plans": {"a": {"share": 0.1, "profit": 3.0}}}])
def test_malformed_rows_are_rejected(bad):
    from churnlab.metrics import MetricsError

    with pytest.raises(MetricsError, match="retention"):
        validate_section("retention", bad)
