"""Notebook 03's sections, one call each: the notes, tables and figures of a :class:`SurvivalResult`.

Each function shows, in order, what one code cell of notebook 03 shows (through
:func:`churnlab.display.show`); parts that did not run show only their note.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .. import clv, i18n
from ..display import show
from ..escape import md
from .plots import (
    aft_fit_plot, calibration_plot, hazard_ratio_plot, incidence_plot, km_plot, period_hazard_panels,
    prediction_hist,
)
from .interpret import interpretation as _interpretation
from .readable import localized, localized_label, localized_per
from .stage import SurvivalResult, readable_table

#: Columns of the readable hazard-ratio tables (:func:`churnlab.survival.readable.per_sd`).
READABLE_COLUMNS = ["label", "per", "hr", "ci_low", "ci_high", "p_value"]
#: Narrative of this module (one place, so it can later come from a catalogue).
TEXT = {"per_sd": "*Hazard ratios per 1 standard deviation (SD) of each numeric feature, so their sizes "
                  "compare: a ratio of 1.5 means one SD more multiplies the monthly risk of leaving by "
                  "1.5. Category levels are compared with their reference level. Labels come from the "
                  "feature metadata; a study can rename them under `labels:` in its params file.*"}


def header(res: SurvivalResult) -> None:
    """The survival table's note: customers, events, left truncation."""
    show(res.note("table"))


def kaplan_meier(res: SurvivalResult) -> None:
    """Section 1: the Kaplan-Meier note, its summary table, the curve and the left-truncation note."""
    show(res.note("Kaplan-Meier"))
    if res.km_all is not None:
        show(res.km_all.survival,
             km_plot(res.table, entry=res.prepared.entry, unit=res.unit_label, unadjusted=True),
             res.note("left truncation"))


def segments(res: SurvivalResult) -> None:
    """Section 1, by segment: the log-rank note, the curves of the two clearest differences, the tests."""
    show(res.note("Log-rank"))
    if res.logrank is not None:
        for column in res.logrank["column"].head(2):  # the two clearest differences
            show(km_plot(res.table, column=column, entry=res.prepared.entry, unit=res.unit_label))
        show(res.logrank, res.segments)


def hazard(res: SurvivalResult) -> None:
    """Section 2: the hazard by period of tenure (one panel per contract type) and its note."""
    if res.hazard:
        show(period_hazard_panels(res.hazard, marks=res.hazard_marks,
                                  unit=res.params.survival.unit))
    show(res.note("Hazard"))


def cox(res: SurvivalResult) -> None:
    """Section 3: the Cox note, hazard ratios, the proportional-hazards test and the remedy note."""
    show(res.note("Cox model"))
    if res.remedy is not None:
        table = localized(readable_table(res.remedy.first, res.params), i18n.current())
        show(hazard_ratio_plot(table), table[READABLE_COLUMNS], TEXT["per_sd"],
             "**Proportional-hazards test** (Grambsch & Therneau, Schoenfeld residuals):",
             res.remedy.first.ph_test.sort_values("statistic", ascending=False).head(10),
             res.note("remedy"))


def cox_remedied(res: SurvivalResult) -> None:
    """Section 3, after the remedy: the refitted Cox model's note, forest plot and hazard ratios."""
    if res.remedied:
        table = localized(readable_table(res.remedy.final, res.params), i18n.current())
        show(res.note("after remedy"), hazard_ratio_plot(table), table[READABLE_COLUMNS])


def drivers(res: SurvivalResult) -> None:
    """Section 3, the drivers model: its note, forest plot and hazard ratios with 95% CIs."""
    show(res.note("Drivers"))
    if res.drivers is not None:
        table = localized(readable_table(res.drivers, res.params), i18n.current())
        show(hazard_ratio_plot(table), table[READABLE_COLUMNS], TEXT["per_sd"])


def interpretation(res: SurvivalResult) -> None:
    """Section 3 in words: the strongest contrast and numeric driver, the median lifetime and
    what the planted-driver check teaches (:func:`churnlab.survival.interpret.interpretation`),
    in the display language."""
    text = _interpretation(res, i18n.current())
    if text:
        show(text)


