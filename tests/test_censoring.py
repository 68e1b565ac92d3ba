"""Silent churn censored by one rule (:func:`churnlab.collect.definitions.censor_at`),
checked against the simulator's latent drop-out dates (issue 11, defect 2)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from churnlab.collect import definitions as d
from churnlab.simulate import retail, simulate
from churnlab.survival import km_summary, survival_table

AS_OF = dt.date(2025, 12, 31)
WINDOW = 180


def _activity(tx: pd.DataFrame) -> pd.DataFrame:
    """First and last purchase day per customer up to ``as_of`` (what collection aggregates)."""
    tx = tx[tx["date"] <= pd.Timestamp(AS_OF)]
    g = tx.groupby("customer_id")["date"]
    return pd.DataFrame({"first_purchase": g.min(), "last_purchase": g.max()}).reset_index()


def _km(status: pd.DataFrame, observed_until=None):
    st = survival_table(d.durations(status, as_of=AS_OF, observed_until=observed_until), unit="month")
    return km_summary(st, horizons=(12,))


def _s12(k) -> tuple[float, float]:
    """S(12) and its standard error from the 95% CI (log-log band, read as +- 1.96 SE)."""
    row = k.survival.iloc[0]
    return float(row["survival"]), float(row["ci_high"] - row["ci_low"]) / (2 * 1.96)


@pytest.fixture(scope="module")
def frequent_shoppers():
    """The retail scenario at its default size (5,000 customers), with shoppers who buy
    often (8 visits a month, little spread), so that the last purchase is within days
    of the latent drop-out and 180 silent days mean a drop-out: the inactivity
    definition then measures the latent lifetime, and only censoring can bias it."""
    saved = retail.RETAIL
    retail.RETAIL = dataclasses.replace(saved, visit_rate=8.0, visit_shape=50.0)
    try:
        sim = simulate("retail", n_customers=5000, seed=42, as_of=AS_OF, history_months=36,
                       months_after_as_of=6)
    finally:
        retail.RETAIL = saved
    act = _activity(sim.tables["transactions"])
    observed = d.inactivity(act, as_of=AS_OF, inactivity_days=WINDOW)
    drop = act["customer_id"].map(sim.latent["latent_dropouts"].set_index("customer_id")["date"])
    gone = drop <= pd.Timestamp(AS_OF)
    latent = observed.assign(end_date=drop.where(gone).to_numpy(), churned=gone.to_numpy())
    return observed, latent


def test_rule_agrees_with_latent_dropouts_and_old_rule_does_not(frequent_shoppers):
    observed, latent = frequent_shoppers
    until = d.observation_end(AS_OF, "inactivity", inactivity_days=WINDOW)
    truth, new, old = _km(latent), _km(observed, until), _km(observed)
    (s_true, _), (s_new, se_new), (s_old, _) = _s12(truth), _s12(new), _s12(old)
    tol = 3 * se_new  # 3 standard errors of the observed estimate (about 0.025 at 5,000)
    assert abs(s_new - s_true) <= tol
    assert s_old - s_true > tol  # censoring at as_of hides the last window's lapses
    # median lifetime: within 3 SE of the observed median (SE from its 95% CI)
    se_med = (new.median_ci[1] - new.median_ci[0]) / (2 * 1.96)
    assert abs(new.median - truth.median) <= 3 * se_med
    assert old.median - truth.median > 3 * se_med


def test_rule_by_hand():
    """Six customers, as_of 2025-12-31, window 180 days -> observed until 2025-07-04."""
    until = d.observation_end(AS_OF, "inactivity", inactivity_days=180)
    assert until == pd.Timestamp("2025-07-04")
    assert d.observation_end(AS_OF, "partial", window_days=90) == pd.Timestamp("2025-10-02")
    assert d.observation_end(AS_OF, "contractual") == pd.Timestamp(AS_OF)
    status = pd.DataFrame({
        "customer_id": list("abcdef"),
        "start_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2025-09-01",
                                      "2025-07-04", "2024-06-30"]),
        #   a: lapsed, confirmed   b: bought in the window (active)   c: churn dated after
        #   the observation end (not confirmable)   d: joined after it   e: joined on it
        #   f: lapsed exactly on the observation end
        "end_date": pd.to_datetime(["2024-03-01", None, "2025-08-01", None, None, "2025-07-04"]),
        "churned": [True, False, True, False, False, True],
    })
    out = d.censor_at(status, until)
    assert out["event"].tolist() == [1, 0, 0, 0, 0, 1]
    assert out["churned"].tolist() == [True, False, False, False, False, True]
    # days: a 2024-01-01 -> 2024-03-01 = 60; b, c censored at 2025-07-04 = 550; d, e: no
    # time at risk; f 2024-06-30 -> 2025-07-04 = 369
    assert out["duration_days"].tolist() == [60.0, 550.0, 550.0, 0.0, 0.0, 369.0]
    assert out["end_date"].isna().tolist() == [False, True, True, True, True, False]
    # the survival table applies the same rule and drops the rows without time at risk
    st = survival_table(d.durations(status, as_of=AS_OF, observed_until=until), unit="month")
    assert st["customer_id"].tolist() == list("abcf")
    assert st["duration"].tolist() == [2.0, 18.0, 18.0, 13.0]  # events: period counted from 1
    assert st["event"].tolist() == [1, 0, 0, 1]
    # without the column (contracts): censored at as_of as before
    st0 = survival_table(d.durations(status, as_of=AS_OF), unit="month")
    assert st0.loc[st0["customer_id"] == "b", "duration"].item() == 23.0


def test_contractual_unchanged_by_the_rule():
    status = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2024-01-01"] * 2),
                           "end_date": pd.to_datetime(["2025-12-30", None]), "churned": [True, False]})
    out = d.censor_at(status, d.observation_end(AS_OF, "contractual"))
    assert out["event"].tolist() == [1, 0]
    assert out["duration_days"].tolist() == [729.0, 730.0]
