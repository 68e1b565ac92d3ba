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
* :func:`cohort_table` -- subscriptions (start, end dates) to survivors per
  acquisition cohort (month, quarter or year) and age, left truncation handled;
* :func:`sbg_projection` / :class:`SBGProjection` -- calibrate on the first ages,
  check the projection on the held-out ones (pooled survival, MAPE), DERL at an
  annual discount rate; :func:`sbg_projection_plot`.

**Non-contractual setting -- BG/NBD.** Fader, P. S., Hardie, B. G. S. & Lee, K. L.
(2005), "'Counting Your Customers' the Easy Way: An Alternative to the
Pareto/NBD Model", *Marketing Science* 24(2), 275-284. While alive a customer
buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after every
purchase they drop out with probability ``p ~ Beta(a, b)``.

* :func:`rfm_summary` -- transactions to (frequency, recency, T) per customer;
* :func:`fit_bgnbd` -- the four parameters from (frequency, recency, T);
* :class:`BGNBDResult` -- P(alive), conditional and unconditional expected purchases.
* :func:`bgnbd_study` / :class:`BGNBDStudy` -- fit up to ``as_of``, P(alive) and
  expected purchases per customer, the holdout check after ``as_of`` (totals and
  FHL 2005 Figure 4 by calibration frequency); :func:`bgnbd_holdout_plot`;
* :func:`alive_vs_inactivity` -- P(alive) bands against an inactivity churn flag.

**Spend per transaction -- Gamma-Gamma.** Fader, P. S., Hardie, B. G. S. & Lee,
K. L. (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis",
*Journal of Marketing Research* 42(4), 415-430; Fader & Hardie (2013), "The
Gamma-Gamma Model of Monetary Value" (brucehardie.com/notes/025). Spend per
transaction ``z ~ Gamma(p, nu)``, ``nu ~ Gamma(q, gamma)`` across customers.

* :func:`fit_gamma_gamma` / :class:`GammaGammaResult` -- fitted on the repeat
  buyers' (x, m_x); population mean spend and each customer's conditional
  expected spend;
* :func:`bgnbd_clv` -- discounted CLV over a horizon of periods, BG/NBD expected
  purchases x Gamma-Gamma expected spend x margin.

Every fit records what the optimiser tried in ``attempts`` (BFGS, then
Nelder-Mead from the BFGS end point if BFGS stopped short).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from .. import discount
from ..errors import DataError
from ..units import BGNBD_UNIT_DAYS as UNIT_DAYS
from ..units import PERIODS_PER_YEAR

#: Length of one time unit in days, for :func:`rfm_summary`.


def _maximise(negll, x0: np.ndarray) -> tuple[np.ndarray, float, bool, list[str]]:
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


# =========================================================================== sBG

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


@dataclass
class SBGResult:
    """A fitted shifted-beta-geometric model (Fader & Hardie 2007).

    ``theta ~ Beta(alpha, beta)`` is a customer's per-period churn probability;
    ``n_periods`` is the number of observed periods the fit used (the largest
    cohort age); ``loglik`` the maximised log-likelihood; ``attempts`` what the
    optimiser tried (see :func:`_maximise`), e.g. ``["BFGS: converged"]``.
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

    (a, b), ll, ok, tried = _maximise(negll, np.zeros(2))
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


# =========================================================================== BG/NBD

@dataclass
class BGNBDResult:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    ``lambda ~ Gamma(shape r, rate alpha)`` (purchases per time unit while alive),
    ``p ~ Beta(a, b)`` (drop-out probability after each purchase); ``attempts``
    what the optimiser tried (see :func:`_maximise`).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    converged: bool
    attempts: list[str] = field(default_factory=list)

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

    (r, al, a, b), ll, ok, tried = _maximise(negll, np.zeros(4))
    return BGNBDResult(r=float(r), alpha=float(al), a=float(a), b=float(b), loglik=ll,
                       converged=ok, attempts=tried)


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


# =========================================================================== cohorts -> sBG

#: Calendar periods for :func:`cohort_table`, as pandas period codes.
PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
#: Periods per year, to turn an annual discount rate into a per-period one.


def _day(value, what: str) -> pd.Timestamp:
    """One date (``as_of``, ``observed_from``) as a midnight Timestamp, or a DataError."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {what} = {value!r} as a date: {first_line}") from None
    if ts is pd.NaT:
        raise DataError(f"{what} must be a date, got {value!r}")
    return ts.normalize()


