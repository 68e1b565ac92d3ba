"""Contractual retention: the shifted-beta-geometric (sBG) model.

Fader, P. S. & Hardie, B. G. S. (2007), "How to Project Customer Retention",
*Journal of Interactive Marketing* 21(1), 76-90. Each customer renews each
period with a constant probability ``1 - theta``; ``theta ~ Beta(alpha, beta)``
across customers.

* :func:`fit_sbg` -- one cohort, survivors per period ``S(0)=n0, S(1), ..., S(k)``;
* :func:`fit_sbg_cohorts` -- several cohorts of different ages in one table;
* :class:`SBGResult` -- survival, churn probability, retention rate, projection and
  the discounted expected residual lifetime (DERL) of Fader & Hardie (2010),
  "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring
  Heterogeneity", *Marketing Science* 29(1), 85-93;
* :func:`sbg_projection` / :class:`SBGProjection` -- calibrate on the first ages
  of a :func:`churnlab.clv.cohorts.cohort_table`, check the projection on the
  held-out ones (pooled survival, MAPE), DERL at an annual discount rate.

Fits record what the optimiser tried in ``attempts`` (:func:`churnlab.clv.optimise.maximise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import betaln, hyp2f1

from .. import discount
from ..errors import DataError
from ..units import PERIODS_PER_YEAR
from .cohorts import PERIODS
from .optimise import maximise


def _sbg_log_survival(t, alpha: float, beta: float) -> np.ndarray:
    """log S(t) = log B(alpha, beta + t) - log B(alpha, beta).

    For whole periods the equal product form -sum_{i<t} log1p(alpha / (beta + i))
    is used: it stays exact where the beta-function difference cancels (huge
    alpha and beta, i.e. no heterogeneity, where the sBG becomes geometric).
    """
    t = np.asarray(t, dtype=float)
    if t.size and np.all(t == np.round(t)) and np.all(t >= 0):
        steps = np.arange(int(t.max()) if t.size else 0)
        log_s = np.concatenate([[0.0], -np.cumsum(np.log1p(alpha / (beta + steps)))])
        return log_s[t.astype(int)]
    return betaln(alpha, beta + t) - betaln(alpha, beta)


def _sbg_log_pmf(t, alpha: float, beta: float) -> np.ndarray:
    """log P(T = t) = log(alpha / (alpha + beta + t - 1)) + log S(t - 1), t >= 1
    (= log B(alpha + 1, beta + t - 1) - log B(alpha, beta))."""
    t = np.asarray(t, dtype=float)
    return np.log(alpha) - np.log(alpha + beta + t - 1.0) + _sbg_log_survival(t - 1.0, alpha, beta)


def _derl_series(alpha: float, beta: float, n: float, z: float) -> float:
    """DERL as its series sum_{k >= 0} z^k prod_{i=0..k} r_{n+i}, r_t = 1 - alpha / (alpha + beta
    + t - 1), summed until z^k < 1e-17: the fallback where scipy's 2F1 returns NaN."""
    k = np.arange(int(np.ceil(np.log(1e-17) / np.log(z))) + 1)
    log_r = np.log1p(-alpha / (alpha + beta + n + k - 1.0))
    return float(np.sum(np.exp(np.cumsum(log_r) + k * np.log(z))))


