"""Churn definitions: which customers count as churned as of a date, and when.

Defining churn is a choice (GUIDE §1.2; docs/glossary.md#churn-definitions); each function
below is one definition, parameterised, with its formula. Each takes
customer-level inputs and returns one row per customer with

``start_date``  when the customer relationship began;
``end_date``    when it ended under this definition (NaT while active);
``churned``     ``end_date`` is not NaT, i.e. the customer churned by ``as_of``.

Notation: ``t0`` = ``as_of``, ``W`` = ``window_days``; the *recent* window is
``(t0 - W, t0]`` and the *baseline* window is ``(t0 - 2W, t0 - W]``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..schema import DEFINING_FEATURES  # noqa: F401 (the features these definitions use)
from ..units import DAYS_PER_MONTH, UNIT_DAYS



def _ts(d: dt.date | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(d)


def spell_chains(subscriptions: pd.DataFrame, *, gap_days: int, as_of) -> pd.DataFrame:
    """The subscription spells up to ``as_of``, chained into relationships.

    A spell continues the previous chain when it starts at most ``gap_days``
    after the latest end so far (running maximum: overlapping add-on contracts
    do not end a relationship early). Spells starting after the day ``as_of`` are
    dropped and end dates after it count as open. Returns the spells sorted by
    customer and start, with ``chain`` (1, 2, ... per customer) and ``chain_end``
    (the chain's last end date, NaT while it is open).
    """
    day_after = _ts(as_of) + pd.Timedelta(days=1)  # the whole day of as_of belongs to it
    s = subscriptions[subscriptions["start_date"] < day_after].copy()
    s["end_date"] = s["end_date"].where(s["end_date"] < day_after)
    s = s.sort_values(["customer_id", "start_date"], kind="stable")
    open_end = pd.Timestamp("2200-01-01")  # an active spell ends "never"
    end_f = s["end_date"].fillna(open_end)
    prev_end = end_f.groupby(s["customer_id"]).cummax().groupby(s["customer_id"]).shift()
    new_chain = prev_end.isna() | ((s["start_date"] - prev_end).dt.days > gap_days)
    s["chain"] = new_chain.astype(int).groupby(s["customer_id"]).cumsum()
    chain_end = end_f.groupby([s["customer_id"], s["chain"]]).transform("max")
    s["chain_end"] = chain_end.where(chain_end < open_end)
    return s


def contractual(subscriptions: pd.DataFrame, *, as_of: dt.date,
                resubscribe_gap_days: int = 30) -> pd.DataFrame:
    """Contractual churn: the customer's last contract ended and was not renewed.

    Spells of one customer are chained when a spell starts at most
    ``resubscribe_gap_days`` after the previous one ended. The customer is
    churned at ``t0`` when the latest chain ended on or before ``t0``:

        churned = max(end_date of the latest chain) falls on or before the day t0

    Spells starting after the day ``t0`` are ignored and end dates after it
    count as active (censored at ``t0``). ``start_date`` is the start of the latest
    chain; ``n_returns`` counts earlier chains (the customer churned and came
    back). ``plan``, ``billing`` and ``end_reason`` come from the latest spell.
    """
    s = spell_chains(subscriptions, gap_days=resubscribe_gap_days, as_of=as_of)
    cur = s[s["chain"] == s.groupby("customer_id")["chain"].transform("max")]
    g = cur.groupby("customer_id", sort=True)
    chain_end = g["chain_end"].first()
    out = pd.DataFrame({
        "start_date": g["start_date"].min(),
        "end_date": chain_end,
        "n_returns": (g["chain"].first() - 1).astype(int),
    })
    last = cur.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    for col in ("plan", "billing", "end_reason"):
        if col in last:
            out[col] = last[col]
    if "end_reason" in out:
        out["end_reason"] = out["end_reason"].where(out["end_date"].notna())
    out["churned"] = out["end_date"].notna()
    return out.reset_index()


def inactivity(activity: pd.DataFrame, *, as_of: dt.date, inactivity_days: int = 180) -> pd.DataFrame:
    """Non-contractual churn: no purchase for ``inactivity_days`` (six months is a common choice; Gold, *Fighting Churn with Data*, ch. 2).

        churned  = t0 - day(last_purchase) >= inactivity_days   (whole days)
        end_date = last_purchase (the day the customer was last seen)

    ``activity`` has one row per customer with ``first_purchase`` and
    ``last_purchase`` (both on or before ``t0``).
    """
    t0 = _ts(as_of)
    silent = (t0 - activity["last_purchase"].dt.normalize()).dt.days >= inactivity_days
    return pd.DataFrame({
        "customer_id": activity["customer_id"].to_numpy(),
        "start_date": activity["first_purchase"].to_numpy(),
        "end_date": activity["last_purchase"].where(silent).to_numpy(),
        "churned": silent.to_numpy(),
    })


def partial(activity: pd.DataFrame, *, as_of: dt.date, window_days: int = 180,
            partial_drop: float = 0.8) -> pd.DataFrame:
    """Partial defection: share-of-spend drop of at least ``partial_drop`` (Buckinx & Van den Poel 2005).

    With ``R`` = spend in the recent window and ``B`` = spend in the baseline window:

        churned = (B > 0 and R <= (1 - partial_drop) * B)  or  last_purchase <= t0 - 2W

    The second term counts customers silent for both windows (a 100% drop).
    ``end_date`` is the start of the recent window ``t0 - W`` for a drop, and the
    last purchase for a silent customer. Customers who began buying inside the
    baseline window with ``B = 0`` are new, not churned.
    """
    t0 = _ts(as_of)
    w0 = t0 - pd.Timedelta(days=window_days)
    silent = activity["last_purchase"].dt.normalize() <= t0 - pd.Timedelta(days=2 * window_days)
    b, r = activity["spend_baseline"], activity["spend_recent"]
    dropped = (b > 0) & (r <= (1 - partial_drop) * b) & ~silent
    end = pd.Series(pd.NaT, index=activity.index, dtype="datetime64[ns]")
    end[dropped] = w0
    end[silent] = activity.loc[silent, "last_purchase"]
    return pd.DataFrame({
        "customer_id": activity["customer_id"].to_numpy(),
        "start_date": activity["first_purchase"].to_numpy(),
        "end_date": end.to_numpy(),
        "churned": (dropped | silent).to_numpy(),
    })


def category(category_activity: pd.DataFrame, activity: pd.DataFrame, *, as_of: dt.date,
             window_days: int = 180, category_min_purchases: int = 2) -> pd.DataFrame:
    """Category defection: the customer stopped buying a category but still buys others.

    With ``n_b(c)`` / ``n_r(c)`` = purchases of category ``c`` in the baseline /
    recent window:

        churned = any_c(n_b(c) >= category_min_purchases and n_r(c) == 0)
                  and the customer bought something in the recent window

    ``end_date`` is ``t0 - W``; ``defected_categories`` lists the categories
    dropped (a course example: a retailer reading a competitor's cheaper category).
    ``category_activity`` has ``customer_id, category, n_baseline, n_recent``.
    """
    t0 = _ts(as_of)
    ca = category_activity
    dropped = ca[(ca["n_baseline"] >= category_min_purchases) & (ca["n_recent"] == 0)]
    lists = dropped.sort_values("category").groupby("customer_id")["category"].agg(", ".join)
    still = activity["spend_recent"] > 0
    cats = activity["customer_id"].map(lists)
    defected = cats.notna() & still
    end = pd.Series(pd.NaT, index=activity.index, dtype="datetime64[ns]")
    end[defected] = t0 - pd.Timedelta(days=window_days)
    return pd.DataFrame({
        "customer_id": activity["customer_id"].to_numpy(),
        "start_date": activity["first_purchase"].to_numpy(),
        "end_date": end.to_numpy(),
        "churned": defected.to_numpy(),
        "defected_categories": cats.where(defected).to_numpy(),
    })


def from_flag(customers: pd.DataFrame, *, duration_unit: str = "month") -> pd.DataFrame:
    """Shape (a) exports: the export's own churn flag and duration (no dates).

    ``duration`` (in ``duration_unit``) is taken as the time from start to churn
    for churners and from start to the export date for the others.
    """
    days = customers["duration"].astype(float) * UNIT_DAYS[duration_unit]
    return pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy(),
        "duration_days": days.to_numpy(),
        "churned": customers["churned"].astype(bool).to_numpy(),
    })


#: Definitions that judge churn by a window of silence: the status of the last ``W`` days
#: before ``as_of`` is not known yet (:func:`observation_end`).
WINDOWED_DEFINITIONS = ("inactivity", "partial", "category")


def observation_end(as_of, definition: str, *, inactivity_days: int = 180,
                    window_days: int = 180) -> pd.Timestamp:
    """The last day on which every customer's churn status is known under ``definition``.

        inactivity:           t_obs = t0 - inactivity_days
        partial, category:    t_obs = t0 - W
        contractual (dated):  t_obs = t0

    A windowed definition dates churn at (or before) the start of its window of
    silence, so a customer whose last purchase lies after ``t_obs`` may already
    have lapsed: we cannot tell yet. Survival data are right-censored at ``t_obs``
    (administrative censoring, Klein & Moeschberger 2003, §3.2), the same day for
    everyone, which keeps censoring independent of the churn process; censoring
    at ``t0`` instead hides the lapses of the last window and inflates survival.
    """
    t0 = _ts(as_of).normalize()
    if definition == "inactivity":
        return t0 - pd.Timedelta(days=inactivity_days)
    if definition in WINDOWED_DEFINITIONS:
        return t0 - pd.Timedelta(days=window_days)
    return t0


def censor_at(status: pd.DataFrame, observed_until) -> pd.DataFrame:
    """The one censoring rule for churn from a windowed definition (:func:`observation_end`).

    With ``t_obs`` = ``observed_until`` (a date, or a column of dates) and each
    customer's ``start_date``, ``end_date`` (the dated churn, NaT while active) and
    ``churned``:

        event    = churned and day(end_date) <= t_obs       (confirmable churn only)
        stop     = day(end_date) if event else t_obs         (censored at t_obs)
        duration_days = max(stop - day(start_date), 0)

    Churn stays dated at the last activity; ``end_date`` and ``churned`` of an
    unconfirmable churn are cleared. Entry times (left truncation) are not
    touched. A customer who started after ``t_obs`` has no time at risk
    (``duration_days`` = 0, no event). Returns a copy with ``churned``,
    ``end_date``, ``event`` (0/1) and ``duration_days`` replaced.
    """
    out = status.copy()
    t_obs = pd.to_datetime(pd.Series(observed_until, index=out.index)).dt.normalize()
    end = pd.to_datetime(out["end_date"]).dt.normalize()
    event = out["churned"].astype(bool) & (end <= t_obs)
    stop = end.where(event, t_obs)
    days = (stop - pd.to_datetime(out["start_date"]).dt.normalize()).dt.days
    out["churned"] = event.to_numpy()
    out["end_date"] = out["end_date"].where(event)
    out["event"] = event.astype(np.int8)
    out["duration_days"] = days.clip(lower=0).astype(float)
    return out


def durations(status: pd.DataFrame, *, as_of: dt.date, observed_until=None) -> pd.DataFrame:
    """Add survival columns: ``duration_days``, ``duration`` (months) and ``event`` (0/1).

        duration_days = day(end_date if churned else t0) - day(start_date)   (>= 0)
        duration      = duration_days / (365.25 / 12)

    Days are counted between calendar days, so the hour of a first purchase
    does not shorten a lifetime. A customer who churned on the day they
    started has duration 0 (survival models that need positive times must
    handle these, e.g. one-time buyers under the inactivity definition).

    ``observed_until`` (:func:`observation_end`), when given, is stored as a column
    of that name: survival models and period rates apply :func:`censor_at` with it,
    while ``duration`` stays the tenure reached (to the end date or ``t0``).
    """
    out = status.copy()
    if observed_until is not None:
        out["observed_until"] = pd.Timestamp(observed_until)
    if "duration_days" not in out:
        end = out["end_date"].fillna(_ts(as_of)).dt.normalize()
        days = (end - out["start_date"].dt.normalize()).dt.days
        out["duration_days"] = days.clip(lower=0).astype(float)
    out["duration"] = out["duration_days"] / DAYS_PER_MONTH
    out["event"] = out["churned"].astype(np.int8)
    return out
