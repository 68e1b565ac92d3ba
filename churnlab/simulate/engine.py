"""Seeded churn simulator: three industries with planted, known churn causes.

The simulator emits the canonical tables of :mod:`churnlab.schema` for one of
three industry scenarios and a ``ground_truth`` dict that says what was
planted, so later stages (driver ranking, Cox models, cost of churn, KPIs) can
show "planted vs recovered" and tests can assert recovery.

What is planted (section 1 of the domain guide, seed numbers in brackets):

``telecom`` (contractual, customer ids ``T0000001``...)
    Monthly churn hazard that is low inside a one-/two-year contract and
    **spikes in the month a contract term ends** [seed 003: telecom churn is
    contract-bound and spikes when contracts end]; contracts auto-renew on the
    same term. Month-to-month customers have a much higher baseline that
    declines with tenure. The hazard is multiplied by ``exp(beta . x)`` with a
    price rise (5-25% at some month), dropped calls (network quality, by
    region), complaints, unresolved complaints and slow responses. A small
    share churns involuntarily (non-payment).
``retail`` (non-contractual, ``R0000001``...)
    Heterogeneous (gamma) purchase rates and **silent attrition**: a customer
    stops buying at a latent dropout date whose hazard rises for non-members of
    the loyalty programme and with complaints and unresolved issues. The
    analysis later defines churn as inactivity (the seeds' example is 6 months
    [seed 003]). Some customers **partially defect**: their spend drops by
    about 85% (>= 80%, the railroad example [seed 004]) while they keep buying
    a little; some **stop buying one category** (their favourite) while
    buying the others [seed 003].
``software`` (contractual B2B SaaS, ``S0000001``...)
    Monthly or annual billing (annual customers can only leave at renewal).
    A latent disengagement makes logins decline in the months before a
    voluntary cancel (the planted early-warning signal); low CSAT on support
    tickets raises both disengagement and the cancel hazard; failed payments
    cause involuntary churn.

All three share the same stated-reason and save-desk machinery: every
voluntary leaver has a latent exit reason drawn from a multinomial logit whose
odds follow the customer's planted drivers (price rises say "price", many
unresolved complaints say "service", ...); a share of leavers answers an exit
survey (``exit_reasons``, dated on the churn date; in retail, where the
dropout is silent, on the win-back contact that carries the survey).
Cancelling (or, in retail, lapsed) customers may meet a save desk (``offers``)
that keeps about half of those it makes an offer to [seed 004: a card
issuer's save team keeps about half]; acceptance depends on whether the offer
matches the reason (price leavers accept discounts). Saved customers stay at
least three months.

Randomness and scale. There is no global random state. Customers are simulated
in fixed blocks of :data:`RNG_BLOCK` customers; block ``b`` draws from its own
streams ``SeedSequence(seed, spawn_key=(scenario, b, stream))`` (child seed
sequences, as ``SeedSequence(seed).spawn`` makes, with explicit keys). Results
therefore depend only on ``(scenario, seed, n_customers, as_of,
history_months)`` and never on how blocks are grouped into write chunks:
:func:`simulate` and :func:`simulate_to_parquet` give identical data for any
``chunk_customers``. Inside a block the simulation loops over calendar months,
vectorised over customers. Every per-customer quantity that is not tied to a
month is drawn up front, and each month's draws come from a sequential stream
in month order, so adding holdout months (``months_after_as_of``) changes
nothing up to ``as_of``: it only appends later months.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ParamsError
from ..schema import END_REASONS, EXIT_REASONS, INTERACTION_KINDS, TABLES

__all__ = ["RNG_BLOCK", "SCENARIOS", "Simulation", "simulate", "simulate_to_parquet"]

SCENARIOS = ("telecom", "retail", "software")

#: Customers per random-number block (the unit of determinism, see module doc).
RNG_BLOCK = 2_000

_PREFIX = {"telecom": "T", "retail": "R", "software": "S"}
_SCENARIO_KEY = {"telecom": 1, "retail": 2, "software": 3}
_NAT = np.iinfo(np.int64).min  # int64 day value that becomes NaT
_REGIONS = ("north", "south", "east", "west")


@dataclass
class Simulation:
    """A simulated study: canonical ``tables`` and the JSON-serialisable ``ground_truth``."""

    tables: dict[str, pd.DataFrame]
    ground_truth: dict


# --------------------------------------------------------------------- timeline


def _add_months(d: dt.date, k: int) -> dt.date:
    """``d`` moved by ``k`` calendar months, the day clipped to the month's end."""
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    first_next = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return dt.date(y, m + 1, min(d.day, (first_next - dt.timedelta(days=1)).day))


