"""Probability models of retention and repeat buying (Fader & Hardie).

Two classic closed-form models, fitted by maximum likelihood with scipy
(``scipy.optimize.minimize`` on the log of each parameter, so every parameter
stays positive; ``gammaln``/``betaln``/``hyp2f1`` from :mod:`scipy.special`).
There is no randomness anywhere, so no seeds: the same input gives the same fit.

**Contractual setting -- sBG (shifted-beta-geometric).** Fader, P. S. & Hardie,
B. G. S. (2007), "How to Project Customer Retention", *Journal of Interactive
Marketing* 21(1), 76-90. Each customer renews each period with a constant
probability ``1 - theta``; ``theta ~ Beta(alpha, beta)`` across customers.

* :func:`fit_sbg` -- one cohort, survivors per period ``S(0)=n0, S(1), ..., S(k)``;
* :func:`fit_sbg_cohorts` -- several cohorts of different ages in one table;
* :class:`SBGResult` -- survival, churn probability, retention rate, projection and
  the discounted expected residual lifetime (DERL) of Fader & Hardie (2010),
  "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring
  Heterogeneity", *Marketing Science* 29(1), 85-93.

**Non-contractual setting -- BG/NBD.** Fader, P. S., Hardie, B. G. S. & Lee, K. L.
(2005), "'Counting Your Customers' the Easy Way: An Alternative to the
Pareto/NBD Model", *Marketing Science* 24(2), 275-284. While alive a customer
buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after every
purchase they drop out with probability ``p ~ Beta(a, b)``.

* :func:`rfm_summary` -- transactions to (frequency, recency, T) per customer;
* :func:`fit_bgnbd` -- the four parameters from (frequency, recency, T);
* :class:`BGNBDResult` -- P(alive), conditional and unconditional expected purchases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from .errors import DataError

#: Length of one time unit in days, for :func:`rfm_summary`.
UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}


def _maximise(negll, x0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Minimise ``negll`` over log-parameters: BFGS, Nelder-Mead if BFGS stops short.

    Returns (parameters on the natural scale, maximised log-likelihood, converged).
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = minimize(negll, x0, method="BFGS")
        if not (res.success and np.isfinite(res.fun)):
            start = res.x if np.isfinite(res.fun) else x0
            res = minimize(negll, start, method="Nelder-Mead",
                           options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20_000})
    converged = bool(res.success) and bool(np.isfinite(res.fun))
    return np.exp(res.x), float(-res.fun), converged


# =========================================================================== sBG

def _sbg_log_survival(t, alpha: float, beta: float) -> np.ndarray:
    """log S(t) = log B(alpha, beta + t) - log B(alpha, beta)."""
    t = np.asarray(t, dtype=float)
    return betaln(alpha, beta + t) - betaln(alpha, beta)


def _sbg_log_pmf(t, alpha: float, beta: float) -> np.ndarray:
    """log P(T = t) = log B(alpha + 1, beta + t - 1) - log B(alpha, beta), t >= 1."""
    t = np.asarray(t, dtype=float)
    return betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta)


@dataclass
class SBGResult:
    """A fitted shifted-beta-geometric model (Fader & Hardie 2007).

    ``theta ~ Beta(alpha, beta)`` is a customer's per-period churn probability;
    ``n_periods`` is the number of observed periods the fit used (the largest
    cohort age); ``loglik`` the maximised log-likelihood.
    """

    alpha: float
    beta: float
    loglik: float
    n_periods: int
    converged: bool

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
        """DERL of a customer who has just made their ``n``-th renewal (Fader & Hardie 2010).

        DERL(d | alpha, beta, n) = (beta + n - 1) / (alpha + beta + n - 1)
                                   * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d)),

        i.e. sum_{t >= n} [S(t) / S(n - 1)] / (1 + d)^(t - n): the expected
        number of further (discounted) payments, counting the one due next
        period with weight ``r_n``. Multiply by the margin per period to get a
        residual value. ``discount`` is the per-period discount rate ``d > 0``;
        ``n_renewals = 1`` is a customer at the end of their first period.
        """
        if not discount > 0:
            raise DataError(f"discount must be > 0, got {discount}")
        n = np.asarray(n_renewals, dtype=float)
        if np.any(n < 1):
            raise DataError("n_renewals must be >= 1")
        a, b = self.alpha, self.beta
        return (b + n - 1.0) / (a + b + n - 1.0) * hyp2f1(1.0, b + n, a + b + n,
                                                           1.0 / (1.0 + discount))

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

    LL = sum_i [ sum_{t=1}^{k_i} (S_i(t-1) - S_i(t)) log P(T = t) + S_i(k_i) log S(k_i) ].
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

    def negll(x):
        a, b = np.exp(x)
        ll = np.sum(ln_ * _sbg_log_pmf(lt, a, b)) + np.sum(sn * _sbg_log_survival(st, a, b))
        return -ll if np.isfinite(ll) else np.inf

    (a, b), ll, ok = _maximise(negll, np.zeros(2))
    return SBGResult(alpha=float(a), beta=float(b), loglik=ll,
                     n_periods=int(max(len(r) for r in rows) - 1), converged=ok)


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


# =========================================================================== BG/NBD

@dataclass
class BGNBDResult:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    ``lambda ~ Gamma(shape r, rate alpha)`` (purchases per time unit while alive),
    ``p ~ Beta(a, b)`` (drop-out probability after each purchase).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    converged: bool

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + delta_{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

        Fader, Hardie & Lee (2005) eq. (11) / the 2008 note on P(alive). A
        customer with no repeat purchase (x = 0) cannot have dropped out: 1.
        """
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, al, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = a / (b + x - 1.0) * np.exp((r + x) * (np.log(al + T) - np.log(al + t_x)))
        return np.where(x > 0, 1.0 / (1.0 + np.where(x > 0, odds, 0.0)), 1.0)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: purchases in the next ``t`` units (FHL 2005 eq. 10).

        E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                                   * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
            / [1 + delta_{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)].
        """
        t, x, t_x, T = (np.asarray(v, dtype=float) for v in (t, x, t_x, T))
        r, al, a, b = self.r, self.alpha, self.a, self.b
        ratio = np.exp((r + x) * (np.log(al + T) - np.log(al + T + t)))
        num = (a + b + x - 1.0) / (a - 1.0) * (
            1.0 - ratio * hyp2f1(r + x, b + x, a + b + x - 1.0, t / (al + T + t)))
        return num * self.p_alive(x, t_x, T)

    def expected_purchases_new(self, t) -> np.ndarray:
        """E[X(t)] for a new customer (FHL 2005 eq. 9).

        E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
        """
        t = np.asarray(t, dtype=float)
        r, al, a, b = self.r, self.alpha, self.a, self.b
        return (a + b - 1.0) / (a - 1.0) * (
            1.0 - (al / (al + t)) ** r * hyp2f1(r, b, a + b - 1.0, t / (al + t)))


def _bgnbd_loglik_terms(params, x, t_x, T) -> np.ndarray:
    """Per-customer log L(r, alpha, a, b | x, t_x, T), FHL (2005) eq. (6).

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + delta_{x>0} B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)).
    """
    r, al, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(al)
    a1 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(al + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a2 = np.where(x > 0, betaln(a + 1.0, b + np.maximum(x, 1.0) - 1.0) - betaln(a, b)
                      - (r + x) * np.log(al + t_x), -np.inf)
    return common + np.logaddexp(a1, a2)


def fit_bgnbd(frequency, recency, T) -> BGNBDResult:
    """Fit the BG/NBD by maximum likelihood on per-customer (x, t_x, T).

    ``frequency`` x = repeat purchases, ``recency`` t_x = time of the last
    purchase since the first, ``T`` = time since the first purchase, all in the
    same unit (see :func:`rfm_summary`). Identical (x, t_x, T) rows are pooled.
    Fader, Hardie & Lee (2005) eq. (6); on the CDNOW cohort (weeks) they report
    r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    """
    x, t_x, T = (np.asarray(v, dtype=float).ravel() for v in (frequency, recency, T))
    if not (len(x) == len(t_x) == len(T)) or len(x) == 0:
        raise DataError("frequency, recency and T must be non-empty and of the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise DataError("frequency, recency and T must be finite (no missing values)")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise DataError("frequency must be a non-negative whole number of repeat purchases")
    if np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise DataError("recency must be between 0 and T for every customer")
    if np.any((x == 0) & (t_x != 0)):
        raise DataError("customers with frequency 0 must have recency 0")
    if not np.any(x > 0):
        raise DataError("the data have no repeat purchases; BG/NBD needs some")
    # pool identical customers: the likelihood only depends on (x, t_x, T)
    keys, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    ux, ut, uT = keys.T
    w = counts.astype(float)

    def negll(logp):
        ll = np.sum(w * _bgnbd_loglik_terms(np.exp(logp), ux, ut, uT))
        return -ll if np.isfinite(ll) else np.inf

    (r, al, a, b), ll, ok = _maximise(negll, np.zeros(4))
    return BGNBDResult(r=float(r), alpha=float(al), a=float(a), b=float(b), loglik=ll,
                       converged=ok)


def rfm_summary(transactions: pd.DataFrame, *, as_of, unit: str = "W",
                customer_col: str = "customer_id", date_col: str = "date") -> pd.DataFrame:
    """Per-customer (frequency, recency, T) for BG/NBD, with the published conventions.

    * only transactions on or before ``as_of`` are used; customers whose first
      purchase is after ``as_of`` are left out;
    * several purchases on the same calendar day count as one;
    * ``frequency`` = number of distinct purchase days after the first;
    * ``recency`` = time from the first to the last purchase (0 if frequency = 0);
    * ``T`` = time from the first purchase to ``as_of``.

    Times are in ``unit``: ``'D'`` days, ``'W'`` weeks (7 days), ``'M'`` months
    (365.25/12 days). Returns a DataFrame indexed by customer id with columns
    ``frequency`` (int), ``recency``, ``T``, ``first_purchase``, ``last_purchase``.
    """
    if unit not in UNIT_DAYS:
        raise DataError(f"unit must be one of {sorted(UNIT_DAYS)}, got {unit!r}")
    missing = [c for c in (customer_col, date_col) if c not in transactions.columns]
    if missing:
        raise DataError(f"transactions have no column(s) {missing}; rfm_summary needs "
                        f"{customer_col!r} and {date_col!r}")
    try:
        dates = pd.to_datetime(transactions[date_col])
        cutoff = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read dates in {date_col!r} or as_of: {first_line}") from None
    if dates.isna().any():
        raise DataError(f"transactions have missing dates in {date_col!r}")
    cutoff = cutoff.normalize()
    df = pd.DataFrame({"customer_id": transactions[customer_col].to_numpy(),
                       "day": dates.dt.normalize().to_numpy()})
    df = df[df["day"] <= cutoff].drop_duplicates()
    if df.empty:
        raise DataError(f"no transactions on or before as_of = {cutoff.date()}")
    g = df.groupby("customer_id")["day"]
    first, last, n = g.min(), g.max(), g.nunique()
    days = UNIT_DAYS[unit]
    out = pd.DataFrame({
        "frequency": (n - 1).astype(int),
        "recency": (last - first).dt.days / days,
        "T": (cutoff - first).dt.days / days,
        "first_purchase": first,
        "last_purchase": last,
    })
    out.index.name = customer_col
    return out
