"""Tests of churnlab.clv.gamma_gamma against Fader & Hardie (2013) and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from churnlab.errors import DataError
from churnlab.clv import (BGNBDResult, GammaGammaResult, bgnbd_clv, fit_gamma_gamma)

DATA = Path(__file__).parent / "data"

# --------------------------------------------------------------------------- Gamma-Gamma

CDNOW_CAL_END = pd.Timestamp("1997-09-30")  # 39 weeks from 1 January 1997


@pytest.fixture(scope="module")
def cdnow_money() -> pd.DataFrame:
    """lifetimes' CDNOW summary: ID, x, t_x, T (weeks) and zbar (m_x, rounded to cents)."""
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def cdnow_unrounded(cdnow_money) -> pd.DataFrame:
    """(x, m_x) per customer from the raw CDNOW 1/10th sample, m_x not rounded.

    Hardie's RFM convention: purchases on the same day are one transaction (their
    values summed); the first day is dropped; calibration = 1997-01-01..1997-09-30.
    """
    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "ID", "date", "cds", "value"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    cal = raw[raw["date"] <= CDNOW_CAL_END].groupby(["ID", "date"], as_index=False)["value"].sum()
    repeat = cal[cal["date"] > cal.groupby("ID")["date"].transform("min")]
    g = repeat.groupby("ID")["value"]
    ids = cdnow_money["ID"]
    return pd.DataFrame({"x": g.size().reindex(ids, fill_value=0).to_numpy(),
                         "m_x": g.mean().reindex(ids, fill_value=0.0).to_numpy()}, index=ids)


def test_gamma_gamma_reproduces_fader_hardie_2013(cdnow_money, cdnow_unrounded):
    u = cdnow_unrounded
    # the derivation agrees with lifetimes' published summary (which rounds m_x to cents)
    np.testing.assert_array_equal(u["x"], cdnow_money["x"])
    np.testing.assert_allclose(u["m_x"], cdnow_money["zbar"], atol=0.005 + 1e-9)
    fit = fit_gamma_gamma(u["x"], u["m_x"])
    assert isinstance(fit, GammaGammaResult) and fit.converged
    assert fit.n_customers == 946
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p, q, gamma.
    assert round(fit.p, 2) == 6.25
    assert round(fit.q, 2) == 3.74
    assert round(fit.gamma, 2) == 15.44
    # the maximum reached here; CLVTools' test of the same fit expects -4055.9177
    assert fit.loglik == pytest.approx(-4055.9177, abs=1e-3)
    assert fit.mean_spend == pytest.approx(fit.p * fit.gamma / (fit.q - 1))
    # E(M) at this fit (not a published figure; 35.22 at the rounded 6.25, 3.74, 15.44);
    # the 946 observed m_x average 35.08
    assert round(fit.mean_spend, 2) == 35.17
    assert u.loc[u["x"] > 0, "m_x"].mean() == pytest.approx(35.08, abs=0.005)


def test_gamma_gamma_on_the_rounded_lifetimes_summary(cdnow_money):
    d = cdnow_money
    fit = fit_gamma_gamma(d["x"], d["zbar"])
    assert fit.converged and fit.n_customers == 946
    # m_x rounded to cents moves gamma along a flat ridge of the likelihood: 15.45, as in
    # the lifetimes documentation ("p: 6.25, q: 3.74, v: 15.45"), not the published 15.44
    assert (round(fit.p, 2), round(fit.q, 2), round(fit.gamma, 2)) == (6.25, 3.74, 15.45)
    # customer 1: x = 2, m_x = 22.35 -> (gamma + 2 * 22.35) p / (2 p + q - 1)
    x, m = 2, 22.35
    assert d.loc[0, "x"] == x and d.loc[0, "zbar"] == m
    hand = (fit.gamma + m * x) * fit.p / (fit.p * x + fit.q - 1)
    got = fit.conditional_expected_spend(d["x"], d["zbar"])
    assert got[0] == pytest.approx(hand, rel=1e-12)
    assert got[0] == pytest.approx(24.6586, abs=1e-3)  # lifetimes docs: 24.658619
    # a weighted average of the population mean and the customer's own mean
    w = fit.p * x / (fit.p * x + fit.q - 1)
    assert got[0] == pytest.approx((1 - w) * fit.mean_spend + w * m, rel=1e-12)
    # no repeat purchase: the population mean, whatever monetary_value says
    zero = (d["x"] == 0).to_numpy()
    np.testing.assert_allclose(got[zero], fit.mean_spend, rtol=1e-12)
    assert fit.conditional_expected_spend([0, 0], [0.0, np.nan]) == pytest.approx(
        [fit.mean_spend] * 2)
    # more transactions pull the estimate towards the customer's own average
    e = fit.conditional_expected_spend([1, 5, 50], [100.0] * 3)
    assert np.all(np.diff(e) > 0) and e[-1] < 100


