"""The simulation engine shared by the three industries of :mod:`churnlab.simulate`.

* the **timeline** (:class:`Timeline`: calendar months, dates as int64 days)
  and the draws that use it (:func:`uniform_day`, :func:`signups`, :func:`pick`);
* the **row accumulator** (:class:`Rows`) that collects a table month by month
  and the conversion of finished blocks to pandas / Arrow (:func:`concat`,
  :func:`to_pandas`, :func:`to_arrow`);
* the **stated-reason and save-desk machinery**: every voluntary leaver has a
  latent exit reason drawn from a multinomial logit whose odds follow the
  customer's planted drivers (:func:`reason_codes`: price rises say "price",
  many unresolved complaints say "service", ...); a share of leavers answers
  an exit survey (``exit_reasons``). Cancelling (or, in retail, lapsed)
  customers may meet a save desk (:class:`Desk`, ``offers``) that keeps about
  half of those it makes an offer to [a course example: a card issuer's save
  team keeps about half]; acceptance depends on whether the offer matches the
  reason (price leavers accept discounts). Saved customers stay at least
  three months;
* **service contacts** (:func:`draw_contacts`, :class:`ServiceHistory`) and the
  leaving / saving / survey bookkeeping of a contractual industry
  (:class:`Contracts`);
* :func:`driver`, one entry of a ground truth's planted drivers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schema import END_REASONS, EXIT_REASONS, INTERACTION_KINDS

NAT = np.iinfo(np.int64).min  # int64 day value that becomes NaT
REGIONS = ("north", "south", "east", "west")


# --------------------------------------------------------------------- timeline


def _add_months(d: dt.date, k: int) -> dt.date:
    """``d`` moved by ``k`` calendar months, the day clipped to the month's end."""
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    first_next = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return dt.date(y, m + 1, min(d.day, (first_next - dt.timedelta(days=1)).day))


