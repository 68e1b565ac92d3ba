"""Figures of stage 5 (notebook 05). Single-panel helpers draw on ``ax`` (a new figure if
None) and return it; the ``*_panels`` helpers put two or more side by side and return the
Figure. None saves a file: the caller decides.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import i18n
from ..figures import PALETTE, axes

_PERCENT = plt.FuncFormatter(lambda v, _: f"{v:.1%}")
_PERCENT0 = plt.FuncFormatter(lambda v, _: f"{v:.0%}")
_STAGE_COLORS = ["0.75", "#5dade2", "#2e86c1", "#c0392b", "#27ae60"]


def _sparse_ticks(ax: plt.Axes, labels: pd.Series, *, every: int = 12) -> None:
    """At most about ``every`` period labels on the x-axis, rotated."""
    step = max(1, len(labels) // every)
    ax.set_xticks(range(0, len(labels), step), labels.iloc[::step], rotation=45)


def churn_rate_plot(monthly: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Monthly churn rate (churned / customers at the start) and its 3-month average.

    ``monthly``: the month rows of :func:`churnlab.kpi.churn_rates` (period, churn_rate).
    """
    ax = axes(ax, (7, 3.8))
    ax.plot(monthly["period"], monthly["churn_rate"], marker="o", ms=3, color=PALETTE["churned"],
            label="monthly churn rate")
    ax.plot(monthly["period"], monthly["churn_rate"].rolling(3).mean(), color="0.3", lw=1, ls="--",
            label="3-month average")
    _sparse_ticks(ax, monthly["period"])
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_title("Churn rate per month (churned / customers at the start)")
    ax.legend(frameon=False)
    return ax


