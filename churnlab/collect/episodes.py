"""Monthly episodes: one row per customer and calendar month at risk, covariates as known at its start.

The counting-process layout of a time-varying Cox model (Andersen & Gill 1982;
Therneau & Grambsch 2000, ch. 3): a customer who is at risk in calendar month
``m`` contributes the row ``(start, stop] = (k, k + 1]`` where ``k`` is their
tenure in whole calendar months at the start of ``m`` (``month(m) -
month(start_date)``, the simulator's own tenure), ``event = 1`` if they churned
in ``m``. Covariates use only what was known on the first day of ``m``:

=========================  ========================================================
``complaints_so_far``      contacts of kind ``complaint`` dated before the month
``unresolved_so_far``      contacts of any kind not resolved, before the month
``slow_response_days``     ``max(mean response hours of those contacts - 24, 0) / 24``
                           (0 without contacts)
``csat_running``           ``(4 + Σ csat) / (1 + n rated contacts)``: the mean score
                           shrunk toward 4 by one pseudo-contact
``price_rise``             ``charge(m) / charge(first observed month) - 1`` of a
                           price column (:data:`PRICE_COLUMNS`); the month's own
                           price is set by the firm before the month, so it is known
``<m>_mean``               running mean of a count metric (:data:`RATE_COLUMNS`) over
                           the completed months observed so far
``engagement_log_ratio``   ``log((logins + 1) / seats)`` of the last completed month
                           minus its mean over the customer's first (up to) 3 months
=========================  ========================================================

Other usage metrics (data volume, MRR, seats) are left out: they are not causes
the simulator plants, and raw money amounts make the fit numerically fragile.

These are the simulator's own variables (``churnlab.simulate``: complaints so
far, unresolved contacts so far, mean response days above 24 h, running CSAT,
fractional price rise, expected dropped calls, engagement), measured from the
canonical tables instead of read from the simulator. Static attributes (region,
plan, ...) are copied from the analysis table.

Months without a completed usage month (a customer's first observed month when
a usage table exists) have no usage covariates yet and are left out
(``attrs["run_in_months"]`` counts them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError

#: Usage columns that are prices: ``price_rise`` compares the month's price with the first one.
PRICE_COLUMNS = ("monthly_charge",)
#: Usage columns whose running mean estimates a customer's propensity (rate per month).
RATE_COLUMNS = ("dropped_calls",)
#: Usage columns of engagement, per seat when a ``seats`` column exists.
ENGAGEMENT_COLUMNS = ("logins",)
#: Usage columns that are outcomes of churn (involuntary ends), not causes: left out.
OUTCOME_USAGE = ("payment_failures",)
#: Prior mean and weight (pseudo-contacts) of ``csat_running``, as the software simulator uses.
CSAT_PRIOR = (4.0, 1.0)

EPISODE_COLUMNS = ["customer_id", "month", "start", "stop", "event"]


def _month_index(s: pd.Series) -> np.ndarray:
    """Calendar month as one integer (year * 12 + month - 1)."""
    p = pd.to_datetime(s)
    return (p.dt.year * 12 + p.dt.month - 1).to_numpy()


def _month_start(idx: np.ndarray) -> pd.Series:
    return pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1}))


def observation_end(as_of, *, definition: str, inactivity_days: int = 180) -> pd.Timestamp:
    """The last day on which every customer's churn status is known.

    Under the inactivity definition a customer is dated churned at the last purchase, which
    is known only ``inactivity_days`` later: at ``as_of`` the status is known up to
    ``as_of - inactivity_days``. Under the other definitions it is ``as_of``.
    """
    end = pd.Timestamp(as_of)
    return end - pd.Timedelta(days=inactivity_days) if definition == "inactivity" else end


def _grid(analysis: pd.DataFrame, first_month: int, last_month: int) -> pd.DataFrame:
    """Customer-months at risk between the window's first and last whole month."""
    start = _month_index(analysis["start_date"])
    event = analysis["event"].astype(bool).to_numpy()
    ended = analysis["end_date"].notna().to_numpy()  # an end that is not an event is censored there
    end = np.where(ended, _month_index(analysis["end_date"].fillna(pd.Timestamp("2200-01-01"))),
                   last_month)
    churn_in_window = event & (end <= last_month)
    end = np.minimum(end, last_month)
    lo = np.maximum(start, first_month)
    n = np.maximum(end - lo + 1, 0)
    pos = np.repeat(np.arange(len(analysis)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    month = lo[pos] + offset
    last = month == end[pos]
    return pd.DataFrame({"_pos": pos, "customer_id": analysis["customer_id"].to_numpy()[pos],
                         "month": month, "start": (month - start[pos]).astype(float),
                         "event": (last & churn_in_window[pos]).astype(int)})


def _so_far(grid: pd.DataFrame, per_month: pd.DataFrame) -> pd.DataFrame:
    """Sums of ``per_month`` (customer_id, month, columns) over months before each grid month."""
    cols = [c for c in per_month if c not in ("customer_id", "month")]
    p = per_month.assign(month=per_month["month"] + 1)  # counts before month m = up to m - 1
    allm = pd.concat([grid[["customer_id", "month"]], p[["customer_id", "month"]]]).drop_duplicates()
    merged = allm.merge(p, on=["customer_id", "month"], how="left").fillna({c: 0.0 for c in cols})
    merged = merged.sort_values(["customer_id", "month"], kind="stable")
    merged[cols] = merged.groupby("customer_id", sort=False)[cols].cumsum()
    return grid[["customer_id", "month"]].merge(merged, on=["customer_id", "month"], how="left")[cols]


def interaction_covariates(grid: pd.DataFrame, interactions: pd.DataFrame) -> pd.DataFrame:
    """``complaints_so_far``, ``unresolved_so_far``, ``slow_response_days`` and (with a
    ``csat`` column) ``csat_running`` for every row of ``grid``; see the module docstring."""
    it = interactions.assign(month=_month_index(interactions["date"]))
    per = pd.DataFrame({"customer_id": it["customer_id"], "month": it["month"],
                        "complaints": (it["kind"] == "complaint").astype(float),
                        "contacts": 1.0})
    if "resolved" in it:
        per["unresolved"] = (~it["resolved"].fillna(True).astype(bool)).astype(float)
    if "response_hours" in it:
        per["hours"] = it["response_hours"].astype(float)
        per["timed"] = it["response_hours"].notna().astype(float)
        per["hours"] = per["hours"].fillna(0.0)
    if "csat" in it:
        per["csat_sum"] = it["csat"].fillna(0.0).astype(float)
        per["rated"] = it["csat"].notna().astype(float)
    per = per.groupby(["customer_id", "month"], as_index=False).sum()
    s = _so_far(grid, per)
    out = pd.DataFrame({"complaints_so_far": s["complaints"].to_numpy()}, index=grid.index)
    if "unresolved" in s:
        out["unresolved_so_far"] = s["unresolved"].to_numpy()
    if "hours" in s:
        mean = s["hours"] / s["timed"].where(s["timed"] > 0)
        out["slow_response_days"] = (np.maximum(mean - 24.0, 0.0) / 24.0).fillna(0.0).to_numpy()
    if "csat_sum" in s:
        prior, weight = CSAT_PRIOR
        out["csat_running"] = ((prior * weight + s["csat_sum"]) / (weight + s["rated"])).to_numpy()
    return out


def usage_covariates(grid: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """Usage covariates for every row of ``grid`` (see the module docstring); NaN where no
    month of the customer has been completed yet."""
    u = usage.assign(month=_month_index(usage["period"])).sort_values(["customer_id", "month"])
    metrics = [c for c in u if c not in ("customer_id", "period", "month") and c not in OUTCOME_USAGE
               and pd.api.types.is_numeric_dtype(u[c])]
    g = u.groupby("customer_id", sort=False)
    lagged = pd.DataFrame({"customer_id": u["customer_id"], "month": u["month"] + 1})
    rank = g.cumcount()
    for m in metrics:
        x = u[m].astype(float)
        if m in PRICE_COLUMNS:
            continue
        if m in RATE_COLUMNS:
            lagged[f"{m}_mean"] = x.groupby(u["customer_id"]).cumsum() / (rank + 1)
        elif m in ENGAGEMENT_COLUMNS:
            per_seat = np.log((x + 1.0) / (u["seats"].clip(lower=1) if "seats" in u else 1.0))
            first3 = per_seat.where(rank < 3, 0.0)
            base = first3.groupby(u["customer_id"]).cumsum() / np.minimum(rank + 1, 3)
            lagged["engagement_log_ratio"] = per_seat - base
    # the last completed month before each grid month (usage months are consecutive)
    out = grid[["customer_id", "month"]].merge(lagged, on=["customer_id", "month"], how="left")
    for m in PRICE_COLUMNS:
        if m in u:
            first = g[m].transform("first")
            now = u.assign(price_rise=u[m] / first.where(first > 0) - 1)[["customer_id", "month",
                                                                          "price_rise"]]
            out = out.merge(now, on=["customer_id", "month"], how="left")
    out.index = grid.index
    return out.drop(columns=["customer_id", "month"])


def monthly_episodes(analysis: pd.DataFrame, *, usage: pd.DataFrame | None = None,
                     interactions: pd.DataFrame | None = None, observed_from=None,
                     observed_until, static: list[str] = (), caps: dict[str, float] | None = None,
                     voluntary_only: bool = True) -> pd.DataFrame:
    """Customer-months at risk with covariates known at each month's start (module docstring).

    ``analysis``: one row per customer with ``customer_id, start_date, end_date, event``
    (and ``end_reason`` for contracts); ``observed_from``: first day of the data window
    (months before it are not observed: left truncation, the customer enters at their
    tenure then); ``observed_until``: the last day statuses are known
    (:func:`observation_end`): only whole months up to it are used, later churn is
    censored. ``static``: analysis columns copied to every month. ``caps``: covariate ->
    upper limit (the simulator counts at most 5 complaints, say). ``voluntary_only``:
    with an ``end_reason`` column, involuntary ends (failed payments) are censored, so
    the model is of the cause-specific hazard of voluntary churn.

    Columns: ``customer_id, month`` (first day), ``start, stop`` (tenure months),
    ``event``, the covariates, then ``static``. ``attrs``: ``run_in_months``,
    ``censored_involuntary``, ``observed_until``.
    """
    for col in ("customer_id", "start_date", "end_date", "event"):
        if col not in analysis:
            raise DataError(f"monthly episodes: the analysis table has no {col!r} column")
    if analysis["start_date"].isna().any():
        raise DataError("monthly episodes need a start_date for every customer")
    a = analysis.reset_index(drop=True)
    censored = 0
    if voluntary_only and "end_reason" in a:
        invol = a["event"].astype(bool) & a["end_reason"].eq("involuntary")
        censored = int(invol.sum())
        a = a.assign(event=a["event"].astype(bool) & ~invol)
    until = pd.Timestamp(observed_until)
    last_month = int(_month_index(pd.Series([until + pd.Timedelta(days=1)]))[0]) - 1  # whole months
    first_month = (int(_month_index(pd.Series([pd.Timestamp(observed_from)]))[0])
                   if observed_from is not None else int(_month_index(a["start_date"]).min()))
    grid = _grid(a, first_month, last_month)
    parts = [grid.drop(columns="_pos")]
    if interactions is not None and len(interactions):
        parts.append(interaction_covariates(grid, interactions))
    run_in = 0
    if usage is not None and len(usage):
        uc = usage_covariates(grid, usage)
        known = uc.notna().all(axis=1)
        run_in = int((~known).sum())
        parts.append(uc)
    ep = pd.concat(parts, axis=1)
    for col, cap in (caps or {}).items():
        if col in ep:
            ep[col] = np.minimum(ep[col], cap)
    for col in static:
        ep[col] = a[col].to_numpy()[grid["_pos"].to_numpy()]
    if usage is not None and len(usage):
        ep = ep[known.to_numpy()]
    ep.insert(3, "stop", ep["start"] + 1.0)
    ep["month"] = _month_start(ep["month"].to_numpy()).to_numpy()
    ep = ep.reset_index(drop=True)
    ep.attrs.update(run_in_months=run_in, censored_involuntary=censored,
                    observed_until=str(until.date()))
    return ep
