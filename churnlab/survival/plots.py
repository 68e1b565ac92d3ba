"""Figures of the survival models: ``f(data, *, ..., ax=None) -> Axes``, never saved.

Kaplan-Meier curves with numbers at risk, Cox hazard-ratio forest, AFT curves,
the hazard per period of tenure, the distribution of predictions and the
held-out calibration.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import i18n
from ..design import as_level
from ..figures import PALETTE, axes, ratio_forest
from .aft import AFTComparison
from .cox import CoxResult
from .km import kaplan_meier
from .validation import Validation


def km_plot(df: pd.DataFrame, *, column: str | None = None, duration: str = "duration",
            event: str = "event", entry: str | None = None, min_count: int = 30,
            max_levels: int = 6, at_risk: bool = True, unit: str = "months",
            unadjusted: bool = False, ax: plt.Axes | None = None) -> plt.Axes:
    """Kaplan-Meier curves (overall, or one per level of ``column``) with 95% bands
    and the number at risk under the axis. With ``entry`` and ``unadjusted``, also
    the overall curve that ignores the entry times (dashed grey: biased upwards
    under left truncation)."""
    from lifelines.plotting import add_at_risk_counts

    ax = axes(ax, (8, 4.8))
    tr = i18n.current().text  # lifelines glues the labels into the at-risk table: translate them first
    if column is None:
        groups = [(tr("all customers"), df)]
    else:
        levels = as_level(df[column])
        top = levels.value_counts().head(max_levels).index
        groups = [(f"{column}={lv}", df[levels == lv]) for lv in sorted(top)
                  if (levels == lv).sum() >= min_count and df.loc[levels == lv, event].sum() > 0]
    fitters = []
    for label, g in groups:
        km = kaplan_meier(g, duration=duration, event=event, entry=entry, label=label)
        km.plot_survival_function(ax=ax, ci_show=True)
        fitters.append(km)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"tenure ({unit})")
    ax.set_ylabel("share still a customer, S(t)")
    ax.set_title("Kaplan-Meier survival" + (f" by {column}" if column else ""))
    if at_risk and fitters:
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
        _translate_tick_labels(ax)
    if unadjusted and entry:
        kaplan_meier(df, duration=duration, event=event,
                     label=tr("ignoring left truncation (biased)")).plot_survival_function(
            ax=ax, ci_show=False, ls="--", color="0.5")
        ax.legend(frameon=False)
        ax.set_xlabel(f"tenure ({unit})")
    return ax


def _translate_tick_labels(ax: plt.Axes) -> None:
    """The at-risk table lifelines draws as fixed tick labels of twin axes ("At risk\\n…") in the
    display language: a tick label is rewritten from its formatter when drawn, so translating
    the drawn Text (as :func:`churnlab.display.figure` does) would not last."""
    cat = i18n.current()
    if cat.english:
        return
    for other in ax.figure.axes:
        if other is ax:
            continue
        labels = [t.get_text() for t in other.get_xticklabels()]
        if any(labels):
            other.set_xticks(other.get_xticks(), [cat.text(s) for s in labels], ha="right")


def _plain_log_ticks(ax: plt.Axes) -> plt.Axes:
    """Tick labels of a log axis as plain numbers (0.5, 1, 2): Matplotlib's default log labels
    are mathtext ($10^{0}$), which figures shown with mathtext off would print raw."""
    from matplotlib.ticker import FuncFormatter

    def minor(v: float, _) -> str:  # every minor tick within about a decade, else 2s and 5s only
        lo, hi = ax.get_xlim()
        mantissa = round(v / 10 ** np.floor(np.log10(v)), 6)
        few = lo > 0 and np.log10(hi / lo) < 1.2
        return f"{v:g}" if few or mantissa in (2, 5) else ""

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(minor))
    return ax


def hazard_ratio_plot(result: CoxResult | pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Forest plot of hazard ratios with 95% CIs (log scale).

    Given a readable table (:func:`churnlab.survival.readable.per_sd`: ``label``, ``per``),
    each row is labelled "label (per 1 SD = …)" and the ratios are per SD; given a fitted
    model, its raw per-unit terms are shown.
    """
    table = result if isinstance(result, pd.DataFrame) else result.hazard_ratios
    if "label" in table:
        table = table.assign(term=[f"{lab} ({per})" if per else lab
                                   for lab, per in zip(table["label"], table["per"])])
        return _plain_log_ticks(ratio_forest(
            table, value="hr", xlabel="hazard ratio (log scale): >1 leaves sooner",
            title="Hazard ratios per 1 SD (numbers) or vs the reference level (grey: p ≥ 0.05)", ax=ax))
    return _plain_log_ticks(ratio_forest(table, value="hr",
                                         xlabel="hazard ratio (log scale): >1 leaves sooner",
                                         title="Cox hazard ratios, adjusted for each other (grey: p ≥ 0.05)",
                                         ax=ax))


def aft_curves(comparison: AFTComparison, df: pd.DataFrame, *, points: int = 120,
               ax: plt.Axes | None = None) -> plt.Axes:
    """Each AFT model's survival curve averaged over the customers of ``df``
    (to lay over a Kaplan-Meier curve of the same customers)."""
    ax = axes(ax, (8, 4.5))
    grid = np.linspace(0, float(df["duration"].max()), points)
    X = comparison.design.transform(df)
    for name, model in comparison.models.items():
        mean = model.predict_survival_function(X, times=grid).mean(axis=1)
        ax.plot(grid, mean.to_numpy(), lw=1.6, ls="--" if name != comparison.best else "-",
                label=f"{name} AFT" + (" (best AIC)" if name == comparison.best else ""))
    ax.legend(frameon=False)
    return ax