def test_gamma_gamma_bad_input():
    with pytest.raises(DataError, match="no customer has a repeat transaction"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(DataError, match="zero or negative for 2 repeat buyer"):
        fit_gamma_gamma([1, 2, 3], [10.0, 0.0, -5.0])
    with pytest.raises(DataError, match="same length"):
        fit_gamma_gamma([1, 2, 3], [10.0, 12.0])
    with pytest.raises(DataError, match="missing or infinite for 1 repeat buyer"):
        fit_gamma_gamma([1, 2], [10.0, np.nan])
    with pytest.raises(DataError, match="frequency must be finite"):
        fit_gamma_gamma([1, np.inf], [10.0, 12.0])
    with pytest.raises(DataError, match="non-negative whole number"):
        fit_gamma_gamma([1, 1.5], [10.0, 12.0])
    heavy = GammaGammaResult(p=2.0, q=0.8, gamma=10.0, loglik=0.0, converged=True)
    with pytest.raises(DataError, match="q <= 1"):
        heavy.mean_spend
    with pytest.raises(DataError, match="q <= 1"):
        heavy.conditional_expected_spend([0], [0.0])
    assert heavy.conditional_expected_spend([3], [20.0])[0] == pytest.approx(
        (10 + 60) * 2 / (6 + 0.8 - 1))


# ----------------------------------------------------------------- BG/NBD x Gamma-Gamma CLV

# FHL (2005) BG/NBD and Fader & Hardie (2013) Gamma-Gamma estimates for CDNOW, by hand
BG = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, loglik=0.0, converged=True)
GG = GammaGammaResult(p=6.25, q=3.74, gamma=15.44, loglik=0.0, converged=True)


def _hand_expected_purchases(t, x, t_x, T):
    """FHL (2005) eq. (10), written out again for the test."""
    r, al, a, b = BG.r, BG.alpha, BG.a, BG.b
    core = (a + b + x - 1) / (a - 1) * (
        1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1,
                                                           t / (al + T + t)))
    odds = a / (b + x - 1) * ((al + T) / (al + t_x)) ** (r + x) if x > 0 else 0.0
    return core / (1 + odds)


def test_bgnbd_clv_by_hand():
    x, t_x, T, m = [2, 0], [30.43, 0.0], [38.86, 32.0], [22.35, 0.0]
    L, d, margin = 4.345, 0.01, 0.3
    got = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=margin, periods=3, period_length=L,
                    discount_rate=d)
    spend = [(15.44 + 2 * 22.35) * 6.25 / (2 * 6.25 + 3.74 - 1), 6.25 * 15.44 / (3.74 - 1)]
    for i in range(2):
        e = [_hand_expected_purchases(k * L, x[i], t_x[i], T[i]) for k in (1, 2, 3)]
        hand = margin * spend[i] * (e[0] / 1.01 + (e[1] - e[0]) / 1.01 ** 2
                                    + (e[2] - e[1]) / 1.01 ** 3)
        assert got[i] == pytest.approx(hand, rel=1e-10)
    # no discounting, one period: margin * E(M) * E[X(L)]
    one = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=margin, periods=1, period_length=L,
                    discount_rate=0.0)
    expected = [margin * spend[i] * _hand_expected_purchases(L, x[i], t_x[i], T[i])
                for i in range(2)]
    np.testing.assert_allclose(one, expected, rtol=1e-10)
    # and without discounting the periods add up to E[X(periods * L)]
    flat = bgnbd_clv(BG, GG, x, t_x, T, m, margin_rate=1.0, periods=12, period_length=L,
                     discount_rate=0.0)
    np.testing.assert_allclose(flat, GG.conditional_expected_spend(x, m)
                               * BG.expected_purchases(12 * L, x, t_x, T), rtol=1e-10)


def test_bgnbd_clv_on_cdnow(cdnow_money):
    d = cdnow_money
    args = (BG, GG, d["x"], d["t_x"], d["T"], d["zbar"])
    kw = dict(margin_rate=0.3, period_length=365.25 / 12 / 7, discount_rate=0.01)
    year = bgnbd_clv(*args, periods=12, **kw)
    assert year.shape == (len(d),) and np.all(year > 0)
    assert np.all(bgnbd_clv(*args, periods=24, **kw) > year)          # longer horizon
    assert np.all(bgnbd_clv(*args, periods=12, **{**kw, "discount_rate": 0.02}) < year)
    # frequent, recent buyers are worth more than one-off buyers
    assert year[(d["x"] >= 5).to_numpy()].mean() > 5 * year[(d["x"] == 0).to_numpy()].mean()


def test_bgnbd_clv_bad_input():
    ok = dict(margin_rate=0.3, periods=12, period_length=4.345, discount_rate=0.01)
    data = ([1, 0], [5.0, 0.0], [30.0, 20.0], [12.0, 0.0])
    for bad, match in [({"margin_rate": 0.0}, "margin_rate"),
                       ({"margin_rate": 1.5}, "margin_rate"),
                       ({"periods": 0}, "periods"), ({"periods": 2.5}, "periods"),
                       ({"period_length": -1.0}, "period_length"),
                       ({"discount_rate": -0.1}, "discount_rate"),
                       ({"discount_rate": float("nan")}, "discount_rate")]:
        with pytest.raises(DataError, match=match):
            bgnbd_clv(BG, GG, *data, **{**ok, **bad})
    with pytest.raises(DataError, match="recency must be between 0 and T"):
        bgnbd_clv(BG, GG, [1, 0], [40.0, 0.0], [30.0, 20.0], [12.0, 0.0], **ok)
    with pytest.raises(DataError, match="same length"):
        bgnbd_clv(BG, GG, [1, 0], [5.0], [30.0, 20.0], [12.0, 0.0], **ok)
    with pytest.raises(DataError, match="zero or negative"):
        bgnbd_clv(BG, GG, [1, 0], [5.0, 0.0], [30.0, 20.0], [0.0, 0.0], **ok)