def _days(col: pd.Series, name: str) -> pd.Series:
    """A date column as midnight Timestamps (NaT kept), or a DataError."""
    try:
        out = pd.to_datetime(col)
    except (ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the dates in column {name!r}: {first_line}") from None
    return out.dt.normalize()


def cohort_table(customers: pd.DataFrame, *, period: str = "month", as_of,
                 observed_from=None, start_col: str = "start_date",
                 end_col: str = "end_date") -> pd.DataFrame:
    """Survivors per acquisition cohort and age, the input of :func:`sbg_projection`.

    ``customers`` has one row per customer with a start date and an end date
    (NaT = still active; in the project: the analysis table with ``start_date``,
    ``end_date``, ``churned``). As seen on ``as_of``, an end date after ``as_of``
    has not happened yet: that customer counts as active.

    * A cohort is the calendar ``period`` (``"month"``, ``"quarter"`` or
      ``"year"``) of the start date. Customers who start after ``as_of`` are
      left out.
    * Left truncation: if the data only cover customers still present on
      ``observed_from`` (a customer who left before it is missing), only
      cohorts whose period *starts* on or after ``observed_from`` are complete
      and used; earlier customers are left out (counted in ``attrs``).
    * The last complete period is the period of ``as_of`` if ``as_of`` is its
      last day, else the period before. A cohort's age ``k_c`` is the number of
      complete periods after its acquisition period (the acquisition period is
      age 0); the cohort of the period containing ``as_of`` has age 0 and its
      S(0) only counts the customers acquired up to ``as_of``.

    Values: ``S_c(0)`` = customers acquired in period ``c``; ``S_c(t)``, t = 1..k_c,
    = those still active at the END of calendar period ``c + t`` (end date after
    that period's last day, or none); NaN for t > k_c. A customer whose end date
    falls in period ``c + t`` is lost at age ``t``; those who leave during the
    acquisition period itself are therefore counted as lost at t = 1 (the sBG
    has no churn at t = 0), as are those who leave during period ``c + 1``.
    Customers acquired late in a period have had less time in it: the sBG
    treats calendar periods as renewal periods, which suits monthly or annual
    billing best.

    Returns a float DataFrame: index ``cohort`` = period strings (``"2023-01"``,
    ``"2023Q1"``, ``"2023"``), columns ``age`` = 0, 1, ..., max k_c (ints).
    ``attrs`` holds ``period``, ``as_of``, ``last_complete_period``,
    ``observed_from``, ``customers`` (used), ``left_out_before_window``,
    ``left_out_after_as_of`` and ``notes`` (sentences for a notebook).
    """
    if period not in PERIODS:
        raise DataError(f"period must be one of {list(PERIODS)}, got {period!r}")
    missing = [c for c in (start_col, end_col) if c not in customers.columns]
    if missing:
        raise DataError(f"customers have no column(s) {missing}; cohort_table needs a start "
                        f"date column {start_col!r} and an end date column {end_col!r} "
                        "(NaT = still active)")
    start, end = _days(customers[start_col], start_col), _days(customers[end_col], end_col)
    cutoff = _day(as_of, "as_of")
    window = None if observed_from is None else _day(observed_from, "observed_from")
    if start.isna().any():
        raise DataError(f"{int(start.isna().sum())} customer(s) have no {start_col!r}; every "
                        "customer needs a start date")
    bad = end.notna() & (end < start)
    if bad.any():
        row = customers.index[np.flatnonzero(bad.to_numpy())[0]]
        raise DataError(f"{int(bad.sum())} customer(s) have {end_col!r} before {start_col!r} "
                        f"(first at row {row!r}); an end date must be on or after the start date")

    freq = PERIODS[period]
    p_asof = cutoff.to_period(freq)
    last_complete = p_asof if cutoff == p_asof.end_time.normalize() else p_asof - 1
    cohort = start.dt.to_period(freq)
    c_ord = np.asarray(cohort.array.asi8, dtype=float)
    ended = end.notna() & (end <= cutoff)            # an end after as_of has not happened yet
    e_ord = np.where(ended, np.asarray(end.dt.to_period(freq).array.asi8, dtype=float), np.inf)
    lost_at = e_ord - c_ord                          # age at which the customer is lost (>= 0)

    future = (start > cutoff).to_numpy()
    if window is None:
        pre = np.zeros(len(start), dtype=bool)
    else:
        pre = (cohort.dt.start_time < window).to_numpy() & ~future
    use = ~future & ~pre
    if not use.any():
        where = "" if window is None else f" on or after observed_from = {window.date()}"
        raise DataError(f"no cohort in the window: no customer starts in a {period}{where} "
                        f"that begins on or before as_of = {cutoff.date()}")

    lc_ord = last_complete.ordinal
    rows, index = [], []
    for c in np.unique(c_ord[use]):
        lost = lost_at[use & (c_ord == c)]
        age = int(max(lc_ord - c, 0))
        counts = [float(len(lost))] + [float((lost > t).sum()) for t in range(1, age + 1)]
        rows.append(counts)
        index.append(str(pd.Period(ordinal=int(c), freq=freq)))
    width = max(len(r) for r in rows)
    table = pd.DataFrame([r + [np.nan] * (width - len(r)) for r in rows],
                         index=pd.Index(index, name="cohort"),
                         columns=pd.Index(range(width), name="age"), dtype=float)

    notes = [f"{int(use.sum()):,} customers in {len(table)} {period}ly cohorts; last complete "
             f"{period}: {last_complete} (as_of = {cutoff.date()})."]
    if pre.any():
        notes.append(f"{int(pre.sum()):,} customers acquired before the {period} starting on or "
                     f"after observed_from = {window.date()} were left out: those of them who "
                     "left before the data window are missing (left truncation).")
    if future.any():
        notes.append(f"{int(future.sum()):,} customers who start after as_of were left out.")
    if p_asof.ordinal in c_ord[use] and last_complete != p_asof:
        notes.append(f"Cohort {p_asof} is still being acquired on as_of: its S(0) counts "
                     "customers up to as_of only.")
    table.attrs.update({
        "period": period, "as_of": str(cutoff.date()), "last_complete_period": str(last_complete),
        "observed_from": None if window is None else str(window.date()),
        "customers": int(use.sum()), "left_out_before_window": int(pre.sum()),
        "left_out_after_as_of": int(future.sum()), "notes": notes,
    })
    return table


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
    * ``held_out`` -- t > fit_periods (not used by the fit).

    ``mape`` is the mean absolute percentage error |projected - actual| / actual
    over the held-out ages (ages with actual = 0 skipped), as a fraction
    (0.05 = 5%) like scikit-learn's ``mean_absolute_percentage_error``; NaN if no
    age is held out. ``period`` is the cohort period of the table, if known.
    """

    fit: SBGResult
    fit_periods: int
    table: pd.DataFrame
    mape: float
    period: str | None = None

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
    out = pd.DataFrame({
        "actual": alive / n0, "projected": s, "cohorts": n_coh, "customers": n0,
        "actual_alive": alive, "projected_alive": n0 * s, "held_out": t > fit_periods,
    }, index=pd.Index(t, name="age"))
    h = out[out["held_out"] & (out["actual"] > 0)]
    mape = float(np.mean(np.abs(h["projected"] - h["actual"]) / h["actual"])) if len(h) \
        else float("nan")
    attrs = getattr(table, "attrs", {}) or {}
    period = attrs.get("period") if attrs.get("period") in PERIODS else None
    return SBGProjection(fit=fit, fit_periods=int(fit_periods), table=out, mape=mape,
                         period=period)


def sbg_projection_plot(projection: SBGProjection, ax=None):
    """Actual vs projected pooled survival by age; held-out ages shaded.

    Draws on ``ax`` (a new figure if None) and returns it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    t = projection.table
    fp = projection.fit_periods
    ax.plot(t.index, t["actual"], "o-", color="#2e86c1", ms=4, label="actual (pooled cohorts)")
    ax.plot(t.index, t["projected"], "--", color="#c0392b",
            label=f"sBG (alpha={projection.fit.alpha:.2f}, beta={projection.fit.beta:.2f})")
    if t.index.max() > fp:
        ax.axvspan(fp, t.index.max(), color="0.9", zorder=0, label="held out")
    ax.axvline(fp, color="0.4", lw=1)
    unit = f"{projection.period}s" if projection.period else "periods"
    ax.set_xlabel(f"periods since acquisition ({unit})")
    ax.set_ylabel("share still active")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1.02)
    title = f"sBG calibrated on ages 1-{fp}"
    if np.isfinite(projection.mape):
        title += f"; held-out MAPE {projection.mape:.1%}"
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


