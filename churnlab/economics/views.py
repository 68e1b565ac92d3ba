"""Notebook 04's sections, one call each: the text, figures and tables of every code cell.

Each view takes the stage's :class:`.stage.EconomicsResult` (and, where the text names a
setting of the study, its name or params) and shows its section with :func:`..display.show`;
sections the study could not run show nothing.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from .. import i18n
from ..display import show
from ..escape import md, md_code
from . import narrative, plots
from .stage import EconomicsResult


def header(res: EconomicsResult, name: str) -> None:
    """The study's money settings and window, then each skipped section with its reason."""
    show(f"**Study:** {md(name)} · **currency:** {md(res.currency)} · **margin:** {res.margin_rate:.0%} of revenue · "
         f"**discount rate:** {res.discount_rate:.0%} per {res.discount_period} ({res.monthly_discount:.3%} per month) · "
         f"**CLV horizon:** {res.horizon_months} months · **study window:** {res.window[0]:%Y-%m-%d} to "
         f"{res.window[1]:%Y-%m-%d} · **segments:** {md(res.segment or 'none')}",
         *(f"**Skipped, {section}:** {reason}" for section, reason in res.skipped.items()))


#: The mean CLV sentence, without and with its interval (the interval's method a field: a
#: template starting with a field would otherwise swallow the sentence in translation)
MEAN_CLV = ("**Mean CLV of the {n} active customers: {mean} {currency}** over the next {h} months "
            "(median {median}; the top 20% hold {share} of the value).")
MEAN_CLV_CI = MEAN_CLV + " 95% interval {low} to {high} {currency}: {method}."
MEAN_CLV_CI_FIXED = (MEAN_CLV + " 95% interval {low} to {high} {currency}: {method}; the model's own "
                     "uncertainty is not included.")


def _model_note(res: EconomicsResult) -> str:
    """The value model behind the CLV: revenue column and survival model, or the spend and purchase fits."""
    if res.contractual:
        return f"Revenue per month: {md_code(res.revenue_column)}; survival model: {md(res.survival_model)} AFT."
    gg, bg = res.gamma_gamma, res.value.bgnbd.fit
    return (f"**Gamma-Gamma:** p = {gg.p:.2f}, q = {gg.q:.2f}, γ = {gg.gamma:.2f} on {gg.n_customers:,} repeat "
            f"buyers · mean spend per purchase {gg.mean_spend:,.2f} {md(res.currency)} · BG/NBD r = {bg.r:.3f}, "
            f"α = {bg.alpha:.3f}, a = {bg.a:.3f}, b = {bg.b:.3f}")


def clv(res: EconomicsResult) -> None:
    """Section 1: the value model, mean CLV, its distribution and per-segment means, the segment table."""
    cur, h = md(res.currency), res.horizon_months
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    plots.clv_histogram(res.clv, currency=res.currency, horizon_months=h, ax=axes[0])
    plots.clv_plot(res.clv, res.clv_by_segment, currency=res.currency, horizon_months=h, ax=axes[1])
    fig.tight_layout()
    ci, cat = res.clv_interval, i18n.current()
    fields = dict(n=f"{len(res.clv):,}", mean=f"{res.clv.mean():,.0f}", currency=cur, h=h,
                  median=f"{res.clv.median():,.0f}", share=f"{res.top_share:.0%}")
    if ci is not None:  # the method is a sentence of its own: translated first, then placed
        fields.update(low=f"{ci.low:,.0f}", high=f"{ci.high:,.0f}", method=cat.text(ci.method))
    mean_clv = cat(MEAN_CLV if ci is None else MEAN_CLV_CI if ci.parameters else MEAN_CLV_CI_FIXED, **fields)
    show(_model_note(res),
         mean_clv,
         fig,
         "Intervals: bootstrap over the segment's customers (200 resamples by default, "
         "percentile 95%) — the uncertainty of the segment's average, given the model.",
         res.clv_by_segment,
         narrative.clv_by_segment_sentence(narrative.value_drivers(res), segment=res.segment or "",
                                           currency=res.currency, contractual=res.contractual,
                                           cat=i18n.current()))


def sbg_check(res: EconomicsResult, params: Any) -> None:
    """The sBG cross-check of the survival model's expected months, when there is one."""
    if res.sbg_check is None:
        return
    show("**Cross-check with the sBG** (a model of whole cohorts, no covariates): expected discounted "
         f"months still to come over {res.horizon_months} months for a customer who has just completed their "
         f"first {md(params.survival.cohort_period)}, against the survival model's average for customers at that tenure.",
         res.sbg_check)


