"""Stage 4, a retention campaign on the early-warning list (GUIDE §1.7; docs/glossary.md#campaign-profit: Neslin et al. 2006, Ascarza 2018).

* :func:`save_rates` / :func:`campaign_inputs` -- how the save desk did (acceptance
  and save rates with Wilson intervals), or the rate given in the params, and the
  Beta distribution of the save rate's uncertainty.
* :func:`campaign_customers` -- per customer of the list, the expected profit of
  contacting them. For a contacted customer i with churn probability p_i, value
  if retained V_i (their value given that they stay through the lead time, not
  the CLV, which already discounts for the churn the offer is meant to prevent),
  acceptance a_i (P(takes the offer)), save rate s (P(stays | offer), measured
  at the reactive save desk and *assumed* to hold for proactive offers), the
  share sigma of kept customers who would have stayed anyway (``costs.stay_anyway_share``,
  as in the cost of churn), incentive c_i paid by everyone who accepts (also by
  those who would have stayed: that is the waste) and contact cost f::

      E[profit_i] = p_i * s * (1 - sigma) * V_i - a_i * c_i - f

* :func:`profit_curve` / :func:`best_target` -- cumulative expected profit of
  contacting the top share k, the best k and its break-even save rate;
  :func:`compare_policies` -- targeting by risk, by risk x value, one offer for
  everyone, and the untargeted mass campaign;
* :func:`profit_risk` -- the planned campaign's profit when the save rate and the
  level of the churn probabilities (their calibration) are uncertain;
* :func:`recommend` -- which of the compared policies to run (the rule is in its
  docstring), and :func:`is_mass` -- whether a plan is a mass campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..causes.playbook import family_of
from ..errors import DataError
from ..intervals import wilson

#: Offer that fits each stated exit reason (the playbook of churnlab.causes.playbook).
REASON_OFFER = {"price": "discount", "service": "service_recovery", "product": "service_recovery",
                "competitor": "renewal", "moved": "loyalty", "no_longer_needed": "loyalty"}
#: Offer that fits each driver family (notebook 02's playbook).
FAMILY_OFFER = {"price": "discount", "service": "service_recovery", "engagement": "loyalty",
                "contract_end": "renewal"}
#: The targeting policies compared: name -> (offer, order). ``offer`` is
#: ``differentiated`` (the offer that fits the driver) or one offer for everyone;
#: ``order`` the ranking of :func:`profit_curve` (``random``: untargeted).
POLICIES = {"by risk, differentiated offers": ("differentiated", "risk"),
            "by risk × value, differentiated": ("differentiated", "risk_value"),
            "by risk, a discount for everyone": ("discount", "risk"),
            "mass campaign (untargeted)": ("differentiated", "random")}
#: The policy the campaign plans with when no policy pays (and the reference of the table).
PLANNED = "by risk, differentiated offers"
#: A plan that contacts at least this share of the list is a mass campaign (:func:`is_mass`).
MASS_SHARE = 0.5
#: The chance of a loss above which a more profitable policy gives way to a safer one (:func:`recommend`).
MAX_LOSS_PROBABILITY = 0.2


def save_rates(offers: pd.DataFrame, reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the save desk did: acceptance and save rates with Wilson 95% intervals.

    Rows: ``all`` offers and, when exit reasons are known (``reasons``:
    customer_id, reason), offers that ``fit`` the stated reason
    (:data:`REASON_OFFER`) and those that did not (``no fit``). Exit reasons
    exist only for customers who eventually left, so the ``fit``/``no fit`` rows
    describe those customers only (kept customers are missing from them): they
    show the pattern, not rates to plan with. Columns: offers,
    accept_rate (+ CI), save_rate = P(kept | offer) (+ CI).
    """
    if offers is None or offers.empty:
        raise DataError("no retention offers in the data; give campaign.accept_rate in the params")
    groups = {"all": offers}
    if reasons is not None and len(reasons):
        reason = offers["customer_id"].map(reasons.drop_duplicates("customer_id")
                                           .set_index("customer_id")["reason"])
        known = reason.notna()
        fit = offers["offer_type"] == reason.map(REASON_OFFER)
        if known.any():
            groups["fit"] = offers[known & fit]
            groups["no fit"] = offers[known & ~fit]
    rows = []
    for name, o in groups.items():
        n = len(o)
        if n == 0:
            continue
        acc, kept = int(o["accepted"].sum()), int(o["saved"].sum())
        (al,), (ah,) = wilson(np.array([acc]), np.array([n]))
        (sl,), (sh,) = wilson(np.array([kept]), np.array([n]))
        rows.append({"offers": name, "n": n, "accept_rate": acc / n, "accept_low": al,
                     "accept_high": ah, "save_rate": kept / n, "save_low": sl, "save_high": sh})
    return pd.DataFrame(rows).set_index("offers")