# =========================================================================== BG/NBD study

#: Calibration-frequency groups of the FHL (2005) Figure 4 check.
FREQUENCY_GROUPS = ["0", "1", "2", "3", "4", "5", "6", "7+"]
#: P(alive) bands of :func:`alive_vs_inactivity` (lower edges 0.25, 0.5, 0.75).
P_ALIVE_BANDS = ["<0.25", "0.25-0.5", "0.5-0.75", ">=0.75"]


def _frequency_group(frequency: pd.Series) -> pd.Categorical:
    g = np.minimum(frequency.to_numpy(dtype=int), 7)
    return pd.Categorical.from_codes(g, categories=FREQUENCY_GROUPS)


def _by_frequency(summary: pd.DataFrame, expected_col: str,
                  actual_col: str | None) -> pd.DataFrame:
    """Customers and mean expected (and actual) purchases per frequency group 0..6, 7+."""
    cols = {"customers": (expected_col, "size"), "expected": (expected_col, "mean")}
    if actual_col is not None:
        cols["actual"] = (actual_col, "mean")
    out = summary.groupby(_frequency_group(summary["frequency"]), observed=False).agg(**cols)
    out.index = pd.Index(FREQUENCY_GROUPS, name="frequency")
    out["customers"] = out["customers"].fillna(0).astype(int)
    return out


