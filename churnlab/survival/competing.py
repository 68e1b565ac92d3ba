"""Competing risks: voluntary and involuntary churn as two ways to leave.

When customers can leave for different causes (a cancellation, a failed
payment), ``1 - KM`` of one cause with the others censored overstates that
cause: a customer who left involuntarily can no longer cancel. Two tools
answer the two questions (Putter, Fiocco & Geskus 2007, "Tutorial in
biostatistics: competing risks and multi-state models", *Stat Med* 26,
2389-2430):

* **How many leave for each cause by month t?** The cumulative incidence
  F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s) (Aalen-Johansen; S the all-cause
  Kaplan-Meier, d_k the cause-k exits, n the customers at risk, entry times
  respected). The causes add up to all-cause churn: sum_k F_k(t) = 1 - S(t).
* **What drives each cause?** A cause-specific Cox model: the hazard of cause k
  among customers still there, other exits censored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from .cox import CoxResult, cox_model
from .table import check_table

#: Fewest exits of a cause for its own model (about 10 events per estimated term is the usual
#: guide; below this the cause-specific hazard ratios are noise).
MIN_EVENTS = 30


def cause_codes(df: pd.DataFrame, *, cause: str = "end_reason", event: str = "event") -> tuple[np.ndarray, list[str]]:
    """Exit codes for competing-risks fits: 0 censored, k = 1, 2, ... the k-th cause.

    Causes are the values of ``cause`` on rows with ``event`` = 1, in sorted
    order. An event without a cause raises :class:`DataError`.
    """
    for col in (cause, event):
        if col not in df:
            raise DataError(f"the survival table has no {col!r} column")
    ev = df[event].to_numpy().astype(bool)
    reasons = df[cause].astype("string")
    if reasons[ev].isna().any():
        raise DataError(f"{int(reasons[ev].isna().sum())} churn event(s) without a {cause!r}; "
                        "competing risks need the cause of every exit")
    causes = sorted(reasons[ev].unique().tolist())
    codes = np.zeros(len(df), dtype=int)
    for k, c in enumerate(causes, start=1):
        codes[ev & (reasons == c).fillna(False).to_numpy(dtype=bool)] = k
    return codes, causes


def cumulative_incidence(df: pd.DataFrame, *, cause: str = "end_reason", duration: str = "duration",
                         event: str = "event", entry: str | None = None,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each cause, with pointwise confidence intervals.

    At each distinct time t_j with n_j customers at risk (entry < t_j <= duration:
    a customer entering at t_j is at risk from the next exit on, censored
    customers are at risk at their censoring time), d_j exits and d_kj exits
    for cause k: F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j, with S the
    all-cause Kaplan-Meier. Variance (Collett 2015, *Modelling Survival Data in
    Medical Research*, 3rd ed., p. 411, as in lifelines):
    Var F_k(t) = sum_j (F_k(t) - F_k(t_j))^2 d_j / (n_j (n_j - d_j))
    + sum_j S(t_j-)^2 d_kj (n_j - d_kj) / n_j^3
    - 2 sum_j (F_k(t) - F_k(t_j)) S(t_j-) d_kj / n_j^2;
    the interval is symmetric on log(-log F) (delta method), so it stays in (0, 1).

    Computed here rather than with lifelines' ``AalenJohansenFitter``, which breaks
    tied times (every whole-month duration) by a random jitter that reseeds
    NumPy's global generator, moves exits past tied censorings, and counts
    customers entering at t_j as at risk at t_j, unlike its own Kaplan-Meier.
    Without ties or entry times the two agree to machine precision (tested).

    Long table: cause, time, cif, ci_low, ci_high, variance (one row per
    distinct exit or censoring time).
    """
    from scipy.stats import norm

    check_table(df, duration, event)
    codes, causes = cause_codes(df, cause=cause, event=event)
    t = df[duration].to_numpy(float)
    e0 = df[entry].to_numpy(float) if entry else np.full(len(t), -np.inf)
    times = np.unique(t)
    dur_sorted, entry_sorted = np.sort(t), np.sort(e0)
    n = (len(t) - np.searchsorted(dur_sorted, times, side="left")
         - (len(t) - np.searchsorted(entry_sorted, times, side="left")))
    idx = np.searchsorted(times, t)
    d = np.bincount(idx, weights=(codes > 0), minlength=len(times))
    with np.errstate(divide="ignore", invalid="ignore"):
        S = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0))
        lag = np.concatenate([[1.0], S[:-1]])
        a = np.where(n > d, d / (n * (n - d)), np.where(d > 0, np.inf, 0.0))
    z = norm.ppf(1 - alpha / 2)
    rows = []
    for k, name in enumerate(causes, start=1):
        dk = np.bincount(idx, weights=(codes == k), minlength=len(times))
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = np.where(n > 0, lag * dk / n, 0.0)
            F = np.cumsum(inc)
            second = np.cumsum(np.where(n > 0, lag ** 2 * dk * (n - dk) / n ** 3, 0.0))
            b = np.where(n > 0, lag * dk / n ** 2, 0.0)
            # sum_i a_i (F - F_i)^2 and sum_i b_i (F - F_i), by running sums
            first = F ** 2 * np.cumsum(a) - 2 * F * np.cumsum(a * F) + np.cumsum(a * F ** 2)
            third = F * np.cumsum(b) - np.cumsum(b * F)
            var = np.maximum(first + second - 2 * third, 0.0)
            se = np.sqrt(var) / (F * np.abs(np.log(F)))
            lo = np.exp(-np.exp(np.log(-np.log(F)) + z * se))
            hi = np.exp(-np.exp(np.log(-np.log(F)) - z * se))
        none = F <= 0
        rows.append(pd.DataFrame({"cause": name, "time": times, "cif": F,
                                  "ci_low": np.where(none, 0.0, lo), "ci_high": np.where(none, 0.0, hi),
                                  "variance": var}))
    return pd.concat(rows, ignore_index=True)