@dataclass
class CampaignInputs:
    """Save and acceptance rates the campaign plans with, and the Beta(alpha, beta)
    describing the save rate's uncertainty. ``rates`` is the save desk's table
    (None when the rate comes from the params); ``note`` says where they came from."""

    save_rate: float
    accept_rate: float
    alpha: float
    beta: float
    rates: pd.DataFrame | None
    note: str

    @property
    def save_range(self) -> tuple[float, float]:
        """The save rate's 95% interval (Wilson from the desk's record, else Beta quantiles)."""
        if self.rates is not None:
            return float(self.rates.loc["all", "save_low"]), float(self.rates.loc["all", "save_high"])
        from scipy import stats

        lo, hi = stats.beta.ppf([0.025, 0.975], self.alpha, self.beta)
        return float(lo), float(hi)


def campaign_inputs(offers: pd.DataFrame | None, reasons: pd.DataFrame | None, campaign) -> CampaignInputs:
    """The rates for the campaign: ``campaign.accept_rate`` when the params give one
    (Beta with strength ``accept_uncertainty``), else the save desk's record
    (:func:`save_rates`, ``all`` row; Beta(kept + 1, not kept + 1), the posterior
    under a flat prior). The same rate is used for acceptance (who takes, and is
    paid, the incentive) when estimated from the desk's offers."""
    if campaign.accept_rate is not None:
        a, k = campaign.accept_rate, campaign.accept_uncertainty
        return CampaignInputs(a, a, a * k, (1 - a) * k, None,
                              f"save rate from the params: {a:.0%} (Beta, strength {k:g})")
    rates = save_rates(offers, reasons)
    n = int(rates.loc["all", "n"])
    kept = int(round(rates.loc["all", "save_rate"] * n))
    return CampaignInputs(float(rates.loc["all", "save_rate"]), float(rates.loc["all", "accept_rate"]),
                          kept + 1.0, n - kept + 1.0, rates,
                          f"save rate from {n:,} offers of the save desk (a reactive rate: customers "
                          "who asked to leave; assumed to hold for proactive offers to customers who "
                          "have not)")


def driver_families(warning: pd.DataFrame, families: dict[str, str] | None = None) -> pd.Series:
    """Each listed customer's driver family: the family of their top driver
    (``reason_1``, :func:`churnlab.causes.playbook.family_of` with the params'
    ``playbook.families``), ``price`` when it maps to none. Index: customer_id."""
    fam = warning["reason_1"].map(lambda f: family_of(f, families) if isinstance(f, str) else None)
    return pd.Series(fam.fillna("price").to_numpy(), index=warning["customer_id"])