@dataclass
class BGNBDStudy:
    """A BG/NBD fitted on the purchases up to ``as_of``, checked on those after it.

    * ``fit`` -- the BG/NBD (times in ``unit``: ``"D"``, ``"W"`` or ``"M"``, see
      :data:`UNIT_DAYS`);
    * ``summary`` -- per customer (first purchase on or before ``as_of``):
      ``frequency``, ``recency``, ``T``, ``first_purchase``, ``last_purchase``
      (:func:`rfm_summary`), ``p_alive`` on ``as_of``, ``expected_purchases`` in
      the next ``horizon`` units; with a holdout also ``actual_purchases`` (distinct
      purchase days in (as_of, as_of + holdout_days]; same-day purchases count
      once, as in the calibration) and ``expected_holdout`` (expected purchases
      over the holdout length, equal to ``expected_purchases`` unless ``horizon``
      was given);
    * ``horizon`` (units), ``holdout_days`` (0 if no data after ``as_of``);
    * ``by_frequency`` -- FHL (2005) Figure 4: customers grouped by calibration
      frequency 0..6, 7+, with ``customers``, mean ``expected`` and mean
      ``actual`` holdout purchases; None without a holdout;
    * ``predicted_total`` / ``actual_total`` -- total holdout purchases, predicted
      and actual (without a holdout: predicted over ``horizon``, actual NaN);
    * ``new_after_as_of`` -- customers whose first purchase is after ``as_of``
      (left out: the model says nothing about them).
    """

    fit: BGNBDResult
    unit: str
    summary: pd.DataFrame
    horizon: float
    holdout_days: int
    by_frequency: pd.DataFrame | None
    predicted_total: float
    actual_total: float
    new_after_as_of: int
    as_of: pd.Timestamp | None = None


