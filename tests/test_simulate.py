"""Tests of the seeded churn simulator (churnlab.simulate)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import churnlab.simulate.retail as retail_sim
from churnlab.errors import ParamsError
from churnlab.schema import TABLES, validate_table
from churnlab.simulate.run import RNG_BLOCK, SCENARIOS, simulate, simulate_to_parquet

AS_OF = dt.date(2025, 12, 31)
TS = pd.Timestamp(AS_OF)
EXPECTED_TABLES = {
    "telecom": {"customers", "subscriptions", "usage", "interactions", "exit_reasons", "offers"},
    "retail": {"customers", "transactions", "interactions", "exit_reasons", "offers"},
    "software": {"customers", "subscriptions", "usage", "interactions", "exit_reasons", "offers"},
}
DATE_COL = {"usage": "period", "transactions": "date", "interactions": "date",
            "exit_reasons": "date", "offers": "date"}
KIND_DTYPE = {"id": "object", "date": "datetime64[ns]", "number": "float64", "bool": "bool",
              "text": "object"}
FEATURE_VOCAB = {"n_complaints", "n_interactions", "response_hours_mean", "unresolved_share",
                 "csat_mean", "n_purchases", "total_spend", "avg_spend", "recency_days"}


@pytest.fixture(scope="module")
def default_sims():
    """Each scenario at the default size."""
    return {s: simulate(s, n_customers=5000, seed=42, as_of=AS_OF) for s in SCENARIOS}


@pytest.fixture(scope="module")
def big_sims():
    """Larger runs for the statistical checks."""
    return {s: simulate(s, n_customers=10_000, seed=7, as_of=AS_OF) for s in SCENARIOS}


def assert_tables_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


# ------------------------------------------------------------------ determinism


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_same_data_other_seed_other_data(scenario):
    a = simulate(scenario, n_customers=800, seed=3, as_of=AS_OF, history_months=24)
    b = simulate(scenario, n_customers=800, seed=3, as_of=AS_OF, history_months=24)
    c = simulate(scenario, n_customers=800, seed=4, as_of=AS_OF, history_months=24)
    assert_tables_equal(a.tables, b.tables)
    assert a.ground_truth == b.ground_truth
    for name in ("customers", "interactions"):
        assert not a.tables[name].equals(c.tables[name])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_parquet_equals_in_memory_whatever_the_chunk_size(scenario, tmp_path):
    n = 2 * RNG_BLOCK + 300  # three random-number blocks
    mem = simulate(scenario, n_customers=n, seed=5, as_of=AS_OF, history_months=18)
    paths = simulate_to_parquet(scenario, tmp_path / "small", n_customers=n, seed=5, as_of=AS_OF,
                                history_months=18, chunk_customers=1)
    assert set(paths) == EXPECTED_TABLES[scenario] | {"ground_truth"}
    back = {name: pd.read_parquet(paths[name]) for name in mem.tables}
    assert_tables_equal(mem.tables, back)
    assert pq.ParquetFile(paths["customers"]).num_row_groups == 3  # one row group per chunk
    assert json.loads(paths["ground_truth"].read_text()) == mem.ground_truth
    big = simulate_to_parquet(scenario, tmp_path / "big", n_customers=n, seed=5, as_of=AS_OF,
                              history_months=18, chunk_customers=3 * RNG_BLOCK)
    assert pq.ParquetFile(big["customers"]).num_row_groups == 1
    assert_tables_equal(mem.tables, {name: pd.read_parquet(big[name]) for name in mem.tables})
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_holdout_months_do_not_change_the_past(scenario):
    as_of = dt.date(2025, 6, 15)  # mid-month: the as_of month is split
    past = simulate(scenario, n_customers=1500, seed=9, as_of=as_of, history_months=24)
    more = simulate(scenario, n_customers=1500, seed=9, as_of=as_of, history_months=24,
                    months_after_as_of=6)
    cut = pd.Timestamp(as_of)
    assert more.tables["offers"]["date"].max() > cut
    for name, df in past.tables.items():
        other = more.tables[name]
        if name in DATE_COL:
            other = other[other[DATE_COL[name]] <= cut].reset_index(drop=True)
        elif name == "subscriptions":
            other = other.copy()
            late = other["end_date"] > cut
            other.loc[late, "end_date"] = pd.NaT
            other.loc[late, "end_reason"] = None
        pd.testing.assert_frame_equal(df, other, obj=name)


# --------------------------------------------------------------- canonical shape


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_canonical_tables_columns_and_dtypes(scenario, default_sims):
    tables = default_sims[scenario].tables
    assert set(tables) == EXPECTED_TABLES[scenario]
    for name, df in tables.items():
        spec = TABLES[name]
        assert set(spec.required) <= set(df.columns), name
        for col in spec.columns:
            if col.name in df.columns and not (name == "interactions" and col.name == "csat"):
                assert str(df[col.name].dtype) == KIND_DTYPE[col.kind], (name, col.name)
        assert len(df) > 0, name
        validate_table(df, name, source=f"{scenario} simulation")
        assert df["customer_id"].map(type).eq(str).all()
    prefix = {"telecom": "T", "retail": "R", "software": "S"}[scenario]
    ids = tables["customers"]["customer_id"]
    assert ids.iloc[0] == f"{prefix}0000001" and ids.is_unique
    assert ids.str.fullmatch(prefix + r"\d{7}").all()
    if "usage" in tables:
        metrics = tables["usage"].drop(columns=["customer_id", "period"])
        assert all(np.issubdtype(t, np.number) for t in metrics.dtypes)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_rows_sorted_by_customer_then_date(scenario, default_sims):
    for name, df in default_sims[scenario].tables.items():
        keys = ["customer_id"] + ([DATE_COL[name]] if name in DATE_COL else [])
        assert df[keys].equals(df.sort_values(keys, kind="stable")[keys].reset_index(drop=True)), name


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_timeline_invariants(scenario, default_sims):
    t = default_sims[scenario].tables
    cust = t["customers"].set_index("customer_id")
    start = pd.Timestamp("2023-01-01")
    assert cust["signup_date"].max() <= TS
    for name, col in DATE_COL.items():
        if name in t:
            dates = t[name][col]
            assert dates.notna().all() and dates.max() <= TS, name
            assert (dates >= start).all(), name
            signup = t[name]["customer_id"].map(cust["signup_date"])
            assert (dates >= signup.dt.to_period("M").dt.start_time).all(), name
    if "subscriptions" in t:
        sub = t["subscriptions"].set_index("customer_id")
        assert (sub["start_date"] == cust["signup_date"]).all()
        ended = sub["end_date"].notna()
        assert (sub.loc[ended, "end_date"] >= sub.loc[ended, "start_date"]).all()
        assert sub.loc[ended, "end_date"].max() <= TS
        assert sub["end_reason"].notna().eq(ended).all()
        assert (cust["signup_date"] < start).mean() > 0.3  # customers from before the window
        assert cust["signup_date"].min() >= start - pd.DateOffset(years=6)
        # nothing after a customer's end date; usage runs to the month of the end
        for name, col in (("usage", "period"), ("interactions", "date")):
            end = t[name]["customer_id"].map(sub["end_date"])
            assert not (t[name][col] > end).any(), name
        last = t["usage"].groupby("customer_id")["period"].max()
        assert (last[ended[ended].index] == sub.loc[ended, "end_date"].dt.to_period("M")
                .dt.start_time).all()
        assert (last[~ended].index.size == (~ended).sum()) and (last[~ended] == TS.replace(day=1)).all()
        reasons = t["exit_reasons"].set_index("customer_id")
        assert (reasons["date"] == sub.loc[reasons.index, "end_date"]).all()
        assert (sub.loc[reasons.index, "end_reason"] == "voluntary").all()
    else:
        tx = t["transactions"]
        first = tx.groupby("customer_id")["date"].min()
        assert (first == cust["signup_date"]).all()  # signup = first purchase
        assert (tx["amount"] > 0).all()
        assert tx["category"].nunique() >= 6


# ------------------------------------------------------------- planted behaviour


def _tenure_months(start: pd.Series, when: pd.Series) -> pd.Series:
    return (when.dt.year - start.dt.year) * 12 + (when.dt.month - start.dt.month)


def test_telecom_contract_end_spike(big_sims):
    sub = big_sims["telecom"].tables["subscriptions"]
    one = sub[sub["plan"] == "one_year"]
    window0 = pd.Series(pd.Timestamp("2023-01-01"), index=one.index)
    first = _tenure_months(one["start_date"], window0).clip(lower=0)  # left truncation
    last = _tenure_months(one["start_date"], one["end_date"].fillna(TS))
    churned = one["end_date"].notna()

    def hazard(months):
        at_risk = sum(((first <= k) & (last >= k)).sum() for k in months)
        events = sum(((last == k) & churned).sum() for k in months)
        return events / at_risk

    for end in (12, 24):
        spike, around = hazard([end]), hazard([end - 2, end - 1, end + 1, end + 2])
        assert spike > 4 * around, (end, spike, around)
    m2m = sub[sub["plan"] == "month_to_month"]
    assert m2m["end_date"].notna().mean() > 1.5 * one["end_date"].notna().mean()


def test_exit_reasons_follow_planted_drivers(big_sims):
    t = big_sims["telecom"].tables
    rise = t["usage"].groupby("customer_id")["monthly_charge"].agg(lambda s: s.max() > 1.04 * s.min())
    reasons = t["exit_reasons"].join(rise.rename("rise"), on="customer_id")
    share = reasons.groupby("rise")["reason"].apply(lambda r: (r == "price").mean())
    assert share[True] > share[False] + 0.25, share
    complaints = t["interactions"].query("kind == 'complaint' and not resolved").groupby("customer_id").size()
    reasons["unresolved"] = reasons["customer_id"].map(complaints).fillna(0)
    service = reasons.groupby(reasons["unresolved"] > 0)["reason"].apply(lambda r: (r == "service").mean())
    assert service[True] > service[False] + 0.1, service
    # a share of churners answers the survey
    sub = t["subscriptions"]
    answered = len(reasons) / (sub["end_reason"] == "voluntary").sum()
    assert 0.4 < answered < 0.6


def test_save_desk_keeps_about_half(big_sims):
    offers = pd.concat([s.tables["offers"] for s in big_sims.values()])
    n, saved = len(offers), offers["saved"].sum()
    assert n > 1000
    assert abs(saved / n - 0.5) < 3.5 * np.sqrt(0.25 / n)
    assert not (offers["saved"] & ~offers["accepted"]).any()
    for s in big_sims.values():
        assert s.ground_truth["save_rate"] == 0.5
    # saved customers did not leave then: no churn within 3 months of a saving offer
    t = big_sims["telecom"].tables
    end = t["offers"]["customer_id"].map(t["subscriptions"].set_index("customer_id")["end_date"])
    kept = t["offers"]["saved"]
    assert not (kept & (end <= t["offers"]["date"] + pd.DateOffset(months=3))).any()
    # price leavers accept a discount more readily than other offers (reason-dependent acceptance)
    left = t["offers"][~kept].merge(t["exit_reasons"][["customer_id", "reason"]], on="customer_id")
    price = left[left["reason"] == "price"]
    assert price.loc[price["offer_type"] == "discount", "accepted"].mean() > \
        price.loc[price["offer_type"] != "discount", "accepted"].mean() + 0.3


def test_realism_at_default_size(default_sims):
    for scenario, (lo, hi) in {"telecom": (0.2, 0.3), "software": (0.15, 0.3)}.items():
        sub = default_sims[scenario].tables["subscriptions"]
        assert lo <= sub["end_date"].notna().mean() <= hi, scenario
    tx = default_sims["retail"].tables["transactions"]
    silent = (tx.groupby("customer_id")["date"].max() < TS - pd.DateOffset(months=6)).mean()
    assert 0.3 <= silent <= 0.5
    years = 3.0
    assert 5 < len(tx) / 5000 / years < 25  # about 10 lines per customer-year


def test_retail_partial_defection_is_planted(monkeypatch):
    """Customers still buying whose spend rate fell >= 80%: far more than without planting."""

    def flagged() -> tuple[int, dict]:
        s = simulate("retail", n_customers=10_000, seed=8, as_of=AS_OF)
        tx, cust = s.tables["transactions"], s.tables["customers"].set_index("customer_id")
        late_from, early_from = TS - pd.DateOffset(months=6), TS - pd.DateOffset(months=18)
        old = cust.index[cust["signup_date"] <= early_from]

        def spend(frm, to):
            rows = tx[(tx["date"] > frm) & (tx["date"] <= to)]
            return rows.groupby("customer_id")["amount"].sum().reindex(old, fill_value=0)

        late, early = spend(late_from, TS) / 6, spend(early_from, late_from) / 12
        still_buying = spend(TS - pd.DateOffset(months=2), TS) > 0
        return int((still_buying & (late <= 0.2 * early)).sum()), s.ground_truth["planted_counts"]

    planted, counts = flagged()
    assert counts["partial_defectors_by_as_of"] > 0 and counts["category_defectors_by_as_of"] > 0
    monkeypatch.setattr(retail_sim, "RETAIL", dataclasses.replace(retail_sim.RETAIL, partial_hazard=0.0))
    baseline, counts = flagged()
    assert counts["partial_defectors_by_as_of"] == 0
    assert planted > 1.5 * baseline + 5, (planted, baseline)


def test_retail_category_defection_is_planted(monkeypatch):
    """Customers who stop buying their clear favourite category but keep buying others."""

    def flagged() -> int:
        tx = simulate("retail", n_customers=8000, seed=8, as_of=AS_OF).tables["transactions"]
        tx = tx[tx["date"] > TS - pd.DateOffset(months=24)]
        recent = tx["date"] > TS - pd.DateOffset(months=6)
        early, late = tx[~recent], tx[recent]
        lines = early.groupby(["customer_id", "category"]).size()
        favourite = lines.groupby(level=0).idxmax().str[1]
        share = lines.groupby(level=0).max() / early.groupby("customer_id").size()
        n_early, n_late = early.groupby("customer_id").size(), late.groupby("customer_id").size()
        fav_late = late[late["category"].values == favourite.reindex(late["customer_id"]).values]
        who = share.index[(share >= 0.4) & (n_early >= 10)].intersection(n_late.index[n_late >= 6])
        return int((fav_late.groupby("customer_id").size().reindex(who, fill_value=0) == 0).sum())

    planted = flagged()
    monkeypatch.setattr(retail_sim, "RETAIL", dataclasses.replace(retail_sim.RETAIL, category_hazard=0.0))
    baseline = flagged()
    assert planted > 2 * baseline + 5, (planted, baseline)


def _usage_change(usage: pd.DataFrame, metric: str) -> pd.Series:
    g = usage.groupby("customer_id")
    first = g.head(3).groupby("customer_id")[metric].mean()
    last = g.tail(3).groupby("customer_id")[metric].mean()
    return last / first.replace(0, np.nan) - 1


def _logit(df: pd.DataFrame, y: str, cols: list[str]):
    import statsmodels.api as sm

    x = sm.add_constant(df[cols].astype(float))
    return sm.Logit(df[y].astype(float), x).fit(disp=0)


def test_top_drivers_recovered_telecom(big_sims):
    t = big_sims["telecom"].tables
    df = t["subscriptions"].set_index("customer_id")
    df["m2m"] = df["plan"] == "month_to_month"
    df["monthly_charge_change"] = _usage_change(t["usage"], "monthly_charge")
    df["log_tenure"] = np.log1p((df["end_date"].fillna(TS) - df["start_date"]).dt.days)
    df["churned"] = df["end_date"].notna()
    fit = _logit(df, "churned", ["m2m", "monthly_charge_change", "log_tenure"])
    assert fit.params["m2m"] > 0 and fit.tvalues["m2m"] > 5
    assert fit.params["monthly_charge_change"] > 0 and fit.tvalues["monthly_charge_change"] > 5


def test_top_drivers_recovered_retail(big_sims):
    t = big_sims["retail"].tables
    df = t["customers"].set_index("customer_id")
    df = df[df["signup_date"] <= TS - pd.DateOffset(months=6)].copy()
    last = t["transactions"].groupby("customer_id")["date"].max()
    df["churned"] = last.reindex(df.index) < TS - pd.DateOffset(months=6)  # 6-month inactivity
    complaints = t["interactions"].query("kind == 'complaint'").groupby("customer_id").size()
    df["n_complaints"] = complaints.reindex(df.index, fill_value=0)
    df["log_tenure"] = np.log((TS - df["signup_date"]).dt.days)
    fit = _logit(df, "churned", ["loyalty_member", "n_complaints", "log_tenure"])
    assert fit.params["loyalty_member"] < 0 and fit.tvalues["loyalty_member"] < -5
    assert fit.params["n_complaints"] > 0 and fit.tvalues["n_complaints"] > 3


def test_top_drivers_recovered_software(big_sims):
    from lifelines import CoxPHFitter

    t = big_sims["software"].tables
    df = t["subscriptions"].set_index("customer_id")
    df["logins_change"] = _usage_change(t["usage"], "logins").fillna(0).clip(-1, 3)
    df["csat_mean"] = t["interactions"].groupby("customer_id")["csat"].mean()
    df["csat_mean"] = df["csat_mean"].fillna(df["csat_mean"].mean())
    months = lambda d: d.dt.days / 30.4375  # noqa: E731
    df["duration"] = months(df["end_date"].fillna(TS) - df["start_date"]) + 0.5
    df["entry"] = months(pd.Timestamp("2023-01-01") - df["start_date"]).clip(lower=0)
    df["churned"] = df["end_date"].notna()
    cph = CoxPHFitter().fit(df[["duration", "entry", "churned", "logins_change", "csat_mean"]],
                            "duration", "churned", entry_col="entry")
    z = cph.summary["z"]
    assert z["logins_change"] < -5 and z["csat_mean"] < -5
    # the early-warning signal: voluntary leavers' logins fell before they cancelled
    vol = df["end_reason"] == "voluntary"
    assert df.loc[vol, "logins_change"].median() < -0.15 < df.loc[~df["churned"], "logins_change"].median()


# ------------------------------------------------------------------ ground truth


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_ground_truth_contents(scenario, default_sims):
    gt = default_sims[scenario].ground_truth
    assert json.loads(json.dumps(gt)) == gt
    for key in ("scenario", "seed", "n_customers", "as_of", "history_months", "months_after_as_of",
                "save_rate", "exit_survey_response_rate", "drivers", "hazard", "reason_model"):
        assert key in gt
    assert gt["as_of"] == "2025-12-31" and gt["n_customers"] == 5000 and gt["seed"] == 42
    tables = default_sims[scenario].tables
    static = set().union(*(tables[n].columns for n in ("customers", "subscriptions") if n in tables))
    metrics = set(tables["usage"].columns) - {"customer_id", "period"} if "usage" in tables else set()
    vocab = static | FEATURE_VOCAB | {f"{m}_{s}" for m in metrics for s in ("mean", "change")}
    for d in gt["drivers"]:
        assert d["feature"] in vocab, d["feature"]
        assert d["direction"] in "+-" and d["description"]
        assert d["effect"]["hazard_ratio"] > 0
    top = [d["feature"] for d in gt["drivers"][:2]]
    assert top == {"telecom": ["plan", "monthly_charge_change"],
                   "retail": ["loyalty_member", "n_complaints"],
                   "software": ["logins_change", "csat_mean"]}[scenario]
    assert set(gt["reason_model"]["coefficients"]) == {"price", "service", "competitor", "product",
                                                       "moved", "no_longer_needed"}


@pytest.mark.parametrize("kwargs, message", [
    ({"scenario": "bank"}, "unknown scenario"),
    ({"n_customers": 0}, "n_customers"),
    ({"seed": -1}, "seed"),
    ({"months_after_as_of": -1}, "months_after_as_of"),
    ({"history_months": 1}, "history_months"),
])
def test_bad_arguments(kwargs, message):
    args = {"scenario": "telecom", "n_customers": 10, "seed": 1, "as_of": AS_OF, **kwargs}
    with pytest.raises(ParamsError, match=re.escape(message)):
        simulate(args.pop("scenario"), **args)
