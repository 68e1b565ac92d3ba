"""Win-back, save desk and how much the churn definition matters (GUIDE §1.9; docs/glossary.md#winback).

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

from .history import purchase_spells, subscription_spells


def _with_next_start(spells: pd.DataFrame) -> pd.DataFrame:
    """The spells (:mod:`.history`) with the start of the customer's next spell (NaT: none)."""
    s = spells.sort_values(["customer_id", "spell"], kind="stable")
    return s.assign(next_start=s.groupby("customer_id")["start_date"].shift(-1))


def winback_from_spells(spells: pd.DataFrame, *, window_days: int, end, delay_days: int = 0) -> dict:
    """Churn events (lapses of :mod:`.history` spells) and how many came back (a next
    spell) within ``delay_days + window_days`` after the lapse.

    Only lapses whose whole return window lies on or before ``end`` count (the others
    could still come back). Returns churn_events, returned, rate.
    """
    s = _with_next_start(spells)
    reach = s["end_date"] + pd.Timedelta(days=delay_days + window_days)
    observable = s["churned"].astype(bool) & (reach <= pd.Timestamp(end))
    back = observable & s["next_start"].notna() & (s["next_start"] <= reach)
    n = int(observable.sum())
    return {"churn_events": n, "returned": int(back.sum()), "rate": back.sum() / n if n else np.nan}


def winback_subscriptions(subs: pd.DataFrame, *, gap_days: int, window_days: int, end) -> dict:
    """Contracts: churn events (a relationship ends: no new spell within ``gap_days``)
    and how many came back within ``window_days`` after that gap.

    Only spells up to ``end`` are used, and only churn events whose whole return
    window (``gap_days + window_days`` after the end) lies before ``end`` count
    (the others could still come back). Returns churn_events, returned, rate.
    """
    spells = subscription_spells(subs, gap_days=gap_days, end=end)
    return winback_from_spells(spells, window_days=window_days, end=end, delay_days=gap_days)


def winback_purchases(transactions: pd.DataFrame, *, inactivity_days: int, window_days: int,
                      end) -> dict:
    """Shops: a customer churns when ``inactivity_days`` pass without a purchase; they
    come back if they buy within ``window_days`` after that moment.

    Churn events count only when their follow-up window ends by ``end``.
    Returns churn_events, returned, rate.
    """
    spells = purchase_spells(transactions, inactivity_days=inactivity_days, end=end)
    # the history dates a lapse at the last purchase; it can be won back only once it is known
    known = spells.assign(end_date=spells["end_date"] + pd.Timedelta(days=inactivity_days))
    return winback_from_spells(known, window_days=window_days, end=end)


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
        c = _with_next_start(subscription_spells(subs, gap_days=g, end=end))
        churn = c["churned"]
        n = int(churn.sum())
        rows.append({"gap_days": g, "churn_events": n,
                     "returned_share": float((churn & c["next_start"].notna()).sum() / n) if n else np.nan})
    return pd.DataFrame(rows)
