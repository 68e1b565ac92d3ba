"""Stage 4 figures: customer value, cost of churn, campaign, fixes, sensitivity.

Every helper draws on ``ax`` (a new figure when None) and returns the Axes; none
saves a file. Money is labelled in the study's currency.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import i18n
from ..figures import PALETTE, axes
from .campaign import CampaignPlan, ProfitRisk
from .cost import COMPONENTS, ChurnCost

#: Colours of the four cost components (direct, indirect, lost revenue, opportunity).
COMPONENT_COLORS = ["#7f8c8d", "#e67e22", PALETTE["churned"], "#8e44ad"]


def _money_axis(axis) -> None:
    axis.set_major_formatter(lambda v, _: f"{v:,.0f}")


def clv_histogram(clv: pd.Series, *, currency: str, horizon_months: int,
                  ax: plt.Axes | None = None) -> plt.Axes:
    """Distribution of CLV over the active customers."""
    ax = axes(ax, (6.5, 3.8))
    ax.hist(clv, bins=50, color="#2e86c1", alpha=0.85)
    ax.set_xlabel(f"CLV ({currency}, next {horizon_months} months)")
    ax.set_ylabel("active customers")
    return ax


def clv_plot(clv: pd.Series, by_segment: pd.DataFrame, *, currency: str, horizon_months: int,
             ax: plt.Axes | None = None) -> plt.Axes:
    """Mean CLV per segment with its bootstrap interval (horizontal bars)."""
    ax = axes(ax, (7, 0.9 + 0.45 * len(by_segment)))
    y = np.arange(len(by_segment))
    ax.barh(y, by_segment["clv_mean"], color=PALETTE["retained"], alpha=0.85)
    ax.errorbar(by_segment["clv_mean"], y,
                xerr=[by_segment["clv_mean"] - by_segment["ci_low"],
                      by_segment["ci_high"] - by_segment["clv_mean"]],
                fmt="none", ecolor="0.2", capsize=3)
    ax.axvline(float(clv.mean()), color="0.4", ls="--", lw=1, label="all customers")
    ax.set_yticks(y, by_segment["segment"])
    ax.invert_yaxis()
    ax.set_xlabel(f"mean CLV, {currency} over the next {horizon_months} months "
                  "(bootstrap 95% CI)")
    ax.legend(frameon=False)
    return ax


def waterfall(cost: ChurnCost, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Waterfall of the four components up to the total cost of churn.

    The bars' names are category ticks, which Matplotlib redraws from the categories
    (a translated tick text would not last): they are written in the session's language
    (:func:`churnlab.i18n.current`) when the bars are made."""
    ax = axes(ax, (8, 4.2))
    labels = [i18n.current().lookup(w) for w in ("direct", "indirect", "lost future revenue", "opportunity",
                                                 "total")]
    vals = [cost.totals[c] for c in COMPONENTS]
    bottoms = np.concatenate([[0.0], np.cumsum(vals)[:-1]])
    ax.bar(labels[:4], vals, bottom=bottoms, color=COMPONENT_COLORS)
    ax.bar(labels[4], cost.totals["total"], color="0.25")
    for i, (v, b) in enumerate(zip(vals + [cost.totals["total"]], list(bottoms) + [0.0])):
        ax.text(i, b + v, f"{v:,.0f}", ha="center", va="bottom", fontsize=9)
    start, end = cost.window
    ax.set_ylabel(cost.currency)
    ax.set_title(f"Cost of churn, {start:%Y-%m-%d} to {end:%Y-%m-%d} ({cost.currency})")
    _money_axis(ax.yaxis)
    return ax


