"""Notebook 05's sections, one call each: the notes, figures and tables of every KPI section.

Each view takes the stage's :class:`~churnlab.kpi.stage.KpiResult` and shows, in order, why
the section is empty (if it is), its figure and its tables, through :func:`churnlab.display.show`.
"""

from __future__ import annotations

from .. import i18n
from ..display import show
from .narrative import churn_vs_target_sentence
from .stage import consistency_note, scorecard_note
from .plots import (
    cohort_panels,
    end_reasons_plot,
    indicator_panels,
    lifecycle_panels,
    mrr_movements_plot,
    rate_panels,
    segment_rates_plot,
    sensitivity_plot,
)
from .scorecard import style_scorecard

CONVERSIONS_NOTE = ("**Converting between monthly and annual rates** (a yearly rate counts only customers "
                    "present at the start of the year, so it is lower than the compounded monthly rate "
                    "when many customers join during the year):")


def header(res) -> None:
    """The stage's summary in a few lines."""
    show(res.summary)


def rates(res) -> None:
    """Section 1: churn and retention per month, quarter and year, and converting between them."""
    show(res.skipped.get("rates", ""), res.notes.get("rates", ""))
    if res.monthly is None:
        return
    show(rate_panels(res.monthly))
    for per, table in res.rates.items():
        show(f"**Per {per}**", table.tail(6 if per == "month" else 8))
    show(CONVERSIONS_NOTE, res.conversions)


def segments(res) -> None:
    """Section 1, by segment: the smoothed monthly rate per segment and the yearly rates."""
    show(res.skipped.get("segment", ""))
    if res.segment_rates is not None:
        show(segment_rates_plot(res.segment_rates, segment=res.segment))
    show(res.segment_yearly)


def end_reasons(res) -> None:
    """Section 2: voluntary and involuntary churn."""
    show(res.skipped.get("end_reasons", ""))
    if res.end_reasons is not None:
        show(end_reasons_plot(res.end_reasons), res.churn_by_kind.to_frame())


def cohorts(res) -> None:
    """Section 3: logo and revenue retention of the acquisition cohorts."""
    show(res.skipped.get("cohorts", ""))
    if res.logo_cohorts is not None:
        show(cohort_panels(res.logo_retention, res.revenue_cohorts))


def mrr(res) -> None:
    """Section 4: the movements of recurring revenue, with the last six months."""
    show(res.skipped.get("mrr", ""))
    if res.mrr is not None:
        show(mrr_movements_plot(res.mrr), res.notes.get("mrr", ""), res.mrr.tail(6))


def winback(res) -> None:
    """Section 5: win-back and save-desk rates."""
    show(res.winback_table)


def lifecycle(res) -> None:
    """Section 6: lifecycle stages per quarter and the moves between them."""
    show(res.skipped.get("lifecycle", ""))
    if res.lifecycle_counts is not None:
        show(lifecycle_panels(res.lifecycle_counts, res.lifecycle_transitions), res.lifecycle_counts.tail(4))


def indicators(res) -> None:
    """Section 7: the early-warning indicators per month."""
    show(res.skipped.get("indicators", ""))
    if res.indicators is not None:
        show(indicator_panels(res.indicators), res.indicators.tail(6))


def scorecard(res) -> None:
    """Section 8: the latest month's churn against its target in words, then the scorecard, styled."""
    cat = i18n.current()
    show(res.skipped.get("scorecard", ""),
         churn_vs_target_sentence(res.scorecard, res.monthly, pooled=res.pooled_monthly_churn, cat=cat),
         style_scorecard(res.scorecard, cat=cat),
         scorecard_note(res.conversions_scored, cat) if res.conversions_scored else res.notes.get("scorecard", ""))


def sensitivity(res) -> None:
    """Section 9: how the churn rate moves with the churn definition."""
    show(res.skipped.get("sensitivity", ""))
    if res.sensitivity is not None:
        show(res.notes.get("sensitivity", ""), sensitivity_plot(res.sensitivity), res.sensitivity)


def consistency(res) -> None:
    """Section 10: the period rate, the survival view and the sBG side by side."""
    show(res.skipped.get("consistency", ""))
    if res.consistency is not None:
        show(res.consistency.table, consistency_note(res.consistency, i18n.current()))
