"""Conditional survival curves of active customers: what later stages need from a survival model.

For each active customer with tenure ``t`` (in the survival unit) and covariates
``x``, the curve holds

    S(t + lag + u | x) / S(t | x),   u on a grid of times (survival units),

the chance of still being a customer ``u`` units from now given that they have
stayed ``t`` (Klein & Moeschberger 2003, §2.4, conditional survival). ``t`` is
the tenure up to the observation end (:func:`churnlab.collect.definitions.observation_end`)
and ``lag`` the time from there to ``as_of``: 0 for contracts; under a windowed
definition (e.g. inactivity) the status of the last window is unknown, so the
curve at u = 0 is already below 1 (some "active" customers have lapsed). Everything
the cost of churn uses from the survival model is a function of these curves:

* P(churn within h) = 1 - S(t + h | x) / S(t | x);
* expected remaining lifetime restricted to ``cap`` = the integral of the curve
  over [0, cap] (trapezoid rule on a 0.25-unit grid);
* expected discounted months (CLV) = Σ_k curve(k months) / (1 + d)^k.

Keeping the curves (a table of numbers) instead of the fitted model object
makes the hand-over between stages an explicit, versioned artifact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..units import MONTHS_PER_UNIT
from .table import DEFAULT_HORIZONS

#: Grid step (survival units) of the restricted mean remaining lifetime.
GRID_STEP = 0.25


def curve_times(*, unit: str, horizons: tuple[float, ...] = (), cap: float = 60,
                months: int = 0) -> np.ndarray:
    """The times (survival units) a curve is evaluated at: a 0.25-unit grid on [0, cap],
    the ``horizons`` and whole months 1..``months`` converted to ``unit``."""
    grid = np.arange(0.0, float(cap) + GRID_STEP / 2, GRID_STEP)
    month_times = np.arange(1, int(months) + 1, dtype=float) / MONTHS_PER_UNIT[unit]
    return np.unique(np.concatenate([grid, np.asarray(horizons, dtype=float), month_times]))


@dataclass
class SurvivalCurves:
    """``S[i, j]`` = S(t_j + times[i] | x_j) / S(t_j | x_j) for active customer j.

    ``model`` names the survival model (e.g. ``Weibull``), ``unit`` the time
    unit, ``tenure`` each customer's tenure t_j at the observation end, ``cap`` the
    restriction of the mean remaining lifetime, ``lag`` the time from the
    observation end to ``as_of`` (module docstring; times count from ``as_of``).
    """

    model: str
    unit: str
    customer_id: np.ndarray
    tenure: np.ndarray
    times: np.ndarray
    S: np.ndarray
    cap: float
    lag: float = 0.0
    #: optional (draws x customers) expected discounted months under parameter draws
    #: (:func:`discounted_months_draws`), and the (months, monthly discount) they were made for
    value_draws: np.ndarray | None = None
    value_basis: tuple[int, float] | None = None

    def at(self, times) -> np.ndarray:
        """Rows of ``S`` at ``times`` (each must be on the curve's grid)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.times, times)
        ok = (idx < len(self.times)) & np.isclose(self.times[np.minimum(idx, len(self.times) - 1)],
                                                   times, rtol=0, atol=1e-9)
        if not ok.all():
            raise DataError(f"survival curves: time {times[~ok][0]:g} {self.unit}s is not on the "
                            "curves' grid; recompute them with that horizon")
        return self.S[idx]

    def stay_months(self, months: int) -> np.ndarray:
        """months x customers: the chance of still being a customer k = 1..months months from now."""
        t = np.arange(1, int(months) + 1, dtype=float) / MONTHS_PER_UNIT[self.unit]
        return np.clip(self.at(t), 0.0, 1.0)

    def predictions(self, horizons: tuple[float, ...]) -> pd.DataFrame:
        """Per customer: ``tenure``, ``p_churn_<h>`` = 1 - curve(h) and ``expected_remaining``
        (the curve integrated over [0, cap], trapezoid rule)."""
        out = pd.DataFrame({"customer_id": self.customer_id, "tenure": self.tenure})
        for h in horizons:
            out[f"p_churn_{float(h):g}"] = 1.0 - self.at([float(h)])[0]
        grid = np.arange(0.0, self.cap + GRID_STEP / 2, GRID_STEP)
        out["expected_remaining"] = np.trapezoid(self.at(grid), grid, axis=0)
        out.attrs["cap"] = float(self.cap)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per customer: ``customer_id``, ``tenure`` and one column per time (``S@<u>``)."""
        data = {"customer_id": self.customer_id, "tenure": self.tenure}
        data.update({f"S@{float(t)!r}": self.S[i] for i, t in enumerate(self.times)})
        if self.value_draws is not None:
            data.update({f"E#{d}": row for d, row in enumerate(self.value_draws)})
        return pd.DataFrame(data)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, model: str, unit: str, cap: float,
                   lag: float = 0.0, value_basis=None) -> "SurvivalCurves":
        """The inverse of :meth:`to_frame` (``value_basis`` as stored beside the frame)."""
        cols = [c for c in df.columns if c.startswith("S@")]
        times = np.array([float(c[2:]) for c in cols])
        order = np.argsort(times)
        draws = [c for c in df.columns if c.startswith("E#")]
        draws = sorted(draws, key=lambda c: int(c[2:]))
        return cls(model, unit, df["customer_id"].to_numpy(), df["tenure"].to_numpy(float),
                   times[order], df[[cols[i] for i in order]].to_numpy(float).T, float(cap), float(lag),
                   df[draws].to_numpy(float).T if draws else None,
                   (int(value_basis[0]), float(value_basis[1])) if draws and value_basis else None)


def survival_curves(model, design, st: pd.DataFrame, *, name: str, unit: str,
                    times: np.ndarray, cap: float, duration: str = "duration",
                    event: str = "event", id_col: str = "customer_id",
                    lag: float = 0.0) -> SurvivalCurves:
    """Evaluate a fitted lifelines model (``predict_survival_function`` with
    ``conditional_after``) for the active customers of ``st`` at ``lag + times``
    (customer ids from ``id_col``, else the row labels): S(t + lag + u) / S(t)."""
    active = st[st[event].astype(int) == 0]
    if active.empty:
        raise DataError("no active customers to predict for (everyone has churned)")
    tenure = active[duration].to_numpy(dtype=float)
    S = model.predict_survival_function(design.transform(active), times=np.asarray(times, float) + lag,
                                        conditional_after=tenure).to_numpy()
    ids = active[id_col].to_numpy() if id_col in active else active.index.to_numpy()
    return SurvivalCurves(name, unit, ids, tenure, np.asarray(times, float), S, float(cap), float(lag))


def current_predictions(model, design, df: pd.DataFrame, *,
                        horizons: tuple[float, ...] = DEFAULT_HORIZONS, cap: float = 60,
                        duration: str = "duration", event: str = "event",
                        id_col: str = "customer_id", lag: float = 0.0) -> pd.DataFrame:
    """For each active customer, conditional on having stayed ``duration`` periods
    (``lag`` periods before now, see :func:`survival_curves`):

    * ``p_churn_<h>`` = P(T <= t + h | T > t) = 1 - S(t + h | x) / S(t | x);
    * ``expected_remaining`` = integral_0^cap S(t + u | x) / S(t | x) du, the
      mean remaining lifetime restricted to ``cap`` periods (unrestricted means
      can be infinite for log-logistic tails and are mostly extrapolation).

    ``model`` is a fitted lifelines model with ``predict_survival_function``
    (an AFT model extrapolates smoothly; a Cox baseline stops at the longest
    observed tenure), ``design`` its :class:`churnlab.design.CovariateDesign`.
    The curves of :func:`survival_curves` on the grid of :func:`curve_times`,
    read by :meth:`SurvivalCurves.predictions`. ``attrs["cap"]`` records the cap.
    """
    horizons = tuple(float(h) for h in horizons)
    curves = survival_curves(model, design, df, name=type(model).__name__, unit="month",
                             times=curve_times(unit="month", horizons=horizons, cap=cap), cap=cap,
                             duration=duration, event=event, id_col=id_col, lag=lag)
    out = curves.predictions(horizons)
    return out.rename(columns={"customer_id": id_col}) if id_col != "customer_id" else out


def discounted_months_draws(model, design, st: pd.DataFrame, *, unit: str, months: int,
                            monthly_discount: float, lag: float = 0.0, n_draws: int = 200,
                            seed: int = 0, duration: str = "duration",
                            event: str = "event") -> np.ndarray:
    """Parameter uncertainty of the value a survival model gives: ``n_draws`` x active customers.

    Row ``d`` holds, for each active customer of ``st`` (same order as
    :func:`survival_curves`), the expected discounted months still to come over
    ``months`` months under the ``d``-th draw of the model's parameters::

        E_dj = sum_{k=1..months} S_d(t_j + lag + k | x_j) / S_d(t_j | x_j) / (1 + d_m)^k

    with ``d_m`` the monthly discount rate. The parameter vectors are drawn from the
    fit's asymptotic normal N(beta_hat, inverse Hessian) (lifelines' ``params_`` and
    ``variance_matrix_``; Krinsky & Robb 1986, *REStat* 68(4), "parametric bootstrap"
    of the estimates); each draw is evaluated by the fitted lifelines model itself with
    its ``params_`` replaced, so the survival formula is lifelines'. With the point
    estimate instead of a draw the row equals the ``expected_months`` of
    :func:`churnlab.economics.value.contractual_clv` (tested).
    """
    from copy import copy
    from .. import discount

    active = st[st[event].astype(int) == 0]
    X = design.transform(active)
    tenure = active[duration].to_numpy(dtype=float)
    times = np.arange(1, int(months) + 1, dtype=float) / MONTHS_PER_UNIT[unit] + float(lag)
    disc = discount.factors(int(months), monthly_discount)
    beta = model.params_
    cov = np.asarray(model.variance_matrix_, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(beta.to_numpy(float), (cov + cov.T) / 2, size=int(n_draws),
                                    method="eigh")
    out = np.empty((int(n_draws), len(active)))
    for d, b in enumerate(draws):
        fitted = copy(model)
        fitted.params_ = pd.Series(b, index=beta.index)
        S = model.__class__.predict_survival_function(fitted, X, times=times,
                                                      conditional_after=tenure).to_numpy()
        out[d] = disc @ np.clip(np.nan_to_num(S, nan=0.0), 0.0, 1.0)
    return out
