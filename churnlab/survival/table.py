"""The survival table: durations in whole periods, entry times, rates and covariates.

Customers still active at ``as_of`` are *censored*: we know they stayed at
least ``duration`` periods, not when they will leave. Survival methods use that
partial information instead of treating them as "not churned".

Left truncation: when the data start on ``observed_from`` but some customers
joined earlier, only those still active on ``observed_from`` are in the data
(the ones who left before are invisible). Treating them as at risk from their
start would make survival look better than it is; with an ``entry`` time they
join the risk set only from the moment they were observable.

* :func:`survival_table` -- durations, the churn event and the entry time;
* :func:`exposure_rates` -- accumulated counts as rates per period observed;
* :func:`tenure_proxies` -- covariates that restate tenure (the rule lives in
  :mod:`churnlab.design`, shared with the cause analysis and the early-warning model);
* :func:`prepare` / :class:`Prepared` -- all of the above from the analysis
  table and the ``survival`` params (what notebooks 03-05 model);
* :func:`check_table` -- the input check every model of the package runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..design import CONSEQUENCES, tenure_proxies
from ..design import covariates as design_covariates
from ..errors import DataError
from ..units import UNIT_DAYS
from .planted import planted_reference

#: Horizons (in the survival unit) of S(h) and P(churn within h) unless told otherwise.
DEFAULT_HORIZONS = (3, 6, 12, 24)
#: Count columns that are outcomes, not behaviour (left as they are by :func:`exposure_rates`).
_NOT_RATES = ("n_returns",)


def check_table(df: pd.DataFrame, duration: str, event: str) -> None:
    """Raise :class:`DataError` unless ``df`` has the two columns, rows and a churn event."""
    for col in (duration, event):
        if col not in df:
            raise DataError(f"analysis table: expected a {col!r} column")
    if len(df) == 0:
        raise DataError("analysis table: no customers")
    if int(df[event].sum()) == 0:
        raise DataError("analysis table: no churn events; survival models need at least one "
                        "churned customer")


def _calendar_months(start: pd.Series, end: pd.Series) -> tuple[np.ndarray, np.ndarray]:
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


def _whole_periods(start: pd.Series | None, end: pd.Series | None, days: np.ndarray,
                   unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(whole periods elapsed, True where part of a further period also elapsed)."""
    if start is not None and unit in ("month", "quarter", "year"):
        months, rest = _calendar_months(start, end)
        per = {"month": 1, "quarter": 3, "year": 12}[unit]
        return months // per, rest | (months % per > 0)
    x = days / UNIT_DAYS[unit]
    full = np.floor(x + 1e-9)
    return full, x - full > 1e-9


def window_start(observed_from=None, ground_truth: dict | None = None):
    """The first day of the data window: ``observed_from`` from the params if set,
    else the simulator's ``data_start`` (simulated data), else None (no truncation)."""
    if observed_from is not None:
        return pd.Timestamp(observed_from).date()
    start = (ground_truth or {}).get("data_start")
    return pd.Timestamp(start).date() if start else None


def survival_table(analysis: pd.DataFrame, *, unit: str = "month",
                   observed_from=None) -> pd.DataFrame:
    """The analysis table with durations in whole periods, ready for every model here.

    Conventions (the usual discrete-time ones, e.g. the IBM Telco ``tenure``):

    * a churned customer's ``duration`` is the period in which they left,
      counted from 1: leaving after 2 months and 10 days is period 3;
    * an active customer's ``duration`` is the number of *complete* periods
      observed (censored there);
    * ``entry`` is the number of complete periods a customer had already been a
      customer on ``observed_from``, the first day of the data window (0 for
      customers who joined inside it): they are counted at risk from then on
      (left truncation);
    * rows with no observed time at risk (``duration == entry`` and not churned,
      e.g. customers who joined less than a period ago) carry no information and
      are dropped; ``attrs["dropped"]`` counts them.

    With start dates, months, quarters and years are calendar periods (a churn
    exactly one year after the start is in period 12); otherwise
    ``duration_days`` is divided by the average period length. ``attrs`` also
    holds ``unit`` and ``left_truncated`` (customers with ``entry > 0``).
    """
    for col in ("duration_days", "event"):
        if col not in analysis:
            raise DataError(f"analysis table: expected a {col!r} column")
    if unit not in UNIT_DAYS:
        raise DataError(f"survival unit: expected one of {sorted(UNIT_DAYS)}, got {unit!r}")
    days = analysis["duration_days"].to_numpy(dtype=float)
    if np.isnan(days).any() or (days < 0).any():
        raise DataError("analysis table: duration_days must be a number >= 0 for every customer")
    event = analysis["event"].astype(bool).to_numpy()
    start = end = None
    if "start_date" in analysis and analysis["start_date"].notna().all():
        start = pd.to_datetime(analysis["start_date"])
        end = start + pd.to_timedelta(days, unit="D")
    full, rest = _whole_periods(start, end, days, unit)
    duration = np.where(event, np.maximum(1, full + rest), full)
    entry = np.zeros(len(analysis))
    if observed_from is not None:
        if start is None:
            raise DataError("analysis table: observed_from (left truncation) needs a start_date "
                            "for every customer")
        window = pd.Series(pd.Timestamp(observed_from), index=start.index)
        before = (window > start).to_numpy()
        e_full, _ = _whole_periods(start, window, (window - start).dt.days.to_numpy(float), unit)
        entry = np.where(before, e_full, 0.0)
        # an event is in period `duration`, i.e. after `duration - 1`; entry cannot be later
        entry = np.minimum(entry, np.where(event, duration - 1, duration))
    out = analysis.copy()
    out["duration"] = duration.astype(float)
    out["event"] = event.astype(int)
    out["entry"] = entry.astype(float)
    keep = event | (duration > entry)
    out = out.loc[keep].reset_index(drop=True)
    out.attrs.update(unit=unit, dropped=int((~keep).sum()),
                     left_truncated=int((out["entry"] > 0).sum()))
    return out