@dataclass
class Campaign:
    """A campaign on the early-warning list: the list (customer_id, churn_probability: the
    calibrated probability of notebook 02),
    each customer's driver ``families``, the rates (:class:`CampaignInputs`), the
    incentive per accepted offer by family and the contact cost."""

    warning: pd.DataFrame
    families: pd.Series
    inputs: CampaignInputs
    incentive: dict[str, float]
    contact_cost: float
    stay_anyway: float = 0.0
    calibration: dict | None = None

    def customers(self, value: pd.Series, *, save_rate: float | None = None,
                  offer_for: Callable[[str | None], str | None] | None = None) -> pd.DataFrame:
        """:func:`campaign_customers` with these inputs (``save_rate`` overrides the planned one)."""
        rate = self.inputs.save_rate if save_rate is None else save_rate
        return campaign_customers(self.warning, value, incentive=self.incentive,
                                  families=self.families, accept_fit=self.inputs.accept_rate,
                                  accept_other=self.inputs.accept_rate, save_rate=rate,
                                  contact_cost=self.contact_cost, offer_for=offer_for,
                                  stay_anyway=self.stay_anyway)


def campaign_customers(warning: pd.DataFrame, value: pd.Series, *, incentive: dict[str, float],
                       families: pd.Series, accept_fit: float, accept_other: float,
                       save_rate: float, contact_cost: float,
                       offer_for: Callable[[str | None], str | None] | None = None,
                       stay_anyway: float = 0.0) -> pd.DataFrame:
    """Per active customer: churn probability, value if retained, offer, and expected profit
    of contacting (the module docstring's formula).

    ``warning``: customer_id, churn_probability (notebook 02's list: the chosen model's
    score calibrated on held-out rows, P(churn within the lead time), never the raw
    ``model_score``); ``value``: the value if retained by customer id
    (:meth:`churnlab.economics.value.ContractualValue.retained_value`); ``stay_anyway``:
    the share of kept customers who would have stayed anyway; ``families``: each customer's driver family (from the
    top reason); ``incentive``: cost per accepted offer by family. The offer is
    the one that fits the family (differentiated), or ``offer_for(family)`` to
    force another policy (e.g. a discount for all); acceptance is ``accept_fit``
    when the offer fits the family, else ``accept_other``.
    """
    df = warning[["customer_id", "churn_probability"]].copy()
    df["customer_id"] = df["customer_id"].astype(str)  # a CSV may have read ids as numbers
    value = value.set_axis(value.index.astype(str))
    families = families.set_axis(families.index.astype(str))
    df["value"] = df["customer_id"].map(value)
    if df["value"].isna().all():
        raise DataError("no customer of the early-warning list has a value")
    df["value"] = df["value"].fillna(0.0)
    df["family"] = df["customer_id"].map(families)
    fitting = df["family"].map(FAMILY_OFFER)
    offer = fitting if offer_for is None else df["family"].map(offer_for)
    df["offer"] = offer.fillna("discount")
    fam_of_offer = {v: k for k, v in FAMILY_OFFER.items()}
    df["incentive"] = df["offer"].map(lambda o: incentive.get(fam_of_offer.get(o, "price"), 0.0))
    df["accept"] = np.where(df["offer"] == fitting, accept_fit, accept_other)
    p = df["churn_probability"].astype(float)
    if not 0 <= stay_anyway < 1:
        raise DataError(f"costs.stay_anyway_share: expected a share in [0, 1), got {stay_anyway}")
    df["expected_profit"] = (p * save_rate * (1 - stay_anyway) * df["value"]
                             - df["accept"] * df["incentive"] - contact_cost)
    df.attrs.update(save_rate=save_rate, contact_cost=contact_cost, stay_anyway=stay_anyway)
    return df


def _ranked(customers: pd.DataFrame, order: str) -> pd.DataFrame:
    """Customers from the highest ``risk`` (churn probability) or ``risk_value``
    (probability x value if retained) down; ties keep their order."""
    key = {"risk": customers["churn_probability"],
           "risk_value": customers["churn_probability"] * customers["value"]}[order]
    return customers.iloc[np.argsort(-key.to_numpy(), kind="stable")]