def _days(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


class _Timeline:
    """Calendar months of a simulation; dates are int64 days since 1970-01-01.

    Month 0 is the first month of the history window; month ``history_months
    - 1`` holds ``as_of``; the data end at ``end`` = ``as_of`` +
    ``months_after_as_of`` months (events after it are dropped).
    """

    def __init__(self, as_of: dt.date, history_months: int, months_after: int):
        self.as_of = as_of
        self.n_history = history_months
        self.n_months = history_months + months_after
        self.month0 = np.datetime64(as_of, "M") - (history_months - 1)
        self.as_of_day = _days(as_of)
        self.end_day = _days(_add_months(as_of, months_after))
        self.start_day = int(self.month_start(0))

    def month_start(self, t):
        """First day of month(s) ``t`` (may be negative: before the window)."""
        return (self.month0 + np.asarray(t)).astype("datetime64[D]").astype(np.int64)

    def month_of(self, day):
        """Month index of day(s) ``day``."""
        d = np.asarray(day).astype("datetime64[D]").astype("datetime64[M]")
        return (d - self.month0).astype(np.int64)


def _uniform_day(u, lo, hi):
    """Day uniformly in ``[lo, hi]`` (inclusive) from uniforms ``u``."""
    return lo + np.floor(u * (hi - lo + 1)).astype(np.int64)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _signups(rng, tl: _Timeline, n: int, pre_share: float, pre_months: int = 72):
    """Signup days: a share ``pre_share`` up to ``pre_months`` before the window, the rest inside it.

    Returns ``(signup_day, signup_month, day_of_month_offset)``.
    """
    pre = rng.random(n) < pre_share
    u = rng.random(n)
    first_pre = int(tl.month_start(-pre_months))
    day = np.where(pre, _uniform_day(u, first_pre, tl.start_day - 1),
                   _uniform_day(u, tl.start_day, tl.as_of_day))
    month = tl.month_of(day)
    return day, month, day - tl.month_start(month)


def _pick(rng, cum: np.ndarray) -> np.ndarray:
    """One category per row of cumulative probabilities ``cum`` (rows x categories)."""
    u = rng.random(len(cum))
    return np.minimum((u[:, None] > cum).sum(axis=1), cum.shape[1] - 1)


# --------------------------------------------------------------- table building


@dataclass
class _Text:
    """A text column as integer codes into ``labels`` (code -1 = missing)."""

    codes: np.ndarray
    labels: np.ndarray


# column kinds of the row accumulator
_CUST, _DATE, _FLOAT, _INT, _BOOL = "cust", "date", "float", "int", "bool"
_NP = {_CUST: np.int64, _DATE: np.int64, _FLOAT: np.float64, _INT: np.int64, _BOOL: np.bool_}


class _Rows:
    """Accumulates the rows of one table month by month, then sorts and types them."""

    def __init__(self, spec: dict):
        self.spec = spec  # column -> kind, or a tuple of labels for a text column
        self.parts: dict[str, list] = {c: [] for c in spec}

    def add(self, **cols) -> None:
        n = len(np.asarray(cols["customer_id"]))
        for c in self.spec:
            self.parts[c].append(np.broadcast_to(np.asarray(cols[c]), (n,)))

    def finish(self, ids: np.ndarray, end_day: int, date_col: str | None) -> dict:
        """Columns sorted by (customer, ``date_col``), rows after ``end_day`` dropped."""
        cols = {}
        for c, kind in self.spec.items():
            dtype = np.int16 if isinstance(kind, tuple) else _NP[kind]
            parts = self.parts[c]
            cols[c] = np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)
        if date_col is not None:
            keep = cols[date_col] <= end_day
            cols = {c: v[keep] for c, v in cols.items()}
            order = np.lexsort((np.arange(len(keep))[keep], cols[date_col], cols["customer_id"]))
            cols = {c: v[order] for c, v in cols.items()}
        return {c: _column(v, self.spec[c], ids) for c, v in cols.items()}


def _column(values: np.ndarray, kind, ids: np.ndarray):
    if kind == _CUST:
        return _Text(values, ids)
    if isinstance(kind, tuple):
        return _Text(values, np.array(kind, dtype=object))
    if kind == _DATE:
        return values.astype("datetime64[D]")
    return values


def _concat(tables: list[dict]) -> dict:
    """Concatenate the column dicts of consecutive blocks (text codes re-based)."""
    out = {}
    for c, first in tables[0].items():
        if isinstance(first, _Text):
            codes, labels, offset = [], [], 0
            for t in tables:
                col = t[c]
                codes.append(np.where(col.codes >= 0, col.codes + offset, -1))
                labels.append(col.labels)
                offset += len(col.labels)
            out[c] = _Text(np.concatenate(codes), np.concatenate(labels))
        else:
            out[c] = np.concatenate([t[c] for t in tables])
    return out


def _to_pandas(cols: dict) -> pd.DataFrame:
    data = {}
    for c, v in cols.items():
        if isinstance(v, _Text):
            labels = np.append(v.labels, None)
            data[c] = labels[np.where(v.codes >= 0, v.codes, len(v.labels))]
        elif np.issubdtype(v.dtype, np.datetime64):
            data[c] = v.astype("datetime64[ns]")
        else:
            data[c] = v
    return pd.DataFrame(data)


def _to_arrow(cols: dict) -> pa.Table:
    arrays = {}
    for c, v in cols.items():
        if isinstance(v, _Text):
            idx = pa.array(v.codes.astype(np.int64), mask=v.codes < 0)
            arrays[c] = pa.array(v.labels, type=pa.string()).take(idx)
        elif np.issubdtype(v.dtype, np.datetime64):
            arrays[c] = pa.array(v.astype("datetime64[ns]"), type=pa.timestamp("ns"), from_pandas=True)
        else:
            arrays[c] = pa.array(v)
    return pa.table(arrays)


