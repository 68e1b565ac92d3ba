"""Features as of a cutoff: known answers, and no information from after the cutoff."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnlab.collect import features
from churnlab.collect.sources import connect


@pytest.fixture
def tables(tmp_path):
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-01-10", "2024-06-30", "2024-07-15", "2024-03-01", "2024-12-01"]),
        "amount": [10.0, 20.0, 40.0, 5.0, 7.0],
        "category": ["x", "y", "x", "x", "x"],
    })
    usage = pd.DataFrame({
        "customer_id": ["a"] * 8,
        "period": pd.date_range("2024-01-01", periods=8, freq="MS"),
        "logins": [10.0, 10, 10, 8, 6, 5, 5, 5],
    })
    inter = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "date": pd.to_datetime(["2024-02-01", "2024-09-01", "2024-03-05"]),
        "kind": ["complaint", "call", "complaint"],
        "response_hours": [10.0, 30.0, 4.0],
        "resolved": [True, False, True],
    })
    paths = {}
    for name, df in {"transactions": tx, "usage": usage, "interactions": inter}.items():
        paths[name] = tmp_path / f"{name}.parquet"
        df.to_parquet(paths[name], index=False)
    return paths


def feats(tables, cutoff, window=90):
    con = connect()
    return features.customer_features(con, tables, cutoff=cutoff, window_days=window).set_index("customer_id")


def test_known_answers(tables):
    f = feats(tables, dt.date(2024, 7, 31))
    # a: three purchases by 2024-07-31 (10 + 20 + 40), last one 16 days before
    assert f.loc["a", "n_purchases"] == 3 and f.loc["a", "total_spend"] == 70
    assert f.loc["a", "avg_spend"] == pytest.approx(70 / 3)
    assert f.loc["a", "recency_days"] == 16
    # recent window (2024-05-03, 2024-07-31]: 20 + 40; baseline (2024-02-03, 2024-05-02]: nothing
    assert f.loc["a", "spend_recent"] == 60 and f.loc["a", "spend_baseline"] == 0
    # usage: months fully over by 2024-07-31 are Jan..Jul; last 3 (6,5,5) vs first 3 (10,10,10)
    assert f.loc["a", "logins_change"] == pytest.approx((6 + 5 + 5) / 3 / 10 - 1)
    assert f.loc["a", "logins_mean"] == pytest.approx((10 + 10 + 10 + 8 + 6 + 5 + 5) / 7)
    # interactions by then: one complaint, resolved, 10 hours
    assert f.loc["a", "n_complaints"] == 1 and f.loc["a", "n_interactions"] == 1
    assert f.loc["a", "unresolved_share"] == 0 and f.loc["a", "response_hours_mean"] == 10
    # b has no usage rows: NaN metrics, but counts are filled
    assert f.loc["b", "n_purchases"] == 1 and pd.isna(f.loc["b", "logins_mean"])


def test_no_event_after_the_cutoff_changes_a_feature(tables, tmp_path):
    cutoff = dt.date(2024, 7, 31)
    before = feats(tables, cutoff)
    # add events after the cutoff to every table: features as of the cutoff must not move
    for name, extra in {
        "transactions": pd.DataFrame({"customer_id": ["a", "b"],
                                      "date": pd.to_datetime(["2024-08-01 00:00", "2024-07-31 23:59"]),
                                      "amount": [999.0, 1.0], "category": ["z", "z"]}),
        "interactions": pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-08-02"]),
                                      "kind": ["complaint"], "response_hours": [99.0],
                                      "resolved": [False]}),
    }.items():
        df = pd.concat([pd.read_parquet(tables[name]), extra], ignore_index=True)
        df.to_parquet(tables[name], index=False)
    after = feats(tables, cutoff)
    b_changed = after.loc["b"].compare(before.loc["b"])
    pd.testing.assert_series_equal(after.loc["a"], before.loc["a"])
    # the purchase on the cutoff day itself (23:59) does count: the whole day belongs to it
    assert set(b_changed.index) <= {"n_purchases", "total_spend", "avg_spend", "recency_days",
                                    "spend_recent", "last_purchase"}
    assert after.loc["b", "n_purchases"] == 2


def test_category_activity_windows(tables):
    con = connect()
    ca = features.category_activity(con, tables["transactions"], cutoff=dt.date(2024, 12, 31),
                                    window_days=180)
    # windows: baseline (2024-01-06, 2024-07-04], recent (2024-07-05, 2024-12-31]
    got = {(r.customer_id, r.category): (r.n_baseline, r.n_recent) for r in ca.itertuples()}
    assert got == {("a", "x"): (1, 1), ("a", "y"): (1, 0), ("b", "x"): (1, 1)}
