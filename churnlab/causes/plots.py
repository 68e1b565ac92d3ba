"""Multi-panel figures of notebook 02, built from the single-panel helpers of
:mod:`.drivers` and :mod:`.warning`. Each returns the Figure (or None when there is
nothing to draw) and never saves it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..figures import axes
from . import drivers, warning


def reason_shares_plot(shares: pd.DataFrame, *, segment: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Stated exit reasons (rows, Pareto order) by segment level (columns): share of answering churners."""
    ax = axes(ax, (7, 0.6 + 0.45 * len(shares)))
    shares.plot.barh(ax=ax, width=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("share of answering churners in the group")
    ax.set_ylabel("")
    ax.set_title(f"Stated exit reasons by {segment}")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.legend(title=segment, frameon=False)
    return ax


def segment_panels(table: pd.DataFrame, *, columns: list[str], overall: float) -> plt.Figure | None:
    """One :func:`drivers.segment_plot` per column (at most 4), stacked."""
    columns = columns[:4]
    if not columns:
        return None
    fig, axs = plt.subplots(len(columns), 1, figsize=(8, 1.6 + 1.9 * len(columns)), squeeze=False)
    for ax, c in zip(axs[:, 0], columns):
        drivers.segment_plot(table, column=c, overall=overall, ax=ax)
    fig.tight_layout()
    return fig


def cohort_panels(cohorts: dict[str, pd.DataFrame], *, metrics: list[str]) -> plt.Figure | None:
    """Churn rate by decile of each metric in ``metrics``, side by side."""
    if not metrics:
        return None
    fig, axs = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axs[0], metrics):
        drivers.cohort_plot(cohorts[m], ax=ax)
        ax.set_title(f"Churn rate by decile of {m}")
    fig.tight_layout()
    return fig


def evaluation_panels(predictions: pd.DataFrame) -> plt.Figure:
    """ROC curves, precision-recall curves and calibration of the early-warning models."""
    fig, axs = plt.subplots(1, 3, figsize=(15, 4.4))
    warning.roc_curves(predictions, ax=axs[0])
    warning.pr_curves(predictions, ax=axs[1])
    warning.calibration_plot(predictions, ax=axs[2])
    fig.tight_layout()
    return fig
