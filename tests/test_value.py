"""Customer value: hand-computed CLV, discounting, bootstrap intervals, sBG cross-check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.economics import value
from churnlab.errors import DataError
from churnlab.clv import fit_sbg
from churnlab.survival.curves import SurvivalCurves
from churnlab.units import MONTHS_PER_UNIT


def _curves(q: float, months: int, unit: str = "month") -> SurvivalCurves:
    """Survival curves of a constant monthly retention q for customers a and b
    (active; c has churned and has no curve): S(t + u) / S(t) = q^u months."""
    times = np.arange(0, months + 1, dtype=float) / MONTHS_PER_UNIT[unit]
    S = np.repeat((q ** (times * MONTHS_PER_UNIT[unit]))[:, None], 2, axis=1)
    return SurvivalCurves("Geometric", unit, np.array(["a", "b"]), np.array([5.0, 12.0]), times, S, 60.0)


REVENUE = pd.Series({"a": 100.0, "b": 50.0, "c": 80.0})


def test_contractual_clv_is_margin_times_discounted_expected_months():
    res = value.contractual_clv(_curves(0.9, 3), REVENUE, margin_rate=0.4, monthly_discount=0.01,
                                horizon_months=3)
    # by hand: sum_k 0.9^k / 1.01^k for k = 1..3
    months = sum((0.9 / 1.01) ** k for k in (1, 2, 3))
    t = res.table.set_index("customer_id")
    assert list(t.index) == ["a", "b"]  # the churned customer is not valued
    assert t.loc["a", "expected_months"] == pytest.approx(months)
    assert t.loc["a", "clv"] == pytest.approx(0.4 * 100 * months)
    assert t.loc["b", "clv"] == pytest.approx(0.4 * 50 * months)
    assert res.clv["b"] == t.loc["b", "clv"]
    # recompute with another margin and no discounting
    again = res.recompute(margin_rate=0.5, monthly_discount=0.0)
    assert again["a"] == pytest.approx(0.5 * 100 * (0.9 + 0.81 + 0.729))


def test_contractual_clv_in_weeks_and_missing_revenue():
    res = value.contractual_clv(_curves(0.9, 2, unit="week"), REVENUE.drop("b"), margin_rate=1.0,
                                monthly_discount=0.0, horizon_months=2)
    t = res.table.set_index("customer_id")
    assert t.loc["a", "tenure_months"] == pytest.approx(5 * 7 / (365.25 / 12))
    assert t.loc["a", "clv"] == pytest.approx(100 * (0.9 + 0.81)) and t.loc["b", "clv"] == 0.0


def test_contractual_clv_needs_the_months_on_the_curves():
    with pytest.raises(DataError, match="grid"):
        value.contractual_clv(_curves(0.9, 3), REVENUE, margin_rate=0.4, monthly_discount=0.01,
                              horizon_months=6)


def test_geometric_clv_converges_to_the_closed_form():
    # infinite horizon: sum_k (q / (1 + d))^k = q / (1 + d - q)
    res = value.contractual_clv(_curves(0.95, 600), REVENUE, margin_rate=1.0, monthly_discount=0.01,
                                horizon_months=600)
    assert res.table["expected_months"].iloc[0] == pytest.approx(0.95 / (1.01 - 0.95), rel=1e-6)


def test_value_errors_name_the_key():
    with pytest.raises(DataError, match="margin_rate"):
        value.contractual_clv(_curves(0.9, 3), REVENUE, margin_rate=-0.1, monthly_discount=0.01,
                              horizon_months=3)
    with pytest.raises(DataError, match="horizon_months"):
        value.discount_factors(0, 0.01)
    with pytest.raises(DataError, match="discount_rate"):
        value.discount_factors(3, 1.0)
    st = pd.DataFrame({"customer_id": ["a"], "monthly_charge_mean": [1.0]})
    with pytest.raises(DataError, match="revenue_column"):
        value.revenue_column(st.drop(columns="monthly_charge_mean"))
    assert value.revenue_column(st) == "monthly_charge_mean"


def test_repeat_spend_skips_the_first_day_and_sums_same_day_purchases():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-05", "2024-02-01",
                                               "2024-01-03"]),
                       "amount": [10.0, 20.0, 5.0, 15.0, 7.0]})
    m = value.repeat_spend(tx, as_of="2024-12-31")
    assert m["a"] == pytest.approx((25 + 15) / 2) and np.isnan(m["b"])
    # as_of cuts the later purchase
    assert value.repeat_spend(tx, as_of="2024-01-10")["a"] == pytest.approx(25)


def test_clv_by_segment_bootstrap_interval_covers_the_mean():
    rng = np.random.default_rng(0)
    clv = pd.Series(rng.gamma(2, 100, 600), index=[f"c{i}" for i in range(600)])
    seg = pd.Series(np.where(np.arange(600) < 200, "small", "big"), index=clv.index)
    out = value.clv_by_segment(clv, seg, n_boot=400, seed=1).set_index("segment")
    for s in ("small", "big"):
        v = clv[seg == s]
        assert out.loc[s, "ci_low"] < v.mean() < out.loc[s, "ci_high"]
        # the percentile interval is about +-1.96 standard errors
        se = v.std(ddof=1) / np.sqrt(len(v))
        assert out.loc[s, "ci_high"] - out.loc[s, "ci_low"] == pytest.approx(2 * 1.96 * se, rel=0.2)
    assert out["share_of_value"].sum() == pytest.approx(1.0)
    assert out.loc["big", "customers"] == 400


def test_sbg_crosscheck_matches_a_hand_sum():
    fit = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])  # Fader & Hardie (2007), regular
    table = pd.DataFrame({"tenure_months": [12.0, 13.0, 40.0], "expected_months": [20.0, 22.0, 5.0]})
    out = value.sbg_crosscheck(fit, table, period="year", monthly_discount=0.0, horizon_months=36)
    s = fit.survival(np.arange(1, 5))
    assert out.loc[0, "expected_months"] == pytest.approx(12 * (s[1:] / s[0]).sum())
    assert out.loc[1, "expected_months"] == pytest.approx(21.0) and out.loc[1, "customers"] == 2


def _shoppers(n, *, seed, life, rate, spread, end) -> pd.DataFrame:
    """Purchase lines: Poisson purchases at a gamma-distributed rate (mean 2 / ``rate`` a day)
    until an exponential lifetime (mean ``life`` days), first purchases spread over ``spread``
    days from 2023-01-01, nothing after day ``end``; gamma amounts."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        first = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, spread)))
        lifetime, lam, t, days = rng.exponential(life), rng.gamma(2, 1 / rate), 0.0, [first]
        while (t := t + rng.exponential(1 / lam)) < min(lifetime, end):
            days.append(first + pd.Timedelta(days=int(t)))
        rows += [{"customer_id": f"c{i}", "date": d, "amount": float(rng.gamma(4, 10))} for d in days]
    return pd.DataFrame(rows)