def planted(res: SurvivalResult) -> None:
    """Section 3, simulated data: each planted driver, its estimate with 95% CI and the verdict."""
    if res.planted is not None:
        show(res.note("planted"), res.planted)


def parametric(res: SurvivalResult) -> None:
    """Section 4: the AFT models by AIC, their note and their curves over Kaplan-Meier."""
    if res.aft is not None:
        show(res.aft.table)
    show(res.note("Parametric models"))
    if res.aft is not None and res.aft.best is not None:
        show(aft_fit_plot(res.aft, res.table, entry=res.prepared.entry, unit=res.unit_label))


def predictions(res: SurvivalResult) -> None:
    """Section 5: the predictions' note, their distributions, summary and the riskiest customers."""
    show(res.note("Predictions"))
    if res.predictions is not None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
        prediction_hist(res.predictions, column=res.focus_column, unit=res.unit_label, ax=axes[0])
        prediction_hist(res.predictions, column="expected_remaining", unit=res.unit_label,
                        ax=axes[1])
        fig.tight_layout()
        show(fig, res.predictions.describe().T, res.riskiest(10))


def validation(res: SurvivalResult) -> None:
    """Section 6: the validation note, held-out concordance and the calibration plot."""
    show(res.note("Validation"))
    if res.validation is not None:
        show(res.validation.concordance, calibration_plot(res.validation, unit=res.unit_label))


def competing(res: SurvivalResult) -> None:
    """Section 6b: voluntary vs involuntary churn: the note, the cumulative incidence curves and
    table, and per cause the planted effects next to the cause-specific Cox estimates."""
    show(res.note("Competing risks"))
    cr = res.competing
    if cr is None:
        return
    show(incidence_plot(cr.incidence, unit=res.unit_label, horizon=max(cr.at["horizon"])), cr.at)
    for cause, table in cr.planted.items():
        comparable = table[table["term"].notna()]
        if len(comparable):
            show(f"**{md(cause.capitalize())} churn: planted vs estimated** (cause-specific Cox on customer "
                 "attributes; planted effects of what happens month by month are compared with the "
                 "drivers model in section 3)", comparable)


def sbg(res: SurvivalResult) -> None:
    """Section 7: the sBG notes, its projection and retention-rate curve, and its table."""
    show(res.note("sBG"), res.note("sBG spread"))
    if res.sbg is not None:
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
        clv.sbg_projection_plot(res.sbg, ax=axes[0])
        clv.retention_rate_plot(res.sbg, ax=axes[1])
        fig.tight_layout()
        show(fig, res.sbg.table)


def bgnbd(res: SurvivalResult) -> None:
    """Section 8: the BG/NBD note, P(alive) and hold-out figures, drop-out note and table."""
    show(res.note("BG/NBD"))
    if res.bgnbd is not None:
        fig, axes = plt.subplots(1, 2, figsize=(13, 4))
        clv.p_alive_plot(res.bgnbd, ax=axes[0])
        clv.bgnbd_holdout_plot(res.bgnbd, ax=axes[1])
        fig.tight_layout()
        show(fig, res.note("BG/NBD drop-out"), res.bgnbd.by_frequency)


def alive_vs_inactivity(res: SurvivalResult) -> None:
    """Section 8, two definitions of "gone": P(alive) crossed with the inactivity rule."""
    show(res.note("P(alive) vs inactivity"), res.alive_vs_inactivity)


def record(res: SurvivalResult) -> None:
    """Section 9: the headline numbers ``study.survival()`` recorded in metrics.json, as a table
    (:func:`churnlab.metrics.summary.recorded`); the readable labels of the hazard ratios are
    shown in the display language (metrics.json keeps them in English)."""
    from ..metrics.summary import recorded

    cat = i18n.current()
    values = res.metrics()["survival"]
    if not cat.english:
        if values.get("competing", {}).get("skipped"):
            values["competing"]["skipped"] = {c: cat.text(why) for c, why in values["competing"]["skipped"].items()}
        for part in (values.get("cox"), values.get("drivers")):
            if part and "labels" in part:
                part["labels"] = {t: localized_label(t, s, cat) for t, s in part["labels"].items()}
            if part and "per" in part:
                part["per"] = {t: localized_per(s, cat) for t, s in part["per"].items()}
    show(recorded(values))
