"""Software (contractual B2B SaaS, ids ``S0000001``...): params, one block of customers, ground truth.

Monthly or annual billing (annual customers can only leave at renewal). A
latent disengagement makes logins decline in the months before a voluntary
cancel (the planted early-warning signal); low CSAT on support tickets raises
both disengagement and the cancel hazard; failed payments cause involuntary
churn.

:func:`block` reads :data:`SOFTWARE` when it is called (tests may replace it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import (
    CUST, Contracts, DATE, Desk, FLOAT, INT, INTERACTION_COLS, Rows, ServiceHistory, Timeline,
    add_contacts, draw_contacts, driver, pick, signups, uniform_day,
)

_SIZES = ("small", "mid", "enterprise")
_PLANS_S = ("basic", "pro", "enterprise")
_INDUSTRIES = ("finance", "healthcare", "retail", "manufacturing", "technology", "education")
_REGIONS_S = ("north_america", "europe", "asia_pacific", "latin_america")


@dataclass(frozen=True)
class SoftwareParams:
    """The planted numbers of the software scenario (rates are per month, ``b_*`` log-hazard ratios)."""

    pre_window_share: float = 0.5
    size_p: tuple = (0.55, 0.30, 0.15)
    plan_p_by_size: tuple = ((0.6, 0.35, 0.05), (0.25, 0.55, 0.2), (0.05, 0.35, 0.6))
    region_p: tuple = (0.45, 0.3, 0.15, 0.1)
    annual_share_by_size: tuple = (0.3, 0.5, 0.75)
    seats_median_by_size: tuple = (5.0, 40.0, 300.0)
    seat_price: tuple = (12.0, 30.0, 55.0)
    annual_discount: float = 0.15
    logins_per_seat: float = 14.0
    hazard: float = 0.006  # monthly cancel intent, engaged small company
    b_engagement: float = 1.6  # hazard x engagement ** -1.6
    b_csat: float = -1.5  # per CSAT point of the running mean (prior 4.0)
    b_size: tuple = (0.0, -0.35, -0.7)
    b_annual: float = -0.2
    onset_rate: float = 0.01  # monthly disengagement onset at CSAT 4 ...
    onset_csat: float = -0.7  # ... x exp(-0.7 (csat - 4))
    decay: tuple = (0.7, 0.88)  # engagement multiplier per disengaged month
    recover_rate: float = 0.06
    ticket_rate_by_size: tuple = (0.25, 0.5, 1.2)
    hours_by_plan: tuple = (30.0, 16.0, 8.0)
    resolve: tuple = (2.5, 0.04)
    csat_fit: float = 3.6
    payment_failure_rate: float = 0.004
    involuntary_per_failure: float = 0.3
    survey_rate: float = 0.6
    desk: Desk = Desk(reach=0.8, offer_types=("discount", "service_recovery", "renewal", "loyalty"),
                        preferred=("discount", "service_recovery", "renewal", "service_recovery",
                                   "loyalty", "discount"))
    reasons: dict = field(default_factory=lambda: {
        "price": {"intercept": -0.3, "small_company": 0.8},
        "service": {"intercept": -1.2, "low_csat": 1.2, "unresolved": 0.3},
        "competitor": {"intercept": -0.2},
        "product": {"intercept": -0.8, "disengaged": 1.0},
        "moved": {"intercept": -2.5},
        "no_longer_needed": {"intercept": -1.0, "disengaged": 0.8},
    })
    reason_features: dict = field(default_factory=lambda: {
        "small_company": "1 if company_size small", "low_csat": "points of running CSAT below 4",
        "unresolved": "unresolved tickets so far", "disengaged": "1 if in the disengaged state",
    })


SOFTWARE = SoftwareParams()


def block(rs, rm, tl: Timeline, n: int, ids: np.ndarray):
    P = SOFTWARE
    size = rs.choice(3, n, p=P.size_p)
    industry = rs.integers(0, len(_INDUSTRIES), n)
    region = rs.choice(4, n, p=P.region_p)
    signup, s_month, dom = signups(rs, tl, n, P.pre_window_share)
    plan = pick(rs, np.cumsum(P.plan_p_by_size, axis=1)[size])
    annual = rs.random(n) < np.array(P.annual_share_by_size)[size]
    seats = np.maximum(1.0, np.round(np.array(P.seats_median_by_size)[size] * np.exp(rs.normal(0, 0.5, n))))
    seat_price = np.array(P.seat_price)[plan] * np.where(annual, 1 - P.annual_discount, 1.0)
    logins_per_seat = P.logins_per_seat * rs.gamma(4.0, 0.25, n)
    ticket_rate = np.array(P.ticket_rate_by_size)[size] * rs.gamma(2.0, 0.5, n)
    fit = rs.normal(P.csat_fit, 0.6, n)
    pf_rate = P.payment_failure_rate * rs.gamma(0.5, 2.0, n) * np.where(size == 0, 2.0, 1.0)
    u_reason, u_survey = rs.random(n), rs.random(n)
    first = np.maximum(s_month, 0)
    hours_mean = np.array(P.hours_by_plan)[plan]
    b_size = np.array(P.b_size)[size]

    subs = Contracts(n, P.desk, P.reasons, u_reason)
    eng = np.ones(n)  # engagement: logins are proportional to it
    diseng = np.zeros(n, bool)
    ever_diseng = np.zeros(n, bool)
    intent = np.zeros(n, bool)  # annual billing: decided to cancel at the next renewal
    csat_sum, n_tickets = np.zeros(n), np.zeros(n)
    hist = ServiceHistory(n)
    usage = Rows({"customer_id": CUST, "period": DATE, "mrr": FLOAT, "seats": INT, "logins": INT,
                   "payment_failures": INT})
    inter = Rows({**INTERACTION_COLS, "csat": FLOAT})

    for t, idx, ms, me, lo, tenure in subs.months(tl, first, signup, s_month):
        k = idx.size
        ann = annual[idx]
        renewal = ann & (tenure > 0) & (tenure % 12 == 0)
        csat_run = (4.0 + csat_sum[idx]) / (1.0 + n_tickets[idx])
        u = rm.random((k, 9))

        # engagement: a latent disengagement (made likelier by low CSAT) lets logins decay
        onset = ~diseng[idx] & (u[:, 0] < P.onset_rate * np.exp(P.onset_csat * (csat_run - 4.0)))
        recover = diseng[idx] & (u[:, 1] < P.recover_rate)
        dis = (diseng[idx] | onset) & ~recover
        diseng[idx] = dis
        ever_diseng[idx] |= dis
        e = eng[idx]
        e = np.where(dis, e * (P.decay[0] + (P.decay[1] - P.decay[0]) * u[:, 2]),
                     np.minimum(1.0, e * 1.25) * np.exp(0.1 * (u[:, 2] - 0.5)))
        eng[idx] = e = np.clip(e, 0.03, 1.1)
        # seats expand (engaged) or contract (disengaged) now and then
        change = u[:, 3] < 0.06
        grow = ~dis & (u[:, 4] < 0.7)
        factor = np.where(grow, 1.1 + 0.3 * u[:, 5], 0.9 - 0.2 * u[:, 5])
        s = seats[idx]
        seats[idx] = s = np.where(change, np.maximum(1.0, np.round(s * factor)), s)

        lin = (-P.b_engagement * np.log(e) + P.b_csat * (csat_run - 4.0) + b_size[idx]
               + P.b_annual * ann)
        h = np.minimum(P.hazard * np.exp(lin), 0.9)
        want = (u[:, 6] < h) & subs.free(idx, t)
        intent[idx] |= want & ann
        decide = np.where(ann, renewal & intent[idx], want)
        failures = rm.poisson(pf_rate[idx] * np.where(ann, 2.0 * renewal, 1.0))
        invol = ~decide & (u[:, 7] < 1.0 - (1.0 - P.involuntary_per_failure) ** failures)
        day = np.where(renewal, np.minimum(ms + dom[idx], me), uniform_day(u[:, 8], lo, me))
        intent[idx[decide]] = False
        hi = subs.settle(rm, t, idx, decide, invol, day, me, lambda d: {
            "small_company": size[idx[d]] == 0, "low_csat": np.maximum(4.0 - csat_run[d], 0.0),
            "unresolved": hist.unresolved[idx[d]], "disengaged": dis[d]})

        usage.add(customer_id=idx, period=ms, mrr=np.round(s * seat_price[idx], 2), seats=s,
                  logins=rm.poisson(s * logins_per_seat[idx] * e), payment_failures=failures)
        tk = draw_contacts(rm, ticket_rate[idx], lo, hi, hours_mean[idx], P.resolve)
        cust = idx[tk.pos]
        csat = np.clip(np.round(fit[cust] + 0.9 * tk.resolved - 0.03 * (tk.hours - 12.0)
                                + rm.normal(0.0, 0.7, tk.pos.size)), 1.0, 5.0)
        add_contacts(inter, idx, tk, "ticket", csat=csat)
        hist.update(idx, tk, complaints=False)
        csat_sum += np.bincount(cust, weights=csat, minlength=n)
        n_tickets[idx] += tk.count

    customers = Rows({"customer_id": CUST, "signup_date": DATE, "company_size": _SIZES,
                       "industry": _INDUSTRIES, "region": _REGIONS_S})
    customers.add(customer_id=np.arange(n), signup_date=signup, company_size=size, industry=industry,
                  region=region)
    tables = {
        "customers": customers.finish(ids, tl.end_day, None),
        "usage": usage.finish(ids, tl.end_day, "period"),
        "interactions": inter.finish(ids, tl.end_day, "date"),
        **subs.tables(tl, ids, signup, plan, _PLANS_S, annual, ("monthly", "annual"), u_survey,
                      P.survey_rate),
    }
    return tables, {**subs.counts(tl), "ever_disengaged_by_end": int(ever_diseng.sum())}


def truth() -> dict:
    P = SOFTWARE
    drivers = [
        driver("logins_change", "-", 0.5 ** -P.b_engagement, "logins halved (logins_change = -0.5)",
                -P.b_engagement, "A latent disengagement (onset ~1%/month, likelier with low CSAT) makes "
                "engagement decay 12-30% a month; the cancel hazard is x engagement ** -1.6 and logins "
                "are proportional to engagement, so logins decline in the months before a voluntary "
                "cancel (log-HR -1.6 per unit of log(1 + logins_change)).", unit="log(1 + logins_change)"),
        driver("csat_mean", "-", np.exp(P.b_csat), "+1 CSAT point (running mean of ticket CSAT)",
                P.b_csat, "Low CSAT (slow or unresolved tickets, poor product fit) raises the cancel "
                "hazard directly and makes disengagement likelier."),
        driver("payment_failures_mean", "+", P.involuntary_per_failure / P.hazard,
                "month with a failed payment vs the baseline monthly cancel hazard", None,
                f"Each failed payment ends the subscription involuntarily with probability "
                f"{P.involuntary_per_failure} (end_reason involuntary); small companies fail twice "
                "as often."),
        driver("billing", "-", np.exp(P.b_annual), "annual vs monthly", P.b_annual,
                "Annual customers form cancel intent less often and can only leave at renewal.",
                level="annual"),
        driver("company_size", "-", np.exp(P.b_size[2]), "enterprise vs small", P.b_size[2],
                "Larger companies churn less (mid: log-HR -0.35).", level="enterprise"),
    ]
    hazard = {
        "unit": "calendar month; monthly billing cancels any month, annual billing only at renewal "
                "(tenure 12, 24, ...), with intent formed during the year",
        "cancel_intent_hazard": f"{P.hazard} x engagement ** -{P.b_engagement} x exp({P.b_csat} (csat - 4) "
                                f"+ size + {P.b_annual} annual)",
        "size_log_hr": dict(zip(_SIZES, P.b_size)),
        "disengagement": {"onset": f"{P.onset_rate} x exp({P.onset_csat} (csat - 4)) per month",
                          "decay_per_month": list(P.decay), "recover_rate": P.recover_rate},
        "involuntary": f"payment failures ~ Poisson per month (annual: at renewal); each failure "
                       f"ends the subscription with probability {P.involuntary_per_failure}",
        "pre_window_customers": f"{P.pre_window_share:.0%} signed up up to 6 years before the window "
                                "(left-truncated survivors)",
    }
    # cause-specific: failed payments end subscriptions involuntarily, twice as often for small
    # companies; P(end) = 1 - exp(-(1 - (1 - r)) * rate) ~ r * rate per month, so about half the
    # hazard for larger companies (a gamma spread of rates across customers dilutes this a little)
    involuntary = [driver("company_size", "-", 0.5, f"{level} vs small (failed payments)", None,
                          "Small companies' payments fail twice as often.", level=level)
                   for level in ("mid", "enterprise")]
    return {"drivers": drivers, "hazard": hazard, "desk": P.desk, "survey_rate": P.survey_rate,
            "reasons": P.reasons, "reason_features": P.reason_features,
            "competing": {"cause": "end_reason", "voluntary": "drivers", "involuntary": involuntary}}