def test_purchase_clv_is_the_bgnbd_times_gamma_gamma_value():
    from churnlab.clv import bgnbd_clv, bgnbd_study

    tx = _shoppers(300, seed=0, life=400, rate=40, spread=90, end=700)
    bg = bgnbd_study(tx[["customer_id", "date"]], as_of="2024-12-31", unit="W")
    res = value.purchase_clv(bg, tx, as_of="2024-12-31", margin_rate=0.3, monthly_discount=0.01,
                             horizon_months=12)
    s = bg.summary
    spend = value.repeat_spend(tx, as_of="2024-12-31").reindex(s.index)
    expected = bgnbd_clv(bg.fit, res.gamma_gamma, s["frequency"], s["recency"], s["T"], spend.fillna(0.0),
                         margin_rate=0.3, periods=12, period_length=365.25 / 12 / 7, discount_rate=0.01)
    assert np.allclose(res.clv.to_numpy(), expected) and list(res.clv.index) == list(s.index)
    assert res.gamma_gamma.n_customers == int((s["frequency"] > 0).sum())
    # the margin scales the value; no discounting raises it
    assert np.allclose(res.recompute(margin_rate=0.6).to_numpy(), 2 * expected)
    assert (res.recompute(monthly_discount=0.0) >= res.clv - 1e-12).all()
    # a repeat buyer of free items only stays out of the Gamma-Gamma fit (it models positive spend)
    free = tx["customer_id"] == s.index[(s["frequency"] > 0).to_numpy()][0]
    res0 = value.purchase_clv(bg, tx.assign(amount=tx["amount"].where(~free, 0.0)), as_of="2024-12-31",
                              margin_rate=0.3, monthly_discount=0.01, horizon_months=12)
    assert res0.gamma_gamma.n_customers == res.gamma_gamma.n_customers - 1
    assert np.isfinite(res0.clv).all()