def bgnbd_study(transactions: pd.DataFrame, *, as_of, unit: str = "W",
                horizon: float | None = None, customer_col: str = "customer_id",
                date_col: str = "date") -> BGNBDStudy:
    """Fit the BG/NBD on purchases up to ``as_of`` and compare with the purchases after it.

    Calibration: :func:`rfm_summary` on the transactions on or before ``as_of``
    (same-day purchases count once) and :func:`fit_bgnbd`. Holdout: the days
    after ``as_of`` up to the last transaction date in the data,
    ``holdout_days`` = (last date - as_of) in days if > 0. (If the data end some
    quiet days after their last purchase, the holdout is that much shorter than
    the true window.) ``horizon`` (in ``unit``) defaults to the holdout length,
    or to 26 weeks' worth of units without a holdout; ``expected_purchases``
    covers the next ``horizon`` units after ``as_of``. The FHL (2005) holdout
    check compares ``expected_holdout`` with ``actual_purchases``, overall
    (``predicted_total`` vs ``actual_total``) and by calibration frequency
    (``by_frequency``). Customers who first buy after ``as_of`` are left out and
    counted in ``new_after_as_of``.
    """
    rfm = rfm_summary(transactions, as_of=as_of, unit=unit, customer_col=customer_col,
                      date_col=date_col)
    cutoff = pd.Timestamp(as_of).normalize()
    if not (rfm["frequency"] > 0).any():
        raise DataError(f"no customer bought on two different days up to as_of = "
                        f"{cutoff.date()}; the BG/NBD needs repeat purchases (purchases on "
                        "the same day count once)")
    x, t_x, T = rfm["frequency"], rfm["recency"], rfm["T"]
    fit = fit_bgnbd(x, t_x, T)
    days = UNIT_DAYS[unit]

    day = pd.to_datetime(transactions[date_col]).dt.normalize().to_numpy()
    ids = transactions[customer_col].to_numpy()
    holdout_days = max(int((pd.Timestamp(day.max()) - cutoff).days), 0)
    first = pd.Series(day).groupby(ids).min()
    new_after = int((first > cutoff).sum())
    if horizon is None:
        horizon = holdout_days / days if holdout_days > 0 else 26 * 7.0 / days
    elif not (np.isfinite(horizon) and horizon > 0):
        raise DataError(f"horizon must be a positive number of {unit!r} units, got {horizon!r}")
    horizon = float(horizon)

    summary = rfm.copy()
    summary["p_alive"] = fit.p_alive(x, t_x, T)
    summary["expected_purchases"] = fit.expected_purchases(horizon, x, t_x, T)
    if holdout_days > 0:
        after = day > cutoff
        hold = pd.DataFrame({"customer_id": ids[after], "day": day[after]}).drop_duplicates()
        counts = hold.groupby("customer_id").size()
        summary["actual_purchases"] = counts.reindex(summary.index, fill_value=0).astype(int)
        h_units = holdout_days / days
        summary["expected_holdout"] = (summary["expected_purchases"] if np.isclose(h_units, horizon)
                                       else fit.expected_purchases(h_units, x, t_x, T))
        by_freq = _by_frequency(summary, "expected_holdout", "actual_purchases")
        predicted = float(summary["expected_holdout"].sum())
        actual = float(summary["actual_purchases"].sum())
    else:
        by_freq, predicted, actual = None, float(summary["expected_purchases"].sum()), float("nan")
    return BGNBDStudy(fit=fit, unit=unit, summary=summary, horizon=horizon,
                      holdout_days=holdout_days, by_frequency=by_freq, predicted_total=predicted,
                      actual_total=actual, new_after_as_of=new_after, as_of=cutoff)


_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months"}


