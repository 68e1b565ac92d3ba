"""The event history (churnlab.kpi.history): every lapse counts in its period, every return is a
reactivation in its own -- on hand-built histories and against the simulator's planted lapses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from churnlab import kpi
from churnlab.simulate import retail as retail_sim
from churnlab.simulate import simulate

d = pd.to_datetime


def _purchases():
    # a: buys in Jan and on 1 Feb 2023, silent for more than 180 days, back on 15 Dec 2023;
    # b: one purchase on 1 Mar 2023, never back; c: buys every month (never lapses)
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b"] + ["c"] * 18,
        "date": d(["2023-01-10", "2023-02-01", "2023-12-15", "2024-01-05", "2023-03-01"]
                  + [f"2023-{m:02d}-05" for m in range(1, 13)] + [f"2024-{m:02d}-05" for m in range(1, 7)])})


def test_a_lapse_and_a_later_return_both_count_in_their_periods():
    sp = kpi.purchase_spells(_purchases(), inactivity_days=180, end="2024-06-30")
    a = sp[sp["customer_id"] == "a"].set_index("spell")
    # the lapse is dated at the last purchase, 1 Feb (known 180 days later, 31 Jul); the return on
    # 15 Dec opens spell 2
    assert a.loc[1, "end_date"] == d("2023-02-01") and bool(a.loc[1, "churned"])
    assert a.loc[2, "start_date"] == d("2023-12-15") and not a.loc[2, "churned"]
    assert sp.loc[sp["customer_id"] == "b", "end_date"].tolist() == [d("2023-03-01")]
    r = kpi.churn_rates(sp, period="month", start="2023-01-01", end="2024-06-30").set_index("period")
    # February: a and c active on 1 Feb; a lapses although a is active again by June 2024
    assert (r.loc["2023-02", "at_start"], r.loc["2023-02", "churned"]) == (2, 1)
    assert r.loc["2023-02", "churn_rate"] == pytest.approx(1 / 2)
    assert (r.loc["2023-03", "new_and_churned"], r.loc["2023-03", "churned"]) == (1, 0)  # b, one visit
    assert (r.loc["2023-12", "reactivated"], r.loc["2023-12", "new"]) == (1, 0)        # a is back
    assert r.loc["2023-12", "at_end"] == 2 and r.loc["2024-01", "at_start"] == 2       # a active again
    assert r["churned"].sum() + r["new_and_churned"].sum() == 2 and r["reactivated"].sum() == 1
    ok = r["at_end"] == r["at_start"] - r["churned"] + r["new"] + r["reactivated"] - r["new_and_churned"]
    assert ok.all()
    # the single status as of 30 Jun 2024 (a: active) loses a's lapse: one churner, not two
    as_of = sp.groupby("customer_id").tail(1)
    single = kpi.churn_rates(as_of.drop(columns="spell"), period="month", start="2023-01-01", end="2024-06-30")
    assert single["churned"].sum() + single["new_and_churned"].sum() == 1
    per_year = kpi.lapses_per_period(sp, period="year").set_index("period")
    assert per_year.loc["2023"].tolist() == [2, 1]


def test_contract_lapse_and_return():
    subs = pd.DataFrame({"customer_id": ["c", "c", "e"],
                         "start_date": d(["2023-01-01", "2023-06-01", "2023-02-01"]),
                         "end_date": d(["2023-03-31", None, "2023-03-10"])})
    sp = kpi.subscription_spells(subs, gap_days=30, end="2023-12-31")
    assert sp[["customer_id", "spell", "churned"]].values.tolist() == [["c", 1, True], ["c", 2, False],
                                                                      ["e", 1, True]]
    r = kpi.churn_rates(sp, period="quarter", start="2023-01-01", end="2023-12-31").set_index("period")
    # Q1: nobody active on 1 Jan (c and e join in Q1, both lapse in Q1: same-period rule)
    assert (r.loc["2023Q1", "new"], r.loc["2023Q1", "new_and_churned"], r.loc["2023Q1", "at_end"]) == (2, 2, 0)
    assert (r.loc["2023Q2", "reactivated"], r.loc["2023Q2", "at_end"]) == (1, 1)
    assert r.loc["2023Q3", "at_start"] == 1 and r.loc["2023Q3", "churned"] == 0
    wb = kpi.winback_from_spells(sp, window_days=90, end="2023-12-31", delay_days=30)
    assert (wb["churn_events"], wb["returned"]) == (2, 1)   # c is back 62 days after 31 Mar


def test_yearly_lapses_equal_the_simulators_planted_lapses(monkeypatch):
    """Retail simulator with planted lapses that the 180-day definition sees exactly: customers
    buy almost daily (no silence of 180 days unless they drop out), every dropout is contacted
    exactly 200 days later, and a saved customer buys again that day. So each dropout on day t
    (last purchase t - 1) is a lapse dated t - 1 and known on t - 1 + 180, and each save a return on the
    contact day."""
    planted = dataclasses.replace(
        retail_sim.RETAIL, visit_rate=300.0, visit_shape=1000.0, extra_lines=0.0, dropout_hazard=0.08,
        partial_hazard=0.0, category_hazard=0.0, contact_lag_days=(200, 200),
        desk=dataclasses.replace(retail_sim.RETAIL.desk, reach=1.0))
    monkeypatch.setattr(retail_sim, "RETAIL", planted)
    as_of = dt.date(2024, 12, 31)
    sim = simulate("retail", n_customers=120, seed=5, as_of=as_of, history_months=24, months_after_as_of=9)
    tx, offers = sim.tables["transactions"], sim.tables["offers"]
    end = tx["date"].max().normalize()
    sp = kpi.purchase_spells(tx, inactivity_days=180, end=end)
    got = kpi.lapses_per_period(sp, period="year").set_index("period")

    drop = offers["date"] - pd.Timedelta(days=200)           # the planted dropout days
    assert int((drop <= pd.Timestamp(as_of)).sum()) == sim.ground_truth["planted_counts"][
        "dropout_events_by_as_of"]
    last = drop - pd.Timedelta(days=1)  # a lapse is dated at the last purchase, counted once known
    want_lapses = last[last + pd.Timedelta(days=180) <= end].dt.year.astype(str).value_counts()
    want_returns = offers.loc[offers["saved"], "date"].dt.year.astype(str).value_counts()
    assert want_lapses.sum() > 40 and want_returns.sum() > 10  # enough planted events to mean something
    assert got["lapses"].to_dict() == want_lapses.sort_index().to_dict()
    assert got["returns"].reindex(want_returns.index).to_dict() == want_returns.to_dict()
    assert got["returns"].sum() == want_returns.sum()
