"""Stage 3, survival modelling: time to churn with censoring (lifelines).

Customers still active at ``as_of`` are *censored*: we know they stayed at
least ``duration`` months, not when they will leave. Survival methods use that
partial information instead of treating them as "not churned".

Contents, in the order notebook 03 uses them:

* :func:`survival_table` -- durations in whole periods, the churn event and the
  *entry* time of customers who joined before the data window (left truncation);
* Kaplan-Meier (:func:`km_summary`, :func:`km_by_segment`, :func:`km_plot`) and
  the log-rank test (:func:`logrank`);
* Cox proportional hazards with the Schoenfeld check and a remedy
  (:func:`cox_model`, :func:`cox_with_remedy`);
* parametric AFT models compared by AIC (:func:`aft_models`);
* the piecewise-constant hazard (:func:`piecewise_hazard`);
* predictions for current customers (:func:`current_predictions`);
* held-out validation: concordance and calibration at a horizon
  (:func:`holdout_validation`);
* the simulator's planted hazards against the estimates (:func:`planted_comparison`).

Left truncation: when the data start on ``observed_from`` but some customers
joined earlier, only those still active on ``observed_from`` are in the data
(the ones who left before are invisible). Treating them as at risk from their
start would make survival look better than it is; with an ``entry`` time they
join the risk set only from the moment they were observable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import DataError
from ..intervals import wilson
from ..units import UNIT_DAYS
from ..figures import axes, ratio_forest

DEFAULT_HORIZONS = (3, 6, 12, 24)
#: Length of a time unit in days.
#: Count columns that are outcomes, not behaviour (left as they are by :func:`exposure_rates`).
_NOT_RATES = ("n_returns",)


def _check(df: pd.DataFrame, duration: str, event: str) -> None:
    for col in (duration, event):
        if col not in df:
            raise DataError(f"analysis table: expected a {col!r} column")
    if len(df) == 0:
        raise DataError("analysis table: no customers")
    if int(df[event].sum()) == 0:
        raise DataError("analysis table: no churn events; survival models need at least one "
                        "churned customer")


# =========================================================================== the survival table

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


def tenure_proxies(df: pd.DataFrame, columns: list[str], *, duration: str = "duration",
                   threshold: float = 0.85) -> list[str]:
    """Numeric covariates that are (almost) a function of tenure: |Spearman rho|
    with ``duration`` above ``threshold`` (e.g. a lifetime total such as the IBM
    Telco ``TotalCharges`` = monthly charge x tenure). In a survival model they
    restate the outcome, so notebook 03 leaves them out and says so."""
    out = []
    for col in columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) \
                and s.nunique() > 1 and s.notna().sum() > 10:
            rho = s.corr(df[duration], method="spearman")
            if pd.notna(rho) and abs(rho) > threshold:
                out.append(col)
    return out


@dataclass
class Prepared:
    """The survival table notebooks 03 and 04 model, and what went into it."""

    table: pd.DataFrame
    covariates: list[str]
    categorical: list[str]
    proxies: list[str]
    skipped: list[str]
    entry: str | None
    observed_from: object


def prepare(analysis: pd.DataFrame, sp, ground_truth: dict | None = None,
            exclude: tuple[str, ...] = ("n_offers", "offer_accepted")) -> Prepared:
    """Survival table + model covariates from the analysis table and the ``survival`` params.

    :func:`survival_table` (whole periods, entry times from :func:`window_start`),
    :func:`exposure_rates`, the covariates of :func:`churnlab.causes.covariates`
    minus ``exclude`` (retention offers are a consequence of churn) and minus
    :func:`tenure_proxies`.
    """
    from ..design import covariates

    start = window_start(sp.observed_from, ground_truth)
    st = exposure_rates(survival_table(analysis, unit=sp.unit, observed_from=start))
    renamed = st.attrs["renamed"]
    drop = ("entry",) + tuple(exclude) + tuple(renamed.get(c, c) for c in exclude)
    cov = covariates(st, exclude=drop)
    proxies = tenure_proxies(st, cov["numeric"])
    covs = [c for c in cov["numeric"] if c not in proxies] + cov["categorical"]
    entry = "entry" if st["entry"].gt(0).any() else None
    return Prepared(st, covs, cov["categorical"], proxies, cov["skipped"], entry, start)


# =========================================================================== Kaplan-Meier


@dataclass
class KMSummary:
    """Kaplan-Meier summary of one group.

    ``median`` is the first time S(t) <= 0.5 (NaN if the curve never gets
    there), with its 95% CI from lifelines (Brookmeyer-Crowley, on the
    log-log transformed survival); ``survival`` maps each horizon h to S(h)
    with its 95% CI; ``rmst`` is the restricted mean survival time up to
    ``tau``: RMST(tau) = integral_0^tau S(t) dt (the area under the step curve).
    """

    group: str
    customers: int
    churned: int
    median: float
    median_ci: tuple[float, float]
    survival: pd.DataFrame
    rmst: float
    tau: float


def kaplan_meier(df: pd.DataFrame, *, duration: str = "duration", event: str = "event",
                 entry: str | None = None, label: str = "all"):
    """A fitted lifelines ``KaplanMeierFitter`` for the rows of ``df``.

    With ``entry``, customers join the risk set at their entry time (left truncation).
    """
    from lifelines import KaplanMeierFitter

    _check(df, duration, event)
    return KaplanMeierFitter(label=label).fit(df[duration], df[event], label=label,
                                              entry=df[entry] if entry else None)


def km_summary(df: pd.DataFrame, *, duration: str = "duration", event: str = "event",
               entry: str | None = None, horizons: tuple[float, ...] = DEFAULT_HORIZONS,
               tau: float | None = None, label: str = "all") -> KMSummary:
    """Median lifetime with CI, S(h) at the horizons with CIs, and RMST(tau).

    ``tau`` defaults to the largest horizon. Sources: Kaplan & Meier (1958);
    RMST: Royston & Parmar (2013), BMC Med Res Methodol 13:152.
    """
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    km = kaplan_meier(df, duration=duration, event=event, entry=entry, label=label)
    tau = float(max(horizons) if tau is None else tau)
    ci = median_survival_times(km.confidence_interval_)
    lo, hi = (float(v) for v in np.asarray(ci).ravel()[:2])
    rows = []
    for h in horizons:
        s = float(km.survival_function_at_times(h).iloc[0])
        band = km.confidence_interval_survival_function_
        below = band[band.index <= h]
        lo_h, hi_h = (below.iloc[-1].to_numpy() if len(below) else (1.0, 1.0))
        rows.append({"horizon": h, "survival": s, "ci_low": float(lo_h), "ci_high": float(hi_h)})
    return KMSummary(
        group=label, customers=len(df), churned=int(df[event].sum()),
        median=float(km.median_survival_time_), median_ci=(lo, hi),
        survival=pd.DataFrame(rows), rmst=float(restricted_mean_survival_time(km, t=tau)), tau=tau)


def _levels(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].astype("string").fillna("(missing)")


def km_by_segment(df: pd.DataFrame, *, column: str, duration: str = "duration",
                  event: str = "event", entry: str | None = None,
                  horizons: tuple[float, ...] = DEFAULT_HORIZONS, min_count: int = 30) -> pd.DataFrame:
    """:func:`km_summary` per level of ``column`` (levels below ``min_count`` skipped).

    One row per level: customers, churned, median and CI, S(h) per horizon, RMST.
    """
    rows = []
    for level, g in df.groupby(_levels(df, column), sort=True):
        if len(g) < min_count or g[event].sum() == 0:
            continue
        s = km_summary(g, duration=duration, event=event, entry=entry, horizons=horizons,
                       label=str(level))
        row = {"column": column, "level": str(level), "customers": s.customers,
               "churned": s.churned, "median": s.median, "median_ci_low": s.median_ci[0],
               "median_ci_high": s.median_ci[1], "rmst": s.rmst}
        row.update({f"S({h:g})": v for h, v in zip(s.survival["horizon"], s.survival["survival"])})
        rows.append(row)
    return pd.DataFrame(rows)


def km_plot(df: pd.DataFrame, *, column: str | None = None, duration: str = "duration",
            event: str = "event", entry: str | None = None, min_count: int = 30,
            max_levels: int = 6, at_risk: bool = True, unit: str = "months",
            ax: plt.Axes | None = None) -> plt.Axes:
    """Kaplan-Meier curves (overall, or one per level of ``column``) with 95% bands
    and the number at risk under the axis."""
    from lifelines.plotting import add_at_risk_counts

    ax = axes(ax, (8, 4.8))
    if column is None:
        groups = [("all customers", df)]
    else:
        levels = _levels(df, column)
        top = levels.value_counts().head(max_levels).index
        groups = [(f"{column}={lv}", df[levels == lv]) for lv in sorted(top)
                  if (levels == lv).sum() >= min_count and df.loc[levels == lv, event].sum() > 0]
    fitters = []
    for label, g in groups:
        km = kaplan_meier(g, duration=duration, event=event, entry=entry, label=label)
        km.plot_survival_function(ax=ax, ci_show=True)
        fitters.append(km)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"tenure ({unit})")
    ax.set_ylabel("share still a customer, S(t)")
    ax.set_title("Kaplan-Meier survival" + (f" by {column}" if column else ""))
    if at_risk and fitters:
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
    return ax


def logrank(df: pd.DataFrame, *, column: str, duration: str = "duration",
            event: str = "event", entry: str | None = None) -> dict:
    """Test of equal survival across the levels of ``column``.

    Without ``entry``: the log-rank test (Mantel 1966; lifelines
    ``multivariate_logrank_test``). With ``entry`` (left-truncated data) the
    plain log-rank test does not apply; the equivalent score-type comparison is
    a Cox model with the levels as the only covariate and the risk sets built
    from the entry times, tested by the likelihood ratio (``method`` says which).
    Returns the statistic, degrees of freedom and p-value.
    """
    from lifelines.statistics import multivariate_logrank_test

    _check(df, duration, event)
    groups = _levels(df, column)
    if groups.nunique() < 2:
        raise DataError(f"column {column!r} has a single level; a log-rank test needs two or more")
    if entry is None:
        res = multivariate_logrank_test(df[duration], groups, df[event])
        return {"column": column, "statistic": float(res.test_statistic),
                "df": int(res.degrees_of_freedom), "p_value": float(res.p_value),
                "method": "log-rank"}
    from lifelines import CoxPHFitter

    X = pd.get_dummies(groups, prefix=column, drop_first=True, dtype=float)
    X[["_t", "_e", "_entry"]] = df[[duration, event, entry]].to_numpy(dtype=float)
    res = CoxPHFitter().fit(X, "_t", "_e", entry_col="_entry").log_likelihood_ratio_test()
    return {"column": column, "statistic": float(res.test_statistic),
                "df": int(X.shape[1] - 3), "p_value": float(res.p_value),
            "method": "Cox likelihood ratio with entry times"}


# =========================================================================== covariates

@dataclass
class Design:
    """How covariates become model columns; :meth:`transform` applies it to new rows.

    Numeric columns: missing values filled with the training median.
    Categorical columns (text, bool, category): one 0/1 column per level except
    the reference, named ``column=level``. Columns that are constant in the
    training rows, or identical to an earlier column (e.g. two counts that are
    always equal), are left out (``dropped``).
    """

    numeric: dict[str, float]
    categorical: dict[str, list[str]]
    reference: dict[str, str]
    columns: list[str]
    dropped: list[str]

    @classmethod
    def fit(cls, df: pd.DataFrame, covariates: list[str], *,
            reference: dict[str, str] | None = None) -> "Design":
        """Learn medians, levels and references from ``df``.

        The reference level of a categorical covariate is ``reference[column]``
        when given, else its most common level.
        """
        reference = dict(reference or {})
        numeric, categorical, ref = {}, {}, {}
        for col in covariates:
            if col not in df:
                raise DataError(f"analysis table: no covariate column {col!r}")
            s = df[col]
            if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                lv = _levels(df, col)
                counts = lv.value_counts()
                base = str(reference.get(col, counts.index[0]))
                if base not in counts.index:
                    base = counts.index[0]
                ref[col] = base
                categorical[col] = sorted(str(v) for v in counts.index if str(v) != base)
            else:
                med = s.median()
                numeric[col] = float(med) if pd.notna(med) else 0.0
        d = cls(numeric, categorical, ref, [], [])
        X = d._matrix(df)
        const = [c for c in X.columns if X[c].nunique() < 2]
        X = X.drop(columns=const)
        twins = _twin_columns(X)
        d.columns = [c for c in X.columns if c not in twins]
        d.dropped = const + twins
        return d

    def _matrix(self, df: pd.DataFrame) -> pd.DataFrame:
        parts = {col: df[col].astype(float).fillna(med) for col, med in self.numeric.items()}
        for col, levels in self.categorical.items():
            lv = _levels(df, col)
            for level in levels:
                parts[f"{col}={level}"] = (lv == level).astype(float)
        return pd.DataFrame(parts, index=df.index)

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Model columns for the rows of ``df`` (same columns as in the fit)."""
        return self._matrix(df).reindex(columns=self.columns, fill_value=0.0)

    def source(self, term: str) -> str:
        """The covariate a model column came from (``plan=one_year`` -> ``plan``)."""
        return term.split("=", 1)[0] if term not in self.numeric else term


