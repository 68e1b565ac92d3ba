"""Maximum likelihood for the closed-form probability models of :mod:`churnlab.clv`.

Every fit minimises a negative log-likelihood over the *log* of its parameters
(``scipy.optimize.minimize``), so each parameter stays positive. There is no
randomness anywhere, so no seeds: the same input gives the same fit.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize


def maximise(negll, x0: np.ndarray) -> tuple[np.ndarray, float, bool, list[str]]:
    """Minimise ``negll`` over log-parameters: BFGS, Nelder-Mead if BFGS stops short.

    Returns (parameters on the natural scale, maximised log-likelihood, converged,
    attempts). ``attempts`` lists what was run, one entry per optimiser, e.g.
    ``["BFGS: converged"]`` or ``["BFGS: stopped (Desired error not necessarily
    achieved due to precision loss.)", "Nelder-Mead from its end point: converged"]``.
    BFGS often "stops" at the optimum because of that precision loss; Nelder-Mead
    started there then confirms it.
    """
    attempts: list[str] = []

    def outcome(res) -> str:
        if res.success and np.isfinite(res.fun):
            return "converged"
        why = str(getattr(res, "message", "") or "no message").strip()
        return f"stopped ({why})" if np.isfinite(res.fun) else f"stopped (non-finite log-likelihood; {why})"

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = minimize(negll, x0, method="BFGS")
        attempts.append(f"BFGS: {outcome(res)}")
        if not (res.success and np.isfinite(res.fun)):
            if np.isfinite(res.fun):
                start, where = res.x, "from its end point"
            else:
                start, where = x0, "from the starting values"
            res = minimize(negll, start, method="Nelder-Mead",
                           options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20_000})
            attempts.append(f"Nelder-Mead {where}: {outcome(res)}")
    converged = bool(res.success) and bool(np.isfinite(res.fun))
    return np.exp(res.x), float(-res.fun), converged, attempts


def log_covariance(negll, log_params) -> list[list[float]] | None:
    """Asymptotic covariance of the maximum-likelihood estimate, on the log scale.

    The inverse of the Hessian of the negative log-likelihood at the optimum
    (observed information; statsmodels ``approx_hess``, central differences).
    None when the Hessian is not finite or not positive definite (a flat or
    boundary optimum), so no interval can be drawn from it. By the delta method,
    exp of a normal on this scale keeps every drawn parameter positive.
    """
    from statsmodels.tools.numdiff import approx_hess

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        h = approx_hess(np.asarray(log_params, dtype=float), negll)
    if not np.all(np.isfinite(h)):
        return None
    h = (h + h.T) / 2
    if np.any(np.linalg.eigvalsh(h) <= 0):
        return None
    return np.linalg.inv(h).tolist()


def parameter_draws(params, cov_log, n: int, seed: int) -> np.ndarray:
    """``n`` draws of the parameters (rows, natural scale) from the estimate's asymptotic
    normal on the log scale: exp(N(log params, ``cov_log``)); seeded."""
    if cov_log is None:
        raise ValueError("no covariance: the fit's Hessian was not positive definite")
    rng = np.random.default_rng(seed)
    return np.exp(rng.multivariate_normal(np.log(np.asarray(params, dtype=float)),
                                          np.asarray(cov_log, dtype=float), size=int(n)))
