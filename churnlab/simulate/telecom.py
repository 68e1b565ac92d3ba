"""Telecom (contractual, customer ids ``T0000001``...): params, one block of customers, ground truth.

Monthly churn hazard that is low inside a one-/two-year contract and **spikes
in the month a contract term ends** [telecom churn is
contract-bound and spikes when contracts end; docs/glossary.md#churn-definitions]; contracts auto-renew on the
same term. Month-to-month customers have a much higher baseline that declines
with tenure. The hazard is multiplied by ``exp(beta . x)`` with a price rise
(5-25% at some month), dropped calls (network quality, by region),
complaints, unresolved complaints and slow responses. A small share churns
involuntarily (non-payment).

:func:`block` reads :data:`TELECOM` when it is called (tests may replace it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import (
    BOOL, CUST, Contracts, DATE, Desk, FLOAT, INT, INTERACTION_COLS, REGIONS, Rows,
    ServiceHistory, Timeline, add_contacts, draw_contacts, driver, signups, uniform_day,
)

_PLANS_T = ("month_to_month", "one_year", "two_year")
_PAYMENT = ("electronic_check", "credit_card", "bank_transfer", "mailed_check")


@dataclass(frozen=True)
class TelecomParams:
    """The planted numbers of the telecom scenario (rates are per month, ``b_*`` log-hazard ratios)."""

    pre_window_share: float = 0.5
    plan_p_new: tuple = (0.55, 0.25, 0.20)
    plan_p_existing: tuple = (0.35, 0.30, 0.35)
    term_months: tuple = (0, 12, 24)
    plan_price: tuple = (75.0, 65.0, 60.0)
    region_p: tuple = (0.3, 0.25, 0.25, 0.2)
    region_dropped_calls: tuple = (1.0, 2.0, 3.0, 4.5)  # mean dropped calls / month
    payment_p: tuple = (0.34, 0.24, 0.22, 0.20)
    senior_share: float = 0.16
    m2m_hazard: float = 0.03  # month-to-month hazard in the first month ...
    m2m_tenure_power: float = -0.3  # ... times (1 + tenure months) ** power
    contract_hazard: tuple = (0.0, 0.002, 0.0015)  # inside a term
    term_end_spike: tuple = (1.0, 12.0, 15.0)  # multiplier in a term's last month
    price_rise_share: float = 0.5
    rise_range: tuple = (0.05, 0.25)
    b_price: float = 8.0  # per fractional price rise, after the rise
    b_dropped: float = 0.08  # per expected dropped call / month
    b_complaints: float = 0.15  # per complaint so far (capped at 5)
    b_unresolved: float = 0.4  # per unresolved complaint so far (capped at 3)
    b_slow: float = 0.3  # per day of mean response time above 24 h
    b_echeck: float = 0.25
    b_senior: float = 0.2
    involuntary_hazard: float = 0.0005  # x 2.5 for check payers
    complaint_rate: float = 0.012
    complaint_per_dropped: float = 0.3
    complaint_after_rise: float = 3.0  # complaint rate multiplier for 3 months after a rise
    call_rate: float = 0.05
    hours_by_region: tuple = (16.0, 22.0, 30.0, 40.0)
    resolve: tuple = (2.5, 0.04)
    survey_rate: float = 0.5
    desk: Desk = Desk(reach=0.7, offer_types=("discount", "service_recovery", "renewal", "loyalty"),
                        preferred=("discount", "service_recovery", "renewal", "service_recovery",
                                   "loyalty", "loyalty"))
    reasons: dict = field(default_factory=lambda: {
        "price": {"intercept": 0.0, "price_rise": 12.0},
        "service": {"intercept": -0.9, "complaints": 0.3, "unresolved": 0.8, "slow_response": 0.6},
        "competitor": {"intercept": -0.1, "contract_end": 0.8},
        "product": {"intercept": -1.6, "dropped_calls": 0.3},
        "moved": {"intercept": -1.0},
        "no_longer_needed": {"intercept": -1.4, "senior": 1.0},
    })
    reason_features: dict = field(default_factory=lambda: {
        "price_rise": "fractional price rise already applied (0 if none), e.g. 0.15",
        "complaints": "complaints so far", "unresolved": "unresolved contacts so far",
        "slow_response": "days of mean response time above 24 h",
        "contract_end": "1 if leaving in the month a contract term ends",
        "dropped_calls": "expected dropped calls per month", "senior": "1 if senior",
    })


TELECOM = TelecomParams()


def block(rs, rm, tl: Timeline, n: int, ids: np.ndarray):
    P = TELECOM
    region = rs.choice(4, n, p=P.region_p)
    payment = rs.choice(4, n, p=P.payment_p)
    senior = rs.random(n) < P.senior_share
    signup, s_month, dom = signups(rs, tl, n, P.pre_window_share)
    plan = np.where(s_month < 0, rs.choice(3, n, p=P.plan_p_existing), rs.choice(3, n, p=P.plan_p_new))
    term = np.array(P.term_months)[plan]
    base_charge = np.array(P.plan_price)[plan] * np.exp(rs.normal(0.0, 0.2, n))
    data_mean = rs.gamma(2.0, 4.0, n)
    dropped_rate = np.array(P.region_dropped_calls)[region] * rs.gamma(3.0, 1 / 3, n)
    complaint_mult = rs.gamma(1.5, 1 / 1.5, n)
    first = np.maximum(s_month, 0)  # first simulated month (window start for earlier signups)
    rise_month = rs.integers(1, tl.n_history + 24, n)
    rise_pct = np.round(rs.uniform(*P.rise_range, n), 3)
    has_rise = (rs.random(n) < P.price_rise_share) & (rise_month > first)
    u_reason, u_survey = rs.random(n), rs.random(n)
    hours_mean = np.array(P.hours_by_region)[region]
    check = (payment == 0) | (payment == 3)

    subs = Contracts(n, P.desk, P.reasons, u_reason)
    hist = ServiceHistory(n)
    usage = Rows({"customer_id": CUST, "period": DATE, "monthly_charge": FLOAT,
                   "data_gb": FLOAT, "dropped_calls": INT})
    inter = Rows(INTERACTION_COLS)
    spike = np.array(P.term_end_spike)

    for t, idx, ms, me, lo, tenure in subs.months(tl, first, signup, s_month):
        k = idx.size
        pl = plan[idx]
        risen = has_rise[idx] & (t >= rise_month[idx])
        term_end = (pl > 0) & (tenure > 0) & (tenure % np.maximum(term[idx], 1) == 0)
        base = np.where(pl == 0, P.m2m_hazard * (1.0 + tenure) ** P.m2m_tenure_power,
                        np.array(P.contract_hazard)[pl] * np.where(term_end, spike[pl], 1.0))
        lin = (P.b_price * rise_pct[idx] * risen + P.b_dropped * dropped_rate[idx]
               + P.b_complaints * np.minimum(hist.complaints[idx], 5)
               + P.b_unresolved * np.minimum(hist.unresolved[idx], 3)
               + P.b_slow * hist.slow(idx) + P.b_echeck * (payment[idx] == 0) + P.b_senior * senior[idx])
        h = np.minimum(base * np.exp(lin), 0.95)
        u = rm.random((k, 3))
        decide = (u[:, 0] < h) & subs.free(idx, t)
        invol = ~decide & (u[:, 1] < P.involuntary_hazard * np.where(check[idx], 2.5, 1.0))
        anniversary = np.minimum(ms + dom[idx] + np.floor(u[:, 2] * 8).astype(np.int64), me)
        day = np.where(term_end, anniversary, uniform_day(u[:, 2], lo, me))

        def feats(d):
            c = idx[d]
            return {"price_rise": rise_pct[c] * risen[d], "complaints": hist.complaints[c],
                    "unresolved": hist.unresolved[c], "slow_response": hist.slow(c),
                    "contract_end": term_end[d], "dropped_calls": dropped_rate[c], "senior": senior[c]}

        hi = subs.settle(rm, t, idx, decide, invol, day, me, feats)

        dropped = rm.poisson(dropped_rate[idx])
        usage.add(customer_id=idx, period=ms,
                  monthly_charge=np.round(base_charge[idx] * (1 + rise_pct[idx] * risen), 2),
                  data_gb=np.round(data_mean[idx] * rm.gamma(5.0, 0.2, k), 2), dropped_calls=dropped)
        after_rise = risen & (t - rise_month[idx] < 3)
        c_rate = (P.complaint_rate * complaint_mult[idx] * (1 + P.complaint_per_dropped * dropped)
                  * np.where(after_rise, P.complaint_after_rise, 1.0))
        comp = draw_contacts(rm, c_rate, lo, hi, hours_mean[idx], P.resolve)
        calls = draw_contacts(rm, np.full(k, P.call_rate), lo, hi, hours_mean[idx] / 2, P.resolve)
        add_contacts(inter, idx, comp, "complaint")
        add_contacts(inter, idx, calls, "call")
        hist.update(idx, comp, complaints=True)
        hist.update(idx, calls, complaints=False)

    customers = Rows({"customer_id": CUST, "signup_date": DATE, "region": REGIONS,
                       "payment_method": _PAYMENT, "senior": BOOL})
    customers.add(customer_id=np.arange(n), signup_date=signup, region=region, payment_method=payment,
                  senior=senior)
    tables = {
        "customers": customers.finish(ids, tl.end_day, None),
        "usage": usage.finish(ids, tl.end_day, "period"),
        "interactions": inter.finish(ids, tl.end_day, "date"),
        **subs.tables(tl, ids, signup, plan, _PLANS_T, 0, ("monthly",), u_survey, P.survey_rate),
    }
    counts = {"price_rise_by_as_of": int((has_rise & (rise_month < tl.n_history)).sum()),
              **subs.counts(tl)}
    return tables, counts


def truth() -> dict:
    P = TELECOM
    m2m_first_year = float(np.mean(P.m2m_hazard * (1.0 + np.arange(12)) ** P.m2m_tenure_power))
    drivers = [
        driver("plan", "+", m2m_first_year / P.contract_hazard[1], "month_to_month vs one_year, "
                "outside contract-end months (first-year average)", None,
                "Month-to-month customers have a much higher baseline hazard; one-/two-year "
                "contracts are low except in the month a term ends.", level="month_to_month"),
        driver("monthly_charge_change", "+", np.exp(P.b_price * 0.1), "+10% price rise", P.b_price,
                "A random subset gets a 5-25% price rise at some month; from then on the hazard is "
                f"multiplied by exp({P.b_price} x rise). Captured by monthly_charge_change "
                "(last 3 / first 3 - 1)."),
        driver("unresolved_share", "+", np.exp(P.b_unresolved), "unresolved complaint/call so far (max 3)",
                P.b_unresolved, "Each unresolved contact multiplies the hazard (slow answers are resolved "
                "less often)."),
        driver("dropped_calls_mean", "+", np.exp(P.b_dropped), "expected dropped call per month",
                P.b_dropped, "Network quality: a customer propensity that varies by region; also drives "
                "complaints."),
        driver("n_complaints", "+", np.exp(P.b_complaints), "complaint so far (max 5)", P.b_complaints,
                "Complaint rate rises with dropped calls and for 3 months after a price rise."),
        driver("response_hours_mean", "+", np.exp(P.b_slow), "day of mean response time above 24 h",
                P.b_slow, "Slow responses to complaints and calls."),
        driver("payment_method", "+", np.exp(P.b_echeck), "electronic_check vs other methods",
                P.b_echeck, "Electronic-check payers churn more (and, with mailed checks, fail payments "
                "2.5x as often: involuntary churn).", level="electronic_check"),
        driver("senior", "+", np.exp(P.b_senior), "senior vs not", P.b_senior, "Seniors churn a bit more."),
    ]
    hazard = {
        "unit": "calendar month; churn decided monthly, then the save desk may keep the customer",
        "month_to_month": f"{P.m2m_hazard} x (1 + tenure_months) ** {P.m2m_tenure_power}",
        "one_year": {"inside_term": P.contract_hazard[1], "term_end_multiplier": P.term_end_spike[1],
                     "term_end_months": "tenure 12, 24, 36, ... (auto-renewal on the same term)"},
        "two_year": {"inside_term": P.contract_hazard[2], "term_end_multiplier": P.term_end_spike[2],
                     "term_end_months": "tenure 24, 48, ..."},
        "linear_predictor": {"price_rise_fraction": P.b_price, "dropped_calls_rate": P.b_dropped,
                             "complaints_so_far_cap5": P.b_complaints,
                             "unresolved_so_far_cap3": P.b_unresolved,
                             "mean_response_days_above_1": P.b_slow, "electronic_check": P.b_echeck,
                             "senior": P.b_senior},
        "involuntary": f"{P.involuntary_hazard} per month (x2.5 for electronic/mailed check)",
        "pre_window_customers": f"{P.pre_window_share:.0%} signed up up to 6 years before the window; "
                                "they are survivors at the window start (left-truncated), their "
                                "usage/interactions start at the window start",
    }
    # cause-specific: the drivers above act on voluntary churn; failed payments on involuntary
    involuntary = [driver("payment_method", "+", 2.5, "electronic_check vs credit_card", None,
                          "Check payers (electronic or mailed) fail payments 2.5x as often; "
                          "card and bank-transfer payers do not differ.", level="electronic_check")]
    return {"drivers": drivers, "hazard": hazard, "desk": P.desk, "survey_rate": P.survey_rate,
            "reasons": P.reasons, "reason_features": P.reason_features,
            "competing": {"cause": "end_reason", "voluntary": "drivers", "involuntary": involuntary}}

