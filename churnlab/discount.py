"""Discounting: one home for converting discount rates between periods.

A rate ``r`` per period of ``m`` months is the same as a monthly rate
``(1 + r)^(1/m) - 1`` (compound interest); a period of ``k`` months then
discounts by ``(1 + d_month)^k - 1``. Cash flow ``k`` months ahead is worth
``1 / (1 + d_month)^k`` today (e.g. Berger & Nasr 1998, J. Interactive
Marketing 12(1), for customer lifetime value).
"""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .units import MONTHS_PER_PERIOD


def per_period(rate: float, *, periods_per_year: float) -> float:
    """Per-period rate equivalent to an annual ``rate``: ``(1 + rate)^(1/periods_per_year) - 1``.

    E.g. 10% a year is 0.797% a month (12 periods) or 2.41% a quarter.
    """
    if not (np.isfinite(rate) and rate > 0):
        raise DataError(f"the annual discount rate must be > 0, got {rate}")
    if not (np.isfinite(periods_per_year) and periods_per_year > 0):
        raise DataError(f"periods_per_year must be > 0, got {periods_per_year}")
    return float((1.0 + rate) ** (1.0 / periods_per_year) - 1.0)


def monthly_rate(rate: float, period: str) -> float:
    """Monthly rate equivalent to ``rate`` per ``period`` (``month``, ``quarter``, ``year``)."""
    return (1.0 + rate) ** (1.0 / MONTHS_PER_PERIOD[period]) - 1.0


def period_rate(monthly: float, months: float) -> float:
    """Rate per period of ``months`` months from a monthly rate: ``(1 + d)^months - 1``."""
    return (1.0 + monthly) ** months - 1.0


def factors(months: int, monthly: float) -> np.ndarray:
    """Discount factors ``1 / (1 + d)^k`` for k = 1..months."""
    if months < 1:
        raise DataError(f"value.horizon_months: expected at least 1 month, got {months}")
    if not 0 <= monthly < 1:
        raise DataError(f"value.discount_rate: expected a rate in [0, 1), got {monthly}")
    return (1.0 + monthly) ** -np.arange(1, months + 1, dtype=float)