def bgnbd_holdout_plot(study: BGNBDStudy, ax=None):
    """Mean predicted vs actual holdout purchases by calibration frequency 0..7+.

    Fader, Hardie & Lee (2005), Figure 4. Without a holdout only the predicted
    purchases over ``study.horizon`` are drawn. Draws on ``ax`` (a new figure if
    None) and returns it.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(FREQUENCY_GROUPS))
    unit = _UNIT_NAMES.get(study.unit, study.unit)
    if study.by_frequency is not None:
        bf = study.by_frequency
        ax.plot(x, bf["actual"], "o-", color="#2e86c1", label="actual")
        ax.plot(x, bf["expected"], "s--", color="#c0392b", label="BG/NBD")
        ax.set_ylabel(f"mean purchases in the holdout ({study.holdout_days} days)")
        ax.set_title(f"Holdout purchases: predicted {study.predicted_total:,.0f}, "
                     f"actual {study.actual_total:,.0f}")
    else:
        bf = _by_frequency(study.summary, "expected_purchases", None)
        ax.plot(x, bf["expected"], "s--", color="#c0392b", label="BG/NBD")
        ax.set_ylabel(f"mean expected purchases, next {study.horizon:g} {unit}")
        ax.set_title("Expected purchases by frequency (no holdout: predicted only)")
    ax.set_xticks(x, FREQUENCY_GROUPS)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    return ax


def alive_vs_inactivity(study: BGNBDStudy, labels: pd.Series) -> pd.DataFrame:
    """Cross the inactivity churn flag with the BG/NBD P(alive) on ``as_of``.

    ``labels``: the inactivity-window churn flag per customer id (index), True =
    churned (e.g. ``definitions.inactivity(...).set_index("customer_id")["churned"]``
    computed on the same ``as_of``). Customers in both ``labels`` and
    ``study.summary`` are used; the others are counted in ``attrs``.

    Returns rows ``churned`` / ``active`` (index ``inactivity``) by P(alive) band
    (<0.25, 0.25-0.5, 0.5-0.75, >=0.75) with column blocks ``customers`` (counts)
    and, when the study has a holdout, ``bought_again`` (share of the cell with at
    least one purchase after ``as_of``; NaN for an empty cell). ``out["customers"]``
    is the plain crosstab.

    The two definitions answer different questions. The inactivity rule looks at
    the last purchase only: silent for the window = churned. P(alive) weighs the
    silence against the customer's own buying rate. A one-time buyer has
    P(alive) = 1 under the BG/NBD (dropout only happens after a repeat purchase)
    yet is "churned" by inactivity once the window has passed; a frequent buyer
    with an unusually long gap gets a low P(alive) before the inactivity window
    flags him. ``bought_again`` shows which of the two was right in the holdout.
    """
    if not isinstance(labels, pd.Series):
        raise DataError("labels must be a pandas Series of churn flags indexed by customer id")
    if labels.index.has_duplicates:
        raise DataError("labels has duplicate customer ids; give one churn flag per customer")
    if labels.isna().any():
        raise DataError(f"labels has {int(labels.isna().sum())} missing value(s); every flag "
                        "must be True (churned) or False (active)")
    if not (labels.dtype == bool or set(pd.unique(labels)) <= {0, 1}):
        raise DataError("labels must be True (churned) / False (active), or 1 / 0")
    s = study.summary
    common = s.index.intersection(labels.index)
    if len(common) == 0:
        raise DataError("no customer id in labels is in the study; labels must be indexed by "
                        "the same customer ids as the transactions")
    churned = labels.loc[common].astype(bool).to_numpy()
    band = np.searchsorted([0.25, 0.5, 0.75], s.loc[common, "p_alive"].to_numpy(), side="right")
    rows = pd.Index(["churned", "active"], name="inactivity")
    row_code = np.where(churned, 0, 1)
    counts = np.zeros((2, 4), dtype=int)
    np.add.at(counts, (row_code, band), 1)
    blocks = {"customers": pd.DataFrame(counts, index=rows, columns=P_ALIVE_BANDS)}
    if "actual_purchases" in s.columns:
        again = np.zeros((2, 4))
        np.add.at(again, (row_code, band), (s.loc[common, "actual_purchases"] > 0).to_numpy())
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(counts > 0, again / np.maximum(counts, 1), np.nan)
        blocks["bought_again"] = pd.DataFrame(share, index=rows, columns=P_ALIVE_BANDS)
    out = pd.concat(blocks, axis=1, names=["measure", "p_alive"])
    out.attrs.update({"customers": int(len(common)),
                      "left_out_no_label": int(len(s.index.difference(labels.index))),
                      "left_out_not_in_study": int(len(labels.index.difference(s.index)))})
    return out


# =========================================================================== Gamma-Gamma

@dataclass
class GammaGammaResult:
    """A fitted Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, JMR).

    A customer's spend per transaction ``z ~ Gamma(shape p, rate nu)``, the same ``p``
    for everyone; ``nu ~ Gamma(shape q, rate gamma)`` across customers. So a
    customer's mean spend is ``p / nu`` and, across customers,
    E(M) = p gamma / (q - 1) (finite only when q > 1). Spend is assumed
    independent of the transaction process. ``n_customers`` is the number of
    repeat buyers the fit used (0 for a hand-made result); ``attempts`` what the
    optimiser tried (see :func:`_maximise`).
    """

    p: float
    q: float
    gamma: float
    loglik: float
    converged: bool
    attempts: list[str] = field(default_factory=list)
    n_customers: int = 0

    @property
    def mean_spend(self) -> float:
        """E(M) = p gamma / (q - 1): the population mean spend per transaction.

        The mean of the inverse-gamma ``1 / nu`` exists only for q > 1.
        """
        if not self.q > 1:
            raise DataError(f"the mean spend p*gamma/(q-1) is infinite for q <= 1 "
                            f"(fitted q = {self.q:.4g}): the spend distribution has too heavy "
                            "a tail for a finite mean")
        return self.p * self.gamma / (self.q - 1.0)

    def conditional_expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E(M | x, m_x): expected spend per future transaction of each customer.

        E(M | p, q, gamma, m_x, x) = (gamma + m_x x) p / (p x + q - 1)
            = (q - 1) / (p x + q - 1) * p gamma / (q - 1)  +  p x / (p x + q - 1) * m_x,

        a weighted average of the population mean and the customer's own
        average ``m_x`` over ``x`` transactions (Fader & Hardie 2013, "The
        Gamma-Gamma Model of Monetary Value", eq. 5). A customer with x = 0 gets
        the population mean :attr:`mean_spend` (their ``monetary_value`` is
        ignored and may be 0 or NaN).
        """
        x, m = _gamma_gamma_inputs(frequency, monetary_value)
        p, q, g = self.p, self.q, self.gamma
        buyers = x > 0
        out = np.empty_like(x)
        if (~buyers).any():
            out[~buyers] = self.mean_spend
        xb = x[buyers]
        if np.any(p * xb + q - 1.0 <= 0):
            raise DataError(f"the conditional expected spend needs p*x + q > 1 (p = {p:.4g}, "
                            f"q = {q:.4g}); it is infinite for these customers")
        out[buyers] = (g + m[buyers] * xb) * p / (p * xb + q - 1.0)
        return out