def _twin_columns(X: pd.DataFrame) -> list[str]:
    """Columns identical to an earlier column (checked by a cheap signature, then exactly)."""
    arr = X.to_numpy(dtype=float)
    sig = np.round(np.c_[arr.sum(axis=0), (arr ** 2).sum(axis=0)], 9)
    twins, seen = [], {}
    for j, key in enumerate(map(tuple, sig)):
        match = next((i for i in seen.get(key, []) if np.array_equal(arr[:, i], arr[:, j])), None)
        if match is None:
            seen.setdefault(key, []).append(j)
        else:
            twins.append(X.columns[j])
    return twins


def _frame(df: pd.DataFrame, design: Design, duration: str, event: str, entry: str | None,
           strata: list[str] = ()) -> pd.DataFrame:
    X = design.transform(df)
    X[duration] = df[duration].astype(float)
    X[event] = df[event].astype(int)
    if entry:
        X[entry] = df[entry].astype(float)
    for col in strata:
        X[col] = df[col].astype("string").fillna("(missing)")
    return X


def _fit_quietly(make, X: pd.DataFrame, **kwargs) -> tuple[object | None, list[str]]:
    """Fit ``make(penalizer)``; retry with a small ridge penalty if it fails to converge.

    Returns (fitted model or None, attempts as readable lines).
    """
    import warnings

    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    attempts = []
    for penalizer in (0.0, 0.01, 0.1):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                model = make(penalizer).fit(X, **kwargs)
            except (ConvergenceError, ConvergenceWarning, ValueError, np.linalg.LinAlgError) as exc:
                first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
                attempts.append(f"penalizer {penalizer:g}: did not converge ({first})")
                continue
        attempts.append(f"penalizer {penalizer:g}: converged")
        return model, attempts
    return None, attempts