def cost_by_period_plot(cost: ChurnCost, *, period: str, ax: plt.Axes | None = None) -> plt.Axes:
    """The four components stacked by period."""
    ax = axes(ax, (7, 3.8))
    by_period = cost.table.groupby("period")[list(COMPONENTS)].sum()
    by_period.plot.bar(stacked=True, ax=ax, width=0.85, color=COMPONENT_COLORS)
    step = max(1, len(by_period) // 12)
    ax.set_xticks(range(0, len(by_period), step), by_period.index[::step], rotation=45)
    ax.set(ylabel=cost.currency, xlabel=period, title=f"Cost of churn by {period} ({cost.currency})")
    _money_axis(ax.yaxis)
    ax.legend(frameon=False, fontsize=8)
    return ax


def cost_by_segment_plot(cost: ChurnCost, *, segment: str | None = None,
                         ax: plt.Axes | None = None) -> plt.Axes:
    """The four components stacked by segment (horizontal bars)."""
    ax = axes(ax, (7, 3.8))
    by_seg = cost.table.groupby("segment")[list(COMPONENTS)].sum()
    by_seg.plot.barh(stacked=True, ax=ax, color=COMPONENT_COLORS, legend=False)
    ax.set(xlabel=cost.currency, ylabel="",
           title=f"Cost of churn by {segment or 'segment'} ({cost.currency})")
    _money_axis(ax.xaxis)
    return ax


def profit_curve_plot(curves: dict[str, pd.DataFrame], *, currency: str, plan: CampaignPlan | None = None,
                      ax: plt.Axes | None = None) -> plt.Axes:
    """Expected profit against the share of customers contacted, one line per policy."""
    ax = axes(ax, (8, 4.4))
    for name, c in curves.items():
        ax.plot(c["share"], c["profit"], label=name, lw=1.6, ls="--" if "mass" in name else "-")
    if plan is not None:
        ax.axvline(plan.share, color="0.4", ls=":", lw=1)
        ax.annotate(f"best: top {plan.share:.0%}\n{plan.profit:,.0f} {currency}",
                    (plan.share, plan.profit), xytext=(10, -30), textcoords="offset points", fontsize=9)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xlabel("share of active customers contacted")
    ax.set_ylabel(f"expected profit ({currency})")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    _money_axis(ax.yaxis)
    ax.legend(frameon=False)
    ax.set_title("Retention campaign: expected profit by targeting depth")
    return ax


def profit_distribution_plot(risk: ProfitRisk, *, currency: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of the campaign's profit over draws of the save rate, with its median
    and 90% interval in the title."""
    ax = axes(ax, (8, 3.4))
    ax.hist(risk.draws, bins=60, color="#27ae60", alpha=0.8)
    ax.axvline(0, color="0.2", lw=1)
    varies = "" if risk.sources == "the save rate" else " × probability level"
    ax.set_xlabel(f"campaign profit ({currency}), save rate ~ Beta({risk.alpha:g}, {risk.beta:g}){varies}")
    _money_axis(ax.xaxis)
    ax.set_title(f"Profit of the best plan: median {risk.median:,.0f}, 90% interval "
                 f"{risk.p05:,.0f} to {risk.p95:,.0f} {currency}")
    return ax


def fix_roi_plot(roi: pd.DataFrame, *, currency: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Value lost to each exit reason a year, and what its fix would save (:func:`.cost.fix_roi`)."""
    ax = axes(ax, (8, 0.9 + 0.45 * len(roi)))
    ax.barh(roi["reason"], roi["value_lost_per_year"], color="#c0392b", alpha=0.85,
            label="value lost a year")
    ax.barh(roi["reason"], roi["value_saved_per_year"].fillna(0), color="#27ae60", alpha=0.9,
            label="saved by the fix")
    ax.invert_yaxis()
    ax.set_xlabel(f"{currency} per year")
    _money_axis(ax.xaxis)
    ax.legend(frameon=False)
    ax.set_title("Value lost to each exit reason, and what a fix would save")
    return ax


def tornado_plot(table: pd.DataFrame, *, result: str, currency: str,
                 ax: plt.Axes | None = None) -> plt.Axes:
    """Tornado chart of one result: bars from its value at each assumption's low to high."""
    t = table[table["result"] == result].sort_values("swing")
    ax = axes(ax, (7, 0.9 + 0.5 * len(t)))
    base = float(t["base_value"].iloc[0])
    y = np.arange(len(t))
    lo, hi = t["at_low"].to_numpy(), t["at_high"].to_numpy()
    ax.barh(y, lo - base, left=base, color=PALETTE["retained"], alpha=0.8, label="assumption low")
    ax.barh(y, hi - base, left=base, color=PALETTE["churned"], alpha=0.8, label="assumption high")
    ax.axvline(base, color="0.2", lw=1)
    ax.set_yticks(y, [f"{a} ({lo_:g} / {hi_:g})" for a, lo_, hi_ in zip(t["assumption"], t["low"], t["high"])])
    ax.set_xlabel(f"{result} ({currency})")
    _money_axis(ax.xaxis)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Sensitivity of {result}")
    return ax
