"""The event history of every customer: spells of activity, each ended by a lapse or still open.

Period churn is counted from this history, not from one status as of ``as_of``
(GUIDE §1.3): a customer who lapsed and came back later lapsed all the same, in
the period the lapse happened, and their return is a *reactivation* in the
period it happened. One row per **spell**:

* ``customer_id``, ``spell`` (1 = the first, 2, 3, ... = after a return);
* ``start_date``: the spell's first day (first contract start / first purchase);
* ``end_date``: the day the lapse is counted (NaT while the spell is open), and
  ``churned`` = whether it lapsed.

Where the spells come from:

* **subscriptions** (:func:`subscription_spells`): the relationships of
  :func:`churnlab.collect.definitions.spell_chains` (contracts less than
  ``gap_days`` apart continue one relationship); a relationship that ended on or
  before ``end`` lapsed on its last end date; the next one is a return.
* **purchases** (:func:`purchase_spells`, the inactivity definition): a spell runs
  from a purchase until a silence of more than ``inactivity_days``. The lapse is
  dated at the spell's last purchase, the study's one rule for silent churn
  (:func:`churnlab.collect.definitions.censor_at`, as the survival models date it),
  and counts only once it is known, i.e. when the last purchase is at least
  ``inactivity_days`` before ``end``; the period rates therefore stop at
  ``end - inactivity_days``. The next purchase starts a new spell (a return).

Spells of one customer never overlap (a return starts after the lapse), so a
customer is active at a date when one of their spells is.
"""

from __future__ import annotations

import pandas as pd

from ..collect.definitions import spell_chains
from ..errors import DataError
from ..units import FREQ

#: Columns of a spells table.
SPELL_COLUMNS = ["customer_id", "spell", "start_date", "end_date", "churned"]


def subscription_spells(subs: pd.DataFrame, *, gap_days: int, end) -> pd.DataFrame:
    """Relationships (chained contract spells) up to ``end``: one spell each (module docstring)."""
    for col in ("customer_id", "start_date", "end_date"):
        if col not in subs:
            raise DataError(f"subscriptions: expected a {col!r} column for the event history")
    s = spell_chains(subs, gap_days=gap_days, as_of=pd.Timestamp(end).date())
    t = (s.groupby(["customer_id", "chain"], sort=True)
         .agg(start_date=("start_date", "min"), end_date=("chain_end", "first")).reset_index()
         .rename(columns={"chain": "spell"}))
    t["churned"] = t["end_date"].notna()
    return t[SPELL_COLUMNS]


def purchase_spells(transactions: pd.DataFrame, *, inactivity_days: int, end) -> pd.DataFrame:
    """Spells of buying up to ``end``, split by silences of more than ``inactivity_days``
    (module docstring). The lapse is dated at the spell's last purchase, once
    ``inactivity_days`` have passed by ``end``; ``last_purchase`` is kept as a column."""
    for col in ("customer_id", "date"):
        if col not in transactions:
            raise DataError(f"transactions: expected a {col!r} column for the event history")
    if inactivity_days < 1:
        raise DataError(f"churn.inactivity_days: expected at least 1 day, got {inactivity_days}")
    end = pd.Timestamp(end).normalize()
    d = (transactions[["customer_id", "date"]]
         .assign(day=lambda x: pd.to_datetime(x["date"]).dt.normalize())[["customer_id", "day"]]
         .drop_duplicates().sort_values(["customer_id", "day"], kind="stable"))
    d = d[d["day"] <= end]
    gap = d.groupby("customer_id")["day"].diff().dt.days
    d["spell"] = (gap.isna() | (gap > inactivity_days)).astype(int).groupby(d["customer_id"]).cumsum()
    t = (d.groupby(["customer_id", "spell"], sort=True)["day"].agg(start_date="min", last_purchase="max")
         .reset_index())
    t["churned"] = t["last_purchase"] + pd.Timedelta(days=inactivity_days) <= end
    t["end_date"] = t["last_purchase"].where(t["churned"])
    return t[[*SPELL_COLUMNS, "last_purchase"]]


def lapses_per_period(spells: pd.DataFrame, *, period: str) -> pd.DataFrame:
    """Lapses and returns per calendar period (``period``: ``month``, ``quarter``, ``year``):
    every lapse counts in the period of its ``end_date``, every return (a spell after
    the first) in the period of its ``start_date``. Columns: period, lapses, returns."""
    lapses = spells.loc[spells["churned"], "end_date"].dt.to_period(FREQ[period]).value_counts()
    back = spells.loc[spells["spell"] > 1, "start_date"].dt.to_period(FREQ[period]).value_counts()
    out = pd.concat({"lapses": lapses, "returns": back}, axis=1).fillna(0).astype(int).sort_index()
    out.index = out.index.astype(str)
    return out.rename_axis("period").reset_index()
