"""Retail (non-contractual, customer ids ``R0000001``...): params, one block of customers, ground truth.

Heterogeneous (gamma) purchase rates and **silent attrition**: a customer
stops buying at a latent dropout date whose hazard rises for non-members of
the loyalty programme and with complaints and unresolved issues. The analysis
later defines churn as inactivity (six months, a common convention; Gold, *Fighting Churn with Data*, ch. 2).
Some customers **partially defect**: their spend drops by about 85% (>= 80%,
a course example; Buckinx & Van den Poel 2005 on partial defection) while they keep buying a little; some **stop
buying one category** (their favourite) while buying the others (a course example).
The dropout is silent, so the exit survey rides on the win-back contact and
``exit_reasons`` are dated on it.

:func:`block` reads :data:`RETAIL` when it is called (tests may replace it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import (
    BOOL, CUST, DATE, Desk, EXIT_COLS, FLOAT, INTERACTION_COLS, NAT, REGIONS, Rows,
    ServiceHistory, Timeline, add_contacts, draw_contacts, driver, offers_rows, pick,
    reason_codes, run_desk, uniform_day,
)

#: Name of the ground-truth table of latent drop-out dates (``customer_id``, ``date``):
#: ``Simulation.latent`` of :func:`churnlab.simulate.simulate` only; never data, never written.
LATENT_DROPOUTS = "latent_dropouts"
_CATEGORIES = ("grocery", "fashion", "home", "electronics", "beauty", "toys", "sports")
_CHANNELS = ("store", "online")


@dataclass(frozen=True)
class RetailParams:
    """The planted numbers of the retail scenario (rates are per month, ``b_*`` log-hazard ratios)."""

    loyalty_share: float = 0.4
    online_share: float = 0.35
    region_p: tuple = (0.3, 0.25, 0.25, 0.2)
    visit_rate: float = 2.35  # mean visits / month of an active customer
    visit_shape: float = 1.3  # gamma heterogeneity of visit rates
    loyalty_visit_mult: float = 1.25
    extra_lines: float = 0.6  # lines per visit = 1 + Poisson(extra_lines)
    line_spend: float = 22.0
    category_price: tuple = (1.0, 1.6, 1.8, 3.5, 1.2, 1.4, 1.7)
    category_concentration: float = 0.8
    dropout_hazard: float = 0.05  # per month, before the multipliers
    b_loyalty: float = -1.1
    b_complaints: float = 1.2  # per complaint so far (capped at 4)
    b_unresolved: float = 0.4  # per unresolved complaint so far (capped at 3)
    b_slow: float = 0.25
    b_online: float = 0.2
    complaint_rate: float = 0.05
    complaint_online_mult: float = 1.5
    hours_mean: float = 30.0
    resolve: tuple = (2.0, 0.03)
    partial_hazard: float = 0.008  # monthly chance of a partial defection
    partial_visit_mult: float = 0.3
    partial_amount_mult: float = 0.5  # spend x 0.15: an 85% drop
    partial_dropout_mult: float = 0.4  # partial defectors keep buying a little
    category_hazard: float = 0.008  # monthly chance of dropping the favourite category
    contact_lag_days: tuple = (45, 90)  # win-back contact after the dropout
    survey_rate: float = 0.25
    desk: Desk = Desk(reach=0.6, offer_types=("discount", "service_recovery", "loyalty"),
                        preferred=("discount", "service_recovery", "discount", "loyalty", "loyalty",
                                   "loyalty"))
    reasons: dict = field(default_factory=lambda: {
        "price": {"intercept": 0.0, "non_member": 0.7},
        "service": {"intercept": -1.0, "complaints": 0.6, "unresolved": 0.8},
        "competitor": {"intercept": 0.0, "non_member": 0.4, "online": 0.4},
        "product": {"intercept": -0.6},
        "moved": {"intercept": -1.0},
        "no_longer_needed": {"intercept": -1.1},
    })
    reason_features: dict = field(default_factory=lambda: {
        "non_member": "1 if not a loyalty member", "complaints": "complaints so far",
        "unresolved": "unresolved complaints so far", "online": "1 if online channel",
    })


RETAIL = RetailParams()


def block(rs, rm, tl: Timeline, n: int, ids: np.ndarray):
    P = RETAIL
    nc = len(_CATEGORIES)
    signup = uniform_day(rs.random(n), tl.start_day, tl.as_of_day)
    s_month = tl.month_of(signup)
    loyalty = rs.random(n) < P.loyalty_share
    region = rs.choice(4, n, p=P.region_p)
    online = rs.random(n) < P.online_share
    visit_rate = (P.visit_rate * rs.gamma(P.visit_shape, 1 / P.visit_shape, n)
                  * np.where(loyalty, P.loyalty_visit_mult, 1.0))
    visit_rate /= (1 + P.loyalty_share * (P.loyalty_visit_mult - 1))
    line_spend = np.exp(rs.normal(np.log(P.line_spend), 0.45, n))
    g = rs.gamma(P.category_concentration, 1.0, (n, nc))
    pref = g / g.sum(axis=1, keepdims=True)
    top = pref.argmax(axis=1)
    keep_share = 1.0 - pref[np.arange(n), top]
    pref_def = pref.copy()
    pref_def[np.arange(n), top] = 0.0
    pref_def /= np.maximum(pref_def.sum(axis=1, keepdims=True), 1e-12)
    cum_pref, cum_pref_def = np.cumsum(pref, axis=1), np.cumsum(pref_def, axis=1)
    comp_rate = P.complaint_rate * rs.gamma(0.7, 1 / 0.7, n) * np.where(online, P.complaint_online_mult, 1)
    u_reason, u_survey = rs.random(n), rs.random(n)
    cat_price = np.array(P.category_price)

    status = np.zeros(n, np.int8)  # 0 not yet, 1 buying, 2 lapsed (awaiting win-back), 3 gone
    spell_start = signup.copy()
    drop_day = np.full(n, NAT)
    contact_day = np.full(n, NAT)
    contact_month = np.full(n, -1)
    reason = np.full(n, -1)
    protect = np.full(n, -1)
    partial_since = np.full(n, -1)  # month of the partial defection (effect from the next month)
    catdef_since = np.full(n, -1)  # month the favourite category was dropped
    hist = ServiceHistory(n)
    tx = Rows({"customer_id": CUST, "date": DATE, "amount": FLOAT, "category": _CATEGORIES})
    inter, offers, exits = Rows(INTERACTION_COLS), offers_rows(P.desk), Rows(EXIT_COLS)
    n_drops = 0

    for t in range(tl.n_months):
        ms, me = int(tl.month_start(t)), int(tl.month_start(t + 1)) - 1
        status[s_month == t] = 1
        # win-back contact of customers who lapsed about two months ago
        c = np.flatnonzero((status == 2) & (contact_month == t))
        saved = run_desk(rm, P.desk, c, reason[c], contact_day[c], offers)
        back, lost = c[saved], c[~saved]
        status[back], status[lost] = 1, 3
        spell_start[back] = contact_day[back]
        protect[back] = t + P.desk.save_months
        answer = lost[u_survey[lost] < P.survey_rate]
        exits.add(customer_id=answer, date=contact_day[answer], reason=reason[answer])

        idx = np.flatnonzero(status == 1)
        k = idx.size
        lo = np.maximum(ms, spell_start[idx])
        new_spell = spell_start[idx] >= ms
        p_now = partial_since[idx] >= 0
        c_now = catdef_since[idx] >= 0
        lin = (P.b_loyalty * loyalty[idx] + P.b_complaints * np.minimum(hist.complaints[idx], 4)
               + P.b_unresolved * np.minimum(hist.unresolved[idx], 3) + P.b_slow * hist.slow(idx)
               + P.b_online * online[idx])
        h = np.minimum(P.dropout_hazard * np.exp(lin) * np.where(p_now, P.partial_dropout_mult, 1.0), 0.9)
        u = rm.random((k, 5))
        drop = (u[:, 0] < h) & (protect[idx] < t) & ~new_spell
        ok = ~drop & ~new_spell
        partial_since[idx[ok & ~p_now & (u[:, 3] < P.partial_hazard)]] = t
        catdef_since[idx[ok & ~c_now & (u[:, 4] < P.category_hazard)]] = t
        dday = uniform_day(u[:, 1], lo, me)
        hi = np.where(drop, dday - 1, me)
        d = np.flatnonzero(drop)
        cd = idx[d]
        feats = {"non_member": ~loyalty[cd], "complaints": hist.complaints[cd],
                 "unresolved": hist.unresolved[cd], "online": online[cd]}
        reason[cd] = reason_codes(P.reasons, feats, u_reason[cd])
        drop_day[cd] = dday[d]
        lag0, lag1 = P.contact_lag_days
        contact_day[cd] = dday[d] + lag0 + np.floor(u[d, 2] * (lag1 - lag0 + 1)).astype(np.int64)
        contact_month[cd] = tl.month_of(contact_day[cd])
        status[cd] = 2
        n_drops += int((dday[d] <= tl.as_of_day).sum())

        # purchases on days [lo, hi]: a forced visit on the first day of a new spell
        frac = np.maximum(hi - lo + 1, 0) / (me - ms + 1)
        rate = (visit_rate[idx] * frac * np.where(p_now, P.partial_visit_mult, 1.0)
                * np.where(c_now, keep_share[idx], 1.0))
        nv = rm.poisson(rate)
        first_visit = np.flatnonzero(new_spell)
        other = np.repeat(np.arange(k), nv)
        vpos = np.concatenate([first_visit, other])
        vday = np.concatenate([lo[first_visit], uniform_day(rm.random(other.size), lo[other], hi[other])])
        lines = 1 + rm.poisson(P.extra_lines, vpos.size)
        lpos = np.repeat(vpos, lines)
        lcust = idx[lpos]
        cat = pick(rm, np.where(c_now[lpos, None], cum_pref_def[lcust], cum_pref[lcust]))
        amount = (line_spend[lcust] * cat_price[cat] * rm.lognormal(0.0, 0.5, lpos.size)
                  * np.where(p_now[lpos], P.partial_amount_mult, 1.0))
        tx.add(customer_id=lcust, date=np.repeat(vday, lines), amount=np.round(np.maximum(amount, 0.5), 2),
               category=cat)

        comp = draw_contacts(rm, comp_rate[idx] * frac, lo, hi, P.hours_mean, P.resolve)
        add_contacts(inter, idx, comp, "complaint")
        hist.update(idx, comp, complaints=True)

    customers = Rows({"customer_id": CUST, "signup_date": DATE, "loyalty_member": BOOL,
                       "region": REGIONS, "channel": _CHANNELS})
    customers.add(customer_id=np.arange(n), signup_date=signup, loyalty_member=loyalty, region=region,
                  channel=online)
    # ground truth, not data: the latent drop-out that ended each relationship (no win-back
    # followed; for customers still awaiting the win-back contact, their latest drop-out)
    gone = np.flatnonzero((status >= 2) & (drop_day != NAT))
    latent = Rows({"customer_id": CUST, "date": DATE})
    latent.add(customer_id=gone, date=drop_day[gone])
    tables = {
        LATENT_DROPOUTS: latent.finish(ids, tl.end_day, "date"),
        "customers": customers.finish(ids, tl.end_day, None),
        "transactions": tx.finish(ids, tl.end_day, "date"),
        "interactions": inter.finish(ids, tl.end_day, "date"),
        "exit_reasons": exits.finish(ids, tl.end_day, "date"),
        "offers": offers.finish(ids, tl.end_day, "date"),
    }
    before = tl.n_history - 1
    counts = {"dropout_events_by_as_of": n_drops,
              "partial_defectors_by_as_of": int(((partial_since >= 0) & (partial_since < before)).sum()),
              "category_defectors_by_as_of": int(((catdef_since >= 0) & (catdef_since < before)).sum())}
    return tables, counts


def truth() -> dict:
    P = RETAIL
    drivers = [
        driver("loyalty_member", "-", np.exp(P.b_loyalty), "member vs non-member", P.b_loyalty,
                "Loyalty members drop out at a third of the rate (and buy 25% more often).", level=True),
        driver("n_complaints", "+", np.exp(P.b_complaints), "complaint so far (max 4)", P.b_complaints,
                "Each complaint multiplies the dropout hazard; complaint propensity is heterogeneous "
                "(higher online)."),
        driver("unresolved_share", "+", np.exp(P.b_unresolved), "unresolved complaint so far (max 3)",
                P.b_unresolved, "Unresolved service issues add to the complaint effect."),
        driver("channel", "+", np.exp(P.b_online), "online vs store", P.b_online,
                "Online customers drop out more (and complain more).", level="online"),
        driver("response_hours_mean", "+", np.exp(P.b_slow), "day of mean response time above 24 h",
                P.b_slow, "Slow complaint handling."),
    ]
    hazard = {
        "unit": "calendar month; latent dropout (silent attrition): the customer stops buying",
        "dropout_hazard": P.dropout_hazard,
        "linear_predictor": {"loyalty_member": P.b_loyalty, "complaints_so_far_cap4": P.b_complaints,
                             "unresolved_so_far_cap3": P.b_unresolved,
                             "mean_response_days_above_1": P.b_slow, "online": P.b_online},
        "purchases": f"Poisson visits, rate gamma(shape {P.visit_shape}) with mean {P.visit_rate}/month "
                     f"(x{P.loyalty_visit_mult} for members); 1 + Poisson({P.extra_lines}) lines per visit",
        "win_back": f"a lapsed customer is contacted {P.contact_lag_days[0]}-{P.contact_lag_days[1]} days "
                    "after dropping out; a saved customer buys again from the contact day",
        "partial_defection": {"monthly_hazard": P.partial_hazard,
                              "spend_multiplier": P.partial_visit_mult * P.partial_amount_mult,
                              "dropout_hazard_multiplier": P.partial_dropout_mult,
                              "rule": f"each month a buying customer may partially defect; from the next "
                                      f"month visits x{P.partial_visit_mult} and amounts "
                                      f"x{P.partial_amount_mult} (an 85% spend drop) and the customer keeps "
                                      f"buying a little"},
        "category_defection": {"monthly_hazard": P.category_hazard,
                               "rule": "each month a buying customer may stop buying their favourite "
                                       "category for good (from the next month) and keep buying the others"},
        "churn_definition_hint": "analysis: no purchase for 6 months (seed 003)",
        "exit_reasons_date": "the win-back contact date (the survey rides on the win-back contact)",
    }
    return {"drivers": drivers, "hazard": hazard, "desk": P.desk, "survey_rate": P.survey_rate,
            "reasons": P.reasons, "reason_features": P.reason_features}