def _bgnbd_sample(n, seed, r=0.5, alpha=5.0, a=0.8, b=2.5, T=52.0):
    """Customers from the BG/NBD itself (weeks): gamma purchase rates, beta drop-out after
    each purchase, all observed for T weeks since their first purchase."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i], tx[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
    return x, tx, np.full(n, T)


def test_bgnbd_hessian_intervals_cover_the_true_parameters():
    """The inverse Hessian gives standard errors of the right size: across simulated data
    sets the 95% intervals of log r, log alpha, log a, log b cover the truth about 95% of
    the time (here at least 17 of 20 for each)."""
    from churnlab.clv import fit_bgnbd

    truth = np.log([0.5, 5.0, 0.8, 2.5])
    hits = np.zeros(4)
    for seed in range(20):
        x, tx, T = _bgnbd_sample(1500, seed)
        f = fit_bgnbd(x, tx, T)
        se = np.sqrt(np.diag(f.cov_log))
        est = np.log([f.r, f.alpha, f.a, f.b])
        hits += np.abs(est - truth) < 1.96 * se
    assert (hits >= 17).all(), hits


def test_purchase_clv_interval_includes_parameter_uncertainty():
    from churnlab.clv import bgnbd_study

    tx = _shoppers(400, seed=1, life=300, rate=30, spread=60, end=650)
    bg = bgnbd_study(tx[["customer_id", "date"]], as_of="2024-12-31", unit="W")
    res = value.purchase_clv(bg, tx, as_of="2024-12-31", margin_rate=0.3, monthly_discount=0.01,
                             horizon_months=12)
    ids = res.clv.index
    both = res.mean_interval(ids, n_draws=400, seed=2)
    params = res.mean_interval(ids, n_draws=400, seed=3, resample_customers=False)
    customers = value.customer_interval(res.clv, n_boot=400, seed=2)
    assert both.parameters and not customers.parameters and "Hessian" in both.method
    assert both.mean == pytest.approx(res.clv.mean()) == pytest.approx(customers.mean)
    assert both.low < both.mean < both.high
    # the two sources are independent, so their variances add (widths squared, within Monte Carlo error)
    w = {k: i.high - i.low for k, i in (("both", both), ("params", params), ("customers", customers))}
    assert w["params"] > 0.2 * w["customers"]
    assert w["both"] ** 2 == pytest.approx(w["params"] ** 2 + w["customers"] ** 2, rel=0.3)
    # the same seed gives the same interval
    assert res.mean_interval(ids, n_draws=400, seed=2) == both


class _Columns:
    """The smallest design: the model's columns as they are."""

    def __init__(self, cols):
        self.cols = cols

    def transform(self, df):
        return df[self.cols]


def _weibull_base(n, seed, *, rho=1.3, b0=3.0, b1=0.5):
    """Customers with Weibull lifetimes (months), scale exp(b0 + b1 x), censored uniformly."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    T = np.exp(b0 + b1 * x) * rng.weibull(rho, n)
    C = rng.uniform(6, 48, n)
    return pd.DataFrame({"customer_id": np.arange(n).astype(str), "duration": np.minimum(T, C),
                         "event": (T <= C).astype(int), "x": x})


def _weibull_months(st, months, d, *, rho=1.3, b0=3.0, b1=0.5):
    """True expected discounted months of the active rows of ``st`` (closed form)."""
    a = st[st["event"] == 0]
    lam = np.exp(b0 + b1 * a["x"].to_numpy())[None, :]
    t = a["duration"].to_numpy()[None, :]
    k = np.arange(1, months + 1)[:, None]
    S = np.exp(-((t + k) / lam) ** rho) / np.exp(-(t / lam) ** rho)
    return (S / (1 + d) ** k).sum(0)


def _weibull_fit(st):
    from lifelines import WeibullAFTFitter
    return WeibullAFTFitter().fit(st[["duration", "event", "x"]], "duration", "event")


def test_survival_value_draws_at_the_estimate_give_the_clv_months():
    """With the covariance set to zero every draw is the point estimate, and the discounted
    months equal those of contractual_clv on the model's own survival curves."""
    from churnlab.survival.curves import discounted_months_draws, survival_curves

    st = _weibull_base(600, 0)
    model, design = _weibull_fit(st), _Columns(["x"])
    model.variance_matrix_ = model.variance_matrix_ * 0.0
    E = discounted_months_draws(model, design, st, unit="month", months=24,
                                monthly_discount=0.01, n_draws=3, seed=0)
    curves = survival_curves(model, design, st, name="Weibull", unit="month",
                             times=np.arange(1, 25, dtype=float), cap=24)
    val = value.contractual_clv(curves, pd.Series(1.0, index=curves.customer_id), margin_rate=1.0,
                                monthly_discount=0.01, horizon_months=24)
    for row in E:
        np.testing.assert_allclose(row, val.table["expected_months"], rtol=1e-10)


