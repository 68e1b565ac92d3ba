"""Kaplan-Meier survival curves and the log-rank test.

Kaplan, E. L. & Meier, P. (1958), "Nonparametric Estimation from Incomplete
Observations", *JASA* 53, 457-481: S(t) = prod_{t_i <= t} (1 - d_i / n_i), with
d_i churn events and n_i customers at risk at t_i (lifelines
``KaplanMeierFitter``; with entry times, customers join the risk set at entry).
Log-rank: Mantel (1966). RMST: Royston & Parmar (2013), BMC Med Res Methodol 13:152.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import as_level
from ..errors import DataError
from .table import DEFAULT_HORIZONS, check_table


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
    curve: pd.DataFrame | None = None  # :func:`km_curve`: the step curve, thinned


def kaplan_meier(df: pd.DataFrame, *, duration: str = "duration", event: str = "event",
                 entry: str | None = None, label: str = "all"):
    """A fitted lifelines ``KaplanMeierFitter`` for the rows of ``df``.

    With ``entry``, customers join the risk set at their entry time (left truncation).
    """
    from lifelines import KaplanMeierFitter

    check_table(df, duration, event)
    return KaplanMeierFitter(label=label).fit(df[duration], df[event], label=label,
                                              entry=df[entry] if entry else None)


def survival_at(km, h: float) -> tuple[float, float, float]:
    """S(h) of a fitted ``KaplanMeierFitter`` and its 95% CI (the band of the last
    step at or before ``h``; (1, 1) before the first step)."""
    s = float(km.survival_function_at_times(h).iloc[0])
    band = km.confidence_interval_survival_function_
    below = band[band.index <= h]
    lo, hi = (below.iloc[-1].to_numpy() if len(below) else (1.0, 1.0))
    return s, float(lo), float(hi)


#: most points of a recorded Kaplan-Meier curve (:func:`km_curve`)
CURVE_POINTS = 100


def km_curve(km, max_points: int = CURVE_POINTS) -> pd.DataFrame:
    """The step curve of a fitted ``KaplanMeierFitter``: time, survival, ci_low, ci_high (95%).

    One row where the curve starts (S = 1) and one at each time it steps down, plus the
    last time of follow-up (where the curve ends); when that is more than ``max_points``
    rows, evenly spaced rows are kept, the first and the last always. Each row is the
    curve's exact value from that time on (draw it as steps, ``where="post"``), so a
    thinned curve stays non-increasing and only loses small steps between kept rows.
    """
    sf = km.survival_function_.iloc[:, 0]
    band = km.confidence_interval_survival_function_
    df = pd.DataFrame({"time": sf.index.to_numpy(dtype=float), "survival": sf.to_numpy(dtype=float),
                       "ci_low": band.iloc[:, 0].to_numpy(dtype=float),
                       "ci_high": band.iloc[:, 1].to_numpy(dtype=float)})
    steps = np.r_[True, np.diff(df["survival"].to_numpy()) != 0]
    steps[-1] = True
    df = df[steps].reset_index(drop=True)
    if len(df) > max_points:
        keep = np.unique(np.linspace(0, len(df) - 1, max_points).round().astype(int))
        df = df.iloc[keep].reset_index(drop=True)
    return df


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
        s, lo_h, hi_h = survival_at(km, h)
        rows.append({"horizon": h, "survival": s, "ci_low": lo_h, "ci_high": hi_h})
    return KMSummary(
        group=label, customers=len(df), churned=int(df[event].sum()),
        median=float(km.median_survival_time_), median_ci=(lo, hi),
        survival=pd.DataFrame(rows), rmst=float(restricted_mean_survival_time(km, t=tau)), tau=tau,
        curve=km_curve(km))


def km_by_segment(df: pd.DataFrame, *, column: str, duration: str = "duration",
                  event: str = "event", entry: str | None = None,
                  horizons: tuple[float, ...] = DEFAULT_HORIZONS, min_count: int = 30) -> pd.DataFrame:
    """:func:`km_summary` per level of ``column`` (levels below ``min_count`` skipped).

    One row per level: customers, churned, median and CI, S(h) per horizon, RMST.
    """
    rows = []
    for level, g in df.groupby(as_level(df[column]), sort=True):
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

    check_table(df, duration, event)
    groups = as_level(df[column])
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