@dataclass
class SBGResult:
    """A fitted shifted-beta-geometric model (Fader & Hardie 2007).

    ``theta ~ Beta(alpha, beta)`` is a customer's per-period churn probability;
    ``n_periods`` is the number of observed periods the fit used (the largest
    cohort age); ``loglik`` the maximised log-likelihood; ``attempts`` what the
    optimiser tried (see :func:`churnlab.clv.optimise.maximise`), e.g. ``["BFGS: converged"]``.
    """

    alpha: float
    beta: float
    loglik: float
    n_periods: int
    converged: bool
    attempts: list[str] = field(default_factory=list)

    @property
    def polarization(self) -> float:
        """phi = 1 / (alpha + beta + 1): 0 when every customer has the same churn
        probability (the sBG is then geometric, and alpha, beta run off to infinity
        together), towards 1 when customers split into stayers and leavers."""
        return 1.0 / (self.alpha + self.beta + 1.0)

    def survival(self, t) -> np.ndarray:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): share still active after t periods."""
        return np.exp(_sbg_log_survival(t, self.alpha, self.beta))

    def churn_probability(self, t) -> np.ndarray:
        """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta), t = 1, 2, ...

        The probability that a new customer's last period is ``t`` (they churn
        at the end of period ``t``).
        """
        t = np.asarray(t, dtype=float)
        if np.any(t < 1):
            raise DataError("churn_probability needs t >= 1")
        return np.exp(_sbg_log_pmf(t, self.alpha, self.beta))

    def retention_rate(self, t) -> np.ndarray:
        """r_t = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1), t = 1, 2, ...

        Rises with ``t``: the customers who are left are the low-``theta`` ones.
        """
        t = np.asarray(t, dtype=float)
        if np.any(t < 1):
            raise DataError("retention_rate needs t >= 1")
        return (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)

    def discounted_expected_residual_lifetime(self, discount: float, n_renewals: int = 1):
        """DERL of a customer who has made ``n_renewals`` renewals (Fader & Hardie 2010, eq. 6).

        Fader & Hardie (2010) stand at the end of a customer's period ``n``, just
        before their renewal decision, the customer having made ``n - 1`` renewals:

            DERL(d | alpha, beta, n - 1 renewals)
                = B(alpha, beta + n) / B(alpha, beta + n - 1)
                  * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))
                = sum_{t >= n} [S(t) / S(n - 1)] / (1 + d)^(t - n),

        the expected number of further (discounted) payments, the one due at the
        coming renewal undiscounted with weight r_n = S(n) / S(n - 1). Here
        ``n = n_renewals + 1``: ``n_renewals = 0`` is a customer at the end of
        their first period (about to decide on their first renewal), ``1`` one who
        has renewed once and is at the end of their second period. Multiply by the
        margin per period for a residual value. ``discount`` is the per-period
        discount rate ``d > 0``.
        """
        if not discount > 0:
            raise DataError(f"discount must be > 0, got {discount}")
        n = np.asarray(n_renewals, dtype=float) + 1.0
        if np.any(n < 1):
            raise DataError("n_renewals must be >= 0")
        a, b, z = self.alpha, self.beta, 1.0 / (1.0 + discount)
        # B(a, b + n) / B(a, b + n - 1) = (b + n - 1) / (a + b + n - 1) = r_n, exact for huge a, b
        out = np.asarray((b + n - 1.0) / (a + b + n - 1.0) * hyp2f1(1.0, b + n, a + b + n, z))
        bad = ~np.isfinite(out)
        if bad.any():  # scipy's 2F1 fails for large alpha + beta (about 100 and up)
            out = np.where(bad, np.vectorize(lambda m: _derl_series(a, b, m, z))(n), out)
        return out[()]

    def project(self, periods: int, *, n0: float = 1.0) -> pd.DataFrame:
        """Survival projection for periods 0..``periods``.

        Columns: ``survival`` S(t), ``expected_alive`` n0 * S(t), ``churn_probability``
        P(T = t) and ``retention_rate`` r_t (NaN at t = 0); indexed by ``period``.
        """
        if int(periods) < 1:
            raise DataError(f"project needs periods >= 1, got {periods}")
        t = np.arange(int(periods) + 1)
        s = self.survival(t)
        out = pd.DataFrame({"survival": s, "expected_alive": n0 * s,
                            "churn_probability": np.nan, "retention_rate": np.nan},
                           index=pd.Index(t, name="period"))
        out.loc[1:, "churn_probability"] = self.churn_probability(t[1:])
        out.loc[1:, "retention_rate"] = self.retention_rate(t[1:])
        return out


def _cohort_counts(row: np.ndarray, what: str) -> np.ndarray:
    """Validated survivors S(0..k) of one cohort (trailing NaNs dropped)."""
    row = np.asarray(row, dtype=float)
    if row.ndim != 1:
        raise DataError(f"{what} must be one-dimensional survivors per period")
    observed = ~np.isnan(row)
    k = int(observed.sum())
    if k == 0 or not observed[:k].all():
        raise DataError(f"{what} must start at period 0 and have no gaps (NaN only after its age)")
    row = row[:k]
    if k < 2:
        raise DataError(f"{what} has a single period; the sBG needs survivors for at least "
                        "periods 0 and 1")
    if np.any(row < 0) or not np.all(np.isfinite(row)):
        raise DataError(f"{what} has negative or infinite survivor counts")
    if row[0] <= 0:
        raise DataError(f"{what} starts with no customers (S(0) = {row[0]:g})")
    if np.any(np.diff(row) > 0):
        raise DataError(f"{what} has survivors increasing over time; counts must not increase")
    return row


def _fit_sbg_rows(rows: list[np.ndarray]) -> SBGResult:
    """ML fit of the sBG over cohorts (each S(0..k_i)).

    LL = sum_i [ sum_{t=1}^{k_i} (S_i(t-1) - S_i(t)) log P(T = t) + S_i(k_i) log S(k_i) ],
    with S(t) = prod_{i=1}^{t} (beta + i - 1) / (alpha + beta + i - 1) and
    P(T = t) = alpha / (alpha + beta + t - 1) * S(t - 1) (Fader & Hardie 2007, eq. 3-4).
    """
    lost_t, lost_n, surv_t, surv_n = [], [], [], []
    for row in rows:
        k = len(row) - 1
        lost = row[:-1] - row[1:]
        lost_t.append(np.arange(1, k + 1))
        lost_n.append(lost)
        surv_t.append(k)
        surv_n.append(row[-1])
    lt, ln_ = np.concatenate(lost_t).astype(float), np.concatenate(lost_n)
    st, sn = np.asarray(surv_t, float), np.asarray(surv_n, float)
    if ln_.sum() == 0:
        raise DataError("no customer churned in the observed periods; the sBG cannot be fitted")

    lt_i, st_i = lt.astype(int), st.astype(int)
    ages = np.arange(int(st.max()) + 1)

    def negll(x):
        a, b = np.exp(x)
        # the product form of log S(t) stays exact where log B(a, b + t) - log B(a, b)
        # cancels to 0 (huge a and b), which would hand the optimiser a spurious 0
        log_s = _sbg_log_survival(ages, a, b)
        log_pmf = np.log(a) - np.log(a + b + lt_i - 1.0) + log_s[lt_i - 1]
        ll = np.sum(ln_ * log_pmf) + np.sum(sn * log_s[st_i])
        return -ll if np.isfinite(ll) else np.inf

    (a, b), ll, ok, tried = maximise(negll, np.zeros(2))
    return SBGResult(alpha=float(a), beta=float(b), loglik=ll,
                     n_periods=int(max(len(r) for r in rows) - 1), converged=ok,
                     attempts=tried)


def fit_sbg(alive) -> SBGResult:
    """Fit the sBG to one cohort's survivors ``S(0) = n0, S(1), ..., S(k)``.

    Those lost in period t, S(t-1) - S(t), contribute log P(T = t); the S(k)
    still active contribute log S(k) (right-censored). Fader & Hardie (2007),
    eq. (5)-(7). Needs at least two values (periods 0 and 1).
    """
    return _fit_sbg_rows([_cohort_counts(np.asarray(alive, dtype=float), "the cohort")])


def fit_sbg_cohorts(table) -> SBGResult:
    """Fit one sBG to several cohorts of different ages.

    ``table``: rows = cohorts, columns = periods 0, 1, ... (survivors; column 0 is
    the cohort's starting size), NaN after each cohort's last observed period.
    The log-likelihood is the sum of each cohort's :func:`fit_sbg` log-likelihood.
    Cohorts observed for period 0 only carry no information and are skipped; at
    least one cohort must have two or more periods.
    """
    arr = np.asarray(pd.DataFrame(table).to_numpy(dtype=float))
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise DataError("the cohort table must be a non-empty 2-D table (cohorts x periods)")
    rows = []
    for i, row in enumerate(arr):
        k = int((~np.isnan(row)).sum())
        if k == 1 and not np.isnan(row[0]):
            continue  # a cohort seen at period 0 only: no likelihood contribution
        rows.append(_cohort_counts(row, f"cohort {i}"))
    if not rows:
        raise DataError("every cohort has a single period; the sBG needs at least one cohort "
                        "observed for periods 0 and 1")
    return _fit_sbg_rows(rows)


def per_period_discount(annual_discount_rate: float, periods_per_year: float) -> float:
    """Per-period discount rate d = (1 + annual) ** (1 / periods_per_year) - 1
    (:func:`churnlab.discount.per_period`)."""
    return discount.per_period(annual_discount_rate, periods_per_year=periods_per_year)


@dataclass
class SBGProjection:
    """An sBG calibrated on the first ages of a cohort table and projected to all ages.

    ``fit`` is the sBG fitted on ages 0..``fit_periods`` (calibration). ``table``
    has one row per age t = 0..max age (index ``age``) with

    * ``cohorts`` -- cohorts observed at age t (age >= t), ``customers`` their S_c(0);
    * ``actual_alive`` = sum_c S_c(t), ``actual`` = sum_c S_c(t) / sum_c S_c(0)
      (pooled survival over those cohorts);
    * ``projected`` = S(t) of the fit, ``projected_alive`` = customers * S(t);
    * ``held_out`` -- t > fit_periods (not used by the fit);
    * ``error`` = (actual - projected) / actual, the signed relative error (NaN
      where actual = 0): > 0 when more customers survived than projected.

    ``mape`` is the mean absolute percentage error |projected - actual| / actual
    over the held-out ages (ages with actual = 0 skipped), as a fraction
    (0.05 = 5%) like scikit-learn's ``mean_absolute_percentage_error``; NaN if no
    age is held out. :attr:`bias` is its signed counterpart, :attr:`drift` says
    whether the errors are one-signed and growing. ``period`` is the cohort period
    of the table, if known.
    """

    fit: SBGResult
    fit_periods: int
    table: pd.DataFrame
    mape: float
    period: str | None = None

    @property
    def holdout_errors(self) -> pd.Series:
        """(actual - projected) / actual at each held-out age with actual > 0 (index ``age``)."""
        t = self.table
        h = t[t["held_out"] & (t["actual"] > 0)]
        return (h["actual"] - h["projected"]) / h["actual"]

    @property
    def bias(self) -> float:
        """Mean signed error over the held-out ages, mean((actual - projected) / actual), as a
        fraction: > 0 when the projection understates survival, < 0 when it overstates it.
        |bias| <= MAPE, with equality exactly when every held-out error has the same sign.
        NaN if no age is held out."""
        e = self.holdout_errors
        return float(e.mean()) if len(e) else float("nan")

    @property
    def drift(self) -> str | None:
        """``"under"`` when the projection understates survival at every held-out age (all
        errors > 0) and the gap grows with age, ``"over"`` for the same with all errors < 0;
        None otherwise (mixed signs, no growth, or fewer than two held-out ages). The gap
        grows when the mean |error| over the later half of the held-out ages exceeds the
        mean over the earlier half (the middle age of an odd count in neither), so one
        noisy late age, resting on few cohorts, does not hide a trend."""
        e = self.holdout_errors.to_numpy()
        if len(e) < 2 or not (np.all(e > 0) or np.all(e < 0)):
            return None
        half, size = len(e) // 2, np.abs(e)
        if size[-half:].mean() > size[:half].mean():
            return "under" if e[0] > 0 else "over"
        return None

    def discount_rate(self, annual_discount_rate: float,
                      periods_per_year: float | None = None) -> float:
        """Per-period discount rate, see :func:`per_period_discount`.

        ``periods_per_year`` defaults to the table's period (12 for months, 4 for
        quarters, 1 for years).
        """
        if periods_per_year is None:
            if self.period not in PERIODS_PER_YEAR:
                raise DataError("the cohort period is unknown; pass periods_per_year")
            periods_per_year = PERIODS_PER_YEAR[self.period]
        return per_period_discount(annual_discount_rate, periods_per_year)

    def derl(self, annual_discount_rate: float, periods_per_year: float | None = None,
             n_renewals: int = 1):
        """DERL at an annual discount rate: the fit's
        :meth:`SBGResult.discounted_expected_residual_lifetime` with the per-period
        rate d = (1 + annual) ** (1 / periods_per_year) - 1. In periods' worth of
        payments: multiply by the margin per period for a residual value.
        """
        d = self.discount_rate(annual_discount_rate, periods_per_year)
        return self.fit.discounted_expected_residual_lifetime(d, n_renewals)


def sbg_projection(table: pd.DataFrame, *, fit_periods: int) -> SBGProjection:
    """Fit the sBG on ages 0..``fit_periods`` of a cohort table and check it on the rest.

    ``table`` is a cohort table as from :func:`cohort_table` (rows = cohorts,
    columns = ages 0, 1, ...; NaN after each cohort's age). The fit is
    :func:`fit_sbg_cohorts` on columns 0..``fit_periods`` (each cohort's
    calibration part); the projection S(t) covers every age in the table, and the
    ages after ``fit_periods`` are a holdout test, as in Fader & Hardie (2007),
    who calibrate on years 1-7 and project years 8-12. The pooled actual survival
    at age t mixes only the cohorts observed that long, so later ages rest on
    fewer (older) cohorts; ``table["cohorts"]`` and ``["customers"]`` show how many.
    """
    if isinstance(fit_periods, bool) or not isinstance(fit_periods, (int, np.integer)) \
            or fit_periods < 1:
        raise DataError(f"fit_periods must be a whole number >= 1 (the calibration ages "
                        f"1..fit_periods), got {fit_periods!r}")
    tab = pd.DataFrame(table)
    try:
        ages = [int(c) for c in tab.columns]
    except (TypeError, ValueError):
        ages = None
    if ages != list(range(tab.shape[1])) or tab.shape[0] == 0:
        raise DataError("the cohort table must have cohorts as rows and the ages 0, 1, 2, ... "
                        "as columns (as returned by cohort_table)")
    arr = tab.to_numpy(dtype=float)
    observed = ~np.isnan(arr)
    age = observed.sum(axis=1) - 1
    for i, row in enumerate(observed):
        if age[i] < 0 or not row[:age[i] + 1].all():
            raise DataError(f"cohort {tab.index[i]!r} must have S(0) and no gaps (NaN only "
                            "after its age)")
    if age.max() < 1:
        raise DataError("the cohort table has no cohort observed past its first period (age 0 "
                        "only); the sBG needs at least one cohort observed for ages 0 and 1")
    fit = fit_sbg_cohorts(tab.iloc[:, :fit_periods + 1])

    t = np.arange(int(age.max()) + 1)
    n_coh = np.array([(age >= k).sum() for k in t])
    n0 = np.array([arr[age >= k, 0].sum() for k in t])
    alive = np.array([arr[age >= k, k].sum() for k in t])
    s = fit.survival(t)
    actual = alive / n0
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.where(actual > 0, (actual - s) / actual, np.nan)
    out = pd.DataFrame({
        "actual": actual, "projected": s, "cohorts": n_coh, "customers": n0,
        "actual_alive": alive, "projected_alive": n0 * s, "held_out": t > fit_periods,
        "error": error,
    }, index=pd.Index(t, name="age"))
    h = out[out["held_out"] & (out["actual"] > 0)]
    mape = float(np.mean(np.abs(h["error"]))) if len(h) else float("nan")
    attrs = getattr(table, "attrs", {}) or {}
    period = attrs.get("period") if attrs.get("period") in PERIODS else None
    return SBGProjection(fit=fit, fit_periods=int(fit_periods), table=out, mape=mape,
                         period=period)


#: alpha + beta above which the sBG's customers are practically alike (polarization below 1e-4).
HOMOGENEOUS = 1e4


def degenerate_note(alpha: float, beta: float, period: str = "period") -> str | None:
    """The fit in plain words when it is degenerate, else None.

    With ``alpha + beta`` above :data:`HOMOGENEOUS` (e.g. alpha = 9e12) the Beta
    distribution of the churn probability has collapsed to a point: every customer
    has the same churn probability ``alpha / (alpha + beta)``, the sBG reduces to a
    geometric model and the renewal rate is constant at every age (it no longer
    rises as the riskier customers leave). The huge numbers mean "no heterogeneity",
    not a failed fit.
    """
    if not (np.isfinite(alpha) and np.isfinite(beta)) or alpha + beta <= HOMOGENEOUS:
        return None
    churn = alpha / (alpha + beta)
    return (f"no heterogeneity: α and β this large mean every customer has the same churn probability, "
            f"so the renewal rate is constant at {1 - churn:.1%} a {period} at every age: a geometric "
            "model, and the huge values are not a failed fit")
