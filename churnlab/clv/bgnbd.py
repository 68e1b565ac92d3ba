"""Non-contractual repeat buying: the BG/NBD model and its holdout check.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your Customers'
the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science*
24(2), 275-284. While alive a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)``; after every purchase they drop out with
probability ``p ~ Beta(a, b)``.

* :func:`rfm_summary` -- transactions to (frequency, recency, T) per customer;
* :func:`fit_bgnbd` -- the four parameters from (frequency, recency, T);
* :class:`BGNBDResult` -- P(alive), conditional and unconditional expected purchases;
* :func:`bgnbd_study` / :class:`BGNBDStudy` -- fit up to ``as_of``, P(alive) and
  expected purchases per customer, the holdout check after ``as_of`` (totals and
  FHL 2005 Figure 4 by calibration frequency, :func:`by_frequency`);
* :func:`alive_vs_inactivity` -- P(alive) bands against an inactivity churn flag.

Fits record what the optimiser tried in ``attempts`` (:func:`churnlab.clv.optimise.maximise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

from ..errors import DataError
from ..units import BGNBD_UNIT_DAYS as UNIT_DAYS
from .optimise import log_covariance, maximise


@dataclass
class BGNBDResult:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    ``lambda ~ Gamma(shape r, rate alpha)`` (purchases per time unit while alive),
    ``p ~ Beta(a, b)`` (drop-out probability after each purchase); ``attempts``
    what the optimiser tried (see :func:`churnlab.clv.optimise.maximise`);
    ``cov_log``: the covariance of log(r, alpha, a, b) from the inverse Hessian
    (:func:`churnlab.clv.optimise.log_covariance`), None if unavailable.
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    converged: bool
    attempts: list[str] = field(default_factory=list)
    cov_log: list | None = None

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

    (r, al, a, b), ll, ok, tried = maximise(negll, np.zeros(4))
    return BGNBDResult(r=float(r), alpha=float(al), a=float(a), b=float(b), loglik=ll,
                       converged=ok, attempts=tried,
                       cov_log=log_covariance(negll, np.log([r, al, a, b])))


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


#: Calibration-frequency groups of the FHL (2005) Figure 4 check.
FREQUENCY_GROUPS = ["0", "1", "2", "3", "4", "5", "6", "7+"]

#: P(alive) bands of :func:`alive_vs_inactivity` (lower edges 0.25, 0.5, 0.75).
P_ALIVE_BANDS = ["<0.25", "0.25-0.5", "0.5-0.75", ">=0.75"]


def _frequency_group(frequency: pd.Series) -> pd.Categorical:
    g = np.minimum(frequency.to_numpy(dtype=int), 7)
    return pd.Categorical.from_codes(g, categories=FREQUENCY_GROUPS)


def by_frequency(summary: pd.DataFrame, expected_col: str,
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
      :data:`churnlab.units.BGNBD_UNIT_DAYS`);
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
        by_freq = by_frequency(summary, "expected_holdout", "actual_purchases")
        predicted = float(summary["expected_holdout"].sum())
        actual = float(summary["actual_purchases"].sum())
    else:
        by_freq, predicted, actual = None, float(summary["expected_purchases"].sum()), float("nan")
    return BGNBDStudy(fit=fit, unit=unit, summary=summary, horizon=horizon,
                      holdout_days=holdout_days, by_frequency=by_freq, predicted_total=predicted,
                      actual_total=actual, new_after_as_of=new_after, as_of=cutoff)


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


def p_alive_note(mean_p_alive: float, churn_rate: float | None, *, a: float | None = None,
                 b: float | None = None, tolerance: float = 0.15) -> str | None:
    """Why the mean P(alive) and the churn rate of the definition disagree, in plain words; None
    when ``1 - mean_p_alive`` is within ``tolerance`` of ``churn_rate`` (or either is missing).

    They measure different things: the churn rate counts the customers the churn
    definition calls churned (e.g. no purchase within the inactivity window); P(alive)
    is the BG/NBD's probability that a customer has not dropped out for good, given
    their own purchase rhythm. A slow buyer's long gap is churn to the definition but
    an ordinary pause to the model; and when the fitted drop-out probability per
    purchase, ``a / (a + b)``, is tiny, P(alive) is near 100% for nearly everyone.
    """
    if mean_p_alive is None or churn_rate is None or not np.isfinite(mean_p_alive):
        return None
    if abs((1 - mean_p_alive) - churn_rate) <= tolerance:
        return None
    text = (f"mean P(alive) {mean_p_alive:.1%} beside {churn_rate:.0%} churned is not a contradiction: "
            "the churn rate counts customers the churn definition calls churned (e.g. no purchase "
            "within the inactivity window), while P(alive) is the BG/NBD's probability that a customer "
            "has not dropped out for good given their own purchase rhythm, so a slow buyer's long gap "
            "is churn to the definition but an ordinary pause to the model")
    if a is not None and b is not None and a + b > 0:
        text += f"; the fitted drop-out probability per purchase is only {a / (a + b):.2%}"
    return text + ". Count churners by the definition; use P(alive) to rank customers"
