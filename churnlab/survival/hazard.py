"""The hazard over tenure: piecewise-constant (events / exposure) and per whole period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..intervals import wilson
from .table import check_table


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
    check_table(df, duration, event)
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

    check_table(df, duration, event)
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