# =========================================================================== Cox


@dataclass
class CoxResult:
    """A fitted Cox model: hazard ratios with CIs, concordance, and the PH check.

    ``hazard_ratios``: term, hr = exp(coef), ci_low, ci_high, p_value;
    ``ph_test``: per term, the Schoenfeld-residual test statistic and p-value
    (Grambsch & Therneau 1994, rank transform of time); ``ph_violations``:
    terms with p < 0.05; ``strata``: columns the model was stratified on;
    ``attempts``: what the fit tried (a ridge penalty is added only if the
    plain fit does not converge).
    """

    hazard_ratios: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    ph_violations: list[str]
    strata: list[str]
    model: object
    design: Design
    attempts: list[str]


def cox_model(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
              event: str = "event", entry: str | None = None, strata: list[str] | None = None,
              reference: dict[str, str] | None = None, ph_test: bool = True) -> CoxResult:
    """Cox proportional hazards: h(t | x) = h0(t) exp(b'x), lifelines ``CoxPHFitter``.

    Categorical covariates are one-hot encoded against a reference level (see
    :class:`Design`); ``strata`` columns get their own baseline hazard instead
    of a coefficient (the usual remedy when a variable breaks proportional
    hazards). ``entry`` handles left truncation. Raises :class:`DataError` if
    the fit does not converge even with a ridge penalty, listing what was tried.
    """
    from lifelines import CoxPHFitter

    _check(df, duration, event)
    strata = list(strata or [])
    design = Design.fit(df, [c for c in covariates if c not in strata], reference=reference)
    X = _frame(df, design, duration, event, entry, strata)
    cph, attempts = _fit_quietly(lambda p: CoxPHFitter(penalizer=p), X, duration_col=duration,
                                 event_col=event, entry_col=entry, strata=strata or None)
    if cph is None:
        raise DataError("the Cox model did not converge; tried: " + "; ".join(attempts))
    hr = _hr_table(cph.summary)
    ph = schoenfeld_test(cph, X, duration=duration, event=event, entry=entry, strata=strata) \
        if ph_test else pd.DataFrame(columns=["term", "statistic", "p_value"])
    return CoxResult(hr, float(cph.concordance_index_), ph,
                     ph.loc[ph["p_value"] < 0.05, "term"].tolist(), strata, cph, design, attempts)


