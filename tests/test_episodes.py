"""Monthly episodes (hand-computed), the time-varying Cox against simulated truth, and the
landmark / exposure logistic drivers against simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import causes, survival
from churnlab.collect.episodes import monthly_episodes, observation_end
from churnlab.errors import DataError

T = pd.Timestamp


def _hand_tables():
    analysis = pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "start_date": [T("2024-01-10"), T("2023-11-05"), T("2024-02-01")],
        "end_date": [T("2024-04-20"), pd.NaT, T("2024-03-15")],
        "event": [1, 0, 1], "end_reason": ["voluntary", None, "involuntary"],
        "region": ["n", "s", "n"]})
    usage = pd.DataFrame({
        "customer_id": ["A"] * 4 + ["B"] * 5,
        "period": [T("2024-01-01"), T("2024-02-01"), T("2024-03-01"), T("2024-04-01")]
        + [T(f"2024-0{m}-01") for m in range(1, 6)],
        "monthly_charge": [50.0, 50.0, 60.0, 60.0, 40, 40, 40, 40, 40],
        "dropped_calls": [2, 4, 0, 3, 1, 1, 1, 1, 1]})
    inter = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B"],
        "date": [T("2024-01-20"), T("2024-02-03"), T("2024-03-31"), T("2024-02-10")],
        "kind": ["complaint", "call", "complaint", "complaint"],
        "response_hours": [48.0, 12.0, 24.0, 72.0], "resolved": [False, True, False, True]})
    return analysis, usage, inter


def test_monthly_episodes_by_hand():
    a, usage, inter = _hand_tables()
    ep = monthly_episodes(a, usage=usage, interactions=inter, observed_from="2024-01-01",
                          observed_until="2024-05-31", static=["region"])
    A = ep[ep["customer_id"] == "A"].set_index(ep.loc[ep["customer_id"] == "A", "month"].dt.month)
    # A: Jan is the run-in month (no completed usage month); Feb..Apr at risk, churned in April
    assert A.index.tolist() == [2, 3, 4]
    assert A["start"].tolist() == [1, 2, 3] and A["stop"].tolist() == [2, 3, 4]
    assert A["event"].tolist() == [0, 0, 1]
    assert A["complaints_so_far"].tolist() == [1, 1, 2]        # the 31 March complaint counts in April
    assert A["unresolved_so_far"].tolist() == [1, 1, 2]
    # mean response hours before Mar: (48 + 12) / 2 = 30 -> 0.25 days above 24 h; before Apr: 28
    assert A["slow_response_days"].tolist() == pytest.approx([1.0, 0.25, 4 / 24])
    assert A["dropped_calls_mean"].tolist() == pytest.approx([2.0, 3.0, 2.0])  # running means
    assert A["price_rise"].tolist() == pytest.approx([0.0, 0.2, 0.2])          # the month's own price
    assert (A["region"] == "n").all()
    B = ep[ep["customer_id"] == "B"]
    # B joined before the window (left truncation): enters at tenure 3 in Feb (Jan is run-in)
    assert B["start"].tolist() == [3, 4, 5, 6] and B["event"].sum() == 0
    assert B["month"].max() == T("2024-05-01")
    # C ended involuntarily: censored, so no event; C has no usage at all -> no month known
    assert "C" not in set(ep["customer_id"]) and ep.attrs["censored_involuntary"] == 1
    assert ep.attrs["run_in_months"] == 2 + 2  # A Jan, B Jan, C Feb and Mar


def test_observation_end_and_whole_months():
    assert observation_end("2025-12-31", definition="inactivity", inactivity_days=180) == T("2025-07-04")
    assert observation_end("2025-12-31", definition="contractual") == T("2025-12-31")
    a, _, inter = _hand_tables()
    ep = monthly_episodes(a, interactions=inter, observed_from="2024-01-01",
                          observed_until="2024-04-19", voluntary_only=False)
    # statuses known to 19 April: only whole months up to March; A's April churn is censored
    assert ep["month"].max() == T("2024-03-01") and ep["event"].sum() == 1  # C in March
    with pytest.raises(DataError, match="start_date"):
        monthly_episodes(a.assign(start_date=pd.NaT), observed_until="2024-04-30")


def _simulated_months(n=3000, months=30, seed=5, b_c=0.5, b_x=-0.7, h0=0.02):
    """Monthly hazard h0 * exp(b_c * complaints so far + b_x * x); complaints arrive
    Poisson(0.08) a month and raise the hazard from the next month on."""
    rng = np.random.default_rng(seed)
    x = rng.random(n) < 0.4
    start = T("2022-01-01") + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    comp = np.zeros(n)
    end = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    alive = np.ones(n, bool)
    rows = []
    for m in range(months):
        ms = T("2022-01-01") + pd.DateOffset(months=m)
        h = h0 * np.exp(b_c * comp + b_x * x)
        leave = alive & (rng.random(n) < h)
        end[leave] = (ms + pd.Timedelta(days=14)).to_datetime64()
        alive &= ~leave
        k = rng.poisson(0.08, n) * (alive | leave)
        for i in np.flatnonzero(k):
            rows += [(f"c{i}", ms + pd.Timedelta(days=3))] * int(k[i])
        comp += k
    a = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "start_date": start,
                      "end_date": end, "event": (~alive).astype(int), "x": x})
    inter = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(kind="complaint")
    return a, inter, T("2022-01-01") + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def test_time_varying_cox_recovers_planted_log_hazard_ratios():
    a, inter, until = _simulated_months()
    ep = monthly_episodes(a, interactions=inter, observed_until=until, static=["x"])
    res = survival.tv_cox(ep, covariates=["complaints_so_far", "x"])
    t = res.hazard_ratios.set_index("term")
    for term, truth in (("complaints_so_far", 0.5), ("x=True", -0.7)):
        assert t.loc[term, "log_ci_low"] <= truth <= t.loc[term, "log_ci_high"], (term, t.loc[term])
    assert res.events == int(a["event"].sum())
    # the whole-history count as of the end, on the same customers, is badly off: survivors
    # accumulate complaints, so a customer-level Cox sees them as protective or far too weak
    from lifelines import CoxPHFitter
    n_comp = inter.groupby("customer_id").size().reindex(a["customer_id"]).fillna(0).to_numpy()
    dur = ((a["end_date"].fillna(until) - a["start_date"]).dt.days / 30.4).to_numpy()
    whole = CoxPHFitter().fit(pd.DataFrame({"d": dur, "e": a["event"], "n": n_comp}), "d", "e")
    assert not 0.25 <= whole.params_["n"] <= 1.0


def test_logistic_missing_indicator_keeps_a_mostly_imputed_column_honest():
    rng = np.random.default_rng(11)
    n = 4000
    z = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + z)))
    # ~99% missing, observed more often among churners; the values themselves are unrelated
    # to churn: the indicator carries the missingness, the slope rests on the observed values
    seen = rng.random(n) < np.where(y, 0.03, 0.004)
    sparse = np.where(seen, rng.uniform(1, 2, n), np.nan)
    df = pd.DataFrame({"churned": y, "z": z, "sparse": sparse})
    res = causes.logistic_drivers(df, numeric=["z", "sparse"], categorical=[])
    t = res.table.set_index("term")
    assert "sparse (missing)" in t.index
    assert t.loc["sparse", "p_value"] > 0.05 and t.loc["sparse (missing)", "p_value"] < 1e-3
    assert t.loc["z", "p_adjusted"] < 1e-6
    assert any("Holm" in n for n in res.notes)


def test_exposure_offset_recovers_a_monthly_rate_ratio():
    rng = np.random.default_rng(2)
    n = 20000
    g = rng.random(n) < 0.4
    months = np.where(g, rng.uniform(1, 12, n), rng.uniform(12, 48, n))  # g watched much shorter
    rate = 0.02 * np.exp(np.log(2.0) * g)                               # g churns twice as fast
    churned = rng.random(n) < 1 - np.exp(-rate * months)
    df = pd.DataFrame({"churned": churned, "g": np.where(g, "yes", "no"), "months": months})
    off = causes.logistic_drivers(df, numeric=[], categorical=["g"], exposure="months")
    t = off.table.set_index("term")
    assert t.loc["g=yes", "ci_low"] <= 2.0 <= t.loc["g=yes", "ci_high"]
    assert "rate_ratio" in off.table and any("monthly churn rate" in n for n in off.notes)
    plain = causes.logistic_drivers(df, numeric=[], categorical=["g"]).table.set_index("term")
    assert plain.loc["g=yes", "odds_ratio"] < 1  # without exposure the faster churners look safer
