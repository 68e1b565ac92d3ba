"""Stage 5 as one result: everything notebook 05 shows, and the ``kpi`` section of metrics.json.

:func:`evaluate` takes the study's params, its collection (stage 1), the survival
table of stage 3 (:class:`churnlab.survival.Prepared`, not recomputed here) and the
canonical tables it needs (:data:`INPUT_TABLES`), and returns a :class:`KpiResult`:

1. churn, retention and growth per month, quarter and year (:func:`.rates.churn_rates`),
   monthly <-> annual conversions, the monthly rate by segment, churners by end reason;
2. logo and revenue retention by acquisition cohort, MRR movements (subscriptions);
3. win-back and save-desk success, the customer lifecycle, early-warning indicators;
4. the scorecard of the latest KPIs against ``params.kpi.targets``;
5. how much the churn definition matters, and churn measured three ways.

Rules the notebook used to spell out, now here:

* **silent churn follows the survival models' censoring rule**
  (:func:`churnlab.collect.definitions.censor_at`): under a windowed definition
  (``inactivity``, ``partial``, ``category``) churn is dated at the last purchase and
  known only up to ``as_of`` minus the window, so period rates (and the cross-check)
  end with the last complete period before that day: the months after it cannot be
  observed yet;
* the **window** runs from the first day of the data (``prepared.observed_from``:
  ``survival.observed_from`` or the simulator's data start), else the earliest start
  date, to ``as_of``; only complete periods count;
* the **segment** is ``value.segment`` if set, else the first of plan, Contract,
  loyalty_member, channel, company_size with 2 to 8 levels;
* the scorecard compares the latest period with the one before: monthly churn,
  retention and growth, trailing-12-month GRR / NRR / quick ratio, win-back and save
  rates (no previous value), complaints, response hours and satisfaction.

A section that cannot run on the data is left empty (None) and ``skipped[section]``
says why (sections: rates, segment, end_reasons, cohorts, mrr, lifecycle, indicators,
scorecard, sensitivity, consistency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import i18n
from ..clv import cohort_table, sbg_projection
from ..collect.definitions import censor_at
from ..design import segment_column
from ..errors import DataError
from ..params import StudyParams
from ..units import UNIT_DAYS, tenure_months
from . import history, lifecycle, rates, revenue, winback
from .rates import Consistency
from .scorecard import KPI_UNITS, indicators, scorecard

if TYPE_CHECKING:
    from ..collect.pipeline import Collection
    from ..survival import Prepared

#: Canonical tables :func:`evaluate` reads: name -> columns (None: all).
INPUT_TABLES: dict[str, list[str] | None] = {
    "subscriptions": None, "usage": None, "interactions": None, "offers": None, "customers": None,
    "transactions": ["customer_id", "date", "amount"]}

#: Churn definitions under which churn is silent (dated at the last purchase).
SILENT_DEFINITIONS = ("inactivity", "partial", "category")
#: Segment columns tried in order when ``value.segment`` is empty.
#: Usage columns followed as early-warning indicators.
USAGE_INDICATORS = ("data_gb", "dropped_calls", "logins", "seats")
#: Indicators that go on the scorecard (latest month vs the month before).
SCORED_INDICATORS = ("complaints_per_100", "response_hours", "satisfaction")
#: Dormancy (days) of the lifecycle for contractual data.
CONTRACT_DORMANT_DAYS = 45
#: The period each scored per-period rate is measured over (:func:`latest_kpis`): the latest month,
#: or for GRR / NRR the monthly rate of the movements pooled over the last 12 months.
MEASURED_PERIODS = {"monthly_churn": "month", "monthly_retention": "month", "growth_rate": "month",
                    "grr": "month", "nrr": "month", "complaints_per_100": "month"}
SAME_PERIOD_RULE = ("joined (or came back) and lapsed in the same period: left out of the rate, counted as "
                    "new_and_churned; a return is counted as reactivated in its period")

_SBG_NOTE = ("The sBG is fitted on cohorts acquired inside the data window only (young customers) "
             "and assumes each customer's churn probability never changes; where risk rises with "
             "tenure or contract ends bunch churn, its extrapolation to older customers drifts.")
_SURVIVAL_NOTE = ("The survival rate spreads churn over the months at risk, the period rate over the "
                  "customers present at the start of each month; they drift apart when many customers "
                  "join or leave mid-month or when churn is dated differently (e.g. silent churn dated "
                  "at the last purchase).")


@dataclass
class KpiResult:
    """Notebook 05's content; tables as the :mod:`churnlab.kpi` functions return them.

    ``rates`` churn / retention / growth per ``"month"``, ``"quarter"``, ``"year"``
    (complete periods only); ``logo_cohorts`` survivors per acquisition month and age
    (:func:`churnlab.clv.cohort_table`); ``revenue_cohorts`` revenue retention;
    ``mrr`` / ``mrr_trailing`` monthly MRR movements and their trailing-12-month
    ratios; ``winback`` and ``save_desk`` the dicts of :mod:`.winback`;
    ``sensitivity`` churn per inactivity window or re-subscription gap;
    ``notes`` one-line explanations per section; ``skipped`` section -> why it is (partly)
    empty, one sentence per reason.
    """

    params: StudyParams
    start: pd.Timestamp | None
    end: pd.Timestamp
    overall_churn: float
    rates: dict[str, pd.DataFrame] = field(default_factory=dict)
    spells: pd.DataFrame | None = None
    conversions: pd.DataFrame | None = None
    segment: str | None = None
    segment_rates: pd.DataFrame | None = None
    segment_yearly: pd.DataFrame | None = None
    end_reasons: pd.DataFrame | None = None
    logo_cohorts: pd.DataFrame | None = None
    revenue_cohorts: pd.DataFrame | None = None
    mrr: pd.DataFrame | None = None
    mrr_trailing: pd.DataFrame | None = None
    winback: dict | None = None
    save_desk: dict = field(default_factory=dict)
    lifecycle_counts: pd.DataFrame | None = None
    lifecycle_transitions: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    scorecard: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    consistency: Consistency | None = None
    notes: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    observed_until: pd.Timestamp | None = None
    #: the scorecard's KPIs measured over another period than their target's (:func:`scorecard_note`)
    conversions_scored: list[dict] = field(default_factory=list)

    @property
    def rates_end(self) -> pd.Timestamp:
        """The last day churn is known (:func:`churnlab.collect.definitions.observation_end`):
        period rates and the cross-check stop there; ``end`` (``as_of``) for contracts."""
        return self.end if self.observed_until is None else min(self.end, self.observed_until)

    def skip(self, section: str, reason: str) -> None:
        """Record why (part of) ``section`` could not run."""
        self.skipped[section] = f"{self.skipped[section]} {reason}" if section in self.skipped else reason

    # ------------------------------------------------------------------ views

    @property
    def silent(self) -> bool:
        """Whether churn is silent (inactivity-type definition)."""
        return self.params.churn.definition in SILENT_DEFINITIONS

    @property
    def summary(self) -> str:
        """One line (Markdown): scenario, window and churn definition."""
        if self.start is None:
            return "This data has no dates."
        c = self.params.churn
        known = (f" (churn dated at the last purchase; it is known up to {self.rates_end:%Y-%m-%d}, "
                 "so churn rates stop there)" if self.rates_end < self.end else "")
        return (f"**Scenario:** {self.params.scenario} · **window:** {self.start:%Y-%m-%d} to "
                f"{self.end:%Y-%m-%d} · **churn definition:** {c.definition}{known}")

    @property
    def monthly(self) -> pd.DataFrame | None:
        """The monthly rates of the months with customers at the start."""
        m = self.rates.get("month")
        m = None if m is None else m.dropna(subset=["churn_rate"])
        return None if m is None or m.empty else m

    @property
    def pooled_monthly_churn(self) -> float | None:
        """Churned / customers at the start, pooled over the last 12 months."""
        m = self.monthly
        return None if m is None else rates.pooled_churn(m, last=12)

    @property
    def churn_by_kind(self) -> pd.Series | None:
        """Share of churners per end reason (voluntary, involuntary, ...)."""
        if self.end_reasons is None:
            return None
        return (self.end_reasons.sum() / self.end_reasons.sum().sum()).rename("share")

    @property
    def logo_retention(self) -> pd.DataFrame | None:
        """Share of each cohort still active at each age."""
        c = self.logo_cohorts
        return None if c is None else c.div(c[0], axis=0)

    @property
    def winback_table(self) -> pd.DataFrame:
        """Win-back and save-desk rates, each with what it is based on."""
        rows = []
        wb, desk = self.winback, self.save_desk
        if wb is not None:
            rows.append({"kpi": f"win-back rate ({self.params.kpi.winback_days} days)", "value": wb["rate"],
                         "based on": f"{wb['returned']:,} of {wb['churn_events']:,} churn events"})
        if desk.get("offers"):
            rows.append({"kpi": "save-desk success (kept / accepted offers)", "value": desk["success_rate"],
                         "based on": f"{desk['saved']:,} of {desk['accepted']:,} accepted offers"})
            rows.append({"kpi": "save rate (kept / all offers)", "value": desk["save_rate"],
                         "based on": f"{desk['saved']:,} of {desk['offers']:,} offers"})
        return pd.DataFrame(rows)

    # ---------------------------------------------------------------- metrics

    def metrics(self) -> dict[str, dict]:
        """The ``kpi`` section of metrics.json."""
        m: dict = {}
        if self.rates:
            monthly = self.monthly
            per = self.rates.items()
            m["churn_rate"] = {p: dict(zip(t["period"], t["churn_rate"])) for p, t in per}
            m["retention_rate"] = {p: dict(zip(t["period"], t["retention_rate"])) for p, t in per}
            m["churn_rate_latest"] = {p: float(t["churn_rate"].dropna().iloc[-1]) for p, t in per
                                      if t["churn_rate"].notna().any()}
            m["retention_rate_latest"] = {p: 1 - v for p, v in m["churn_rate_latest"].items()}
            if monthly is not None:
                m["annualised_churn"] = float(rates.annualise(self.pooled_monthly_churn, 12))
                m["growth_rate_latest"] = float(monthly["growth_rate"].iloc[-1])
            m["same_period_churn_rule"] = SAME_PERIOD_RULE
        if self.end_reasons is not None:
            m["churn_by_kind"] = self.churn_by_kind.to_dict()
        share = self.logo_retention
        if share is not None and 12 in share and share[12].notna().any():
            at12 = share[12].dropna()
            m["cohort_logo_retention_12m"] = float(self.logo_cohorts[12].dropna().sum()
                                                   / self.logo_cohorts.loc[at12.index, 0].sum())
        if self.mrr_trailing is not None:
            last = self.mrr_trailing.iloc[-1]
            m.update({k: last[k] for k in ("grr", "nrr", "quick_ratio", "net_mrr_churn")})
        if self.winback is not None:
            m["winback_rate"] = self.winback["rate"]
        offers = bool(self.save_desk.get("offers"))
        m["save_rate"] = self.save_desk["save_rate"] if offers else None
        m["save_desk_success_rate"] = self.save_desk["success_rate"] if offers else None
        if self.lifecycle_counts is not None:
            m["lifecycle_latest"] = self.lifecycle_counts.iloc[-1].to_dict()
        if self.indicators is not None:
            m["indicators_latest"] = self.indicators.iloc[-1].to_dict()
        m["scorecard"] = [{"kpi": r.kpi, "value": r.value, "target": r.target, "period": r.period,
                           "previous": r.previous, "trend": r.trend, "status": r.status,
                           "unit": KPI_UNITS.get(r.kpi, "")}
                          for r in self.scorecard.itertuples()]
        if self.sensitivity is not None:
            m["definition_sensitivity"] = self.sensitivity.to_dict(orient="list")
        if self.consistency is not None:
            t = self.consistency.table
            m["consistency"] = {"methods": dict(zip(t["method"], t["monthly_churn"])),
                                "agree": self.consistency.agree, "tolerance": self.consistency.tolerance,
                                "note": consistency_note(self.consistency).replace("**", "")}
        return {"kpi": m}


# ====================================================================== the stage


def evaluate(params: StudyParams, collection: Collection, prepared: Prepared, *,
             tables: dict[str, pd.DataFrame]) -> KpiResult:
    """Compute every KPI of stage 5 (module docstring for the rules).

    ``tables``: the canonical tables of :data:`INPUT_TABLES` the study has (absent
    keys: the study has no such table).
    """
    a = collection.analysis
    dated = "start_date" in a and a["start_date"].notna().all()
    observed_from = prepared.observed_from
    start = pd.Timestamp(observed_from) if observed_from else (a["start_date"].min() if dated else None)
    res = KpiResult(params, start, pd.Timestamp(params.as_of), float(a["churned"].mean()),
                    observed_until=pd.Timestamp(a["observed_until"].max()) if "observed_until" in a
                    else None)
    customers = _dated_customers(a, params) if dated else a
    if not dated:
        res.skip("rates", "This data has no start and end dates (a single customer table): period "
                                "rates cannot be computed. Only the overall churn share is known: "
                                f"**{res.overall_churn:.1%}**.")
    else:
        configured = [params.value.segment] if params.value and params.value.segment else []
        res.spells = event_history(params, a, tables, keep=[*prepared.categorical, *configured],
                                   notes=res.notes)
        _period_rates(res, res.spells, segments=prepared.categorical)
        _end_reasons(res, customers)
    if dated:
        _cohorts(res, a, observed_from)
        _revenue_cohorts(res, a, tables, observed_from)
    _mrr(res, tables.get("usage"))
    res.winback = _winback(params, tables)
    res.save_desk = winback.save_desk(tables.get("offers"))
    if dated:
        _lifecycle(res, a, tables)
    _indicators(res, tables)
    current, previous = latest_kpis(res)
    res.scorecard = scorecard(current, previous, params.kpi.targets, periods=MEASURED_PERIODS,
                              tolerance=params.kpi.tolerance)
    card = res.scorecard
    converted = card[card["period"].notna() & (card["period"] != card["kpi"].map(MEASURED_PERIODS))] \
        if len(card) else card
    if len(converted):
        res.conversions_scored = [{"kpi": r.kpi, "measured": MEASURED_PERIODS[r.kpi], "current": current[r.kpi],
                                   "value": r.value, "period": r.period, "target": r.target}
                                  for r in converted.itertuples()]
        res.notes["scorecard"] = scorecard_note(res.conversions_scored)
    if res.scorecard.empty:
        res.skip("scorecard", "No KPI could be computed for a scorecard from this data.")
        res.scorecard = pd.DataFrame(columns=["kpi", "value", "target", "period", "previous", "trend",
                                              "status"])
    _sensitivity(res, tables)
    if res.monthly is not None:
        _consistency(res, a, prepared)
    return res


def event_history(params: StudyParams, a: pd.DataFrame, tables: dict, *, keep: list[str],
                  notes: dict[str, str] | None = None) -> pd.DataFrame:
    """The spells the period rates count (:mod:`.history`), with the analysis columns ``keep``.

    Contractual churn with a subscriptions table: relationships chained with
    ``churn.resubscribe_gap_days``; the inactivity definition with transactions:
    spells split by silences of more than ``churn.inactivity_days``. Other
    definitions (partial, category) have no event history of lapses and returns:
    the analysis table's single status is used, one spell per customer, with silent
    churn dated by the censoring rule (and ``notes["rates"]`` says so).
    """
    c, end = params.churn, pd.Timestamp(params.as_of)
    if c.definition == "contractual" and tables.get("subscriptions") is not None:
        spells = history.subscription_spells(tables["subscriptions"], gap_days=c.resubscribe_gap_days, end=end)
    elif c.definition == "inactivity" and tables.get("transactions") is not None:
        spells = history.purchase_spells(tables["transactions"], inactivity_days=c.inactivity_days, end=end)
    else:
        if notes is not None:
            notes["rates"] = (f"Under the {c.definition} definition churn has no history of lapses and "
                              "returns: each customer's status as of the analysis date is counted once.")
        return _dated_customers(a, params).assign(spell=1)
    cols = list(dict.fromkeys(k for k in keep if k in a and k not in spells))  # value.segment may be a covariate too
    return spells.merge(a[["customer_id", *cols]], on="customer_id", how="left")


def history_note(spells: pd.DataFrame, monthly: pd.DataFrame) -> str:
    """One line on what counting the event history changes in the monthly table: lapses
    of customers who came back later (a single status as of the analysis date would
    not show them) and returns counted as reactivations."""
    m = monthly
    lapses, back = int(m["churned"].sum() + m["new_and_churned"].sum()), int(m["reactivated"].sum())
    first, last = pd.Period(m["period"].iloc[0], "M").start_time, pd.Period(m["period"].iloc[-1], "M").end_time
    later = spells.groupby("customer_id")["spell"].transform("max") > spells["spell"]
    inside = spells["churned"] & spells["end_date"].between(first, last)
    reversed_ = int((inside & later).sum())
    return (f"Counted on the event history: **{lapses:,} lapses** from {m['period'].iloc[0]} to "
            f"{m['period'].iloc[-1]}, of which **{reversed_:,}** by customers who came back later (each "
            f"counts in the month it happened; a single status as of the analysis date would miss "
            f"them), and **{back:,} returns** counted as reactivations.")


def _dated_customers(a: pd.DataFrame, params: StudyParams) -> pd.DataFrame:
    """The analysis table under the study's one censoring rule
    (:func:`churnlab.collect.definitions.censor_at`): churn dated at the last activity
    and counted only up to ``observed_until``; contracts are unchanged."""
    return censor_at(a, a["observed_until"]) if "observed_until" in a else a.copy()


def _period_rates(res: KpiResult, customers: pd.DataFrame, *, segments: list[str]) -> None:
    """Rates per month, quarter and year; conversions; rates by segment."""
    for per in ("month", "quarter", "year"):
        try:
            res.rates[per] = rates.churn_rates(customers, period=per, start=res.start, end=res.rates_end)
        except DataError as exc:
            res.skip("rates", f"{per.capitalize()}ly rates skipped: {exc}.")
    if res.monthly is None:
        return
    if "rates" not in res.notes:
        res.notes["rates"] = history_note(customers, res.rates["month"])
    res.conversions = rates.conversion_table(res.pooled_monthly_churn, res.rates.get("year"))
    res.segment = segment_column(customers, configured=res.params.value.segment if res.params.value else "",
                                 candidates=segments)
    if res.segment is None:
        res.skip("segment", "Rates by segment skipped: no segment column with 2 to 8 levels.")
        return
    res.segment_rates = rates.churn_rates(customers, period="month", start=res.start, end=res.rates_end,
                                          segment=res.segment)
    try:
        yearly = rates.churn_rates(customers, period="year", start=res.start, end=res.rates_end,
                                   segment=res.segment)
        res.segment_yearly = yearly.pivot(index="segment", columns="period", values="churn_rate")
    except DataError as exc:
        res.skip("segment", f"Yearly rates by {res.segment} skipped: {exc}.")


def _end_reasons(res: KpiResult, customers: pd.DataFrame) -> None:
    if "end_reason" in customers and customers["end_reason"].notna().any():
        res.end_reasons = rates.end_reasons(customers, period="quarter", start=res.start, end=res.rates_end)
    else:
        res.skip("end_reasons", "No end reasons in this data (or churn has no end date).")


def _cohorts(res: KpiResult, a: pd.DataFrame, observed_from) -> None:
    """Survivors per acquisition month (also the sBG's input)."""
    try:
        res.logo_cohorts = cohort_table(a, period="month", as_of=res.params.as_of,
                                        observed_from=observed_from)
    except DataError as exc:
        res.skip("cohorts", f"Cohorts skipped: {exc}.")
        if not res.silent:
            res.skip("consistency", f"sBG skipped: {exc}.")


def study_revenue(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Customers x months revenue: usage MRR (or monthly charge), else transaction amounts."""
    usage, tx = tables.get("usage"), tables.get("transactions")
    if usage is not None and ({"mrr", "monthly_charge"} & set(usage.columns)):
        return revenue.monthly_revenue(usage, value="mrr" if "mrr" in usage else "monthly_charge")
    if tx is not None:
        return revenue.monthly_revenue(tx.rename(columns={"date": "period"}), value="amount")
    return None


def _revenue_cohorts(res: KpiResult, a: pd.DataFrame, tables: dict, observed_from) -> None:
    if res.logo_cohorts is None:
        return
    rev = study_revenue(tables)
    if rev is None:
        res.skip("cohorts", "No revenue data: logo retention only.")
        return
    coh = pd.to_datetime(a.set_index("customer_id")["start_date"]).dt.to_period("M")
    ret = revenue.revenue_cohorts(rev, coh)
    res.revenue_cohorts = ret[ret.index >= (str(pd.Period(observed_from, "M")) if observed_from else "")]


def _mrr(res: KpiResult, usage: pd.DataFrame | None) -> None:
    """MRR movements from the window start on and their trailing-12-month ratios."""
    if usage is None or "mrr" not in usage:
        res.skip("mrr", "No recurring-revenue (MRR) data in this study.")
        return
    mrr = revenue.mrr_movements(revenue.monthly_revenue(usage, value="mrr"))
    res.mrr = mrr[mrr["month"] >= str(pd.Period(res.start, "M"))] if res.start is not None else mrr
    trailing = revenue.trailing_mrr(res.mrr, months=12)
    if trailing.empty:
        res.skip("mrr", "Fewer than 12 months of MRR movements: no trailing ratios.")
        return
    res.mrr_trailing = trailing
    s = trailing.iloc[-1]
    res.notes["mrr"] = (f"Last 12 months, movements pooled (also the scorecard's figures): "
                        f"**GRR {s['grr']:.2%}**, **NRR {s['nrr']:.2%}**, net MRR churn "
                        f"{s['net_mrr_churn']:.2%}, **quick ratio {s['quick_ratio']:.2f}**, all per month. "
                        f"Following ChartMogul, NRR leaves reactivated MRR out and net MRR churn nets it "
                        f"off: here 1 − NRR = {1 - s['nrr']:.3%} and net MRR churn = "
                        f"{s['net_mrr_churn']:.3%}, apart by the reactivated MRR.")


def _winback(params: StudyParams, tables: dict) -> dict | None:
    end, kp, c = pd.Timestamp(params.as_of), params.kpi, params.churn
    if "subscriptions" in tables:
        return winback.winback_subscriptions(tables["subscriptions"], gap_days=c.resubscribe_gap_days,
                                             window_days=kp.winback_days, end=end)
    if tables.get("transactions") is not None:
        return winback.winback_purchases(tables["transactions"], inactivity_days=c.inactivity_days,
                                         window_days=kp.winback_days, end=end)
    return None


def _lifecycle(res: KpiResult, a: pd.DataFrame, tables: dict) -> None:
    """Lifecycle stages at each quarter end: purchases, or months with a subscription."""
    tx, usage, cust = tables.get("transactions"), tables.get("usage"), tables.get("customers")
    if tx is not None:
        act = tx[["customer_id", "date"]]
    elif usage is not None:
        act = usage[["customer_id", "period"]].rename(columns={"period": "date"})
    else:
        res.skip("lifecycle", "No activity data (purchases or usage) for the lifecycle.")
        return
    starts = a.set_index("customer_id")["start_date"]
    signup = cust.set_index("customer_id")["signup_date"] if cust is not None and "signup_date" in cust \
        else starts
    dormant = res.params.churn.inactivity_days if res.silent else CONTRACT_DORMANT_DAYS
    states = lifecycle.lifecycle_states(act, signup, period="quarter", start=res.start, end=res.end,
                                        dormant_days=dormant, first=None if tx is not None else starts)
    res.lifecycle_counts = lifecycle.lifecycle_counts(states)
    res.lifecycle_transitions = lifecycle.transition_matrix(states)


def _indicators(res: KpiResult, tables: dict) -> None:
    if "month" not in res.rates:
        return
    usage = tables.get("usage")
    active = res.rates["month"].set_index("period")["at_start"].replace(0, np.nan)
    cols = tuple(c for c in USAGE_INDICATORS if usage is not None and c in usage)
    ind = indicators(active_per_period=active, interactions=tables.get("interactions"),
                          usage=usage, usage_cols=cols, period="month").dropna(how="all")
    if ind.shape[1]:
        res.indicators = ind
    else:
        res.skip("indicators", "No interactions or usage to follow as indicators.")


def latest_kpis(res: KpiResult) -> tuple[dict[str, float], dict[str, float]]:
    """The scorecard's current and previous values (KPI name -> value), in scorecard order.

    Monthly churn, retention and growth of the last two months; trailing-12-month GRR,
    NRR and quick ratio; the win-back and save rates (current only); complaints per 100,
    response hours and satisfaction of the last two months.
    """
    current, previous = {}, {}

    def latest(table: pd.DataFrame, columns: dict[str, str]) -> None:
        for kpi, col in columns.items():
            current[kpi] = float(table[col].iloc[-1])
            if len(table) >= 2:
                previous[kpi] = float(table[col].iloc[-2])

    m = res.monthly
    if m is not None:
        latest(m, {"monthly_churn": "churn_rate", "monthly_retention": "retention_rate",
                   "growth_rate": "growth_rate"})
    if res.mrr_trailing is not None:
        latest(res.mrr_trailing, {k: k for k in ("grr", "nrr", "quick_ratio")})
    if res.winback is not None:
        current["winback_rate"] = res.winback["rate"]
    if res.save_desk.get("offers"):
        current["save_rate"] = res.save_desk["save_rate"]
    ind = res.indicators
    if ind is not None:
        latest(ind, {c: c for c in SCORED_INDICATORS if c in ind and ind[c].notna().sum() >= 2})
    return current, previous


def _sensitivity(res: KpiResult, tables: dict) -> None:
    """Churn per inactivity window (shops) or re-subscription gap (contracts)."""
    tx, end, days = tables.get("transactions"), res.end, res.params.kpi.sensitivity_days
    if tx is not None:
        later = tx["date"].max().normalize() > end
        cutoff = end if later else end - pd.Timedelta(days=180)
        horizon_end = tx["date"].max() if later else end
        res.sensitivity = winback.inactivity_sensitivity(tx, windows=days, cutoff=cutoff, end=horizon_end)
        res.notes["sensitivity"] = (f"Evaluated on {cutoff:%Y-%m-%d}; 'returned' = bought again by "
                                    f"{horizon_end:%Y-%m-%d}.")
    elif "subscriptions" in tables:
        res.sensitivity = winback.gap_sensitivity(tables["subscriptions"], gaps=days, end=end)
        if res.sensitivity["churn_events"].nunique() == 1:
            res.notes["sensitivity"] = ("Here the definition changes nothing: every customer has a single "
                                        "contract, so no re-subscription gap is ever bridged.")
    else:
        res.skip("sensitivity", "No transactions or subscriptions to vary the churn definition on.")


def _consistency(res: KpiResult, a: pd.DataFrame, prepared: Prepared) -> None:
    """Monthly churn three ways: period rate, survival hazard, sBG (not for silent churn)."""
    last12 = res.monthly["period"].tail(12)  # the months the pooled period rate covers
    km_rate = rates.hazard_rate(prepared.table, since=pd.Period(last12.iloc[0], "M").start_time,
                                until=pd.Period(last12.iloc[-1], "M").end_time.normalize()
                                + pd.Timedelta(days=1),
                                days_per_unit=UNIT_DAYS[res.params.survival.unit])
    sbg_rate = None
    cohorts = res.logo_cohorts
    if not res.silent and cohorts is not None:
        try:
            fit = sbg_projection(cohorts, fit_periods=min(12, cohorts.shape[1] - 1)).fit
            ages = np.floor(tenure_months(a.loc[~a["churned"], "start_date"], res.end))
            sbg_rate = rates.sbg_monthly_churn(fit, ages)
        except DataError as exc:
            res.skip("consistency", f"sBG skipped: {exc}.")
    cons = rates.consistency(period_rate=res.pooled_monthly_churn, km_hazard=km_rate, sbg_rate=sbg_rate,
                             tolerance=res.params.kpi.consistency_tolerance)
    res.consistency = cons
    res.notes["consistency"] = consistency_note(cons)


#: the words of :func:`consistency_note` and :func:`scorecard_note` (English; zh in churnlab/i18n/zh/kpi.yaml)
AGREE = "All methods agree within {tolerance}."
DIFFERS = ("**{method}: {rate} a month, {diff} against the period rate {base}** (more than the {tolerance} "
           "tolerance). {why}")
CONVERTED = "Compared per the target's period: {rows}."
CONVERTED_ROW = "{kpi} measured per {measured} ({current}) is {value} per {period}, against {target}"


def _joined(parts: list[str], cat, sep: str) -> str:
    """``parts`` joined with ``sep`` in English, with nothing between them in Chinese (sentences end in 。)."""
    return sep.join(parts) if cat.english else "".join(parts)


def consistency_note(cons, cat: "i18n.Catalogue | None" = None) -> str:
    """The cross-check in words: agreement, or each method that differs, by how much against
    the period rate and why it can (the remaining difference stated in numbers). Written in
    ``cat``'s language (English when None); each part is translated before it is placed,
    so a method's name with a colon stays whole."""
    cat = cat or i18n.catalogue("en")
    if cons.agree:
        return cat(AGREE, tolerance=f"{cons.tolerance:.0%}")
    base = float(cons.table["monthly_churn"].iloc[0])
    return _joined([
        cat(DIFFERS, method=cat.text(r.method), rate=f"{r.monthly_churn:.4f}", diff=f"{r.relative_difference:+.0%}",
            base=f"{base:.4f}", tolerance=f"{cons.tolerance:.0%}",
            why=cat.text(_SBG_NOTE if r.method.startswith("sBG") else _SURVIVAL_NOTE))
        for r in cons.table[cons.table["flag"]].itertuples()], cat, " ")


def scorecard_note(rows: list[dict], cat: "i18n.Catalogue | None" = None) -> str:
    """The scorecard's KPIs measured over another period than their target's, in words: each
    measured value and its conversion against the target (``rows``: kpi, measured, current,
    value, period, target). Written in ``cat``'s language (English when None)."""
    cat = cat or i18n.catalogue("en")
    parts = [cat(CONVERTED_ROW, kpi=cat.lookup(r["kpi"]), measured=r["measured"], current=f"{r['current']:.4g}",
                 value=f"{r['value']:.4g}", period=r["period"], target=f"{r['target']:.4g}") for r in rows]
    return cat(CONVERTED, rows=("; " if cat.english else "；").join(parts))
