"""Time units and periods: one home for every day count and period length.

A *month* is the average Gregorian month, 365.25 / 12 = 30.4375 days; a
quarter 365.25 / 4 days; a year 365.25 days. This module holds the constants,
the conversions between them and the calendar arithmetic: :func:`calendar_months`
(whole months between two dates, as pandas' ``DateOffset``) and
:func:`whole_periods` (whole months, quarters or years since a start date: the
survival table's durations and the sBG's renewal ages).

Names used in the params files:

``day | week | month | quarter | year``  survival time units (``survival.unit``);
``month | quarter | year``               KPI and cohort periods;
``day | week | month``                   BG/NBD time units (``survival.bgnbd_unit``),
                                         coded ``D | W | M`` for the BG/NBD functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

#: Length of each time unit in days.
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "quarter": DAYS_PER_YEAR / 4,
             "year": DAYS_PER_YEAR}
#: Periods in a year (KPI, cohort and discount periods).
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
#: Whole months in a period.
MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}
#: Months in one time unit (``survival.unit``).
MONTHS_PER_UNIT = {u: d / DAYS_PER_MONTH for u, d in UNIT_DAYS.items()}
#: BG/NBD unit codes and their length in days.
BGNBD_CODES = {"day": "D", "week": "W", "month": "M"}
BGNBD_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_MONTH}
#: BG/NBD time units in one month, by code (4.348 weeks a month).
UNITS_PER_MONTH = {code: DAYS_PER_MONTH / d for code, d in BGNBD_UNIT_DAYS.items()}
#: pandas period frequency of each KPI period.
FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


def tenure_months(start, end) -> pd.Series | float:
    """Tenure in average months: ``(end - start) in days / 30.4375``."""
    days = (pd.to_datetime(end) - pd.to_datetime(start))
    if isinstance(days, pd.Series):
        return days.dt.days / DAYS_PER_MONTH
    if isinstance(days, pd.TimedeltaIndex):
        return pd.Index(days.days / DAYS_PER_MONTH)
    return days.days / DAYS_PER_MONTH


def bgnbd_code(unit: str) -> str:
    """``day``/``week``/``month`` -> ``D``/``W``/``M``."""
    return BGNBD_CODES[unit]


def months_to_units(months, unit: str):
    """Months expressed in ``unit`` (e.g. 12 months = 4 quarters)."""
    return np.asarray(months, dtype=float) / MONTHS_PER_UNIT[unit]


def calendar_months(start: pd.Series, end: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole calendar months from ``start`` to ``end`` and whether time is left over.

    Month arithmetic as pandas' ``DateOffset(months=k)`` (Jan 31 + 1 month = Feb 28/29),
    vectorised with numpy month units.
    """
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    s_month, e_month = s.astype("datetime64[M]"), e.astype("datetime64[M]")
    s_in = s - s_month.astype("datetime64[ns]")   # time since the start of its month
    e_in = e - e_month.astype("datetime64[ns]")
    full = (e_month - s_month).astype(int) - (e_in < s_in)

    def anniversary(k: np.ndarray) -> np.ndarray:
        month = s_month + k.astype("timedelta64[M]")
        length = (month + np.timedelta64(1, "M")).astype("datetime64[ns]") - month.astype("datetime64[ns]")
        day = np.timedelta64(1, "D").astype("timedelta64[ns]")
        offset = np.where(s_in >= length, length - day + s_in % day, s_in)  # clip to the month's end
        return month.astype("datetime64[ns]") + offset

    # clipping at month ends can leave one more whole month (e.g. Jan 31 -> Feb 28)
    more = anniversary(full + 1) <= e
    full = full + more
    rest = e > anniversary(full)
    return full.astype(float), rest


def whole_periods(start: pd.Series | None, end: pd.Series | None, days: np.ndarray,
                   unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(whole periods elapsed, True where part of a further period also elapsed).

    With start dates, months, quarters and years are calendar periods counted from
    each start date (anniversaries: a start on 15 March completes its first quarter
    on 15 June); otherwise ``days`` is divided by the average length of ``unit``
    (:data:`UNIT_DAYS`).
    """
    if start is not None and unit in MONTHS_PER_PERIOD:
        months, rest = calendar_months(start, end)
        per = MONTHS_PER_PERIOD[unit]
        return months // per, rest | (months % per > 0)
    x = days / UNIT_DAYS[unit]
    full = np.floor(x + 1e-9)
    return full, x - full > 1e-9