# ----------------------------------------------- shared: exit reasons, save desk


def _reason_codes(model: dict, feats: dict, u: np.ndarray) -> np.ndarray:
    """Latent exit reason (index into EXIT_REASONS) from a multinomial logit.

    ``model[reason]`` maps ``"intercept"`` and feature names to coefficients;
    ``u`` holds one uniform per customer (drawn up front, so the reason of a
    churn before ``as_of`` never depends on later months).
    """
    z = np.empty((len(u), len(EXIT_REASONS)))
    for j, r in enumerate(EXIT_REASONS):
        z[:, j] = model[r]["intercept"]
        for f, b in model[r].items():
            if f != "intercept":
                z[:, j] += b * np.asarray(feats[f], dtype=float)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((u[:, None] > cum).sum(axis=1), len(EXIT_REASONS) - 1)


@dataclass(frozen=True)
class _Desk:
    """A save desk (retention offers) shared by the three industries.

    Of the customers it reaches (``reach``), it makes an offer; the offer
    matches the customer's reason with probability ``match_rate``; a matching
    offer is accepted with ``accept_match``, another with ``accept_other``.
    An accepted offer saves the customer with probability ``save_rate /
    p_accept``, so exactly ``save_rate`` of offers save on average, whatever
    the reason mix. Saved customers cannot leave for ``save_months`` months.
    """

    reach: float
    offer_types: tuple[str, ...]
    preferred: tuple[str, ...]  # offer type per reason, in EXIT_REASONS order
    match_rate: float = 0.7
    accept_match: float = 0.85
    accept_other: float = 0.55
    save_rate: float = 0.5
    save_months: int = 3

    def describe(self) -> dict:
        return {
            "reach": self.reach,
            "offer_types": list(self.offer_types),
            "preferred_offer_by_reason": dict(zip(EXIT_REASONS, self.preferred)),
            "match_rate": self.match_rate,
            "accept_if_offer_matches_reason": self.accept_match,
            "accept_otherwise": self.accept_other,
            "save_rate": self.save_rate,
            "saved_means_stayed_months": self.save_months,
            "rule": "offered ~ reach; offer type = preferred for the (latent) reason with "
                    "prob match_rate else uniform; accepted ~ accept_match/accept_other; "
                    "saved = accepted and U < save_rate / p_accept (so P(saved | offer) = save_rate)",
        }


_OFFERS_COLS = {"customer_id": _CUST, "date": _DATE, "offer_type": None, "accepted": _BOOL, "saved": _BOOL}


def _offers_rows(desk: _Desk) -> _Rows:
    return _Rows({**_OFFERS_COLS, "offer_type": desk.offer_types})


def _run_desk(rng, desk: _Desk, cust, reasons, day, offers: _Rows) -> np.ndarray:
    """Save desk for customers ``cust`` leaving on ``day``; adds offer rows, returns ``saved``."""
    k = len(cust)
    u = rng.random((k, 5))
    types = desk.offer_types
    pref = np.array([types.index(o) for o in desk.preferred])[reasons]
    other = np.minimum((u[:, 2] * len(types)).astype(np.int64), len(types) - 1)
    code = np.where(u[:, 1] < desk.match_rate, pref, other)
    p_acc = np.where(code == pref, desk.accept_match, desk.accept_other)
    offered = u[:, 0] < desk.reach
    accepted = offered & (u[:, 3] < p_acc)
    saved = accepted & (u[:, 4] < desk.save_rate / p_acc)
    offers.add(customer_id=cust[offered], date=day[offered], offer_type=code[offered],
               accepted=accepted[offered], saved=saved[offered])
    return saved


_EXIT_COLS = {"customer_id": _CUST, "date": _DATE, "reason": EXIT_REASONS}
_INTERACTION_COLS = {"customer_id": _CUST, "date": _DATE, "kind": INTERACTION_KINDS,
                     "response_hours": _FLOAT, "resolved": _BOOL}
_KIND = {k: i for i, k in enumerate(INTERACTION_KINDS)}


@dataclass
class _Contacts:
    pos: np.ndarray  # position in the month's active array, per row
    day: np.ndarray
    hours: np.ndarray
    resolved: np.ndarray
    count: np.ndarray  # per active customer
    unresolved: np.ndarray
    hours_sum: np.ndarray


def _contacts(rng, rate, lo, hi, hours_mean, resolve: tuple[float, float]) -> _Contacts:
    """Poisson(``rate``) contacts per customer on days in ``[lo, hi]``.

    Response hours are gamma(2) with mean ``hours_mean``; a contact is resolved
    with probability ``expit(a - b * hours)`` (slow answers are resolved less).
    """
    k = len(rate)
    cnt = rng.poisson(rate)
    pos = np.repeat(np.arange(k), cnt)
    day = _uniform_day(rng.random(pos.size), lo[pos], hi[pos])
    hours = np.round(rng.gamma(2.0, np.broadcast_to(hours_mean, (k,))[pos] / 2.0), 1)
    resolved = rng.random(pos.size) < _expit(resolve[0] - resolve[1] * hours)
    return _Contacts(pos, day, hours, resolved, cnt,
                     np.bincount(pos, weights=~resolved, minlength=k),
                     np.bincount(pos, weights=hours, minlength=k))


