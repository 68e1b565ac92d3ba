"""Time units and periods: one home for every day count and period length.

A *month* is the average Gregorian month, 365.25 / 12 = 30.4375 days; a
quarter 365.25 / 4 days; a year 365.25 days. Calendar arithmetic (whole
months between two dates) lives in :mod:`churnlab.survival.table`; this module
holds only the constants and the conversions between them.

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
