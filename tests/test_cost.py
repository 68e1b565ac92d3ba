"""Cost of churn, revenue at risk and fix ROI against hand-computed examples."""

from __future__ import annotations

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


def test_fix_roi_by_hand():
    ch = pd.DataFrame({"reason": ["price"] * 6 + ["service"] * 2 + [None] * 2,
                       "lost_value": [100.0] * 6 + [400.0] * 2 + [0.0] * 2})
    fixes = {"price": FixParams(reduction=0.5, investment=200),
             "service": FixParams(reduction=0.25, investment=1000)}
    roi = cost.fix_roi(ch, fixes, years=2, horizon_months=24, monthly_discount=0.01).set_index("reason")
    # 10 churners, answered shares 0.75 / 0.25; per year 3.75 and 1.25 churners
    assert roi.loc["price", "value_lost_per_year"] == pytest.approx(3.75 * 100)
    assert roi.loc["price", "value_saved_per_year"] == pytest.approx(0.5 * 375)
    # 187.5 a year = 15.625 a month for 24 months at 1% a month: annuity factor (1 - 1.01^-24) / 0.01
    annuity = (1 - 1.01 ** -24) / 0.01
    assert annuity == pytest.approx(21.2434, abs=1e-4)
    assert roi.loc["price", "value_saved_pv"] == pytest.approx(15.625 * annuity)
    assert roi.loc["price", "roi"] == pytest.approx((15.625 * annuity - 200) / 200)
    assert roi.loc["service", "roi"] == pytest.approx((0.25 * 1.25 * 400 / 12 * annuity - 1000) / 1000)
    assert roi.index[0] == "price"
    # without discounting it is the plain two-year sum; discounting always lowers it
    flat = cost.fix_roi(ch, fixes, years=2, horizon_months=24, monthly_discount=0.0).set_index("reason")
    assert flat.loc["price", "roi"] == pytest.approx((187.5 * 2 - 200) / 200)
    assert (roi["roi"] < flat.loc[roi.index, "roi"]).all()


def test_cost_by_segment_adds_up():
    res = cost.cost_of_churn(_churners(), _offers(), COSTS, period="quarter", currency="EUR",
                             window=("2024-01-01", "2024-12-31"),
                             segments=pd.Series({"a": "x", "b": "y", "c": "x"}))
    by = res.by_segment()
    assert by["total"].sum() == pytest.approx(res.totals["total"])
    assert set(res.table["period"]) == {"2024Q1"} and "(missing)" in by.index  # e, f: no segment


def test_churners_and_retained():
    a = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "churned": [True, True, False, False],
                      "end_date": pd.to_datetime(["2024-01-01", None, None, None]),
                      "duration": [3.0, 4.0, 10.0, 20.0], "plan": ["m", "y", None, "y"]})
    clv = pd.Series({"d": 200.0, "c": 100.0})
    ch, ret = cost.churners_and_retained(a, clv, pd.Series({"c": 10.0, "d": 20.0}), segment="plan")
    assert ch["customer_id"].tolist() == ["a"] and ch["tenure_months"].tolist() == [3.0]
    assert ret["customer_id"].tolist() == ["d", "c"] and ret["tenure_months"].tolist() == [20.0, 10.0]
    assert ret["segment"].tolist() == ["y", "(missing)"] and ch["segment"].tolist() == ["m"]
