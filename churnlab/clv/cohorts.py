"""Subscriptions (start and end dates) to survivors per acquisition cohort and age.

The input of the sBG projection (:func:`churnlab.clv.sbg.sbg_projection`),
left truncation handled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError

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
    """Survivors per acquisition cohort and age, the input of :func:`sbg_projection`.

    ``customers`` has one row per customer with a start date and an end date
    (NaT = still active; in the project: the analysis table with ``start_date``,
    ``end_date``, ``churned``). As seen on ``as_of``, an end date after ``as_of``
    has not happened yet: that customer counts as active.

    * A cohort is the calendar ``period`` (``"month"``, ``"quarter"`` or
      ``"year"``) of the start date. Customers who start after ``as_of`` are
      left out.
    * Left truncation: if the data only cover customers still present on
      ``observed_from`` (a customer who left before it is missing), only
      cohorts whose period *starts* on or after ``observed_from`` are complete
      and used; earlier customers are left out (counted in ``attrs``).
    * The last complete period is the period of ``as_of`` if ``as_of`` is its
      last day, else the period before. A cohort's age ``k_c`` is the number of
      complete periods after its acquisition period (the acquisition period is
      age 0); the cohort of the period containing ``as_of`` has age 0 and its
      S(0) only counts the customers acquired up to ``as_of``.

    Values: ``S_c(0)`` = customers acquired in period ``c``; ``S_c(t)``, t = 1..k_c,
    = those still active at the END of calendar period ``c + t`` (end date after
    that period's last day, or none); NaN for t > k_c. A customer whose end date
    falls in period ``c + t`` is lost at age ``t``; those who leave during the
    acquisition period itself are therefore counted as lost at t = 1 (the sBG
    has no churn at t = 0), as are those who leave during period ``c + 1``.
    Customers acquired late in a period have had less time in it: the sBG
    treats calendar periods as renewal periods, which suits monthly or annual
    billing best.

    Returns a float DataFrame: index ``cohort`` = period strings (``"2023-01"``,
    ``"2023Q1"``, ``"2023"``), columns ``age`` = 0, 1, ..., max k_c (ints).
    ``attrs`` holds ``period``, ``as_of``, ``last_complete_period``,
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
    p_asof = cutoff.to_period(freq)
    last_complete = p_asof if cutoff == p_asof.end_time.normalize() else p_asof - 1
    cohort = start.dt.to_period(freq)
    c_ord = np.asarray(cohort.array.asi8, dtype=float)
    ended = end.notna() & (end <= cutoff)            # an end after as_of has not happened yet
    e_ord = np.where(ended, np.asarray(end.dt.to_period(freq).array.asi8, dtype=float), np.inf)
    lost_at = e_ord - c_ord                          # age at which the customer is lost (>= 0)

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

    lc_ord = last_complete.ordinal
    rows, index = [], []
    for c in np.unique(c_ord[use]):
        lost = lost_at[use & (c_ord == c)]
        age = int(max(lc_ord - c, 0))
        counts = [float(len(lost))] + [float((lost > t).sum()) for t in range(1, age + 1)]
        rows.append(counts)
        index.append(str(pd.Period(ordinal=int(c), freq=freq)))
    width = max(len(r) for r in rows)
    table = pd.DataFrame([r + [np.nan] * (width - len(r)) for r in rows],
                         index=pd.Index(index, name="cohort"),
                         columns=pd.Index(range(width), name="age"), dtype=float)

    notes = [f"{int(use.sum()):,} customers in {len(table)} {period}ly cohorts; last complete "
             f"{period}: {last_complete} (as_of = {cutoff.date()})."]
    if pre.any():
        notes.append(f"{int(pre.sum()):,} customers acquired before the {period} starting on or "
                     f"after observed_from = {window.date()} were left out: those of them who "
                     "left before the data window are missing (left truncation).")
    if future.any():
        notes.append(f"{int(future.sum()):,} customers who start after as_of were left out.")
    if p_asof.ordinal in c_ord[use] and last_complete != p_asof:
        notes.append(f"Cohort {p_asof} is still being acquired on as_of: its S(0) counts "
                     "customers up to as_of only.")
    table.attrs.update({
        "period": period, "as_of": str(cutoff.date()), "last_complete_period": str(last_complete),
        "observed_from": None if window is None else str(window.date()),
        "customers": int(use.sum()), "left_out_before_window": int(pre.sum()),
        "left_out_after_as_of": int(future.sum()), "notes": notes,
    })
    return table