def churn_cost(res: EconomicsResult, params: Any) -> None:
    """Section 2: total cost of churn, its waterfall, by period and by segment, and the segment table."""
    cur, t = md(res.currency), res.churn_cost.totals
    undated = None if res.dated else (
        f"This data has no end dates: every churner is counted in the period of `as_of` ({md(params.as_of)}).")
    per_year = f"{t['total'] / res.years:,.0f} {cur} a year; " if res.window[1] > res.window[0] else ""
    total = (f"**Total cost of churn: {t['total']:,.0f} {cur}** for {t['churners']:,} churners from "
             f"{res.window[0]:%Y-%m-%d} to {res.window[1]:%Y-%m-%d} ({per_year}"
             f"{t['total'] / max(t['churners'], 1):,.0f} {cur} per churner).")
    show(undated, total, plots.waterfall(res.churn_cost))
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.8))
    plots.cost_by_period_plot(res.churn_cost, period=params.kpi_period, ax=axes[0])
    plots.cost_by_segment_plot(res.churn_cost, segment=res.segment, ax=axes[1])
    fig.tight_layout()
    show(fig, res.cost_by_segment)


def at_risk(res: EconomicsResult) -> None:
    """The revenue at risk among active customers, when the survival model gives it."""
    r = res.at_risk
    if r is not None:
        show(f"**Revenue at risk: {r.amount:,.0f} {md(res.currency)}** — the expected CLV lost to churn "
             f"within {r.horizon_months} months among {r.customers:,} active "
             f"customers ({r.share:.1%} of their total CLV).")


def _planted_note(res: EconomicsResult) -> str | None:
    """Planted against estimated save rate (simulated data), else None."""
    if res.planted_save_rate is None:
        return None
    inp = res.inputs
    return (f"Planted save rate: **{res.planted_save_rate:.0%}**; estimated {inp.save_rate:.1%} "
            f"({inp.save_range[0]:.1%}–{inp.save_range[1]:.1%}): "
            + ("recovered within its interval." if res.planted_recovered else "**outside** its interval."))


def campaign(res: EconomicsResult) -> None:
    """Section 3: the rates used, the save desk's record, the profit curves, policies and best plan."""
    if res.plan is None:
        return
    inp, plan = res.inputs, res.plan
    record = None if inp.rates is None else (
        "**The save desk's record** (Wilson 95% intervals). The `fit` / `no fit` rows split the offers "
        "by whether they matched the reason the customer later gave; reasons are only known for "
        "customers who eventually left, so those rows leave out everyone the desk kept and are "
        "not used for planning — the campaign uses the `all` row.")
    show(f"Rates: {inp.note}.", record, inp.rates, _planted_note(res),
         plots.profit_curve_plot(res.policies.curves, currency=res.currency, plan=plan),
         res.policies.table,
         f"**Best plan** ({res.policies.policy}"
         + (f": {res.policies.recommendation.reason}" if res.policies.recommendation else "") + "): "
         f"contact the top **{plan.share:.0%}** of the list ({plan.customers:,} customers) for an "
         f"expected profit of **{plan.profit:,.0f} {md(res.currency)}**; it breaks even at a save rate of "
         f"**{plan.break_even_save_rate:.1%}** (estimated: {inp.save_rate:.1%}). A save is valued at "
         "the customer's value *if retained* through the list's lead time (the CLV already "
         "discounts the very churn a save prevents), less the share of kept customers who would "
         f"have stayed anyway ({res.policies.customers.attrs.get('stay_anyway', 0.0):.0%}).")


def profit_risk(res: EconomicsResult) -> None:
    """The campaign's profit over draws of its uncertain inputs and its chance of a loss."""
    if res.profit is not None:
        show(plots.profit_distribution_plot(res.profit, currency=res.currency),
             f"The draws vary {res.profit.sources}. P(the campaign loses money) = "
             f"**{res.profit.p_loss:.1%}**; 90% of the draws lie between {res.profit.p05:,.0f} and "
             f"{res.profit.p95:,.0f} {md(res.currency)}. Not included: whether the desk's reactive save "
             "rate holds for proactive offers (an assumption a retention experiment would test).")


def fix_roi(res: EconomicsResult) -> None:
    """Section 4: what each exit reason costs and what fixing it would return."""
    if res.fix_roi is not None:
        show(f"Returns count the savings over the CLV horizon ({res.horizon_months} months), each month "
             f"discounted at {res.discount_rate:.1%} a {md(res.discount_period)} (`value_saved_pv`), against an "
             "investment paid today.",
             plots.fix_roi_plot(res.fix_roi, currency=res.currency), res.fix_roi)


def sensitivity(res: EconomicsResult) -> None:
    """Section 5: one tornado chart per result, side by side, then the sensitivity table."""
    shown = res.sensitivity["result"].unique()
    fig, axes = plt.subplots(1, len(shown), figsize=(7 * len(shown), 3.4), squeeze=False)
    for ax, result in zip(axes[0], shown):
        plots.tornado_plot(res.sensitivity, result=result, currency=res.currency, ax=ax)
    fig.tight_layout()
    show(fig, res.sensitivity)
