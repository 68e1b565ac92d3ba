"""Sensitivity of the cost of churn and the campaign profit to the key assumptions."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab.economics import assumptions, campaign, cost
from churnlab.params import CostParams

COSTS = CostParams(termination=10, equipment_recovery=0, compensation=0, acquisition_cost=100,
                   extra_service_cost=0, offer_cost={"default": 30}, stay_anyway_share=0.2)
WINDOW = ("2024-01-01", "2024-12-31")


class _Value:
    """CLV = margin x 1000 / (1 + monthly discount) for every active customer."""

    ids = ["r1", "r2", "a", "b"]

    def recompute(self, *, margin_rate, monthly_discount):
        return pd.Series(margin_rate * 1000 / (1 + monthly_discount), index=self.ids)

    def retained_value(self, lead_months, *, margin_rate, monthly_discount):
        """Value if retained: here the CLV (a customer sure to stay through the lead time)."""
        return self.recompute(margin_rate=margin_rate, monthly_discount=monthly_discount)


def _tables():
    churners = pd.DataFrame({"customer_id": ["x", "y", "z"], "tenure_months": [2.0, 3.0, 4.0],
                             "end_date": pd.to_datetime(["2024-02-01", "2024-05-01", "2024-07-01"])})
    retained = pd.DataFrame({"customer_id": _Value.ids, "tenure_months": [1.0, 2.0, 3.0, 4.0],
                             "clv": 0.0})
    return churners, retained


def test_tornado_swings():
    f = lambda a, b: {"y": 2 * a + b}  # noqa: E731
    t = assumptions.tornado(f, {"a": (0, 10), "b": (0, 1)}, {"a": 5, "b": 0.5})
    assert t["assumption"].tolist() == ["a", "b"] and t["swing"].tolist() == [20, 1]


def test_assumption_ranges():
    base, ranges = assumptions.assumption_ranges(margin_rate=0.9, discount_rate=0.8, acquisition_cost=100)
    assert base == {"margin": 0.9, "discount": 0.8, "save_rate": 0.5, "cac": 100}
    assert ranges["margin"] == (pytest.approx(0.72), 1.0) and ranges["discount"] == (0.4, 0.99)
    assert ranges["save_rate"] == (0.4, 0.6) and ranges["cac"] == (50, 150)
    inputs = campaign.CampaignInputs(0.3, 0.3, 30, 70, None, "given")
    base, ranges = assumptions.assumption_ranges(margin_rate=0.5, discount_rate=0.1, acquisition_cost=10,
                                                 inputs=inputs)
    assert base["save_rate"] == 0.3 and ranges["save_rate"] == inputs.save_range


def test_sensitivity_of_the_cost_of_churn_by_hand():
    churners, retained = _tables()
    base, ranges = assumptions.assumption_ranges(margin_rate=0.5, discount_rate=0.1, acquisition_cost=100)
    t = assumptions.sensitivity(_Value(), churners, retained, None, COSTS, discount_period="month",
                                period="month", currency="EUR", window=WINDOW, base=base, ranges=ranges)
    assert set(t["result"]) == {"total cost of churn"}  # no campaign: no campaign profit
    row = t.set_index("assumption")
    # base: 3 churners x (10 + 100) + 3 x the mean CLV 0.5 x 1000 / 1.1 (no tenure band has 20 customers)
    total = 3 * 110 + 3 * 500 / 1.1
    assert row.loc["cac", "base_value"] == pytest.approx(total)
    assert row.loc["cac", "swing"] == pytest.approx(3 * 100)
    margin_swing = row.loc["margin", "at_high"] - row.loc["margin", "at_low"]
    assert margin_swing == pytest.approx(3 * (0.6 - 0.4) * 1000 / 1.1)
    assert row.loc["discount", "at_low"] == pytest.approx(3 * 110 + 3 * 500 / 1.05)
    assert row.loc["save_rate", "swing"] == 0  # the cost of churn does not depend on it
    # the same total as the cost of churn computed directly
    lost = cost.comparable_value(churners, retained.assign(clv=500 / 1.1))
    direct = cost.cost_of_churn(churners.assign(lost_value=lost), None, COSTS, period="month",
                                currency="EUR", window=WINDOW).totals["total"]
    assert direct == pytest.approx(total)


def test_sensitivity_of_the_campaign_profit():
    churners, retained = _tables()
    warning = pd.DataFrame({"customer_id": ["a", "b"], "churn_probability": [0.5, 0.1],
                            "reason_1": ["monthly_charge_change", None]})
    inputs = campaign.CampaignInputs(0.4, 0.5, 40, 60, None, "given")
    camp = campaign.Campaign(warning, campaign.driver_families(warning), inputs, {"price": 20}, 1)
    base, ranges = assumptions.assumption_ranges(margin_rate=0.5, discount_rate=0.1, acquisition_cost=100,
                                                 inputs=inputs)
    t = assumptions.sensitivity(_Value(), churners, retained, None, COSTS, discount_period="month",
                                period="month", currency="EUR", window=WINDOW, base=base, ranges=ranges,
                                campaign=camp)
    row = t[t["result"] == "campaign profit"].set_index("assumption")
    clv = 500 / 1.1
    # best plan at base: both (p x 0.4 x CLV - 0.5 x 20 - 1 > 0 for p = 0.5 and 0.1)
    assert row.loc["cac", "base_value"] == pytest.approx((0.5 + 0.1) * 0.4 * clv - 2 * (10 + 1))
    lo, hi = inputs.save_range
    assert 0.1 * lo * clv > 11  # b still pays at the low save rate
    assert row.loc["save_rate", "swing"] == pytest.approx((0.5 + 0.1) * (hi - lo) * clv)
    assert row.loc["cac", "swing"] == 0