def incidence_at(cif: pd.DataFrame, horizons) -> pd.DataFrame:
    """The cumulative incidence of each cause at ``horizons`` (the step function's value there)."""
    out = []
    for name, g in cif.groupby("cause", sort=False):
        g = g.sort_values("time")
        for h in horizons:
            i = np.searchsorted(g["time"].to_numpy(), float(h), side="right") - 1
            r = g.iloc[i] if i >= 0 else pd.Series({"cif": 0.0, "ci_low": 0.0, "ci_high": 0.0})
            out.append({"cause": name, "horizon": float(h), "cif": float(r["cif"]),
                        "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])})
    return pd.DataFrame(out)


@dataclass
class CompetingRisks:
    """Competing-risks view of churn.

    ``events``: exits per cause; ``incidence``: :func:`cumulative_incidence`;
    ``at``: :func:`incidence_at` the study's horizons; ``models``: a
    cause-specific Cox model per cause with at least :data:`MIN_EVENTS` exits;
    ``skipped``: cause -> why it has no model; ``planted``: per cause, the
    simulator's planted cause-specific effects next to the estimates (simulated
    data only).
    """

    events: dict[str, int]
    incidence: pd.DataFrame
    at: pd.DataFrame
    models: dict[str, CoxResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    planted: dict[str, pd.DataFrame] = field(default_factory=dict)


def competing_risks(df: pd.DataFrame, *, covariates: list[str], horizons, cause: str = "end_reason",
                    duration: str = "duration", event: str = "event", entry: str | None = None,
                    reference: dict[str, str] | None = None) -> CompetingRisks:
    """Cumulative incidence per cause and a cause-specific Cox model per cause.

    The Cox model of cause k is :func:`churnlab.survival.cox_model` with
    event = (exit for cause k); exits for other causes are censored at their
    exit (Putter et al. 2007, section 3.2). Needs at least two causes.
    """
    codes, causes = cause_codes(df, cause=cause, event=event)
    if len(causes) < 2:
        raise DataError(f"one exit cause only ({', '.join(causes) or 'none'}): no competing risks")
    cif = cumulative_incidence(df, cause=cause, duration=duration, event=event, entry=entry)
    res = CompetingRisks({c: int((codes == k).sum()) for k, c in enumerate(causes, start=1)},
                         cif, incidence_at(cif, horizons))
    for k, name in enumerate(causes, start=1):
        n = res.events[name]
        if n < MIN_EVENTS:
            res.skipped[name] = f"{n} exits, fewer than {MIN_EVENTS}: too few for a model of its own"
            continue
        flagged = df.assign(**{event: (codes == k).astype(int)})
        try:
            res.models[name] = cox_model(flagged, covariates=covariates, duration=duration, event=event,
                                         entry=entry, reference=reference, ph_test=False)
        except DataError as exc:
            res.skipped[name] = str(exc)
    return res