def profit_curve(customers: pd.DataFrame, *, order: str = "risk", steps: int = 100) -> pd.DataFrame:
    """Cumulative expected profit of contacting the top share k of customers.

    ``order``: ``risk`` (churn probability) or ``risk_value`` (probability x value),
    highest first; ``random`` gives the untargeted (mass) campaign's expectation,
    k x the sum over everyone. Columns: share, customers, profit.
    """
    n = len(customers)
    if order == "random":
        total = customers["expected_profit"].sum()
        shares = np.linspace(0, 1, steps + 1)
        return pd.DataFrame({"share": shares, "customers": np.round(shares * n).astype(int),
                             "profit": shares * total})
    cum = np.concatenate([[0.0], _ranked(customers, order)["expected_profit"].to_numpy().cumsum()])
    counts = np.unique(np.round(np.linspace(0, 1, steps + 1) * n).astype(int))
    return pd.DataFrame({"share": counts / n, "customers": counts, "profit": cum[counts]})


@dataclass
class CampaignPlan:
    """The best targeting on a profit curve: share, customers, expected profit,
    the save rate at which that campaign breaks even, and its two parts: ``gain``
    = (1 - sigma) sum p_i V_i (the value at stake, net of those who would stay anyway)
    and ``spend`` = sum(a_i c_i + f), so that profit(s) = s x gain - spend."""

    share: float
    customers: int
    profit: float
    break_even_save_rate: float
    gain: float
    spend: float


def best_target(customers: pd.DataFrame, curve: pd.DataFrame, *, order: str = "risk") -> CampaignPlan:
    """The k that maximises expected profit, and the break-even save rate there.

    Break-even: the save rate s* at which the chosen customers' expected profit
    is 0: s* = sum(a_i c_i + f) / ((1 - sigma) sum(p_i V_i)).
    """
    i = int(curve["profit"].to_numpy().argmax())
    k = int(curve["customers"].iloc[i])
    top = _ranked(customers, order).iloc[:k]
    gain = float((top["churn_probability"] * top["value"]).sum()) * (1 - customers.attrs.get("stay_anyway", 0.0))
    spend = float((top["accept"] * top["incentive"]).sum() + k * customers.attrs["contact_cost"])
    return CampaignPlan(float(curve["share"].iloc[i]), k, float(curve["profit"].iloc[i]),
                        spend / gain if gain > 0 else float("nan"), gain, spend)


def profit_distribution(plan: CampaignPlan, *, alpha: float, beta: float, draws: int = 4000,
                        seed: int = 0, calibration: dict | None = None) -> np.ndarray:
    """Profit of the planned campaign when its inputs are uncertain; one value per draw (seeded).

    * the save rate: s ~ Beta(alpha, beta);
    * the level of the churn probabilities, when ``calibration`` gives the held-out
      rows' ``observed`` churners O and ``expected`` churners E (the sum of their
      calibrated probabilities): every p_i is scaled by phi ~ Gamma(O + 1/2, rate E),
      the Jeffreys posterior of the Poisson ratio O / E (Garwood-type interval for an
      observed-to-expected ratio), so a list whose probabilities were 10% too high on
      held-out data gets phi around 0.9, with the width its event count allows.

    Profit is linear in both: profit = phi x s x gain - spend (:class:`CampaignPlan`).
    """
    rng = np.random.default_rng(seed)
    s = rng.beta(alpha, beta, size=draws)
    phi = 1.0
    if calibration and calibration.get("expected", 0) > 0:
        phi = rng.gamma(calibration["observed"] + 0.5, 1.0 / calibration["expected"], size=draws)
    return phi * s * plan.gain - plan.spend


@dataclass
class Recommendation:
    """The policy to run (None: none is expected to pay) and why, in one plain sentence."""

    policy: str | None
    reason: str