class _ServiceHistory:
    """Running per-customer counts of contacts (the hazard uses them lagged)."""

    def __init__(self, n: int):
        self.complaints = np.zeros(n)
        self.contacts = np.zeros(n)
        self.unresolved = np.zeros(n)
        self.hours = np.zeros(n)

    def update(self, idx, c: _Contacts, *, complaints: bool) -> None:
        if complaints:
            self.complaints[idx] += c.count
        self.contacts[idx] += c.count
        self.unresolved[idx] += c.unresolved
        self.hours[idx] += c.hours_sum

    def slow(self, idx) -> np.ndarray:
        """Mean response hours above 24, in days (0 without contacts)."""
        mean = self.hours[idx] / np.maximum(self.contacts[idx], 1)
        return np.maximum(mean - 24.0, 0.0) / 24.0


def _add_contacts(rows: _Rows, idx, c: _Contacts, kind: str, **extra) -> None:
    rows.add(customer_id=idx[c.pos], date=c.day, kind=_KIND[kind], response_hours=c.hours,
             resolved=c.resolved, **extra)


class _Contracts:
    """Leaving, saving and exit surveys of a contractual industry (telecom, software).

    Each month the industry says who decides to cancel (``decide``) and who is
    ended for non-payment (``invol``); :meth:`settle` draws the latent exit
    reasons, runs the save desk, ends the subscriptions of those who leave
    and protects the saved for ``desk.save_months`` months.
    """

    def __init__(self, n: int, desk: _Desk, reasons: dict, u_reason: np.ndarray):
        self.desk, self.reasons, self.u_reason = desk, reasons, u_reason
        self.alive = np.zeros(n, bool)
        self.end_day = np.full(n, _NAT)
        self.end_kind = np.full(n, -1)  # 0 voluntary, 1 involuntary
        self.reason = np.full(n, -1)
        self.protect = np.full(n, -1)  # protected from leaving up to this month
        self.offers = _offers_rows(desk)

    def free(self, idx, t: int) -> np.ndarray:
        """Whether customers ``idx`` may leave in month ``t`` (not just saved)."""
        return self.protect[idx] < t

    def settle(self, rng, t: int, idx, decide, invol, day, month_end: int,
               feats: Callable[[np.ndarray], dict]) -> np.ndarray:
        """Settle month ``t`` for active customers ``idx``; return their last active day.

        ``day`` is the day a cancel or non-payment would take effect;
        ``feats(d)`` gives the reason-model features of the cancelling customers
        at positions ``d`` of ``idx``.
        """
        d = np.flatnonzero(decide)
        cd = idx[d]
        r = _reason_codes(self.reasons, feats(d), self.u_reason[cd])
        saved = _run_desk(rng, self.desk, cd, r, day[d], self.offers)
        self.protect[cd[saved]] = t + self.desk.save_months
        self.reason[cd[~saved]] = r[~saved]
        leave = invol & self.free(idx, t)
        leave[d[~saved]] = True
        gone = idx[leave]
        self.end_day[gone] = day[leave]
        self.end_kind[gone] = np.where(invol[leave], 1, 0)
        self.alive[gone] = False
        return np.where(leave, day, month_end)

    def tables(self, tl: _Timeline, ids, signup, plan, plans: tuple, billing, billings: tuple,
               u_survey, survey_rate: float) -> dict:
        """The subscriptions, exit_reasons and offers tables."""
        ended = (self.end_day != _NAT) & (self.end_day <= tl.end_day)
        n = len(signup)
        subs = _Rows({"customer_id": _CUST, "start_date": _DATE, "end_date": _DATE, "plan": plans,
                      "billing": billings, "end_reason": END_REASONS})
        subs.add(customer_id=np.arange(n), start_date=signup, end_date=np.where(ended, self.end_day, _NAT),
                 plan=plan, billing=billing, end_reason=np.where(ended, self.end_kind, -1))
        exits = _Rows(_EXIT_COLS)
        answer = np.flatnonzero((self.end_kind == 0) & (u_survey < survey_rate))
        exits.add(customer_id=answer, date=self.end_day[answer], reason=self.reason[answer])
        return {"subscriptions": subs.finish(ids, tl.end_day, None),
                "exit_reasons": exits.finish(ids, tl.end_day, "date"),
                "offers": self.offers.finish(ids, tl.end_day, "date")}

    def counts(self, tl: _Timeline) -> dict:
        ended = self.end_day != _NAT
        by_as_of = ended & (self.end_day <= tl.as_of_day)
        return {"churned_by_as_of": int(by_as_of.sum()),
                "involuntary_by_as_of": int((by_as_of & (self.end_kind == 1)).sum()),
                "churned_by_end": int((ended & (self.end_day <= tl.end_day)).sum())}


def _driver(feature, direction, hr, per, log_hr, description, **extra) -> dict:
    """One ``ground_truth["drivers"]`` entry; ``log_hr`` defaults to ``log(hr)``."""
    log_hr = round(float(np.log(hr)), 4) if log_hr is None else float(log_hr)
    return {"feature": feature, "direction": direction,
            "effect": {"hazard_ratio": round(float(hr), 3), "per": per}, "log_hazard_ratio": log_hr,
            "description": description, **extra}


