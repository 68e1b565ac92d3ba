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

from ..collect.definitions import censor_at
from ..collect.features import is_history_summary
from ..design import CONSEQUENCES, tenure_proxies
from ..design import covariates as design_covariates
from ..errors import DataError
from ..units import UNIT_DAYS, whole_periods
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

    With an ``observed_until`` column (windowed churn definitions,
    :func:`churnlab.collect.definitions.observation_end`) durations and events
    follow :func:`churnlab.collect.definitions.censor_at`: churn counts only when
    dated on or before that day, everyone else is censored there.
    """
    for col in ("duration_days", "event"):
        if col not in analysis:
            raise DataError(f"analysis table: expected a {col!r} column")
    if unit not in UNIT_DAYS:
        raise DataError(f"survival unit: expected one of {sorted(UNIT_DAYS)}, got {unit!r}")
    if "observed_until" in analysis and "start_date" in analysis:
        analysis = censor_at(analysis, analysis["observed_until"])  # the one censoring rule
    days = analysis["duration_days"].to_numpy(dtype=float)
    if np.isnan(days).any() or (days < 0).any():
        raise DataError("analysis table: duration_days must be a number >= 0 for every customer")
    event = analysis["event"].astype(bool).to_numpy()
    start = end = None
    if "start_date" in analysis and analysis["start_date"].notna().all():
        start = pd.to_datetime(analysis["start_date"])
        end = start + pd.to_timedelta(days, unit="D")
    full, rest = whole_periods(start, end, days, unit)
    duration = np.where(event, np.maximum(1, full + rest), full)
    entry = np.zeros(len(analysis))
    if observed_from is not None:
        if start is None:
            raise DataError("analysis table: observed_from (left truncation) needs a start_date "
                            "for every customer")
        window = pd.Series(pd.Timestamp(observed_from), index=start.index)
        before = (window > start).to_numpy()
        e_full, _ = whole_periods(start, window, (window - start).dt.days.to_numpy(float), unit)
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
    left out as stand-ins for tenure; ``summaries``: whole-history behaviour summaries
    as of ``as_of``, left out of the lifetime models (description only; the drivers
    model uses them month by month); ``skipped``: columns not usable, with the
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
    summaries: list[str] = field(default_factory=list)


def prepare(analysis: pd.DataFrame, sp, ground_truth: dict | None = None,
            exclude: tuple[str, ...] = CONSEQUENCES) -> Prepared:
    """Survival table + model covariates from the analysis table and the ``survival`` params.

    :func:`survival_table` (whole periods, entry times from :func:`window_start`),
    :func:`exposure_rates`, the covariates of :func:`churnlab.causes.covariates`
    minus ``exclude`` (retention offers are a consequence of churn), minus
    :func:`tenure_proxies` and minus whole-history summaries
    (:func:`churnlab.collect.features.is_history_summary`): a Cox or AFT model of the whole
    lifetime may only use what does not depend on how the lifetime went (attributes such
    as region, plan, payment method); a churner's summary includes the run-up to the exit
    and a survivor's keeps accumulating, which biases every such hazard ratio. Reference levels from the simulator's planted drivers
    (``ground_truth["drivers"]``, see :func:`churnlab.survival.planted.planted_reference`).
    """
    start = window_start(sp.observed_from, ground_truth)
    st = exposure_rates(survival_table(analysis, unit=sp.unit, observed_from=start))
    renamed = st.attrs["renamed"]
    drop = ("entry",) + tuple(exclude) + tuple(renamed.get(c, c) for c in exclude)
    cov = design_covariates(st, exclude=drop)
    summaries = [c for c in cov["numeric"] + cov["categorical"] if is_history_summary(c)]
    numeric = [c for c in cov["numeric"] if c not in summaries]
    proxies = tenure_proxies(st, numeric)
    categorical = [c for c in cov["categorical"] if c not in summaries]
    covs = [c for c in numeric if c not in proxies] + categorical
    entry = "entry" if st["entry"].gt(0).any() else None
    reference = planted_reference((ground_truth or {}).get("drivers", []), st)
    return Prepared(st, covs, categorical, proxies, cov["skipped"], entry, start, reference,
                    summaries)
