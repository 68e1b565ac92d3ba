"""Stage 3, survival modelling: time to churn with censoring (lifelines).

Customers still active at ``as_of`` are *censored*: we know they stayed at
least ``duration`` months, not when they will leave. Survival methods use that
partial information instead of treating them as "not churned".

This module starts with the Kaplan-Meier summaries and the log-rank test;
Cox, parametric models and projections come with issue 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError

DEFAULT_HORIZONS = (3, 6, 12, 24)


def _check(df: pd.DataFrame, duration: str, event: str) -> None:
    for col in (duration, event):
        if col not in df:
            raise DataError(f"analysis table: expected a {col!r} column")
    if len(df) == 0:
        raise DataError("analysis table: no customers")
    if int(df[event].sum()) == 0:
        raise DataError("analysis table: no churn events; survival curves need at least one "
                        "churned customer")


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
                 label: str = "all"):
    """A fitted lifelines ``KaplanMeierFitter`` for the rows of ``df``."""
    from lifelines import KaplanMeierFitter

    _check(df, duration, event)
    return KaplanMeierFitter(label=label).fit(df[duration], df[event], label=label)


def km_summary(df: pd.DataFrame, *, duration: str = "duration", event: str = "event",
               horizons: tuple[float, ...] = DEFAULT_HORIZONS, tau: float | None = None,
               label: str = "all") -> KMSummary:
    """Median lifetime with CI, S(h) at the horizons with CIs, and RMST(tau).

    ``tau`` defaults to the largest horizon. Sources: Kaplan & Meier (1958);
    RMST: Royston & Parmar (2013), BMC Med Res Methodol 13:152.
    """
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    km = kaplan_meier(df, duration=duration, event=event, label=label)
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


def km_by_segment(df: pd.DataFrame, *, column: str, duration: str = "duration",
                  event: str = "event", horizons: tuple[float, ...] = DEFAULT_HORIZONS,
                  min_count: int = 30) -> pd.DataFrame:
    """:func:`km_summary` per level of ``column`` (levels below ``min_count`` skipped).

    One row per level: customers, churned, median and CI, S(h) per horizon, RMST.
    """
    rows = []
    for level, g in df.groupby(df[column].astype("string").fillna("(missing)"), sort=True):
        if len(g) < min_count or g[event].sum() == 0:
            continue
        s = km_summary(g, duration=duration, event=event, horizons=horizons, label=str(level))
        row = {"column": column, "level": str(level), "customers": s.customers,
               "churned": s.churned, "median": s.median, "median_ci_low": s.median_ci[0],
               "median_ci_high": s.median_ci[1], "rmst": s.rmst}
        row.update({f"S({h:g})": v for h, v in zip(s.survival["horizon"], s.survival["survival"])})
        rows.append(row)
    return pd.DataFrame(rows)


def logrank(df: pd.DataFrame, *, column: str, duration: str = "duration",
            event: str = "event") -> dict:
    """Log-rank test of equal survival across the levels of ``column``.

    Mantel (1966); lifelines ``multivariate_logrank_test``. Returns the test
    statistic, degrees of freedom and p-value.
    """
    from lifelines.statistics import multivariate_logrank_test

    _check(df, duration, event)
    groups = df[column].astype("string").fillna("(missing)")
    if groups.nunique() < 2:
        raise DataError(f"column {column!r} has a single level; a log-rank test needs two or more")
    res = multivariate_logrank_test(df[duration], groups, df[event])
    return {"column": column, "statistic": float(res.test_statistic),
            "df": int(res.degrees_of_freedom), "p_value": float(res.p_value)}


@dataclass
class CoxResult:
    """A fitted Cox model: hazard ratios with CIs, concordance, and the PH check.

    ``hazard_ratios``: term, hr = exp(coef), ci_low, ci_high, p_value;
    ``ph_test``: per term, the Schoenfeld-residual test statistic and p-value
    (Grambsch & Therneau 1994, rank transform of time); ``ph_violations``:
    terms with p < 0.05; ``strata``: columns the model was stratified on.
    """

    hazard_ratios: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    ph_violations: list[str]
    strata: list[str]
    model: object


def cox_model(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
              event: str = "event", strata: list[str] | None = None,
              penalizer: float = 0.0) -> CoxResult:
    """Cox proportional hazards: h(t | x) = h0(t) exp(b'x), lifelines ``CoxPHFitter``.

    Categorical covariates are one-hot encoded (first level in sorted order is
    the reference); ``strata`` columns get their own baseline hazard instead of
    a coefficient (the usual remedy when a variable breaks proportional
    hazards). Missing numeric values are filled with the median.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    _check(df, duration, event)
    strata = list(strata or [])
    X = df[[duration, event] + strata].copy()
    for col in covariates:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            dummies = pd.get_dummies(s.astype("string").fillna("(missing)"), prefix=col,
                                     prefix_sep="=", drop_first=True, dtype=float)
            X = X.join(dummies)
        else:
            X[col] = s.fillna(s.median()).astype(float)
    for col in strata:
        X[col] = X[col].astype("string").fillna("(missing)")
    cph = CoxPHFitter(penalizer=penalizer)
    cph.fit(X, duration_col=duration, event_col=event, strata=strata or None)
    summ = cph.summary
    hr = pd.DataFrame({"term": summ.index, "hr": summ["exp(coef)"].to_numpy(),
                       "ci_low": summ["exp(coef) lower 95%"].to_numpy(),
                       "ci_high": summ["exp(coef) upper 95%"].to_numpy(),
                       "p_value": summ["p"].to_numpy()})
    test = proportional_hazard_test(cph, X, time_transform="rank")
    ph = pd.DataFrame({"term": test.summary.index, "statistic": test.summary["test_statistic"].to_numpy(),
                       "p_value": test.summary["p"].to_numpy()})
    return CoxResult(hr, float(cph.concordance_index_), ph,
                     ph.loc[ph["p_value"] < 0.05, "term"].tolist(), strata, cph)


def piecewise_hazard(df: pd.DataFrame, *, breakpoints: list[float], duration: str = "duration",
                     event: str = "event") -> pd.DataFrame:
    """Piecewise-constant hazard: events / exposure in each interval.

    For intervals [c_{k-1}, c_k) the maximum-likelihood hazard is
    ``lambda_k = d_k / E_k`` with ``d_k`` the churn events in the interval and
    ``E_k`` the time all customers spent in it (Friedman 1982). Monthly
    intervals around 12 and 24 months show the telecom contract-end spike.
    """
    _check(df, duration, event)
    cuts = [0.0] + sorted(float(b) for b in breakpoints) + [np.inf]
    t = df[duration].to_numpy(dtype=float)
    e = df[event].to_numpy(dtype=bool)
    rows = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        exposure = np.clip(np.minimum(t, hi) - lo, 0, None).sum()
        events = int((e & (t >= lo) & (t < hi)).sum())
        rows.append({"start": lo, "end": hi, "events": events, "exposure": float(exposure),
                     "hazard": events / exposure if exposure > 0 else np.nan})
    return pd.DataFrame(rows)