def customers_at_start_plot(monthly: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Bars of the customers active at the start of each month (the rate's denominator)."""
    ax = axes(ax, (7, 3.8))
    ax.bar(monthly["period"], monthly["at_start"], color=PALETTE["retained"], alpha=0.8)
    _sparse_ticks(ax, monthly["period"])
    ax.set_title("Customers at the start of each month")
    return ax


def rate_panels(monthly: pd.DataFrame) -> plt.Figure:
    """:func:`churn_rate_plot` and :func:`customers_at_start_plot` side by side."""
    fig, axs = plt.subplots(1, 2, figsize=(14, 3.8))
    churn_rate_plot(monthly, ax=axs[0])
    customers_at_start_plot(monthly, ax=axs[1])
    fig.tight_layout()
    return fig


def segment_rates_plot(segment_rates: pd.DataFrame, *, segment: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Monthly churn rate per segment level, smoothed over three months.

    ``segment_rates``: :func:`churnlab.kpi.churn_rates` with ``segment`` (long form).
    """
    ax = axes(ax, (10, 3.6))
    piv = segment_rates.pivot(index="period", columns="segment", values="churn_rate").rolling(3).mean()
    piv.plot(ax=ax)
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_title(f"Monthly churn rate by {segment} (3-month average)")
    ax.legend(frameon=False, title=segment)
    return ax


def end_reasons_plot(end_reasons: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Churners per period stacked by end reason (:func:`churnlab.kpi.end_reasons`)."""
    ax = axes(ax, (10, 3.4))
    colors = ["#e67e22", PALETTE["churned"], "0.6"][: end_reasons.shape[1]]
    end_reasons.plot.bar(stacked=True, ax=ax, color=colors)
    ax.set_title("Churners per quarter by kind")
    ax.legend(frameon=False)
    return ax


def cohort_heatmap(retention: pd.DataFrame, *, title: str, cmap: str = "Blues", vmax: float = 1.0,
                   ages: int = 25, ax: plt.Axes | None = None) -> plt.Axes:
    """Retention share by acquisition cohort (rows) and months since acquisition (the first ``ages``)."""
    import seaborn as sns  # imported here: most notebooks never need it

    ax = axes(ax, (7.5, 6))
    sns.heatmap(retention.iloc[:, :ages], ax=ax, cmap=cmap, vmin=0, vmax=vmax,
                cbar_kws={"format": _PERCENT0})
    ax.set(title=title, xlabel="months since acquisition", ylabel="")
    return ax


def cohort_panels(logo: pd.DataFrame, revenue: pd.DataFrame | None = None) -> plt.Figure:
    """Logo retention heatmap, and revenue retention beside it when given."""
    fig, axs = plt.subplots(1, 2 if revenue is not None else 1, figsize=(15, 6), squeeze=False)
    cohort_heatmap(logo, title="Logo retention by acquisition month", ax=axs[0, 0])
    if revenue is not None:
        cohort_heatmap(revenue, title="Revenue retention by acquisition month", cmap="Greens", vmax=1.2,
                       ax=axs[0, 1])
    fig.tight_layout()
    return fig


def mrr_movements_plot(mrr: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """MRR movements per month: gains (new, expansion, reactivation) up, losses
    (contraction, churn) down (:func:`churnlab.kpi.mrr_movements`)."""
    ax = axes(ax, (12, 3.8))
    x = np.arange(len(mrr))
    ax.bar(x, mrr["new"], color="#27ae60", label="new")
    ax.bar(x, mrr["expansion"], bottom=mrr["new"], color="#82e0aa", label="expansion")
    ax.bar(x, mrr["reactivation"], bottom=mrr["new"] + mrr["expansion"], color="#1abc9c",
           label="reactivation")
    ax.bar(x, -mrr["contraction"], color="#f5b041", label="contraction")
    ax.bar(x, -mrr["churn"], bottom=-mrr["contraction"], color=PALETTE["churned"], label="churn")
    ax.axhline(0, color="0.2", lw=0.8)
    step = max(1, len(mrr) // 12)
    ax.set_xticks(x[::step], mrr["month"].iloc[::step], rotation=45)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("MRR movements per month")
    ax.legend(frameon=False, ncol=5, fontsize=8)
    return ax


def lifecycle_area_plot(counts: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Customers per lifecycle stage at each period end, stacked (:func:`churnlab.kpi.lifecycle_counts`)."""
    ax = axes(ax, (7.5, 4))
    counts.plot.area(ax=ax, color=_STAGE_COLORS, alpha=0.85)
    ax.set(title="Customers by lifecycle stage (end of quarter)", xlabel="")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax


def transition_heatmap(transitions: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Share moving from each stage (rows) to each stage (columns)
    (:func:`churnlab.kpi.transition_matrix`). The stage names are fixed tick labels, which
    Matplotlib redraws from the frame (a translated tick text would not last): they are
    written in the session's language (:func:`churnlab.i18n.current`) before drawing."""
    import seaborn as sns  # imported here: most notebooks never need it

    ax = axes(ax, (7.5, 4))
    cat = i18n.current()
    transitions = transitions.rename(index=lambda v: cat.lookup(str(v)), columns=lambda v: cat.lookup(str(v)))
    with warnings.catch_warnings():  # seaborn draws the canvas to fit the labels: translated ones
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)  # get their font on display
        sns.heatmap(transitions, annot=True, fmt=".0%", cmap="Purples", ax=ax, cbar=False)
    ax.set(title="Quarter-to-quarter transitions (row: from)", xlabel="to", ylabel="from")
    return ax


def lifecycle_panels(counts: pd.DataFrame, transitions: pd.DataFrame) -> plt.Figure:
    """:func:`lifecycle_area_plot` and :func:`transition_heatmap` side by side."""
    fig, axs = plt.subplots(1, 2, figsize=(15, 4))
    lifecycle_area_plot(counts, ax=axs[0])
    transition_heatmap(transitions, ax=axs[1])
    fig.tight_layout()
    return fig


def indicator_plot(indicators: pd.DataFrame, *, column: str, ax: plt.Axes | None = None) -> plt.Axes:
    """One early-warning indicator over the periods (:func:`churnlab.kpi.indicators`)."""
    ax = axes(ax, (3.2, 2.8))
    ax.plot(range(len(indicators)), indicators[column], color="#8e44ad")
    ax.set_title(column.replace("_", " "), fontsize=9)
    ax.set_xticks([0, len(indicators) - 1], [indicators.index[0], indicators.index[-1]], fontsize=7)
    return ax


def indicator_panels(indicators: pd.DataFrame, *, max_panels: int = 6) -> plt.Figure:
    """:func:`indicator_plot` for each of the first ``max_panels`` indicators, in a row."""
    cols = list(indicators.columns)[:max_panels]
    fig, axs = plt.subplots(1, len(cols), figsize=(3.2 * len(cols), 2.8), squeeze=False)
    for ax, c in zip(axs[0], cols):
        indicator_plot(indicators, column=c, ax=ax)
    fig.tight_layout()
    return fig


def sensitivity_plot(sensitivity: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Churn (share or events) and the share who came back, per inactivity window or
    re-subscription gap (:func:`churnlab.kpi.inactivity_sensitivity` / ``gap_sensitivity``)."""
    ax = axes(ax, (8, 3.4))
    xcol = "window_days" if "window_days" in sensitivity else "gap_days"
    ycol = "churn_share" if "churn_share" in sensitivity else "churn_events"
    ax.plot(sensitivity[xcol], sensitivity[ycol], marker="o", color=PALETTE["churned"],
            label=ycol.replace("_", " "))
    ax2 = ax.twinx()
    ax2.plot(sensitivity[xcol], sensitivity["returned_share"], marker="s", color=PALETTE["retained"],
             label="share who came back")
    ax.set_xlabel(xcol.replace("_", " "))
    ax.set_title("Churn under different definitions")
    ax2.yaxis.set_major_formatter(_PERCENT0)
    ax.figure.legend(frameon=False, loc="upper center", ncol=2, fontsize=8)
    return ax