def schoenfeld_residuals(cph, X: pd.DataFrame, *, duration: str, event: str,
                         entry: str | None = None, strata: list[str] | None = None) -> pd.DataFrame:
    """Schoenfeld residuals of a fitted Cox model, one row per churn event.

    r_i = x_i - xbar(t_i), where xbar(t) is the risk-weighted mean of x over
    the customers at risk at t (entry < t <= duration, same stratum), weights
    exp(b'x), with Efron's correction for tied event times -- the same
    definition lifelines uses, extended to left truncation (lifelines raises
    "Residuals for entries not implemented"). At the fitted b the residuals
    sum to zero (the score equation). Columns: the model terms and ``_time``.
    """
    terms = list(cph.params_.index)
    beta = cph.params_.to_numpy(dtype=float)
    Z = X[terms].to_numpy(dtype=float)
    Z = Z - Z.mean(axis=0)  # residuals are shift-invariant; centring keeps exp() in range
    t = X[duration].to_numpy(dtype=float)
    e = X[event].to_numpy().astype(bool)
    start = X[entry].to_numpy(dtype=float) if entry else np.full(len(t), -np.inf)
    lp = Z @ beta
    score = np.exp(lp - lp.max())
    keys = (X[list(strata)].astype(str).agg("|".join, axis=1).to_numpy() if strata
            else np.zeros(len(t), dtype=int))
    rows, times = [], []
    for key in np.unique(keys):
        ins = keys == key
        for tj in np.unique(t[ins & e]):
            risk = ins & (start < tj) & (t >= tj)
            ties = risk & e & (t == tj)
            m = int(ties.sum())
            r_phi, r_phix = score[risk].sum(), score[risk] @ Z[risk]
            t_phi, t_phix = score[ties].sum(), score[ties] @ Z[ties]
            mean = sum((r_phix - k / m * t_phix) / ((r_phi - k / m * t_phi) * m) for k in range(m))
            rows.append(Z[ties] - mean)
            times.append(np.full(m, tj))
    out = pd.DataFrame(np.vstack(rows), columns=terms)
    out["_time"] = np.concatenate(times)
    return out


def schoenfeld_test(cph, X: pd.DataFrame, *, duration: str, event: str, entry: str | None = None,
                    strata: list[str] | None = None) -> pd.DataFrame:
    """Grambsch & Therneau (1994) test of proportional hazards, per term.

    Scaled residuals s_i = d * r_i V (d events, V the variance of b); with g
    the rank of the event times, T_k = (sum_i (g_i - gbar) s_ik)^2 /
    (d * V_kk * sum_i (g_i - gbar)^2) ~ chi2(1). Identical to lifelines'
    ``proportional_hazard_test(..., time_transform="rank")`` without entry
    times (checked in the tests), and valid with them.
    """
    from scipy import stats

    res = schoenfeld_residuals(cph, X, duration=duration, event=event, entry=entry, strata=strata)
    terms = list(cph.params_.index)
    d = len(res)
    scaled = d * res[terms].to_numpy() @ cph.variance_matrix_.to_numpy()
    g = stats.rankdata(res["_time"].to_numpy(), method="ordinal").astype(float)
    g = g - g.mean()
    se2 = cph.standard_errors_.to_numpy() ** 2
    stat = (g @ scaled) ** 2 / (d * se2 * (g ** 2).sum())
    return pd.DataFrame({"term": terms, "statistic": stat, "p_value": stats.chi2.sf(stat, 1)})


@dataclass
class CoxRemedy:
    """The first Cox fit, the refit after the remedy, and what was done.

    ``final`` has the remedied hazard ratios: strata have none, a numeric
    covariate with a time interaction has two, ``x (tenure <= c)`` and
    ``x (tenure > c)``. ``first.concordance`` is the ranking quality of the
    plain model (a stratified model ranks only within strata).
    """

    first: CoxResult
    final: CoxResult
    notes: list[str]
    strata: list[str]
    interactions: list[str]
    cut: float | None


def _hr_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"term": summary.index, "hr": summary["exp(coef)"].to_numpy(),
                         "ci_low": summary["exp(coef) lower 95%"].to_numpy(),
                         "ci_high": summary["exp(coef) upper 95%"].to_numpy(),
                         "p_value": summary["p"].to_numpy()})


def _split_at(X: pd.DataFrame, *, cut: float, duration: str, event: str, entry: str | None,
              numeric: list[str]) -> pd.DataFrame:
    """Episodes (start, stop] split at tenure ``cut``; ``x`` becomes ``x (tenure <= c)`` and
    ``x (tenure > c)`` (each zero outside its episode); the event sits on the last episode."""
    start = X[entry].to_numpy(float) if entry else np.zeros(len(X))
    stop = X[duration].to_numpy(float)
    base = X.drop(columns=[c for c in (duration, event, entry) if c]).assign(_id=np.arange(len(X)))
    early = base.assign(_start=start, _stop=np.minimum(stop, cut),
                        _event=np.where(stop <= cut, X[event].to_numpy(), 0))[start < cut]
    late = base.assign(_start=np.maximum(start, cut), _stop=stop,
                       _event=X[event].to_numpy())[stop > cut]
    for col in numeric:
        early[f"{col} (tenure <= {cut:g})"], early[f"{col} (tenure > {cut:g})"] = early[col], 0.0
        late[f"{col} (tenure <= {cut:g})"], late[f"{col} (tenure > {cut:g})"] = 0.0, late[col]
    return pd.concat([early, late], ignore_index=True).drop(columns=numeric)