def _gamma_gamma_inputs(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
    """Validated (x, m_x) as float arrays; m_x is only checked where x > 0."""
    x = np.atleast_1d(np.asarray(frequency, dtype=float)).ravel()
    m = np.atleast_1d(np.asarray(monetary_value, dtype=float)).ravel()
    if len(x) != len(m) or len(x) == 0:
        raise DataError(f"frequency and monetary_value must be non-empty and of the same "
                        f"length (got {len(x)} and {len(m)})")
    if not np.all(np.isfinite(x)):
        raise DataError("frequency must be finite (no missing values)")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise DataError("frequency must be a non-negative whole number of repeat transactions")
    buyers = x > 0
    if not np.all(np.isfinite(m[buyers])):
        raise DataError(f"monetary_value is missing or infinite for "
                        f"{int((~np.isfinite(m[buyers])).sum())} repeat buyer(s); it must be "
                        "finite for every customer with frequency > 0")
    if np.any(m[buyers] <= 0):
        raise DataError(f"monetary_value is zero or negative for {int((m[buyers] <= 0).sum())} "
                        "repeat buyer(s); the Gamma-Gamma model needs a positive average spend "
                        "for every customer with frequency > 0")
    return x, m


def _gamma_gamma_loglik_terms(params, x, m) -> np.ndarray:
    """Per-customer log f(m_x | p, q, gamma; x), x > 0 (Fader & Hardie 2013, eq. 1-4).

    f(m_x) = G(p x + q) / (G(p x) G(q)) * gamma^q m_x^(p x - 1) x^(p x)
             / (gamma + m_x x)^(p x + q):

    the sum of x Gamma(p, nu) spends is Gamma(p x, nu), so m_x | nu ~ Gamma(p x, x nu);
    integrating nu over Gamma(q, gamma) gives this density of the average.
    """
    p, q, g = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def fit_gamma_gamma(frequency, monetary_value) -> GammaGammaResult:
    """Fit the Gamma-Gamma spend model by maximum likelihood on the repeat buyers.

    ``frequency`` x = number of repeat transactions, ``monetary_value`` m_x =
    their average spend (the published convention: the first purchase is left
    out of both). Only customers with x > 0 enter the likelihood; the others
    are skipped (their ``monetary_value`` may be 0 or NaN). Identical (x, m_x)
    rows are pooled. LL = sum_i log f(m_x,i | p, q, gamma; x_i), see
    :func:`_gamma_gamma_loglik_terms`.

    Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (and
    Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer
    Base Analysis", *Journal of Marketing Research* 42(4), 415-430): on the 946
    repeat buyers of the CDNOW cohort (weeks 1-39) they report p = 6.25,
    q = 3.74, gamma = 15.44.
    """
    x, m = _gamma_gamma_inputs(frequency, monetary_value)
    buyers = x > 0
    if not buyers.any():
        raise DataError("no customer has a repeat transaction (frequency > 0); the "
                        "Gamma-Gamma model is fitted on repeat buyers only")
    keys, counts = np.unique(np.column_stack([x[buyers], m[buyers]]), axis=0,
                             return_counts=True)
    ux, um = keys.T
    w = counts.astype(float)

    def negll(logp):
        ll = np.sum(w * _gamma_gamma_loglik_terms(np.exp(logp), ux, um))
        return -ll if np.isfinite(ll) else np.inf

    (p, q, g), ll, ok, tried = _maximise(negll, np.zeros(3))
    return GammaGammaResult(p=float(p), q=float(q), gamma=float(g), loglik=ll, converged=ok,
                            attempts=tried, n_customers=int(buyers.sum()))


def bgnbd_clv(bgnbd: BGNBDResult, gg: GammaGammaResult, frequency, recency, T,
              monetary_value, *, margin_rate: float, periods: int, period_length: float,
              discount_rate: float) -> np.ndarray:
    """Discounted residual CLV of non-contractual customers: BG/NBD x Gamma-Gamma.

    CLV_i = margin_rate * E(M_i) * sum_{k=1}^{periods}
                [E(X_i(k L)) - E(X_i((k-1) L))] / (1 + discount_rate)^k,

    where E(M_i) is :meth:`GammaGammaResult.conditional_expected_spend`,
    E(X_i(t)) = :meth:`BGNBDResult.expected_purchases` (t, x_i, t_x,i, T_i) the
    expected purchases in the next t time units, L = ``period_length`` in the
    BG/NBD time unit (e.g. 365.25 / 12 / 7 = 4.348 weeks a month) and
    ``discount_rate`` is per period (see :func:`per_period_discount`); purchases
    in period k are discounted as if made at its end. Multiplying the two
    expectations relies on the Gamma-Gamma assumption that spend is independent
    of the transaction process (Fader, Hardie & Lee 2005, JMR). The margin is a
    share of spend (``margin_rate = 1`` gives discounted expected revenue).

    ``frequency``, ``recency``, ``T`` as for :func:`fit_bgnbd`, ``monetary_value``
    as for :func:`fit_gamma_gamma`. Returns one value per customer.
    """
    for name, v in (("margin_rate", margin_rate), ("period_length", period_length),
                    ("discount_rate", discount_rate)):
        if not (isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v)):
            raise DataError(f"{name} must be a finite number, got {v!r}")
    if not 0 < margin_rate <= 1:
        raise DataError(f"margin_rate must be a share of spend in (0, 1], got {margin_rate!r}")
    if not period_length > 0:
        raise DataError(f"period_length must be > 0 time units, got {period_length!r}")
    if not discount_rate >= 0:
        raise DataError(f"discount_rate must be >= 0 per period, got {discount_rate!r}")
    if (isinstance(periods, bool) or not isinstance(periods, (int, np.integer))
            or periods < 1):
        raise DataError(f"periods must be a whole number >= 1, got {periods!r}")
    x, t_x, T_ = (np.atleast_1d(np.asarray(v, dtype=float)).ravel()
                  for v in (frequency, recency, T))
    if not (len(x) == len(t_x) == len(T_)):
        raise DataError("frequency, recency and T must be of the same length")
    if not (np.all(np.isfinite(t_x)) and np.all(np.isfinite(T_))):
        raise DataError("recency and T must be finite (no missing values)")
    if np.any(t_x < 0) or np.any(t_x > T_ + 1e-9):
        raise DataError("recency must be between 0 and T for every customer")
    spend = gg.conditional_expected_spend(x, monetary_value)  # also checks x and its length

    k = np.arange(int(periods) + 1, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        cum = bgnbd.expected_purchases(k * float(period_length), x, t_x, T_)  # (periods+1, n)
    cum[0] = 0.0  # E[X(0)] = 0 exactly
    if not np.all(np.isfinite(cum)):
        raise DataError("the BG/NBD expected purchases are not finite for some customers "
                        f"(a = {bgnbd.a:.4g}; the closed form needs a != 1)")
    per_period = np.diff(cum, axis=0)
    discount = (1.0 + float(discount_rate)) ** -k[1:]
    return margin_rate * spend * np.sum(per_period * discount, axis=0)
