"""Win-back, save desk and how much the churn definition matters (GUIDE §1.9; seeds 001, 004).

* **Win-back rate** = churn events followed by a comeback within the win-back
  window / churn events whose whole window is observed.
* **Save-desk success** = accepted offers that kept the customer / accepted
  offers; the **save rate** = saved / all offers.
* **Definition sensitivity**: churn under several inactivity windows (shops) or
  re-subscription gaps (contracts), and the share of those churners who came
  back (false churn).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..collect.definitions import spell_chains


def _chain_ends(subs: pd.DataFrame, *, gap_days: int, end) -> pd.DataFrame:
    """One row per relationship (chained spells, :func:`churnlab.collect.definitions.spell_chains`):
    its end (NaT while open) and the start of the customer's next relationship."""
    s = spell_chains(subs, gap_days=gap_days, as_of=pd.Timestamp(end).date())
    chains = s.groupby(["customer_id", "chain"], sort=True).agg(start=("start_date", "min"),
                                                                 end=("chain_end", "first"))
    chains["next_start"] = chains.groupby(level="customer_id")["start"].shift(-1)
    return chains.reset_index()


def winback_subscriptions(subs: pd.DataFrame, *, gap_days: int, window_days: int, end) -> dict:
    """Contracts: churn events (a relationship ends: no new spell within ``gap_days``)
    and how many came back within ``window_days`` after that gap.

    Only spells up to ``end`` are used, and only churn events whose whole return
    window (``gap_days + window_days`` after the end) lies before ``end`` count
    (the others could still come back). Returns churn_events, returned, rate.
    """
    c = _chain_ends(subs, gap_days=gap_days, end=end)
    reach = pd.Timedelta(days=gap_days + window_days)
    observable = c["end"].notna() & (c["end"] + reach <= pd.Timestamp(end))
    back = observable & c["next_start"].notna() & (c["next_start"] <= c["end"] + reach)
    n = int(observable.sum())
    return {"churn_events": n, "returned": int(back.sum()), "rate": back.sum() / n if n else np.nan}


def winback_purchases(transactions: pd.DataFrame, *, inactivity_days: int, window_days: int,
                      end) -> dict:
    """Shops: a customer churns when ``inactivity_days`` pass without a purchase; they
    come back if they buy within ``window_days`` after that moment.

    Churn events count only when their follow-up window ends by ``end``.
    Returns churn_events, returned, rate.
    """
    d = (transactions[["customer_id", "date"]].assign(day=lambda x: pd.to_datetime(x["date"]).dt.normalize())
         .drop_duplicates(["customer_id", "day"]).sort_values(["customer_id", "day"]))
    d = d[d["day"] <= pd.Timestamp(end)]
    nxt = d.groupby("customer_id")["day"].shift(-1)
    churn_at = d["day"] + pd.Timedelta(days=inactivity_days)
    churn = nxt.isna() | (nxt > churn_at)
    observable = churn & (churn_at + pd.Timedelta(days=window_days) <= pd.Timestamp(end))
    back = observable & nxt.notna() & (nxt <= churn_at + pd.Timedelta(days=window_days))
    n = int(observable.sum())
    return {"churn_events": n, "returned": int(back.sum()), "rate": back.sum() / n if n else np.nan}


def save_desk(offers: pd.DataFrame) -> dict:
    """Save-desk success: accepted offers that kept the customer / accepted offers
    (and saved / all offers)."""
    if offers is None or offers.empty:
        return {"offers": 0, "accepted": 0, "saved": 0, "success_rate": np.nan, "save_rate": np.nan}
    acc = int(offers["accepted"].sum())
    saved = int((offers["saved"] & offers["accepted"]).sum())
    return {"offers": len(offers), "accepted": acc, "saved": saved,
            "success_rate": saved / acc if acc else np.nan, "save_rate": saved / len(offers)}


def inactivity_sensitivity(transactions: pd.DataFrame, *, windows: list[int], cutoff, end) -> pd.DataFrame:
    """Share of customers called churned at ``cutoff`` for each inactivity window, and
    the share of those "churners" who bought again between ``cutoff`` and ``end``."""
    d = transactions[["customer_id", "date"]].assign(day=lambda x: pd.to_datetime(x["date"]).dt.normalize())
    cutoff, end = pd.Timestamp(cutoff), pd.Timestamp(end)
    before = d[d["day"] <= cutoff].groupby("customer_id")["day"].max()
    after = set(d.loc[(d["day"] > cutoff) & (d["day"] <= end), "customer_id"])
    rows = []
    for w in windows:
        churned = before[(cutoff - before).dt.days >= w]
        back = churned.index.isin(list(after))
        rows.append({"window_days": w, "customers": len(before), "churned": len(churned),
                     "churn_share": len(churned) / len(before) if len(before) else np.nan,
                     "returned_share": back.mean() if len(churned) else np.nan})
    return pd.DataFrame(rows)


def gap_sensitivity(subs: pd.DataFrame, *, gaps: list[int], end) -> pd.DataFrame:
    """Subscriptions: churn events for each re-subscription gap, and the share of
    them that did come back later (a new relationship after the gap)."""
    rows = []
    for g in gaps:
        c = _chain_ends(subs, gap_days=g, end=end)
        churn = c["end"].notna()
        n = int(churn.sum())
        rows.append({"gap_days": g, "churn_events": n,
                     "returned_share": float((churn & c["next_start"].notna()).sum() / n) if n else np.nan})
    return pd.DataFrame(rows)