def cox_with_remedy(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
                    event: str = "event", entry: str | None = None,
                    reference: dict[str, str] | None = None, max_remedies: int = 3,
                    alpha: float = 0.05) -> CoxRemedy:
    """Fit Cox, test proportional hazards (Schoenfeld), and remedy the worst offenders.

    Up to ``max_remedies`` covariates whose terms fail the test (p < ``alpha``),
    largest test statistic first:

    * a **categorical** covariate gets its own baseline hazard per level
      (``strata``): its effect may change with tenure in any way, and it has no
      hazard ratio any more (its Kaplan-Meier curves show the effect instead);
    * a **numeric** covariate gets a **time interaction**: tenure is split at
      ``c`` (the median churn time) and the covariate has one hazard ratio up
      to ``c`` and another after it (lifelines ``CoxTimeVaryingFitter`` on the
      split episodes, which also honours entry times).

    With thousands of customers the test flags even small departures; the
    notes give the statistics to judge by. Remaining violations are listed.
    """
    from lifelines import CoxTimeVaryingFitter

    first = cox_model(df, covariates=covariates, duration=duration, event=event, entry=entry,
                      reference=reference)
    if not first.ph_violations:
        return CoxRemedy(first, first, ["no covariate breaks proportional hazards (p >= "
                                        f"{alpha:g}); no remedy needed"], [], [], None)
    bad = first.ph_test[first.ph_test["p_value"] < alpha].copy()
    bad["covariate"] = bad["term"].map(first.design.source)
    worst = bad.groupby("covariate")["statistic"].max().sort_values(ascending=False)
    chosen = list(worst.index[:max_remedies])
    strata = [c for c in chosen if c not in first.design.numeric]
    numeric = [c for c in chosen if c in first.design.numeric]
    notes = [f"{c} breaks proportional hazards (chi2 = {worst[c]:.1f}): each level gets its own "
             "baseline hazard (strata), so it has no hazard ratio in the refit" for c in strata]
    if not numeric:
        final = cox_model(df, covariates=covariates, duration=duration, event=event, entry=entry,
                          strata=strata, reference=reference)
        cut = None
    else:
        cut = float(np.median(df.loc[df[event].astype(bool), duration]))
        notes += [f"{c} breaks proportional hazards (chi2 = {worst[c]:.1f}): time interaction, one "
                  f"hazard ratio up to tenure {cut:g} and one after" for c in numeric]
        design = Design.fit(df, [c for c in covariates if c not in strata], reference=reference)
        X = _frame(df, design, duration, event, entry, strata)
        ep = _split_at(X, cut=cut, duration=duration, event=event, entry=entry, numeric=numeric)
        ctv, attempts = _fit_quietly(lambda p: CoxTimeVaryingFitter(penalizer=p), ep,
                                     event_col="_event", start_col="_start", stop_col="_stop",
                                     id_col="_id", strata=strata or None)
        if ctv is None:
            raise DataError("the Cox model with time interactions did not converge; tried: "
                            + "; ".join(attempts))
        ph = schoenfeld_test(ctv, ep, duration="_stop", event="_event", entry="_start",
                             strata=strata)
        final = CoxResult(_hr_table(ctv.summary), first.concordance, ph,
                          ph.loc[ph["p_value"] < alpha, "term"].tolist(), strata, ctv, design,
                          attempts)
    if final.ph_violations:
        notes.append("still outside proportional hazards after the remedy (p < "
                     f"{alpha:g}): {', '.join(final.ph_violations)}; their hazard ratios are "
                     "averages over tenure")
    return CoxRemedy(first, final, notes, strata, numeric, cut)