def aft_fit_plot(comparison: AFTComparison, df: pd.DataFrame, *, entry: str | None = None,
                 unit: str = "months", ax: plt.Axes | None = None) -> plt.Axes:
    """The Kaplan-Meier curve of ``df`` (:func:`km_plot`, no at-risk table) with each AFT
    model's average predicted survival (:func:`aft_curves`) laid over it."""
    ax = km_plot(df, entry=entry, unit=unit, at_risk=False, ax=ax)
    aft_curves(comparison, df, ax=ax)
    ax.set_title("Kaplan-Meier and the average predicted survival of each AFT model")
    return ax


def period_hazard_plot(table: pd.DataFrame, *, label: str | None = None, marks: tuple = (),
                       unit: str = "month", ax: plt.Axes | None = None) -> plt.Axes:
    """Bar-free step plot of :func:`period_hazard` with its 95% band; ``marks``
    draws dotted lines (e.g. at contract ends)."""
    ax = axes(ax, (8, 3.6))
    ax.step(table["period"], table["hazard"], where="mid", label=label, lw=1.5)
    ax.fill_between(table["period"], table["ci_low"], table["ci_high"], step="mid", alpha=0.2)
    for m in marks:
        ax.axvline(m, color="0.4", ls=":", lw=1)
    ax.set_xlabel(f"{unit} of tenure")
    ax.set_ylabel(f"hazard: share leaving in the {unit}")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.1%}"))
    ax.set_ylim(bottom=0)
    return ax


def period_hazard_panels(tables: dict[str, pd.DataFrame], *, marks: tuple = (),
                         unit: str = "month", panels: np.ndarray | None = None) -> np.ndarray:
    """:func:`period_hazard_plot` of each table (label -> :func:`period_hazard` table) in
    its own panel, stacked on a shared tenure axis. ``panels``: one Axes per table (a new
    figure if None). Returns the panels' Axes."""
    if panels is None:
        _, grid = plt.subplots(len(tables), 1, figsize=(9, 1.2 + 2.4 * len(tables)), sharex=True,
                                 squeeze=False)
        panels = grid[:, 0]
    for ax, (label, table) in zip(panels, tables.items()):
        period_hazard_plot(table, marks=marks, unit=unit, ax=ax)
        ax.set_title(f"Hazard by {unit} of tenure: {label}", fontsize=10)
        if ax is not panels[-1]:
            ax.set_xlabel("")
    panels[0].figure.tight_layout()
    return panels


def prediction_hist(predictions: pd.DataFrame, *, column: str, unit: str = "months",
                    bins: int = 40, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of one column of :func:`churnlab.survival.current_predictions` over the
    active customers: a ``p_churn_<h>`` (red) or ``expected_remaining`` (blue, capped at
    ``predictions.attrs["cap"]``)."""
    ax = axes(ax, (6, 3.6))
    if column == "expected_remaining":
        ax.hist(predictions[column], bins=bins, color="#2e86c1", alpha=0.8)
        ax.set_xlabel(f"expected remaining lifetime ({unit}, capped at "
                      f"{predictions.attrs.get('cap', float('nan')):g})")
    else:
        ax.hist(predictions[column], bins=bins, color="#c0392b", alpha=0.8)
        ax.set_xlabel(f"P(churn within {column.split('_')[-1]} {unit})")
        ax.set_ylabel("active customers")
    return ax


def calibration_plot(validation: Validation, *, unit: str = "periods",
                     ax: plt.Axes | None = None) -> plt.Axes:
    """Predicted vs observed churn within the horizon per risk group, one line per model."""
    ax = axes(ax, (5.2, 5))
    cal = validation.calibration
    for name, c in cal.groupby("model", sort=False):
        ax.errorbar(c["predicted"], c["observed"],
                    yerr=[c["observed"] - c["observed_low"], c["observed_high"] - c["observed"]],
                    fmt="o-", capsize=2, ms=4, lw=1,
                    label=f"{name} (mean |gap| {validation.calibration_error[name]:.3f})")
    top = float(np.nanmax(cal[["predicted", "observed_high"]].to_numpy())) * 1.05
    ax.plot([0, top], [0, top], color="0.5", ls="--", lw=1, label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"predicted P(churn within {validation.horizon:g} {unit})")
    ax.set_ylabel("observed (Kaplan-Meier, 95% CI)")
    ax.set_title("Calibration on held-out customers")
    ax.legend(frameon=False, fontsize=8)
    return ax


def incidence_plot(incidence: pd.DataFrame, *, unit: str = "periods", horizon: float | None = None,
                   ax: plt.Axes | None = None) -> plt.Axes:
    """Cumulative incidence of each exit cause (step curves, 95% bands), up to ``horizon``."""
    ax = axes(ax, (8, 4.2))
    colors = {"voluntary": PALETTE["churned"], "involuntary": "#7d3c98"}
    for i, (cause, g) in enumerate(incidence.groupby("cause", sort=True)):
        g = g.sort_values("time")
        if horizon is not None:
            g = g[g["time"] <= horizon + 0.5]
        color = colors.get(cause, f"C{i}")
        ax.step(g["time"], g["cif"], where="post", color=color, lw=1.8, label=cause)
        ax.fill_between(g["time"], g["ci_low"], g["ci_high"], step="post", color=color, alpha=0.15)
    ax.set_xlabel(f"{unit} as a customer")
    ax.set_ylabel("share of customers who left, by cause")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda y, _: f"{y:.0%}"))
    ax.set_title("Cumulative incidence by exit cause (Aalen-Johansen, 95% bands)")
    ax.legend(frameon=False)
    return ax
