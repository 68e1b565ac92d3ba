"""Churn definitions on hand-made customers with known answers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnlab.collect import definitions as d

AS_OF = dt.date(2024, 12, 31)
T = pd.Timestamp


def test_contractual_chains_and_gap():
    subs = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "c", "d", "e"],
        "start_date": pd.to_datetime(["2020-01-01", "2021-01-20", "2022-05-01", "2020-01-01",
                                      "2023-01-01", "2025-02-01", "2024-01-01"]),
        "end_date": pd.to_datetime(["2021-01-01", "2022-01-01", None, "2020-06-01", None, None,
                                    "2025-03-01"]),
        "plan": ["m", "y", "m", "m", "y", "m", "m"],
    })
    out = d.contractual(subs, as_of=AS_OF, resubscribe_gap_days=30).set_index("customer_id")
    # a: two spells 19 days apart form one chain that ended 2022-01-01 -> churned
    assert out.loc["a", "churned"] and out.loc["a", "end_date"] == T("2022-01-01")
    assert out.loc["a", "start_date"] == T("2020-01-01") and out.loc["a", "n_returns"] == 0
    assert out.loc["a", "plan"] == "y"
    # b: still active
    assert not out.loc["b", "churned"] and pd.isna(out.loc["b", "end_date"])
    # c: left in 2020, came back in 2023 (gap > 30 days): one return, active now
    assert not out.loc["c", "churned"] and out.loc["c", "n_returns"] == 1
    assert out.loc["c", "start_date"] == T("2023-01-01")
    # d started after as_of: not a customer yet
    assert "d" not in out.index
    # e ends after as_of: censored, active at as_of
    assert not out.loc["e", "churned"]


def test_contractual_gap_zero_splits_chains():
    subs = pd.DataFrame({"customer_id": ["a", "a"],
                         "start_date": pd.to_datetime(["2020-01-01", "2020-03-05"]),
                         "end_date": pd.to_datetime(["2020-03-01", None])})
    out = d.contractual(subs, as_of=AS_OF, resubscribe_gap_days=0)
    assert out.loc[0, "n_returns"] == 1 and not out.loc[0, "churned"]


def _activity():
    return pd.DataFrame({
        "customer_id": ["loyal", "silent", "dropper", "new", "edge"],
        "first_purchase": pd.to_datetime(["2022-01-01", "2022-01-01", "2022-01-01", "2024-10-01",
                                          "2023-01-01"]),
        "last_purchase": pd.to_datetime(["2024-12-20", "2024-03-01", "2024-12-01", "2024-12-30",
                                         "2024-07-04"]),
        "spend_recent": [500.0, 0.0, 50.0, 80.0, 10.0],
        "spend_baseline": [450.0, 100.0, 500.0, 0.0, 10.0],
    })


def test_inactivity_window():
    out = d.inactivity(_activity(), as_of=AS_OF, inactivity_days=180).set_index("customer_id")
    assert out["churned"].to_dict() == {"loyal": False, "silent": True, "dropper": False,
                                        "new": False, "edge": True}
    # 'edge' last bought 2024-07-04: exactly 180 days before as_of -> churned (>=)
    assert (T(AS_OF) - T("2024-07-04")).days == 180
    assert out.loc["silent", "end_date"] == T("2024-03-01")


def test_partial_defection_threshold():
    out = d.partial(_activity(), as_of=AS_OF, window_days=180, partial_drop=0.8)
    out = out.set_index("customer_id")
    # dropper: 50 <= 0.2 * 500 -> churned; loyal: no; new (no baseline): no
    assert out.loc["dropper", "churned"] and not out.loc["loyal", "churned"]
    assert not out.loc["new", "churned"]
    assert out.loc["dropper", "end_date"] == T(AS_OF) - pd.Timedelta(days=180)
    # silent customer: no purchase in 2W = 360 days? last 2024-03-01 is 305 days ago: not silent,
    # and baseline 100 -> recent 0 <= 20: churned by the drop rule
    assert out.loc["silent", "churned"]
    stricter = d.partial(_activity(), as_of=AS_OF, window_days=180, partial_drop=0.95)
    assert not stricter.set_index("customer_id").loc["dropper", "churned"]


def test_category_defection():
    act = _activity()
    cats = pd.DataFrame({
        "customer_id": ["loyal", "loyal", "dropper", "dropper", "silent"],
        "category": ["toys", "food", "toys", "food", "toys"],
        "n_baseline": [3, 5, 1, 4, 6],
        "n_recent": [0, 6, 0, 2, 0],
    })
    out = d.category(cats, act, as_of=AS_OF, window_days=180, category_min_purchases=2)
    out = out.set_index("customer_id")
    assert out.loc["loyal", "churned"] and out.loc["loyal", "defected_categories"] == "toys"
    assert not out.loc["dropper", "churned"]  # toys bought only once before: below the minimum
    assert not out.loc["silent", "churned"]  # stopped everything: full churn, not category


def test_from_flag_and_durations():
    cust = pd.DataFrame({"customer_id": ["x", "y"], "duration": [12.0, 0.0], "churned": [True, False]})
    out = d.durations(d.from_flag(cust, duration_unit="month"), as_of=AS_OF)
    assert out["duration"].tolist() == pytest.approx([12.0, 0.0])
    assert out["duration_days"].iloc[0] == pytest.approx(365.25)
    assert out["event"].tolist() == [1, 0]


def test_durations_censor_at_as_of():
    st = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2024-01-01"] * 2),
                       "end_date": pd.to_datetime(["2024-03-01", None]), "churned": [True, False]})
    out = d.durations(st, as_of=AS_OF)
    assert out["duration_days"].tolist() == [60.0, 365.0]
