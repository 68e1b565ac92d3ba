"""Stage 4, customer value: what a customer is worth from today on (CLV).

Two settings (GUIDE §1.7; docs/glossary.md#clv: Gupta & Lehmann 2003, Fader & Hardie 2010):

* **Contractual** (telecom, software), :func:`contractual_clv`: the margin of a
  month, times the *discounted expected remaining lifetime* from the survival
  curves of notebook 03 (:class:`churnlab.survival.curves.SurvivalCurves`),
  conditional on the tenure the customer has reached::

      CLV_i = m * r_i * sum_{k=1..H} S_i(t_i + k) / S_i(t_i) / (1 + d)^k

  with ``r_i`` the customer's revenue per month, ``m`` the margin rate, ``d`` the
  monthly discount rate and ``H`` the horizon in months (a month's margin is
  earned at the end of each month the customer is still there). The sBG gives
  an independent cross-check of the expected discounted months
  (:func:`sbg_crosscheck`).
* **Non-contractual** (retail), :func:`purchase_clv`: BG/NBD expected purchases
  in each coming month times the Gamma-Gamma expected spend per purchase,
  discounted (Fader, Hardie & Lee 2005, "RFM and CLV").

Intervals per segment come from a **bootstrap over customers** (percentile
95% interval of the segment mean): the uncertainty of the average value of a
segment's customers given the model. The interval of the mean CLV of all
customers also includes the **parameter uncertainty** of the BG/NBD and
Gamma-Gamma fits (:meth:`PurchaseValue.mean_interval`), for contracts that of the
survival model's parameters (:meth:`ContractualValue.mean_interval`).
All money is in the params' currency; CLV is the value over the next
``horizon_months`` months.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .. import discount
from ..clv import BGNBDStudy, GammaGammaResult, bgnbd_clv, fit_gamma_gamma
from ..clv.optimise import parameter_draws
from ..errors import DataError
from ..survival.curves import SurvivalCurves
from ..units import MONTHS_PER_PERIOD, MONTHS_PER_UNIT, UNITS_PER_MONTH

#: Revenue-per-month columns tried in order when ``value.revenue_column`` is empty.
REVENUE_COLUMNS = ("monthly_charge_mean", "mrr_mean", "MonthlyCharges")


def revenue_column(analysis: pd.DataFrame, configured: str = "") -> str:
    """The analysis-table column holding revenue per month.

    ``configured`` (``value.revenue_column``) if set, else the first of
    :data:`REVENUE_COLUMNS` present. Raises :class:`DataError` naming the key.
    """
    if configured:
        if configured not in analysis:
            raise DataError(f"value.revenue_column: the analysis table has no column {configured!r}")
        col = configured
    else:
        col = next((c for c in REVENUE_COLUMNS if c in analysis), None)
        if col is None:
            raise DataError("value.revenue_column: no revenue-per-month column found (tried "
                            f"{', '.join(REVENUE_COLUMNS)}); name one in the params file")
    if not pd.api.types.is_numeric_dtype(analysis[col]):
        raise DataError(f"value.revenue_column: {col!r} must be numeric (revenue per month)")
    return col


def discount_factors(months: int, monthly_discount: float) -> np.ndarray:
    """1 / (1 + d)^k for k = 1..months (:func:`churnlab.discount.factors`)."""
    return discount.factors(months, monthly_discount)


@dataclass
class ContractualValue:
    """CLV of active customers from their survival curves.

    ``stay``: months x customers matrix of S(t + k) / S(t), k = 1..H (the chance
    of still being a customer k months from now); ``table``: customer_id,
    tenure (in the survival unit), tenure_months, revenue (per month), expected_months
    (discounted months still to come), clv. :meth:`recompute` applies another margin
    or discount rate without refitting (used by the sensitivity analysis).
    """

    table: pd.DataFrame
    stay: np.ndarray
    margin_rate: float
    monthly_discount: float
    #: draws x customers: expected discounted months under the survival model's parameter
    #: draws (:func:`churnlab.survival.curves.discounted_months_draws`), or None
    month_draws: np.ndarray | None = None
    model: str = "survival model"

    @property
    def clv(self) -> pd.Series:
        """CLV per active customer (index: customer_id)."""
        return self.table.set_index("customer_id")["clv"]

    def mean_interval(self, ids, *, n_boot: int = 200, seed: int = 0, level: float = 0.95,
                      resample_customers: bool = True) -> ValueInterval:
        """Interval of the mean CLV of customers ``ids`` that includes the uncertainty of the
        survival model's fitted parameters as well as of the customers.

        Draw ``d`` values customer j at m r_j E_dj, E_dj the discounted expected months
        under the d-th draw of the model's parameters from their asymptotic normal
        (inverse Hessian, "Krinsky-Robb" simulation, made in notebook 03), takes a bootstrap
        resample of the customers and their mean; the interval is the percentile range of
        these means. Without draws (the model had no covariance matrix) it is the customer
        bootstrap alone (:func:`customer_interval`), and the method says so.
        ``resample_customers=False`` keeps the customers fixed (the parameters' share alone).
        """
        ids = pd.Index(ids)
        if self.month_draws is None:
            return customer_interval(self.clv.reindex(ids), n_boot=n_boot, seed=seed, level=level)
        pos = pd.Index(self.table["customer_id"]).get_indexer(ids)
        if (pos < 0).any():
            raise DataError("CLV interval: some customers have no survival curve")
        rev = self.margin_rate * self.table["revenue"].to_numpy(float)[pos]
        values = self.month_draws[:, pos] * rev
        rng = np.random.default_rng(seed)
        n = len(ids)
        means = np.array([row[rng.integers(0, n, n)].mean() if resample_customers else row.mean()
                          for row in values])
        lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
        method = (f"{len(means)} draws of the {self.model} model's parameters (asymptotic normal, "
                  "inverse Hessian) with a bootstrap of the customers, percentile "
                  f"{level:.0%}")
        return ValueInterval(float(self.clv.reindex(ids).mean()), float(lo), float(hi), n, method, True)

    def recompute(self, *, margin_rate: float | None = None,
                  monthly_discount: float | None = None) -> pd.Series:
        """CLV per customer under another margin and/or monthly discount rate."""
        m = self.margin_rate if margin_rate is None else margin_rate
        d = self.monthly_discount if monthly_discount is None else monthly_discount
        months = discount_factors(self.stay.shape[0], d) @ self.stay
        return pd.Series(m * self.table["revenue"].to_numpy() * months,
                         index=self.table["customer_id"], name="clv")

    def retained_value(self, lead_months: int, *, margin_rate: float | None = None,
                       monthly_discount: float | None = None) -> pd.Series:
        """Value of each customer *if retained* through the next ``lead_months``: what a
        campaign that prevents their churn in that window gains.

        V_i = m r_i [sum_{k<=L} 1/(1+d)^k + sum_{k>L} S_i(t+k)/S_i(t+L) / (1+d)^k]: the
        customer pays for the L months for sure, and afterwards follows their survival
        curve from t+L on. The CLV instead weights those months by S_i(t+k)/S_i(t), which
        already includes the churn the offer is meant to prevent, so valuing a save at the
        CLV undervalues it most for the riskiest customers (Neslin et al. 2006, *JMR*
        43(2), on valuing retention campaigns). ``margin_rate`` / ``monthly_discount``
        override the value params (as in :meth:`recompute`).
        """
        L = int(min(max(lead_months, 0), self.stay.shape[0]))
        stay = self.stay
        if L > 0:
            base = self.stay[L - 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                after = np.where(base > 0, self.stay[L:] / base, 0.0)
            stay = np.vstack([np.ones((L, stay.shape[1])), after])
        m = self.margin_rate if margin_rate is None else margin_rate
        d = self.monthly_discount if monthly_discount is None else monthly_discount
        months = discount_factors(stay.shape[0], d) @ stay
        return pd.Series(m * self.table["revenue"].to_numpy() * months,
                         index=self.table["customer_id"], name="value_if_retained")


def contractual_clv(curves: SurvivalCurves, revenue: pd.Series, *, margin_rate: float,
                    monthly_discount: float, horizon_months: int) -> ContractualValue:
    """CLV of each active customer of the survival ``curves`` (see the module docstring).

    ``curves``: the conditional survival curves of notebook 03's best AFT model
    (:class:`churnlab.survival.curves.SurvivalCurves`, evaluated at whole months
    1..``horizon_months``); ``revenue``: revenue per month by customer id.
    Missing revenue counts as 0.
    """
    if not 0 < margin_rate <= 1:
        raise DataError(f"value.margin_rate: expected a share in (0, 1], got {margin_rate}")
    disc = discount_factors(int(horizon_months), monthly_discount)
    if len(curves.customer_id) == 0:
        raise DataError("no active customers to value (everyone has churned)")
    stay = curves.stay_months(int(horizon_months))
    rev = revenue.reindex(curves.customer_id).astype(float).fillna(0.0).to_numpy()
    expected = disc @ stay
    table = pd.DataFrame({"customer_id": curves.customer_id, "tenure": curves.tenure,
                          "tenure_months": curves.tenure * MONTHS_PER_UNIT[curves.unit],
                          "revenue": rev, "expected_months": expected,
                          "clv": margin_rate * rev * expected})
    same = (curves.value_basis is not None and curves.value_basis[0] == int(horizon_months)
            and np.isclose(curves.value_basis[1], monthly_discount, rtol=0, atol=1e-12))
    return ContractualValue(table, stay, margin_rate, monthly_discount,
                            curves.value_draws if same else None, curves.model)


@dataclass
class PurchaseValue:
    """CLV of shoppers (no contract) from the BG/NBD and the Gamma-Gamma models.

    ``bgnbd``: the BG/NBD study of notebook 03 (its ``fit`` and ``summary``
    frequency / recency / T); ``gamma_gamma``: the spend model fitted on the repeat
    buyers' average spend ``spend`` (:func:`repeat_spend`, NaN -> 0 for the others);
    ``clv``: CLV of every customer of the summary. :meth:`recompute` applies another
    margin or discount rate without refitting.
    """

    bgnbd: BGNBDStudy
    gamma_gamma: GammaGammaResult
    spend: pd.Series
    horizon_months: int
    margin_rate: float
    monthly_discount: float

    @cached_property
    def clv(self) -> pd.Series:
        """CLV per customer of the BG/NBD summary (index: customer_id)."""
        return self.recompute()

    def recompute(self, *, margin_rate: float | None = None,
                  monthly_discount: float | None = None, bgnbd_fit=None, gamma_gamma=None,
                  ids=None) -> pd.Series:
        """CLV per customer under another margin and/or monthly discount rate (or other
        fitted parameters, ``bgnbd_fit`` / ``gamma_gamma``, e.g. drawn ones), for all
        customers of the summary or those in ``ids``."""
        s = self.bgnbd.summary if ids is None else self.bgnbd.summary.loc[ids]
        clv = bgnbd_clv(bgnbd_fit or self.bgnbd.fit, gamma_gamma or self.gamma_gamma,
                        s["frequency"], s["recency"], s["T"],
                        self.spend.reindex(s.index).fillna(0.0),
                        spend_frequency=s["frequency"].where(self.spend.reindex(s.index) > 0, 0),
                        margin_rate=self.margin_rate if margin_rate is None else margin_rate,
                        periods=int(self.horizon_months),
                        period_length=UNITS_PER_MONTH[self.bgnbd.unit],
                        discount_rate=self.monthly_discount if monthly_discount is None
                        else monthly_discount)
        return pd.Series(clv, index=s.index, name="clv")


    def retained_value(self, lead_months: int = 0, *, margin_rate: float | None = None,
                       monthly_discount: float | None = None) -> pd.Series:
        """Value of each customer *if retained*: CLV_i / P(alive)_i. In the BG/NBD the
        expected purchases are P(alive) x those of a customer known to be alive
        (Fader, Hardie & Lee 2005, eq. 10), so this is the CLV of the same customer
        without the chance that they have already left. (``lead_months`` is not
        needed: a saved shopper is one who is still alive.) ``margin_rate`` /
        ``monthly_discount`` as in :meth:`recompute`."""
        clv = (self.clv if margin_rate is None and monthly_discount is None
               else self.recompute(margin_rate=margin_rate, monthly_discount=monthly_discount))
        p_alive = self.bgnbd.summary["p_alive"].reindex(clv.index)
        return (clv / p_alive.where(p_alive > 0)).fillna(0.0).rename("value_if_retained")

    def mean_interval(self, ids, *, n_draws: int = 200, seed: int = 0, level: float = 0.95,
                      resample_customers: bool = True) -> ValueInterval:
        """Interval of the mean CLV of customers ``ids`` that includes the uncertainty of
        the fitted BG/NBD and Gamma-Gamma parameters as well as of the customers.

        Each of ``n_draws`` draws takes both models' parameters from their estimates'
        asymptotic normal on the log scale (inverse Hessian,
        :func:`churnlab.clv.optimise.parameter_draws`; "Krinsky-Robb" simulation)
        and a bootstrap resample of the customers, and recomputes their mean CLV;
        the interval is the percentile range. Falls back to customers only (and
        says so) when a Hessian was not positive definite. ``resample_customers=False``
        keeps the customers fixed (the parameters' share of the uncertainty alone).
        """
        ids = pd.Index(ids)
        rng = np.random.default_rng(seed)
        base = self.clv.reindex(ids).to_numpy(float)
        fit, gg = self.bgnbd.fit, self.gamma_gamma
        have = fit.cov_log is not None and gg.cov_log is not None
        if have:
            bg_draws = parameter_draws([fit.r, fit.alpha, fit.a, fit.b], fit.cov_log, n_draws, seed)
            gg_draws = parameter_draws([gg.p, gg.q, gg.gamma], gg.cov_log, n_draws, seed + 1)
        means = np.empty(n_draws)
        for i in range(n_draws):
            values = base
            if have:
                r, al, a, b = bg_draws[i]
                p, q, g = gg_draws[i]
                values = self.recompute(
                    bgnbd_fit=dataclasses.replace(fit, r=r, alpha=al, a=a, b=b),
                    gamma_gamma=dataclasses.replace(gg, p=p, q=q, gamma=g), ids=ids).to_numpy()
            pick = rng.integers(0, len(ids), len(ids)) if resample_customers else slice(None)
            means[i] = values[pick].mean()
        lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
        method = (f"{n_draws} draws of the BG/NBD and Gamma-Gamma parameters (asymptotic normal, "
                  "inverse Hessian, log scale) with a bootstrap of the customers, percentile "
                  f"{level:.0%}") if have else (
                  f"bootstrap of the customers only, percentile {level:.0%} (a fit's Hessian was not "
                  "positive definite, so parameter uncertainty is not included)")
        return ValueInterval(float(base.mean()), float(lo), float(hi), len(ids), method, have)


@dataclass
class ValueInterval:
    """Mean CLV per customer with its interval and how the interval was made
    (``parameters``: whether it includes the models' parameter uncertainty)."""

    mean: float
    low: float
    high: float
    customers: int
    method: str
    parameters: bool


def customer_interval(clv: pd.Series, *, n_boot: int = 200, seed: int = 0,
                      level: float = 0.95) -> ValueInterval:
    """Interval of the mean CLV from a bootstrap of the customers only (:func:`clv_by_segment`
    over one segment); the model's parameters are held fixed, and the method says so."""
    row = clv_by_segment(clv, pd.Series("all", index=clv.index), n_boot=n_boot, seed=seed,
                         level=level).iloc[0]
    return ValueInterval(float(row["clv_mean"]), float(row["ci_low"]), float(row["ci_high"]),
                         int(row["customers"]),
                         f"bootstrap of the customers only, percentile {level:.0%} (the survival "
                         "model's parameters held fixed: their uncertainty is not included)", False)


def purchase_clv(bgnbd: BGNBDStudy, transactions: pd.DataFrame, *, as_of, margin_rate: float,
                 monthly_discount: float, horizon_months: int) -> PurchaseValue:
    """CLV of each customer of a BG/NBD study (see the module docstring).

    The Gamma-Gamma model is fitted on the average spend per repeat purchase day
    up to ``as_of`` (:func:`repeat_spend`) of the customers with frequency > 0
    and a positive average (the model describes positive spend, Fader, Hardie &
    Lee 2005; a repeat buyer of free items only is left out of the fit and valued
    at the population mean spend, see ``spend_frequency`` of
    :func:`churnlab.clv.bgnbd_clv`); CLV = :func:`churnlab.clv.bgnbd_clv` over ``horizon_months`` months of the
    BG/NBD unit, discounted monthly.
    """
    summ = bgnbd.summary
    spend = repeat_spend(transactions, as_of=as_of).reindex(summ.index)
    paid = (summ["frequency"] > 0) & (spend > 0)
    gg = fit_gamma_gamma(summ["frequency"].where(paid, 0), spend.where(paid))
    return PurchaseValue(bgnbd, gg, spend, int(horizon_months), margin_rate, monthly_discount)


def repeat_spend(transactions: pd.DataFrame, *, as_of, customer_col: str = "customer_id",
                 date_col: str = "date", amount_col: str = "amount") -> pd.Series:
    """Average spend per *repeat* purchase day up to ``as_of`` (the Gamma-Gamma input).

    Same-day purchases are summed into one transaction; the first purchase day
    is left out (the convention of the BG/NBD frequency). Customers without a
    repeat purchase get NaN.
    """
    for col in (customer_col, date_col, amount_col):
        if col not in transactions:
            raise DataError(f"transactions: expected a {col!r} column")
    df = transactions[[customer_col, date_col, amount_col]].copy()
    df["day"] = pd.to_datetime(df[date_col]).dt.normalize()
    df = df[df["day"] <= pd.Timestamp(as_of)]
    daily = df.groupby([customer_col, "day"], sort=True)[amount_col].sum().reset_index()
    first = daily.groupby(customer_col)["day"].transform("min")
    repeat = daily[daily["day"] > first]
    out = repeat.groupby(customer_col)[amount_col].mean()
    ids = daily[customer_col].unique()
    return out.reindex(ids).rename("monetary_value")


def clv_by_segment(clv: pd.Series, segment: pd.Series, *, n_boot: int = 200, seed: int = 0,
                   level: float = 0.95) -> pd.DataFrame:
    """Mean CLV per segment with a bootstrap percentile interval, plus totals.

    ``clv`` and ``segment`` share the customer index. For each segment,
    ``n_boot`` resamples of its customers (with replacement, seeded) give the
    distribution of the mean; the interval is its ``level`` percentile range.
    Columns: segment, customers, clv_mean, ci_low, ci_high, clv_total, share_of_value.
    """
    seg = segment.reindex(clv.index).astype("string").fillna("(missing)")
    rng = np.random.default_rng(seed)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for name, values in clv.groupby(seg, sort=True):
        v = values.to_numpy(dtype=float)
        boots = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
        rows.append({"segment": str(name), "customers": len(v), "clv_mean": float(v.mean()),
                     "ci_low": float(np.quantile(boots, lo_q)),
                     "ci_high": float(np.quantile(boots, hi_q)), "clv_total": float(v.sum())})
    out = pd.DataFrame(rows)
    out["share_of_value"] = out["clv_total"] / out["clv_total"].sum()
    return out.sort_values("clv_mean", ascending=False, ignore_index=True)


def sbg_crosscheck(fit, clv_table: pd.DataFrame, *, period: str, monthly_discount: float,
                   horizon_months: int, n_periods: int = 1) -> pd.DataFrame:
    """Expected discounted months still to come for a customer ``n_periods`` sBG periods in,
    from the sBG and from the survival model.

    sBG: months_per_period x sum_{j=1..K} S(n + j) / S(n) / (1 + d_p)^j with K the
    horizon in periods and d_p the period discount rate; survival model: the mean
    ``expected_months`` of :func:`contractual_clv` over customers whose tenure
    falls in that period. Two independent models should roughly agree.
    """
    months_per = MONTHS_PER_PERIOD[period]
    k = max(1, int(horizon_months) // months_per)
    d_p = discount.period_rate(monthly_discount, months_per)
    s = fit.survival(np.arange(n_periods, n_periods + k + 1))
    sbg_months = months_per * float(np.sum(s[1:] / s[0] * (1.0 + d_p) ** -np.arange(1, k + 1)))
    t = clv_table["tenure_months"]
    near = clv_table[(t >= n_periods * months_per) & (t < (n_periods + 1) * months_per)]
    return pd.DataFrame([
        {"model": f"sBG (acquisition cohorts, by {period})", "customers": np.nan,
         "expected_months": sbg_months},
        {"model": "survival model (AFT, with covariates)", "customers": len(near),
         "expected_months": float(near["expected_months"].mean()) if len(near) else np.nan}])
