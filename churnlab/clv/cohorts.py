"""Subscriptions (start and end dates) to survivors per acquisition cohort and renewal age.

The input of the sBG projection (:func:`churnlab.clv.sbg.sbg_projection`): each
customer aged by renewal anniversaries from their own start date, cohorts
truncated where not every member is observed, left truncation handled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ..units import whole_periods

#: Calendar periods for :func:`cohort_table`, as pandas period codes.
PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}


def _day(value, what: str) -> pd.Timestamp:
    """One date (``as_of``, ``observed_from``) as a midnight Timestamp, or a DataError."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {what} = {value!r} as a date: {first_line}") from None
    if ts is pd.NaT:
        raise DataError(f"{what} must be a date, got {value!r}")
    return ts.normalize()


def _days(col: pd.Series, name: str) -> pd.Series:
    """A date column as midnight Timestamps (NaT kept), or a DataError."""
    try:
        out = pd.to_datetime(col)
    except (ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the dates in column {name!r}: {first_line}") from None
    return out.dt.normalize()


def cohort_table(customers: pd.DataFrame, *, period: str = "month", as_of,
                 observed_from=None, start_col: str = "start_date",
                 end_col: str = "end_date") -> pd.DataFrame:
    """Survivors per acquisition cohort and renewal age, the input of :func:`sbg_projection`.

    ``customers`` has one row per customer with a start date and an end date
    (NaT = still active; in the project: the analysis table with ``start_date``,
    ``end_date``, ``churned``). As seen on ``as_of``, an end date after ``as_of``
    has not happened yet: that customer counts as active.

    * A cohort is the calendar ``period`` (``"month"``, ``"quarter"`` or
      ``"year"``) of the start date. Customers who start after ``as_of`` are
      left out.
    * Ages count renewals, as in the sBG (Fader & Hardie 2007): each customer is
      aged from their OWN start date, in whole periods (anniversaries, month
      arithmetic as pandas' ``DateOffset``: a start on 15 March completes its first
      quarter on 15 June; :func:`churnlab.units.whole_periods`). A customer has
      survived age ``t`` when their end date is after their ``t``-th anniversary
      (or they have none by ``as_of``); one who ends in ``(anniversary t-1,
      anniversary t]`` is lost at age ``t`` (t >= 1: a customer who leaves within
      their first period is lost at age 1, one who leaves in their second at 2),
      the same periods as the survival table's durations.
    * Right censoring: a cohort's age ``k_c`` is the number of whole periods its
      latest starter has completed by ``as_of``, so every member of the cohort is
      observed through age ``k_c`` (period ``k_c + 1`` is not yet complete for all
      of them, and the cohort is truncated there). The cohort of the period
      containing ``as_of`` usually has age 0.
    * Left truncation: if the data only cover customers still present on
      ``observed_from`` (a customer who left before it is missing), only
      cohorts whose period *starts* on or after ``observed_from`` are complete
      and used; earlier customers are left out (counted in ``attrs``).

    Values: ``S_c(0)`` = customers acquired in period ``c``; ``S_c(t)``, t = 1..k_c,
    = those who survived ``t`` whole periods since their own start; NaN for t > k_c.

    Returns a float DataFrame: index ``cohort`` = period strings (``"2023-01"``,
    ``"2023Q1"``, ``"2023"``), columns ``age`` = 0, 1, ..., max k_c (ints).
    ``attrs`` holds ``period``, ``as_of``, ``ages`` (k_c per cohort),
    ``observed_from``, ``customers`` (used), ``left_out_before_window``,
    ``left_out_after_as_of`` and ``notes`` (sentences for a notebook).
    """
    if period not in PERIODS:
        raise DataError(f"period must be one of {list(PERIODS)}, got {period!r}")
    missing = [c for c in (start_col, end_col) if c not in customers.columns]
    if missing:
        raise DataError(f"customers have no column(s) {missing}; cohort_table needs a start "
                        f"date column {start_col!r} and an end date column {end_col!r} "
                        "(NaT = still active)")
    start, end = _days(customers[start_col], start_col), _days(customers[end_col], end_col)
    cutoff = _day(as_of, "as_of")
    window = None if observed_from is None else _day(observed_from, "observed_from")
    if start.isna().any():
        raise DataError(f"{int(start.isna().sum())} customer(s) have no {start_col!r}; every "
                        "customer needs a start date")
    bad = end.notna() & (end < start)
    if bad.any():
        row = customers.index[np.flatnonzero(bad.to_numpy())[0]]
        raise DataError(f"{int(bad.sum())} customer(s) have {end_col!r} before {start_col!r} "
                        f"(first at row {row!r}); an end date must be on or after the start date")

    freq = PERIODS[period]
    cohort = start.dt.to_period(freq)
    future = (start > cutoff).to_numpy()
    if window is None:
        pre = np.zeros(len(start), dtype=bool)
    else:
        pre = (cohort.dt.start_time < window).to_numpy() & ~future
    use = ~future & ~pre
    if not use.any():
        where = "" if window is None else f" on or after observed_from = {window.date()}"
        raise DataError(f"no cohort in the window: no customer starts in a {period}{where} "
                        f"that begins on or before as_of = {cutoff.date()}")

    start, end, cohort = start[use], end[use], cohort[use]
    ended = (end.notna() & (end <= cutoff)).to_numpy()  # an end after as_of has not happened yet
    until = end.where(ended, cutoff)
    full, rest = whole_periods(start, until, (until - start).dt.days.to_numpy(float), period)
    lost_at = np.where(ended, np.maximum(1.0, full + rest), np.inf)  # age at which each is lost
    seen, _ = whole_periods(start, pd.Series(cutoff, index=start.index),
                            (cutoff - start).dt.days.to_numpy(float), period)
    c_ord = np.asarray(cohort.array.asi8)
    rows, index, ages = [], [], {}
    for c in np.unique(c_ord):
        mine = c_ord == c
        age = int(seen[mine].min())   # the latest starter's whole periods by as_of
        lost = lost_at[mine]
        rows.append([float(mine.sum())] + [float((lost > t).sum()) for t in range(1, age + 1)])
        index.append(str(pd.Period(ordinal=int(c), freq=freq)))
        ages[index[-1]] = age
    width = max(len(r) for r in rows)
    table = pd.DataFrame([r + [np.nan] * (width - len(r)) for r in rows],
                         index=pd.Index(index, name="cohort"),
                         columns=pd.Index(range(width), name="age"), dtype=float)

    notes = [f"{int(use.sum()):,} customers in {len(table)} {period}ly cohorts, aged in whole "
             f"{period}s from each customer's own start date (renewals) up to as_of = "
             f"{cutoff.date()}; a cohort is followed as long as its latest starter has been."]
    if pre.any():
        notes.append(f"{int(pre.sum()):,} customers acquired before the {period} starting on or "
                     f"after observed_from = {window.date()} were left out: those of them who "
                     "left before the data window are missing (left truncation).")
    if future.any():
        notes.append(f"{int(future.sum()):,} customers who start after as_of were left out.")
    table.attrs.update({
        "period": period, "as_of": str(cutoff.date()), "ages": ages,
        "observed_from": None if window is None else str(window.date()),
        "customers": int(use.sum()), "left_out_before_window": int(pre.sum()),
        "left_out_after_as_of": int(future.sum()), "notes": notes,
    })
    return table
