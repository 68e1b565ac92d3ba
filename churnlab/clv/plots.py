"""Figures of the retention models: ``f(data, *, ..., ax=None) -> Axes``, never saved."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..figures import axes
from .bgnbd import FREQUENCY_GROUPS, BGNBDStudy, by_frequency
from .sbg import SBGProjection

#: Plural names of the BG/NBD time units, for axis labels.
_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months"}


def sbg_projection_plot(projection: SBGProjection, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Actual vs projected pooled survival by age; held-out ages shaded.

    Draws on ``ax`` (a new figure if None) and returns it.
    """
    ax = axes(ax, (7, 4))
    t = projection.table
    fp = projection.fit_periods
    ax.plot(t.index, t["actual"], "o-", color="#2e86c1", ms=4, label="actual (pooled cohorts)")
    ax.plot(t.index, t["projected"], "--", color="#c0392b",
            label=f"sBG (alpha={projection.fit.alpha:.2f}, beta={projection.fit.beta:.2f})")
    if t.index.max() > fp:
        ax.axvspan(fp, t.index.max(), color="0.9", zorder=0, label="held out")
    ax.axvline(fp, color="0.4", lw=1)
    unit = f"{projection.period}s" if projection.period else "periods"
    ax.set_xlabel(f"periods since acquisition ({unit})")
    ax.set_ylabel("share still active")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1.02)
    title = f"sBG calibrated on ages 1-{fp}"
    if np.isfinite(projection.mape):
        title += f"; held-out MAPE {projection.mape:.1%}, bias {projection.bias:+.1%}"
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def bgnbd_holdout_plot(study: BGNBDStudy, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Mean predicted vs actual holdout purchases by calibration frequency 0..7+.

    Fader, Hardie & Lee (2005), Figure 4. Without a holdout only the predicted
    purchases over ``study.horizon`` are drawn. Draws on ``ax`` (a new figure if
    None) and returns it.
    """
    ax = axes(ax, (7, 4))
    x = np.arange(len(FREQUENCY_GROUPS))
    unit = _UNIT_NAMES.get(study.unit, study.unit)
    if study.by_frequency is not None:
        bf = study.by_frequency
        ax.plot(x, bf["actual"], "o-", color="#2e86c1", label="actual")
        ax.plot(x, bf["expected"], "s--", color="#c0392b", label="BG/NBD")
        ax.set_ylabel(f"mean purchases in the holdout ({study.holdout_days} days)")
        ax.set_title(f"Holdout purchases: predicted {study.predicted_total:,.0f}, "
                     f"actual {study.actual_total:,.0f}")
    else:
        bf = by_frequency(study.summary, "expected_purchases", None)
        ax.plot(x, bf["expected"], "s--", color="#c0392b", label="BG/NBD")
        ax.set_ylabel(f"mean expected purchases, next {study.horizon:g} {unit}")
        ax.set_title("Expected purchases by frequency (no holdout: predicted only)")
    ax.set_xticks(x, FREQUENCY_GROUPS)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    return ax


def retention_rate_plot(projection: SBGProjection, *, periods: int | None = None,
                        ax: plt.Axes | None = None) -> plt.Axes:
    """The implied retention rate r(t) = (beta + t - 1) / (alpha + beta + t - 1) of the fitted
    sBG for t = 1..``periods`` (default: twice the oldest cohort's age, at least 24); it rises
    as the disloyal leave (Fader & Hardie 2007, eq. 5)."""
    ax = axes(ax, (6, 4))
    if periods is None:
        periods = max(2 * int(projection.table.index.max()), 24)
    t = np.arange(1, int(periods) + 1)
    ax.plot(t, projection.fit.retention_rate(t), color="#2e86c1")
    ax.set_xlabel(f"{projection.period or 'period'}s since acquisition")
    ax.set_ylabel("retention rate r(t)")
    ax.set_title("Implied retention rate: rises as the disloyal leave")
    return ax


def p_alive_plot(study: BGNBDStudy, *, bins: int = 40, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of the customers' BG/NBD P(alive) on ``as_of`` (FHL 2005, eq. 11)."""
    ax = axes(ax, (6, 4))
    ax.hist(study.summary["p_alive"], bins=bins, color="#2e86c1", alpha=0.8)
    ax.set_xlabel("P(alive) at as_of")
    ax.set_ylabel("customers")
    return ax
