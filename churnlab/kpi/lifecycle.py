"""The customer lifecycle (docs/glossary.md#lifecycle): stages at each period end and the moves between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rates import period_index


STAGES = ("potential", "first purchase", "repeat/stable", "dormant/churned", "recovered")


def lifecycle_states(activity: pd.DataFrame, signup: pd.Series, *, period: str, start, end,
                     dormant_days: int, first: pd.Series | None = None) -> pd.DataFrame:
    """Each customer's lifecycle stage at the end of each period (docs/glossary.md#lifecycle).

    ``activity``: customer_id, date of each active day (a purchase, or a month
    with a subscription); ``signup``: signup date per customer. At a period's end:
    *potential* (signed up, never active), *first purchase* (first activity in the
    period), *recovered* (active in the period after being dormant at the previous
    end), *repeat/stable* (active within ``dormant_days``), *dormant/churned*
    (no activity for ``dormant_days``). ``first``: the true first purchase or
    contract start per customer when the activity data begin later (customers
    who started before the data window are then not "first purchase" in its first
    period). Returns customers x periods of stages.
    """
    periods = period_index(start, end, period)
    act = activity.assign(day=pd.to_datetime(activity["date"]).dt.normalize())
    seen = act.groupby("customer_id")["day"].min()
    if first is not None:
        seen = pd.to_datetime(first).combine_first(seen)
    first = seen
    ids = signup.index.union(first.index)
    signup = pd.to_datetime(signup.reindex(ids))
    first = first.reindex(ids)
    out = {}
    prev = pd.Series("potential", index=ids)
    cust, day = act["customer_id"].to_numpy(), act["day"].to_numpy()
    for p in periods:
        a, b = p.start_time.normalize(), p.end_time.normalize()
        upto = day <= np.datetime64(b)
        last = pd.Series(day[upto], index=cust[upto]).groupby(level=0).max().reindex(ids)
        active_in = pd.Index(ids).isin(cust[upto & (day >= np.datetime64(a))])
        state = pd.Series(pd.NA, index=ids, dtype="object")
        state[signup <= b] = "potential"
        recent = last.notna() & ((b - last).dt.days < dormant_days)
        state[last.notna()] = "dormant/churned"
        state[recent] = "repeat/stable"
        state[active_in & (prev == "dormant/churned")] = "recovered"
        state[(first >= a) & (first <= b)] = "first purchase"
        out[str(p)] = state
        prev = state
    return pd.DataFrame(out)


def lifecycle_counts(states: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage per period (periods as rows)."""
    return states.apply(lambda c: c.value_counts()).T.reindex(columns=list(STAGES)).fillna(0).astype(int)


def transition_matrix(states: pd.DataFrame) -> pd.DataFrame:
    """Share of customers moving from each stage (rows) to each stage (columns)
    between consecutive period ends, pooled over all periods."""
    pairs = []
    cols = list(states.columns)
    for a, b in zip(cols[:-1], cols[1:]):
        m = states[a].notna() & states[b].notna()
        pairs.append(pd.DataFrame({"from": states.loc[m, a], "to": states.loc[m, b]}))
    t = pd.concat(pairs)
    counts = pd.crosstab(t["from"], t["to"]).reindex(index=list(STAGES), columns=list(STAGES)).fillna(0)
    return counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