def exposure_rates(df: pd.DataFrame, *, columns: list[str] | None = None,
                   min_exposure: float = 3.0) -> pd.DataFrame:
    """Turn accumulated counts into rates per period observed.

    Counts such as ``n_complaints`` grow with the time a customer was watched,
    so customers who stayed longer look as if complaints *protected* them. A
    survival model needs the rate: ``n / max(duration - entry, min_exposure)``,
    renamed ``<column>_per_<unit>`` (the floor keeps one complaint in a new
    customer's first week from reading as several a month). ``columns`` defaults to the integer ``n_*`` columns
    (outcome counts like ``n_returns`` excluded). ``attrs["renamed"]`` maps old
    to new names.
    """
    unit = df.attrs.get("unit", "period")
    if columns is None:
        columns = [c for c in df.columns if c not in _NOT_RATES and (
            (c.startswith("n_") and pd.api.types.is_integer_dtype(df[c]))
            or (c.startswith("total_") and pd.api.types.is_numeric_dtype(df[c])))]
    observed = np.maximum(df["duration"] - df.get("entry", 0), min_exposure)
    out = df.copy()
    renamed = {}
    for col in columns:
        new = f"{col}_per_{unit}"
        out[new] = df[col] / observed
        renamed[col] = new
    out = out.drop(columns=list(renamed))
    out.attrs = {**df.attrs, "renamed": renamed}
    return out


@dataclass
class Prepared:
    """The survival table notebooks 03-05 model, and what went into it.

    ``table``: :func:`survival_table` + :func:`exposure_rates`; ``covariates``:
    the model covariates (``categorical`` the categorical ones); ``proxies``:
    left out as stand-ins for tenure; ``skipped``: columns not usable, with the
    reason; ``entry``: ``"entry"`` when some customers are left-truncated, else
    None; ``observed_from``: the first day of the data window (None: no
    truncation); ``reference``: the reference level of categorical covariates
    (:func:`churnlab.survival.planted.planted_reference`: keeps the simulator's
    planted levels estimable; empty for real data).
    """

    table: pd.DataFrame
    covariates: list[str]
    categorical: list[str]
    proxies: list[str]
    skipped: list[str]
    entry: str | None
    observed_from: object
    reference: dict[str, str] = field(default_factory=dict)


def prepare(analysis: pd.DataFrame, sp, ground_truth: dict | None = None,
            exclude: tuple[str, ...] = CONSEQUENCES) -> Prepared:
    """Survival table + model covariates from the analysis table and the ``survival`` params.

    :func:`survival_table` (whole periods, entry times from :func:`window_start`),
    :func:`exposure_rates`, the covariates of :func:`churnlab.causes.covariates`
    minus ``exclude`` (retention offers are a consequence of churn) and minus
    :func:`tenure_proxies`. Reference levels from the simulator's planted drivers
    (``ground_truth["drivers"]``, see :func:`churnlab.survival.planted.planted_reference`).
    """
    start = window_start(sp.observed_from, ground_truth)
    st = exposure_rates(survival_table(analysis, unit=sp.unit, observed_from=start))
    renamed = st.attrs["renamed"]
    drop = ("entry",) + tuple(exclude) + tuple(renamed.get(c, c) for c in exclude)
    cov = design_covariates(st, exclude=drop)
    proxies = tenure_proxies(st, cov["numeric"])
    covs = [c for c in cov["numeric"] if c not in proxies] + cov["categorical"]
    entry = "entry" if st["entry"].gt(0).any() else None
    reference = planted_reference((ground_truth or {}).get("drivers", []), st)
    return Prepared(st, covs, cov["categorical"], proxies, cov["skipped"], entry, start, reference)