@dataclass
class PolicyComparison:
    """The targeting policies of :data:`POLICIES` on one list: ``customers`` (with the
    differentiated offers), a profit ``curves`` per policy, the best ``plans`` of the
    targeted ones and the ``table`` comparing them with contacting everyone.
    :func:`assess_policies` adds each plan's profit ``risks`` and the
    ``recommendation`` (:func:`recommend`)."""

    customers: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    plans: dict[str, CampaignPlan]
    table: pd.DataFrame
    risks: dict[str, "ProfitRisk"] = field(default_factory=dict)
    recommendation: Recommendation | None = None

    @property
    def policy(self) -> str:
        """The policy the campaign goes with: the recommended one, else :data:`PLANNED`."""
        rec = self.recommendation
        return rec.policy if rec is not None and rec.policy is not None else PLANNED

    @property
    def plan(self) -> CampaignPlan:
        """The plan the campaign goes with (:attr:`policy`)."""
        return self.plans[self.policy]


def compare_policies(campaign: Campaign, value: pd.Series) -> PolicyComparison:
    """Profit curves and best plans of every policy of :data:`POLICIES`.

    Table columns: policy, best_share, customers, expected_profit,
    break_even_save_rate; the last row is the mass campaign to everyone (the
    untargeted curve at 100%).
    """
    by_offer = {"differentiated": campaign.customers(value),
                "discount": campaign.customers(value, offer_for=lambda f: "discount")}
    curves = {name: profit_curve(by_offer[offer], order=order)
              for name, (offer, order) in POLICIES.items()}
    plans = {name: best_target(by_offer[offer], curves[name], order=order)
             for name, (offer, order) in POLICIES.items() if order != "random"}
    mass = next(name for name, (_, order) in POLICIES.items() if order == "random")
    rows = [{"policy": k, "best_share": p.share, "customers": p.customers,
             "expected_profit": p.profit, "break_even_save_rate": p.break_even_save_rate}
            for k, p in plans.items()]
    rows.append({"policy": "mass campaign: everyone", "best_share": 1.0,
                 "customers": len(by_offer["differentiated"]),
                 "expected_profit": float(curves[mass]["profit"].iloc[-1]),
                 "break_even_save_rate": np.nan})
    return PolicyComparison(by_offer["differentiated"], curves, plans, pd.DataFrame(rows))


def held_out_calibration(deciles: list[dict] | None, share: float) -> dict | None:
    """Observed and expected churners on the held-out rows of the groups a campaign that
    contacts the top ``share`` of the list covers: the first ceil(share x 10) tenths of
    :func:`churnlab.causes.stage.held_out_deciles`. None without held-out groups."""
    if not deciles:
        return None
    k = max(1, int(np.ceil(share * len(deciles) - 1e-9)))
    top = deciles[:k]
    return {"observed": sum(d["observed"] for d in top), "expected": sum(d["expected"] for d in top),
            "rows": sum(d["rows"] for d in top), "groups": k}


@dataclass
class ProfitRisk:
    """The planned campaign's profit over draws of its uncertain inputs
    (:func:`profit_distribution`): the draws, their 5%, 50% and 95% quantiles,
    P(profit < 0) and ``sources``, what the draws vary."""

    draws: np.ndarray
    alpha: float
    beta: float
    p05: float
    median: float
    p95: float
    p_loss: float
    sources: str = "the save rate"


def profit_risk(plan: CampaignPlan, *, alpha: float, beta: float, draws: int = 4000,
                seed: int = 0, calibration: dict | None = None) -> ProfitRisk:
    """:func:`profit_distribution` summarised (quantiles and the chance of a loss)."""
    prof = profit_distribution(plan, alpha=alpha, beta=beta, draws=draws, seed=seed,
                               calibration=calibration)
    lo, mid, hi = np.quantile(prof, [0.05, 0.5, 0.95])
    sources = "the save rate" + (
        f" and the level of the churn probabilities ({calibration['observed']:,.0f} churners observed "
        f"vs {calibration['expected']:,.1f} expected on the riskiest held-out rows the plan's share "
        "covers)" if calibration else "")
    return ProfitRisk(prof, alpha, beta, float(lo), float(mid), float(hi), float((prof < 0).mean()),
                      sources)