# ---------------------------------------------------------------------- telecom

_PLANS_T = ("month_to_month", "one_year", "two_year")
_PAYMENT = ("electronic_check", "credit_card", "bank_transfer", "mailed_check")


@dataclass(frozen=True)
class _TelecomParams:
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
    desk: _Desk = _Desk(reach=0.7, offer_types=("discount", "service_recovery", "renewal", "loyalty"),
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


TELECOM = _TelecomParams()


def _telecom_block(rs, rm, tl: _Timeline, n: int, ids: np.ndarray):
    P = TELECOM
    region = rs.choice(4, n, p=P.region_p)
    payment = rs.choice(4, n, p=P.payment_p)
    senior = rs.random(n) < P.senior_share
    signup, s_month, dom = _signups(rs, tl, n, P.pre_window_share)
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

    subs = _Contracts(n, P.desk, P.reasons, u_reason)
    hist = _ServiceHistory(n)
    usage = _Rows({"customer_id": _CUST, "period": _DATE, "monthly_charge": _FLOAT,
                   "data_gb": _FLOAT, "dropped_calls": _INT})
    inter = _Rows(_INTERACTION_COLS)
    spike = np.array(P.term_end_spike)

    for t in range(tl.n_months):
        subs.alive[first == t] = True
        idx = np.flatnonzero(subs.alive)
        k = idx.size
        ms, me = int(tl.month_start(t)), int(tl.month_start(t + 1)) - 1
        lo = np.maximum(ms, signup[idx])
        tenure = t - s_month[idx]
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
        day = np.where(term_end, anniversary, _uniform_day(u[:, 2], lo, me))

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
        comp = _contacts(rm, c_rate, lo, hi, hours_mean[idx], P.resolve)
        calls = _contacts(rm, np.full(k, P.call_rate), lo, hi, hours_mean[idx] / 2, P.resolve)
        _add_contacts(inter, idx, comp, "complaint")
        _add_contacts(inter, idx, calls, "call")
        hist.update(idx, comp, complaints=True)
        hist.update(idx, calls, complaints=False)

    customers = _Rows({"customer_id": _CUST, "signup_date": _DATE, "region": _REGIONS,
                       "payment_method": _PAYMENT, "senior": _BOOL})
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


def _telecom_truth() -> dict:
    P = TELECOM
    m2m_first_year = float(np.mean(P.m2m_hazard * (1.0 + np.arange(12)) ** P.m2m_tenure_power))
    drivers = [
        _driver("plan", "+", m2m_first_year / P.contract_hazard[1], "month_to_month vs one_year, "
                "outside contract-end months (first-year average)", None,
                "Month-to-month customers have a much higher baseline hazard; one-/two-year "
                "contracts are low except in the month a term ends.", level="month_to_month"),
        _driver("monthly_charge_change", "+", np.exp(P.b_price * 0.1), "+10% price rise", P.b_price,
                "A random subset gets a 5-25% price rise at some month; from then on the hazard is "
                f"multiplied by exp({P.b_price} x rise). Captured by monthly_charge_change "
                "(last 3 / first 3 - 1)."),
        _driver("unresolved_share", "+", np.exp(P.b_unresolved), "unresolved complaint/call so far (max 3)",
                P.b_unresolved, "Each unresolved contact multiplies the hazard (slow answers are resolved "
                "less often)."),
        _driver("dropped_calls_mean", "+", np.exp(P.b_dropped), "expected dropped call per month",
                P.b_dropped, "Network quality: a customer propensity that varies by region; also drives "
                "complaints."),
        _driver("n_complaints", "+", np.exp(P.b_complaints), "complaint so far (max 5)", P.b_complaints,
                "Complaint rate rises with dropped calls and for 3 months after a price rise."),
        _driver("response_hours_mean", "+", np.exp(P.b_slow), "day of mean response time above 24 h",
                P.b_slow, "Slow responses to complaints and calls."),
        _driver("payment_method", "+", np.exp(P.b_echeck), "electronic_check vs other methods",
                P.b_echeck, "Electronic-check payers churn more (and, with mailed checks, fail payments "
                "2.5x as often: involuntary churn).", level="electronic_check"),
        _driver("senior", "+", np.exp(P.b_senior), "senior vs not", P.b_senior, "Seniors churn a bit more."),
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
    return {"drivers": drivers, "hazard": hazard, "desk": P.desk, "survey_rate": P.survey_rate,
            "reasons": P.reasons, "reason_features": P.reason_features}


# ----------------------------------------------------------------------- retail

_CATEGORIES = ("grocery", "fashion", "home", "electronics", "beauty", "toys", "sports")
_CHANNELS = ("store", "online")


@dataclass(frozen=True)
class _RetailParams:
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
    desk: _Desk = _Desk(reach=0.6, offer_types=("discount", "service_recovery", "loyalty"),
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


RETAIL = _RetailParams()


def _retail_block(rs, rm, tl: _Timeline, n: int, ids: np.ndarray):
    P = RETAIL
    nc = len(_CATEGORIES)
    signup = _uniform_day(rs.random(n), tl.start_day, tl.as_of_day)
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
    drop_day = np.full(n, _NAT)
    contact_day = np.full(n, _NAT)
    contact_month = np.full(n, -1)
    reason = np.full(n, -1)
    protect = np.full(n, -1)
    partial_since = np.full(n, -1)  # month of the partial defection (effect from the next month)
    catdef_since = np.full(n, -1)  # month the favourite category was dropped
    hist = _ServiceHistory(n)
    tx = _Rows({"customer_id": _CUST, "date": _DATE, "amount": _FLOAT, "category": _CATEGORIES})
    inter, offers, exits = _Rows(_INTERACTION_COLS), _offers_rows(P.desk), _Rows(_EXIT_COLS)
    n_drops = 0

    for t in range(tl.n_months):
        ms, me = int(tl.month_start(t)), int(tl.month_start(t + 1)) - 1
        status[s_month == t] = 1
        # win-back contact of customers who lapsed about two months ago
        c = np.flatnonzero((status == 2) & (contact_month == t))
        saved = _run_desk(rm, P.desk, c, reason[c], contact_day[c], offers)
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
        dday = _uniform_day(u[:, 1], lo, me)
        hi = np.where(drop, dday - 1, me)
        d = np.flatnonzero(drop)
        cd = idx[d]
        feats = {"non_member": ~loyalty[cd], "complaints": hist.complaints[cd],
                 "unresolved": hist.unresolved[cd], "online": online[cd]}
        reason[cd] = _reason_codes(P.reasons, feats, u_reason[cd])
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
        vday = np.concatenate([lo[first_visit], _uniform_day(rm.random(other.size), lo[other], hi[other])])
        lines = 1 + rm.poisson(P.extra_lines, vpos.size)
        lpos = np.repeat(vpos, lines)
        lcust = idx[lpos]
        cat = _pick(rm, np.where(c_now[lpos, None], cum_pref_def[lcust], cum_pref[lcust]))
        amount = (line_spend[lcust] * cat_price[cat] * rm.lognormal(0.0, 0.5, lpos.size)
                  * np.where(p_now[lpos], P.partial_amount_mult, 1.0))
        tx.add(customer_id=lcust, date=np.repeat(vday, lines), amount=np.round(np.maximum(amount, 0.5), 2),
               category=cat)

        comp = _contacts(rm, comp_rate[idx] * frac, lo, hi, P.hours_mean, P.resolve)
        _add_contacts(inter, idx, comp, "complaint")
        hist.update(idx, comp, complaints=True)

    customers = _Rows({"customer_id": _CUST, "signup_date": _DATE, "loyalty_member": _BOOL,
                       "region": _REGIONS, "channel": _CHANNELS})
    customers.add(customer_id=np.arange(n), signup_date=signup, loyalty_member=loyalty, region=region,
                  channel=online)
    tables = {
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


def _retail_truth() -> dict:
    P = RETAIL
    drivers = [
        _driver("loyalty_member", "-", np.exp(P.b_loyalty), "member vs non-member", P.b_loyalty,
                "Loyalty members drop out at a third of the rate (and buy 25% more often).", level=True),
        _driver("n_complaints", "+", np.exp(P.b_complaints), "complaint so far (max 4)", P.b_complaints,
                "Each complaint multiplies the dropout hazard; complaint propensity is heterogeneous "
                "(higher online)."),
        _driver("unresolved_share", "+", np.exp(P.b_unresolved), "unresolved complaint so far (max 3)",
                P.b_unresolved, "Unresolved service issues add to the complaint effect."),
        _driver("channel", "+", np.exp(P.b_online), "online vs store", P.b_online,
                "Online customers drop out more (and complain more).", level="online"),
        _driver("response_hours_mean", "+", np.exp(P.b_slow), "day of mean response time above 24 h",
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


# --------------------------------------------------------------------- software

_SIZES = ("small", "mid", "enterprise")
_PLANS_S = ("basic", "pro", "enterprise")
_INDUSTRIES = ("finance", "healthcare", "retail", "manufacturing", "technology", "education")
_REGIONS_S = ("north_america", "europe", "asia_pacific", "latin_america")


@dataclass(frozen=True)
class _SoftwareParams:
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
    desk: _Desk = _Desk(reach=0.8, offer_types=("discount", "service_recovery", "renewal", "loyalty"),
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


SOFTWARE = _SoftwareParams()


def _software_block(rs, rm, tl: _Timeline, n: int, ids: np.ndarray):
    P = SOFTWARE
    size = rs.choice(3, n, p=P.size_p)
    industry = rs.integers(0, len(_INDUSTRIES), n)
    region = rs.choice(4, n, p=P.region_p)
    signup, s_month, dom = _signups(rs, tl, n, P.pre_window_share)
    plan = _pick(rs, np.cumsum(P.plan_p_by_size, axis=1)[size])
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

    subs = _Contracts(n, P.desk, P.reasons, u_reason)
    eng = np.ones(n)  # engagement: logins are proportional to it
    diseng = np.zeros(n, bool)
    ever_diseng = np.zeros(n, bool)
    intent = np.zeros(n, bool)  # annual billing: decided to cancel at the next renewal
    csat_sum, n_tickets = np.zeros(n), np.zeros(n)
    hist = _ServiceHistory(n)
    usage = _Rows({"customer_id": _CUST, "period": _DATE, "mrr": _FLOAT, "seats": _INT, "logins": _INT,
                   "payment_failures": _INT})
    inter = _Rows({**_INTERACTION_COLS, "csat": _FLOAT})

    for t in range(tl.n_months):
        subs.alive[first == t] = True
        idx = np.flatnonzero(subs.alive)
        k = idx.size
        ms, me = int(tl.month_start(t)), int(tl.month_start(t + 1)) - 1
        lo = np.maximum(ms, signup[idx])
        tenure = t - s_month[idx]
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
        day = np.where(renewal, np.minimum(ms + dom[idx], me), _uniform_day(u[:, 8], lo, me))
        intent[idx[decide]] = False
        hi = subs.settle(rm, t, idx, decide, invol, day, me, lambda d: {
            "small_company": size[idx[d]] == 0, "low_csat": np.maximum(4.0 - csat_run[d], 0.0),
            "unresolved": hist.unresolved[idx[d]], "disengaged": dis[d]})

        usage.add(customer_id=idx, period=ms, mrr=np.round(s * seat_price[idx], 2), seats=s,
                  logins=rm.poisson(s * logins_per_seat[idx] * e), payment_failures=failures)
        tk = _contacts(rm, ticket_rate[idx], lo, hi, hours_mean[idx], P.resolve)
        cust = idx[tk.pos]
        csat = np.clip(np.round(fit[cust] + 0.9 * tk.resolved - 0.03 * (tk.hours - 12.0)
                                + rm.normal(0.0, 0.7, tk.pos.size)), 1.0, 5.0)
        _add_contacts(inter, idx, tk, "ticket", csat=csat)
        hist.update(idx, tk, complaints=False)
        csat_sum += np.bincount(cust, weights=csat, minlength=n)
        n_tickets[idx] += tk.count

    customers = _Rows({"customer_id": _CUST, "signup_date": _DATE, "company_size": _SIZES,
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


def _software_truth() -> dict:
    P = SOFTWARE
    drivers = [
        _driver("logins_change", "-", 0.5 ** -P.b_engagement, "logins halved (logins_change = -0.5)",
                -P.b_engagement, "A latent disengagement (onset ~1%/month, likelier with low CSAT) makes "
                "engagement decay 12-30% a month; the cancel hazard is x engagement ** -1.6 and logins "
                "are proportional to engagement, so logins decline in the months before a voluntary "
                "cancel (log-HR -1.6 per unit of log(1 + logins_change)).", unit="log(1 + logins_change)"),
        _driver("csat_mean", "-", np.exp(P.b_csat), "+1 CSAT point (running mean of ticket CSAT)",
                P.b_csat, "Low CSAT (slow or unresolved tickets, poor product fit) raises the cancel "
                "hazard directly and makes disengagement likelier."),
        _driver("payment_failures_mean", "+", P.involuntary_per_failure / P.hazard,
                "month with a failed payment vs the baseline monthly cancel hazard", None,
                f"Each failed payment ends the subscription involuntarily with probability "
                f"{P.involuntary_per_failure} (end_reason involuntary); small companies fail twice "
                "as often."),
        _driver("billing", "-", np.exp(P.b_annual), "annual vs monthly", P.b_annual,
                "Annual customers form cancel intent less often and can only leave at renewal.",
                level="annual"),
        _driver("company_size", "-", np.exp(P.b_size[2]), "enterprise vs small", P.b_size[2],
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
    return {"drivers": drivers, "hazard": hazard, "desk": P.desk, "survey_rate": P.survey_rate,
            "reasons": P.reasons, "reason_features": P.reason_features}


# ------------------------------------------------------------------ orchestration

_BLOCKS: dict[str, Callable] = {"telecom": _telecom_block, "retail": _retail_block,
                                "software": _software_block}
_TRUTHS: dict[str, Callable] = {"telecom": _telecom_truth, "retail": _retail_truth,
                                "software": _software_truth}


def _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of) -> dt.date:
    if scenario not in SCENARIOS:
        raise ParamsError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if int(n_customers) < 1:
        raise ParamsError(f"n_customers must be at least 1, got {n_customers}")
    if int(seed) < 0:
        raise ParamsError(f"seed must be a non-negative integer, got {seed}")
    if int(history_months) < 3:
        raise ParamsError(f"history_months must be at least 3, got {history_months}")
    if int(months_after_as_of) < 0:
        raise ParamsError(f"months_after_as_of must be >= 0, got {months_after_as_of}")
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        raise ParamsError(f"as_of must be a date, got {as_of!r}")
    return as_of


def _block(scenario: str, seed: int, tl: _Timeline, b: int, n_customers: int):
    first = b * RNG_BLOCK
    n = min(RNG_BLOCK, n_customers - first)
    key = (_SCENARIO_KEY[scenario], b)
    rs = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, 0)))
    rm = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, 1)))
    prefix = _PREFIX[scenario]
    ids = np.array([f"{prefix}{i:07d}" for i in range(first + 1, first + n + 1)], dtype=object)
    return _BLOCKS[scenario](rs, rm, tl, n, ids)


def _chunks(scenario, seed, tl, n_customers, chunk_customers):
    """Yield ``(tables, counts)`` per chunk of whole RNG blocks."""
    n_blocks = -(-n_customers // RNG_BLOCK)
    per_chunk = max(1, -(-int(chunk_customers) // RNG_BLOCK))
    for start in range(0, n_blocks, per_chunk):
        parts = [_block(scenario, seed, tl, b, n_customers)
                 for b in range(start, min(start + per_chunk, n_blocks))]
        tables = {name: _concat([p[0][name] for p in parts]) for name in TABLES if name in parts[0][0]}
        counts = {c: sum(p[1][c] for p in parts) for c in parts[0][1]}
        yield tables, counts


def _ground_truth(scenario, seed, n_customers, tl: _Timeline, counts: dict) -> dict:
    truth = _TRUTHS[scenario]()
    desk: _Desk = truth["desk"]
    return json.loads(json.dumps({
        "scenario": scenario,
        "seed": int(seed),
        "n_customers": int(n_customers),
        "as_of": tl.as_of.isoformat(),
        "history_months": tl.n_history,
        "months_after_as_of": tl.n_months - tl.n_history,
        "data_start": str(np.datetime64(tl.start_day, "D")),
        "data_end": str(np.datetime64(tl.end_day, "D")),
        "save_rate": desk.save_rate,
        "exit_survey_response_rate": truth["survey_rate"],
        "drivers": truth["drivers"],
        "hazard": truth["hazard"],
        "reason_model": {
            "form": "multinomial logit at the moment of leaving: P(reason) ~ exp(intercept + "
                    "sum(coef x feature)); one uniform per customer drawn up front",
            "features": truth["reason_features"],
            "coefficients": truth["reasons"],
        },
        "offer_model": desk.describe(),
        "planted_counts": counts,
        "rng": {"block_customers": RNG_BLOCK,
                "streams": "SeedSequence(seed, spawn_key=(scenario_key, block, 0=static|1=monthly))",
                "scenario_key": _SCENARIO_KEY[scenario]},
    }))


def simulate(scenario: str, *, n_customers: int, seed: int, as_of: dt.date,
             history_months: int = 36, months_after_as_of: int = 0) -> Simulation:
    """Simulate one industry scenario in memory.

    Parameters
    ----------
    scenario : ``"telecom"``, ``"retail"`` or ``"software"``.
    n_customers : customers in the study (all active at some point of the window).
    seed : non-negative integer; the same arguments always give the same data.
    as_of : the analysis date; the history window is the ``history_months``
        calendar months ending with the month of ``as_of``.
    months_after_as_of : extra holdout months simulated after ``as_of`` (data
        up to ``as_of`` do not depend on it).

    Returns a :class:`Simulation` with the canonical tables of the industry
    (telecom/software: customers, subscriptions, usage, interactions,
    exit_reasons, offers; retail: customers, transactions, interactions,
    exit_reasons, offers) and the ground truth of what was planted.
    """
    as_of = _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of)
    tl = _Timeline(as_of, int(history_months), int(months_after_as_of))
    chunks = list(_chunks(scenario, int(seed), tl, int(n_customers), n_customers))
    tables, counts = chunks[0]
    return Simulation({name: _to_pandas(cols) for name, cols in tables.items()},
                      _ground_truth(scenario, seed, n_customers, tl, counts))


def simulate_to_parquet(scenario: str, out_dir: Path, *, n_customers: int, seed: int, as_of: dt.date,
                        history_months: int = 36, months_after_as_of: int = 0,
                        chunk_customers: int = 100_000) -> dict[str, Path]:
    """Simulate a scenario straight to ``<out_dir>/<table>.parquet`` with bounded memory.

    Customers are simulated ``chunk_customers`` at a time (rounded up to whole
    blocks of :data:`RNG_BLOCK`) and each chunk is appended as one row group
    per table, so a million customers fit in a few hundred MB. The data are
    identical to :func:`simulate` with the same arguments, whatever
    ``chunk_customers`` is. ``<out_dir>/ground_truth.json`` holds the ground
    truth. Files are written under temporary names and renamed when complete.

    Returns the written paths by table name (plus ``"ground_truth"``).
    """
    as_of = _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of)
    if int(chunk_customers) < 1:
        raise ParamsError(f"chunk_customers must be at least 1, got {chunk_customers}")
    tl = _Timeline(as_of, int(history_months), int(months_after_as_of))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    paths: dict[str, Path] = {}
    totals: dict[str, int] = {}
    try:
        for tables, counts in _chunks(scenario, int(seed), tl, int(n_customers), chunk_customers):
            for name, cols in tables.items():
                table = _to_arrow(cols)
                if name not in writers:
                    paths[name] = out_dir / f"{name}.parquet"
                    writers[name] = pq.ParquetWriter(f"{paths[name]}.tmp", table.schema)
                writers[name].write_table(table)
            totals = {c: totals.get(c, 0) + v for c, v in counts.items()}
    finally:
        for w in writers.values():
            w.close()
    for path in paths.values():
        os.replace(f"{path}.tmp", path)
    truth = _ground_truth(scenario, seed, n_customers, tl, totals)
    gt_path = out_dir / "ground_truth.json"
    with open(f"{gt_path}.tmp", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=2, sort_keys=True)
    os.replace(f"{gt_path}.tmp", gt_path)
    return {**paths, "ground_truth": gt_path}