def test_survival_value_draws_cover_the_true_mean_months():
    """Known answer: across simulated Weibull bases, the parameter-draw 95% interval of the
    active customers' mean discounted months covers its true value (closed form at the
    planted parameters) about 95% of the time (here at least 16 of 20), and is not
    degenerate."""
    from churnlab.survival.curves import discounted_months_draws

    hits, widths = 0, []
    for seed in range(20):
        st = _weibull_base(500, seed)
        E = discounted_months_draws(_weibull_fit(st), _Columns(["x"]), st, unit="month", months=24,
                                    monthly_discount=0.01, n_draws=100, seed=seed)
        lo, hi = np.quantile(E.mean(1), [0.025, 0.975])
        truth = _weibull_months(st, 24, 0.01).mean()
        hits += lo <= truth <= hi
        widths.append(hi - lo)
    assert hits >= 16, hits
    assert 0.05 < np.median(widths) < 3, widths


def test_contractual_clv_interval_includes_parameter_uncertainty():
    """The contract CLV interval combines the model's parameter draws with a customer
    bootstrap (widths add in quadrature, within Monte Carlo error), says so, and falls back
    to the customer bootstrap, saying that, when the curves carry no draws or were drawn for
    another discount."""
    from churnlab.survival.curves import discounted_months_draws, survival_curves

    st = _weibull_base(400, 3)
    model, design = _weibull_fit(st), _Columns(["x"])
    curves = survival_curves(model, design, st, name="Weibull", unit="month",
                             times=np.arange(1, 13, dtype=float), cap=12)
    curves.value_draws = discounted_months_draws(model, design, st, unit="month", months=12,
                                                 monthly_discount=0.01, n_draws=400, seed=1)
    curves.value_basis = (12, 0.01)
    rev = pd.Series(np.linspace(20, 80, len(curves.customer_id)), index=curves.customer_id)
    val = value.contractual_clv(curves, rev, margin_rate=0.5, monthly_discount=0.01, horizon_months=12)
    ids = val.clv.index
    both = val.mean_interval(ids, seed=2)
    params = val.mean_interval(ids, seed=2, resample_customers=False)
    customers = value.customer_interval(val.clv, n_boot=400, seed=2)
    assert both.parameters and "Weibull" in both.method and "Hessian" in both.method
    assert both.low < both.mean < both.high and both.mean == pytest.approx(val.clv.mean())
    w = {k: i.high - i.low for k, i in (("both", both), ("params", params), ("customers", customers))}
    assert w["both"] ** 2 == pytest.approx(w["params"] ** 2 + w["customers"] ** 2, rel=0.35)
    other = value.contractual_clv(curves, rev, margin_rate=0.5, monthly_discount=0.02, horizon_months=12)
    fallback = other.mean_interval(other.clv.index, seed=2)
    assert not fallback.parameters and "customers only" in fallback.method


def test_survival_curves_frame_keeps_the_value_draws():
    from churnlab.survival.curves import SurvivalCurves

    c = _curves(0.1, 6)
    c.value_draws, c.value_basis = np.arange(12.0).reshape(3, 4)[:, : len(c.customer_id)], (6, 0.01)
    back = SurvivalCurves.from_frame(c.to_frame(), model=c.model, unit=c.unit, cap=c.cap,
                                     value_basis=list(c.value_basis))
    np.testing.assert_array_equal(back.value_draws, c.value_draws)
    assert back.value_basis == (6, 0.01)