def is_mass(share: float | None) -> bool:
    """Whether a plan that contacts ``share`` of the list is a mass campaign: at least
    :data:`MASS_SHARE` (half of the active customers on the list), whatever its ranking."""
    return share is not None and share >= MASS_SHARE


def recommend(outcomes: dict[str, tuple[float, float | None]], *, currency: str = "",
              max_loss: float = MAX_LOSS_PROBABILITY) -> Recommendation:
    """The policy to run among those compared, and why.

    ``outcomes``: policy -> (expected profit, P(loss) or None), in the order of the
    comparison (earlier wins ties). The rule:

    1. only policies with an expected profit above 0 are candidates; with none,
       no campaign is recommended;
    2. the candidate with the highest expected profit is recommended, unless its
       chance of a loss is above ``max_loss`` while another candidate's is at most
       ``max_loss``: then the most profitable of those safer candidates is
       recommended, and the reason names the policy it passed over, both expected
       profits and both chances of a loss.
    """
    money = lambda x: f"{x:,.0f}" + (f" {currency}" if currency else "")  # noqa: E731
    paying = {k: v for k, v in outcomes.items() if v[0] is not None and np.isfinite(v[0]) and v[0] > 0}
    if not paying:
        known = {k: v for k, v in outcomes.items() if v[0] is not None and np.isfinite(v[0])}
        best = max(known, key=lambda k: known[k][0]) if known else None
        return Recommendation(None, "none of the targeting policies compared is expected to make a profit"
                              + (f" (the best, {best}, expects {money(known[best][0])})" if best else ""))
    best = max(paying, key=lambda k: paying[k][0])
    profit, loss = paying[best]
    n = len(outcomes)
    if loss is None or loss <= max_loss:
        why = f"the highest expected profit of the {n} targeting policies compared"
        return Recommendation(best, why + (f", with a {loss:.0%} chance of a loss" if loss is not None else ""))
    safe = {k: v for k, v in paying.items() if v[1] is not None and v[1] <= max_loss}
    if not safe:
        return Recommendation(best, f"the highest expected profit of the {n} targeting policies compared, "
                                    f"but it loses money in {loss:.0%} of simulated outcomes (every "
                                    f"profitable policy is above {max_loss:.0%}): run it as a trial first")
    pick = max(safe, key=lambda k: safe[k][0])
    return Recommendation(pick, f"{best} would earn more in expectation ({money(profit)} against "
                                f"{money(safe[pick][0])}) but loses money in {loss:.0%} of simulated "
                                f"outcomes, above the {max_loss:.0%} limit, against {safe[pick][1]:.0%}")


def assess_policies(comparison: PolicyComparison, *, alpha: float, beta: float, seed: int = 0,
                    calibration: Callable[[float], dict | None] | None = None, currency: str = "",
                    draws: int = 4000) -> PolicyComparison:
    """``comparison`` with the profit risk of each targeted plan (:func:`profit_risk`, the same
    draws for every plan; ``calibration(share)`` gives the held-out check of the rows a
    share covers) and the :func:`recommend` ation among them."""
    risks = {}
    for name, plan in comparison.plans.items():
        cal = calibration(plan.share) if calibration is not None else None
        risks[name] = profit_risk(plan, alpha=alpha, beta=beta, draws=draws, seed=seed, calibration=cal)
    outcomes = {name: (plan.profit, risks[name].p_loss if plan.customers > 0 else None)
                for name, plan in comparison.plans.items()}
    return PolicyComparison(comparison.customers, comparison.curves, comparison.plans, comparison.table,
                            risks, recommend(outcomes, currency=currency))