def _days(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


class Timeline:
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


def uniform_day(u, lo, hi):
    """Day uniformly in ``[lo, hi]`` (inclusive) from uniforms ``u``."""
    return lo + np.floor(u * (hi - lo + 1)).astype(np.int64)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def signups(rng, tl: Timeline, n: int, pre_share: float, pre_months: int = 72):
    """Signup days: a share ``pre_share`` up to ``pre_months`` before the window, the rest inside it.

    Returns ``(signup_day, signup_month, day_of_month_offset)``.
    """
    pre = rng.random(n) < pre_share
    u = rng.random(n)
    first_pre = int(tl.month_start(-pre_months))
    day = np.where(pre, uniform_day(u, first_pre, tl.start_day - 1),
                   uniform_day(u, tl.start_day, tl.as_of_day))
    month = tl.month_of(day)
    return day, month, day - tl.month_start(month)


def pick(rng, cum: np.ndarray) -> np.ndarray:
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
CUST, DATE, FLOAT, INT, BOOL = "cust", "date", "float", "int", "bool"
_NP = {CUST: np.int64, DATE: np.int64, FLOAT: np.float64, INT: np.int64, BOOL: np.bool_}


class Rows:
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
    if kind == CUST:
        return _Text(values, ids)
    if isinstance(kind, tuple):
        return _Text(values, np.array(kind, dtype=object))
    if kind == DATE:
        return values.astype("datetime64[D]")
    return values


def concat(tables: list[dict]) -> dict:
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


def to_pandas(cols: dict) -> pd.DataFrame:
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


def to_arrow(cols: dict) -> pa.Table:
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


def reason_codes(model: dict, feats: dict, u: np.ndarray) -> np.ndarray:
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
class Desk:
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


_OFFERS_COLS = {"customer_id": CUST, "date": DATE, "offer_type": None, "accepted": BOOL, "saved": BOOL}


def offers_rows(desk: Desk) -> Rows:
    return Rows({**_OFFERS_COLS, "offer_type": desk.offer_types})


def run_desk(rng, desk: Desk, cust, reasons, day, offers: Rows) -> np.ndarray:
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


EXIT_COLS = {"customer_id": CUST, "date": DATE, "reason": EXIT_REASONS}
INTERACTION_COLS = {"customer_id": CUST, "date": DATE, "kind": INTERACTION_KINDS,
                     "response_hours": FLOAT, "resolved": BOOL}
_KIND = {k: i for i, k in enumerate(INTERACTION_KINDS)}


@dataclass
class Contacts:
    pos: np.ndarray  # position in the month's active array, per row
    day: np.ndarray
    hours: np.ndarray
    resolved: np.ndarray
    count: np.ndarray  # per active customer
    unresolved: np.ndarray
    hours_sum: np.ndarray


def draw_contacts(rng, rate, lo, hi, hours_mean, resolve: tuple[float, float]) -> Contacts:
    """Poisson(``rate``) contacts per customer on days in ``[lo, hi]``.

    Response hours are gamma(2) with mean ``hours_mean``; a contact is resolved
    with probability ``expit(a - b * hours)`` (slow answers are resolved less).
    """
    k = len(rate)
    cnt = rng.poisson(rate)
    pos = np.repeat(np.arange(k), cnt)
    day = uniform_day(rng.random(pos.size), lo[pos], hi[pos])
    hours = np.round(rng.gamma(2.0, np.broadcast_to(hours_mean, (k,))[pos] / 2.0), 1)
    resolved = rng.random(pos.size) < _expit(resolve[0] - resolve[1] * hours)
    return Contacts(pos, day, hours, resolved, cnt,
                     np.bincount(pos, weights=~resolved, minlength=k),
                     np.bincount(pos, weights=hours, minlength=k))


class ServiceHistory:
    """Running per-customer counts of contacts (the hazard uses them lagged)."""

    def __init__(self, n: int):
        self.complaints = np.zeros(n)
        self.contacts = np.zeros(n)
        self.unresolved = np.zeros(n)
        self.hours = np.zeros(n)

    def update(self, idx, c: Contacts, *, complaints: bool) -> None:
        if complaints:
            self.complaints[idx] += c.count
        self.contacts[idx] += c.count
        self.unresolved[idx] += c.unresolved
        self.hours[idx] += c.hours_sum

    def slow(self, idx) -> np.ndarray:
        """Mean response hours above 24, in days (0 without contacts)."""
        mean = self.hours[idx] / np.maximum(self.contacts[idx], 1)
        return np.maximum(mean - 24.0, 0.0) / 24.0


def add_contacts(rows: Rows, idx, c: Contacts, kind: str, **extra) -> None:
    rows.add(customer_id=idx[c.pos], date=c.day, kind=_KIND[kind], response_hours=c.hours,
             resolved=c.resolved, **extra)


class Contracts:
    """Leaving, saving and exit surveys of a contractual industry (telecom, software).

    Each month the industry says who decides to cancel (``decide``) and who is
    ended for non-payment (``invol``); :meth:`settle` draws the latent exit
    reasons, runs the save desk, ends the subscriptions of those who leave
    and protects the saved for ``desk.save_months`` months.
    """

    def __init__(self, n: int, desk: Desk, reasons: dict, u_reason: np.ndarray):
        self.desk, self.reasons, self.u_reason = desk, reasons, u_reason
        self.alive = np.zeros(n, bool)
        self.end_day = np.full(n, NAT)
        self.end_kind = np.full(n, -1)  # 0 voluntary, 1 involuntary
        self.reason = np.full(n, -1)
        self.protect = np.full(n, -1)  # protected from leaving up to this month
        self.offers = offers_rows(desk)

    def months(self, tl: Timeline, first: np.ndarray, signup: np.ndarray, s_month: np.ndarray):
        """Month by month: activate the customers whose first simulated month it is and
        yield ``(t, idx, month_start, month_end, lo, tenure)`` -- the active customers
        ``idx``, the first day each is active in the month (``lo``) and their tenure in
        months. Who is active is read again after the caller settled the month.
        """
        for t in range(tl.n_months):
            self.alive[first == t] = True
            idx = np.flatnonzero(self.alive)
            ms, me = int(tl.month_start(t)), int(tl.month_start(t + 1)) - 1
            yield t, idx, ms, me, np.maximum(ms, signup[idx]), t - s_month[idx]

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
        r = reason_codes(self.reasons, feats(d), self.u_reason[cd])
        saved = run_desk(rng, self.desk, cd, r, day[d], self.offers)
        self.protect[cd[saved]] = t + self.desk.save_months
        self.reason[cd[~saved]] = r[~saved]
        leave = invol & self.free(idx, t)
        leave[d[~saved]] = True
        gone = idx[leave]
        self.end_day[gone] = day[leave]
        self.end_kind[gone] = np.where(invol[leave], 1, 0)
        self.alive[gone] = False
        return np.where(leave, day, month_end)

    def tables(self, tl: Timeline, ids, signup, plan, plans: tuple, billing, billings: tuple,
               u_survey, survey_rate: float) -> dict:
        """The subscriptions, exit_reasons and offers tables."""
        ended = (self.end_day != NAT) & (self.end_day <= tl.end_day)
        n = len(signup)
        subs = Rows({"customer_id": CUST, "start_date": DATE, "end_date": DATE, "plan": plans,
                      "billing": billings, "end_reason": END_REASONS})
        subs.add(customer_id=np.arange(n), start_date=signup, end_date=np.where(ended, self.end_day, NAT),
                 plan=plan, billing=billing, end_reason=np.where(ended, self.end_kind, -1))
        exits = Rows(EXIT_COLS)
        answer = np.flatnonzero((self.end_kind == 0) & (u_survey < survey_rate))
        exits.add(customer_id=answer, date=self.end_day[answer], reason=self.reason[answer])
        return {"subscriptions": subs.finish(ids, tl.end_day, None),
                "exit_reasons": exits.finish(ids, tl.end_day, "date"),
                "offers": self.offers.finish(ids, tl.end_day, "date")}

    def counts(self, tl: Timeline) -> dict:
        ended = self.end_day != NAT
        by_as_of = ended & (self.end_day <= tl.as_of_day)
        return {"churned_by_as_of": int(by_as_of.sum()),
                "involuntary_by_as_of": int((by_as_of & (self.end_kind == 1)).sum()),
                "churned_by_end": int((ended & (self.end_day <= tl.end_day)).sum())}


def driver(feature, direction, hr, per, log_hr, description, **extra) -> dict:
    """One ``ground_truth["drivers"]`` entry; ``log_hr`` defaults to ``log(hr)``."""
    log_hr = round(float(np.log(hr)), 4) if log_hr is None else float(log_hr)
    return {"feature": feature, "direction": direction,
            "effect": {"hazard_ratio": round(float(hr), 3), "per": per}, "log_hazard_ratio": log_hr,
            "description": description, **extra}