def hazard_ratio_plot(result: CoxResult, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Forest plot of the Cox hazard ratios with 95% CIs (log scale)."""
    return ratio_forest(result.hazard_ratios, value="hr",
                        xlabel="hazard ratio (log scale): >1 leaves sooner",
                        title="Cox hazard ratios, adjusted for each other (grey: p ≥ 0.05)", ax=ax)


# =========================================================================== parametric models

AFT_MODELS = ("Weibull", "LogNormal", "LogLogistic")


@dataclass
class AFTComparison:
    """Parametric accelerated-failure-time models side by side.

    ``table``: model, AIC, log-likelihood, number of parameters, concordance
    and the fit attempts, sorted by AIC (lower is better: the likelihood,
    penalised by 2 per parameter). ``best`` names the lowest-AIC model that
    converged (None if none did); ``models`` holds the fitted lifelines objects.
    """

    table: pd.DataFrame
    best: str | None
    models: dict
    design: Design

    @property
    def best_model(self):
        return self.models[self.best] if self.best else None


def aft_models(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
               event: str = "event", entry: str | None = None,
               reference: dict[str, str] | None = None) -> AFTComparison:
    """Weibull, log-normal and log-logistic AFT models (lifelines) compared by AIC.

    AFT: log T = b'x + sigma * eps; the distribution of eps gives the model.
    exp(b) multiplies the expected lifetime (> 1: lasts longer). Durations must
    be > 0 (:func:`survival_table` guarantees it). Each fit that fails to
    converge is retried with a small ridge penalty; the attempts are listed.
    """
    from lifelines import LogLogisticAFTFitter, LogNormalAFTFitter, WeibullAFTFitter

    _check(df, duration, event)
    if (df[duration] <= 0).any():
        raise DataError("parametric models need durations > 0; build the table with "
                        "survival_table(), which drops rows with no time at risk")
    fitters = {"Weibull": WeibullAFTFitter, "LogNormal": LogNormalAFTFitter,
               "LogLogistic": LogLogisticAFTFitter}
    design = Design.fit(df, covariates, reference=reference)
    X = _frame(df, design, duration, event, entry)
    rows, models = [], {}
    for name in AFT_MODELS:
        model, attempts = _fit_quietly(lambda p, f=fitters[name]: f(penalizer=p), X,
                                       duration_col=duration, event_col=event, entry_col=entry)
        row = {"model": name, "aic": np.nan, "log_likelihood": np.nan, "parameters": np.nan,
               "concordance": np.nan, "converged": model is not None, "attempts": "; ".join(attempts)}
        if model is not None:
            models[name] = model
            row.update(aic=float(model.AIC_), log_likelihood=float(model.log_likelihood_),
                       parameters=int(len(model.params_)), concordance=float(model.concordance_index_))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("aic", na_position="last").reset_index(drop=True)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    best = table.loc[table["converged"], "model"]
    return AFTComparison(table, best.iloc[0] if len(best) else None, models, design)


def aft_curves(comparison: AFTComparison, df: pd.DataFrame, *, points: int = 120,
               ax: plt.Axes | None = None) -> plt.Axes:
    """Each AFT model's survival curve averaged over the customers of ``df``
    (to lay over a Kaplan-Meier curve of the same customers)."""
    ax = axes(ax, (8, 4.5))
    grid = np.linspace(0, float(df["duration"].max()), points)
    X = comparison.design.transform(df)
    for name, model in comparison.models.items():
        mean = model.predict_survival_function(X, times=grid).mean(axis=1)
        ax.plot(grid, mean.to_numpy(), lw=1.6, ls="--" if name != comparison.best else "-",
                label=f"{name} AFT" + (" (best AIC)" if name == comparison.best else ""))
    ax.legend(frameon=False)
    return ax


def save_models(comparison: AFTComparison, path: str | Path) -> Path:
    """Keep notebook 03's fitted AFT models for notebook 04 (pickle, in the run's
    ``data/`` folder: written and read by the same run only)."""
    import pickle

    path = Path(path)
    path.write_bytes(pickle.dumps(comparison))
    return path


def load_models(path: str | Path) -> AFTComparison | None:
    """The AFT models notebook 03 saved with :func:`save_models`, or None if absent."""
    import pickle

    path = Path(path)
    if not path.exists():
        return None
    obj = pickle.loads(path.read_bytes())  # noqa: S301 - this run's own file
    return obj if isinstance(obj, AFTComparison) else None


# =========================================================================== piecewise hazard


def piecewise_hazard(df: pd.DataFrame, *, breakpoints: list[float], duration: str = "duration",
                     event: str = "event", entry: str | None = None) -> pd.DataFrame:
    """Piecewise-constant hazard: events / exposure in each interval.

    For intervals [c_{k-1}, c_k) the maximum-likelihood hazard is
    ``lambda_k = d_k / E_k`` with ``d_k`` the churn events in the interval and
    ``E_k`` the time all customers spent in it (Friedman 1982); with ``entry``,
    exposure starts at each customer's entry time. With whole-period durations
    (:func:`survival_table`) an event in period k is at t = k, so breakpoints
    ``k - 0.5`` put each period in its own interval (see :func:`period_hazard`).
    """
    _check(df, duration, event)
    cuts = [0.0] + sorted(float(b) for b in breakpoints) + [np.inf]
    t = df[duration].to_numpy(dtype=float)
    e = df[event].to_numpy(dtype=bool)
    start = df[entry].to_numpy(dtype=float) if entry else np.zeros_like(t)
    rows = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        exposure = np.clip(np.minimum(t, hi) - np.maximum(start, lo), 0, None).sum()
        events = int((e & (t >= lo) & (t < hi)).sum())
        rows.append({"start": lo, "end": hi, "events": events, "exposure": float(exposure),
                     "hazard": events / exposure if exposure > 0 else np.nan})
    return pd.DataFrame(rows)


def period_hazard(df: pd.DataFrame, *, periods: int, duration: str = "duration",
                  event: str = "event", entry: str | None = None) -> pd.DataFrame:
    """Discrete hazard per whole period k = 1..``periods`` (whole-period durations).

    h_k = (customers churning in period k) / (customers at risk in period k),
    at risk = entered before k (entry <= k - 1) and not gone before k
    (duration >= k); periods after ``periods`` are not shown. Columns: period,
    at_risk, events, hazard with a Wilson 95% interval.
    """

    _check(df, duration, event)
    t = df[duration].to_numpy(dtype=float)
    e = df[event].to_numpy(dtype=bool)
    start = df[entry].to_numpy(dtype=float) if entry else np.zeros_like(t)
    rows = []
    for k in range(1, int(periods) + 1):
        at_risk = int(((start <= k - 1) & (t >= k)).sum())
        events = int((e & (t == k)).sum())
        rows.append({"period": k, "at_risk": at_risk, "events": events})
    out = pd.DataFrame(rows)
    out["hazard"] = np.where(out["at_risk"] > 0, out["events"] / out["at_risk"].clip(lower=1), np.nan)
    lo, hi = wilson(out["events"].to_numpy(), out["at_risk"].clip(lower=1).to_numpy())
    out["ci_low"], out["ci_high"] = lo, hi
    return out


def period_hazard_plot(table: pd.DataFrame, *, label: str | None = None, marks: tuple = (),
                       unit: str = "month", ax: plt.Axes | None = None) -> plt.Axes:
    """Bar-free step plot of :func:`period_hazard` with its 95% band; ``marks``
    draws dotted lines (e.g. at contract ends)."""
    ax = axes(ax, (8, 3.6))
    ax.step(table["period"], table["hazard"], where="mid", label=label, lw=1.5)
    ax.fill_between(table["period"], table["ci_low"], table["ci_high"], step="mid", alpha=0.2)
    for m in marks:
        ax.axvline(m, color="0.4", ls=":", lw=1)
    ax.set_xlabel(f"{unit} of tenure")
    ax.set_ylabel(f"hazard: share leaving in the {unit}")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.1%}"))
    ax.set_ylim(bottom=0)
    return ax


# =========================================================================== predictions


def current_predictions(model, design: Design, df: pd.DataFrame, *,
                        horizons: tuple[float, ...] = DEFAULT_HORIZONS, cap: float = 60,
                        duration: str = "duration", event: str = "event",
                        id_col: str = "customer_id") -> pd.DataFrame:
    """For each active customer, conditional on having stayed ``duration`` periods:

    * ``p_churn_<h>`` = P(T <= t + h | T > t) = 1 - S(t + h | x) / S(t | x);
    * ``expected_remaining`` = integral_0^cap S(t + u | x) / S(t | x) du, the
      mean remaining lifetime restricted to ``cap`` periods (unrestricted means
      can be infinite for log-logistic tails and are mostly extrapolation).

    ``model`` is a fitted lifelines model with ``predict_survival_function``
    (an AFT model extrapolates smoothly; a Cox baseline stops at the longest
    observed tenure). ``attrs["cap"]`` records the cap.
    """
    active = df[df[event].astype(int) == 0]
    if active.empty:
        raise DataError("no active customers to predict for (everyone has churned)")
    X = design.transform(active)
    tenure = active[duration].to_numpy(dtype=float)
    horizons = tuple(float(h) for h in horizons)
    step = 0.25
    grid = np.arange(0.0, float(cap) + step / 2, step)
    times = np.unique(np.concatenate([grid, horizons]))
    S = model.predict_survival_function(X, times=times, conditional_after=tenure).to_numpy()
    idx = {t: i for i, t in enumerate(times)}
    out = pd.DataFrame({id_col: active[id_col].to_numpy() if id_col in active else active.index,
                        "tenure": tenure})
    for h in horizons:
        out[f"p_churn_{h:g}"] = 1.0 - S[idx[h]]
    g = [idx[t] for t in grid]
    out["expected_remaining"] = np.trapezoid(S[g], grid, axis=0)
    out.attrs["cap"] = float(cap)
    return out


# =========================================================================== validation


@dataclass
class Validation:
    """Held-out check of survival models.

    ``concordance``: per model, Harrell's C on the training and the test
    customers (0.5 = random ranking, 1 = perfect); ``calibration``: per model
    and risk group of test customers, the predicted and the Kaplan-Meier
    observed probability of churning within ``horizon`` periods after they
    entered the data, with the observed 95% CI; ``ici``: the mean absolute gap
    between the two, weighted by group size.
    """

    concordance: pd.DataFrame
    calibration: pd.DataFrame
    ici: dict[str, float]
    horizon: float
    n_train: int
    n_test: int


def _split(df: pd.DataFrame, event: str, test_share: float, seed: int) -> np.ndarray:
    """Boolean test mask, stratified on the event flag."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(df), dtype=bool)
    ev = df[event].to_numpy().astype(bool)
    for flag in (True, False):
        idx = np.flatnonzero(ev == flag)
        k = int(round(test_share * len(idx)))
        test[rng.choice(idx, size=k, replace=False)] = True
    return test


