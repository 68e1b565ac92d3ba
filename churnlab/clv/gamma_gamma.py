"""Spend per transaction (Gamma-Gamma) and the BG/NBD x Gamma-Gamma CLV.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis", *Journal of Marketing Research*
42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary
Value" (brucehardie.com/notes/025). Spend per transaction ``z ~ Gamma(p, nu)``,
``nu ~ Gamma(q, gamma)`` across customers.

* :func:`fit_gamma_gamma` / :class:`GammaGammaResult` -- fitted on the repeat
  buyers' (x, m_x); population mean spend and each customer's conditional
  expected spend;
* :func:`bgnbd_clv` -- discounted CLV over a horizon of periods, BG/NBD expected
  purchases x Gamma-Gamma expected spend x margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from ..errors import DataError
from .bgnbd import BGNBDResult
from .optimise import log_covariance, maximise


@dataclass
class GammaGammaResult:
    """A fitted Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, JMR).

    A customer's spend per transaction ``z ~ Gamma(shape p, rate nu)``, the same ``p``
    for everyone; ``nu ~ Gamma(shape q, rate gamma)`` across customers. So a
    customer's mean spend is ``p / nu`` and, across customers,
    E(M) = p gamma / (q - 1) (finite only when q > 1). Spend is assumed
    independent of the transaction process. ``n_customers`` is the number of
    repeat buyers the fit used (0 for a hand-made result); ``attempts`` what the
    optimiser tried (see :func:`churnlab.clv.optimise.maximise`); ``cov_log``: the
    covariance of log(p, q, gamma) from the inverse Hessian, None if unavailable.
    """

    p: float
    q: float
    gamma: float
    loglik: float
    converged: bool
    attempts: list[str] = field(default_factory=list)
    n_customers: int = 0
    cov_log: list | None = None

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

    (p, q, g), ll, ok, tried = maximise(negll, np.zeros(3))
    return GammaGammaResult(p=float(p), q=float(q), gamma=float(g), loglik=ll, converged=ok,
                            attempts=tried, n_customers=int(buyers.sum()),
                            cov_log=log_covariance(negll, np.log([p, q, g])))


def bgnbd_clv(bgnbd: BGNBDResult, gg: GammaGammaResult, frequency, recency, T,
              monetary_value, *, margin_rate: float, periods: int, period_length: float,
              discount_rate: float, spend_frequency=None) -> np.ndarray:
    """Discounted residual CLV of non-contractual customers: BG/NBD x Gamma-Gamma.

    CLV_i = margin_rate * E(M_i) * sum_{k=1}^{periods}
                [E(X_i(k L)) - E(X_i((k-1) L))] / (1 + discount_rate)^k,

    where E(M_i) is :meth:`GammaGammaResult.conditional_expected_spend`,
    E(X_i(t)) = :meth:`BGNBDResult.expected_purchases` (t, x_i, t_x,i, T_i) the
    expected purchases in the next t time units, L = ``period_length`` in the
    BG/NBD time unit (e.g. 365.25 / 12 / 7 = 4.348 weeks a month) and
    ``discount_rate`` is per period (see :func:`churnlab.clv.sbg.per_period_discount`); purchases
    in period k are discounted as if made at its end. Multiplying the two
    expectations relies on the Gamma-Gamma assumption that spend is independent
    of the transaction process (Fader, Hardie & Lee 2005, JMR). The margin is a
    share of spend (``margin_rate = 1`` gives discounted expected revenue).

    ``frequency``, ``recency``, ``T`` as for :func:`fit_bgnbd`, ``monetary_value``
    as for :func:`fit_gamma_gamma`. ``spend_frequency`` (default ``frequency``)
    is the number of repeat purchases whose spend E(M_i) conditions on: 0 for a
    customer without positive spend to learn from (e.g. free items only), who
    then gets the population mean p * gamma / (q - 1). Returns one value per
    customer.
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
    xs = x if spend_frequency is None else np.atleast_1d(np.asarray(spend_frequency, dtype=float)).ravel()
    spend = gg.conditional_expected_spend(xs, monetary_value)  # also checks xs and its length

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