def holdout_validation(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
                       event: str = "event", entry: str | None = None, horizon: float = 12,
                       test_share: float = 0.25, seed: int = 0, strata: list[str] | None = None,
                       aft: str | None = "Weibull", reference: dict[str, str] | None = None,
                       groups: int = 10) -> Validation:
    """Fit Cox (and an AFT model) on a random ``1 - test_share`` of customers,
    check them on the rest.

    Calibration: every test customer's predicted P(churn within ``horizon`` of
    entering the data) = 1 - S(e + h | x) / S(e | x) (e = entry, 0 without
    left truncation), grouped into ``groups`` risk groups (fewer if groups
    would hold under 30 customers); observed = 1 - Kaplan-Meier at ``horizon``
    of the time since entry in the group. Split stratified on churn, seeded.
    """
    from lifelines import CoxPHFitter, LogLogisticAFTFitter, LogNormalAFTFitter, WeibullAFTFitter
    from lifelines.utils import concordance_index

    _check(df, duration, event)
    test_mask = _split(df, event, test_share, seed)
    train, test = df[~test_mask], df[test_mask]
    for part, name in ((train, "training"), (test, "test")):
        if part[event].sum() == 0:
            raise DataError(f"the {name} customers have no churn events; use more data or a "
                            "larger test_share")
    strata = list(strata or [])
    design = Design.fit(train, [c for c in covariates if c not in strata], reference=reference)
    Xtr = _frame(train, design, duration, event, entry, strata)
    Xte = _frame(test, design, duration, event, entry, strata)
    makers = {"Cox": lambda p: CoxPHFitter(penalizer=p)}
    aft_fitters = {"Weibull": WeibullAFTFitter, "LogNormal": LogNormalAFTFitter,
                   "LogLogistic": LogLogisticAFTFitter}
    if aft:
        makers[f"{aft} AFT"] = lambda p: aft_fitters[aft](penalizer=p)
    conc, cal, ici = [], [], {}
    e0 = test[entry].to_numpy(float) if entry else np.zeros(len(test))
    since = test[duration].to_numpy(float) - e0
    for name, make in makers.items():
        extra = {"strata": strata or None} if name == "Cox" else {}
        Xfit = Xtr if name == "Cox" else Xtr.drop(columns=strata)
        model, attempts = _fit_quietly(make, Xfit, duration_col=duration, event_col=event,
                                       entry_col=entry, **extra)
        if model is None:
            raise DataError(f"{name} did not converge on the training customers; tried: "
                            + "; ".join(attempts))
        Xt = Xte if name == "Cox" else Xte.drop(columns=strata)
        if name == "Cox":
            risk_te = model.predict_partial_hazard(Xt).to_numpy()
            risk_tr = model.predict_partial_hazard(Xfit).to_numpy()
        else:  # longer predicted median lifetime = lower risk
            risk_te = -model.predict_median(Xt).to_numpy()
            risk_tr = -model.predict_median(Xfit).to_numpy()
        conc.append({"model": name,
                     "train": concordance_index(train[duration], -risk_tr, train[event]),
                     "test": concordance_index(test[duration], -risk_te, test[event])})
        S = model.predict_survival_function(Xt, times=[float(horizon)], conditional_after=e0)
        pred = 1.0 - S.to_numpy()[0]
        k = int(max(1, min(groups, len(test) // 30)))
        grp = pd.qcut(pd.Series(pred).rank(method="first"), k, labels=False).to_numpy()
        rows = []
        for gi in range(k):
            m = grp == gi
            obs = _km_at(since[m], test[event].to_numpy()[m], float(horizon))
            rows.append({"model": name, "group": gi + 1, "customers": int(m.sum()),
                         "predicted": float(pred[m].mean()), **obs})
        c = pd.DataFrame(rows)
        ici[name] = float(np.average((c["predicted"] - c["observed"]).abs().fillna(0),
                                     weights=c["customers"]))
        cal.append(c)
    return Validation(pd.DataFrame(conc), pd.concat(cal, ignore_index=True), ici,
                      float(horizon), int(len(train)), int(len(test)))


def _km_at(t: np.ndarray, e: np.ndarray, h: float) -> dict:
    """1 - KM(h) with its 95% CI (lifelines), for the rows given."""
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(t, e)
    s = float(km.survival_function_at_times(h).iloc[0])
    band = km.confidence_interval_survival_function_
    below = band[band.index <= h]
    lo, hi = (below.iloc[-1].to_numpy() if len(below) else (1.0, 1.0))
    return {"observed": 1.0 - s, "observed_low": 1.0 - float(hi), "observed_high": 1.0 - float(lo)}


def calibration_plot(validation: Validation, *, unit: str = "periods",
                     ax: plt.Axes | None = None) -> plt.Axes:
    """Predicted vs observed churn within the horizon per risk group, one line per model."""
    ax = axes(ax, (5.2, 5))
    cal = validation.calibration
    for name, c in cal.groupby("model", sort=False):
        ax.errorbar(c["predicted"], c["observed"],
                    yerr=[c["observed"] - c["observed_low"], c["observed_high"] - c["observed"]],
                    fmt="o-", capsize=2, ms=4, lw=1, label=f"{name} (ICI {validation.ici[name]:.3f})")
    top = float(np.nanmax(cal[["predicted", "observed_high"]].to_numpy())) * 1.05
    ax.plot([0, top], [0, top], color="0.5", ls="--", lw=1, label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"predicted P(churn within {validation.horizon:g} {unit})")
    ax.set_ylabel("observed (Kaplan-Meier, 95% CI)")
    ax.set_title("Calibration on held-out customers")
    ax.legend(frameon=False, fontsize=8)
    return ax


# =========================================================================== planted truth


def planted_reference(drivers: list[dict], df: pd.DataFrame) -> dict[str, str]:
    """Reference levels that keep each planted categorical level estimable.

    For a planted driver ``feature = level`` the reference is the most common
    *other* level, so the model reports a hazard ratio for the planted level.
    """
    ref = {}
    for d in drivers:
        if "level" in d and d["feature"] in df:
            counts = _levels(df, d["feature"]).value_counts()
            others = [v for v in counts.index if v != str(d["level"])]
            if others:
                ref[d["feature"]] = others[0]
    return ref


def planted_comparison(drivers: list[dict], hazard_ratios: pd.DataFrame, *,
                       renamed: dict[str, str] | None = None) -> pd.DataFrame:
    """The simulator's planted hazard ratios next to the model's estimates.

    ``drivers``: ``ground_truth.json["drivers"]`` (feature, level, direction,
    log_hazard_ratio, effect); ``renamed`` maps features to their model names
    (e.g. from :func:`exposure_rates`). The planted effects act on the monthly
    hazard through the simulator's own variables (e.g. complaints so far), the
    model sees customer-level summaries, so compare directions and order, not
    digits. Columns: feature, planted_hr, per, term, estimated_hr, ci_low,
    ci_high, p_value, same_direction.
    """
    renamed = dict(renamed or {})
    hr = hazard_ratios.set_index("term")
    rows = []
    for d in drivers:
        feat = renamed.get(d["feature"], d["feature"])
        term = f"{feat}={d['level']}" if "level" in d else feat
        if term not in hr.index:  # a yes/no feature without a level: its one dummy term
            dummies = [t for t in hr.index if t.startswith(f"{feat}=")]
            term = dummies[0] if len(dummies) == 1 else term
        est = hr.loc[term] if term in hr.index else None
        planted = float(np.exp(d["log_hazard_ratio"]))
        row = {"feature": d["feature"], "planted_hr": planted,
               "per": d.get("effect", {}).get("per", ""), "term": term if est is not None else None,
               "estimated_hr": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
               "same_direction": None}
        if est is not None:
            row.update(estimated_hr=float(est["hr"]), ci_low=float(est["ci_low"]),
                       ci_high=float(est["ci_high"]), p_value=float(est["p_value"]),
                       same_direction=bool(np.sign(np.log(est["hr"])) == np.sign(d["log_hazard_ratio"])))
        rows.append(row)
    return pd.DataFrame(rows)
