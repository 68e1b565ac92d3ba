"""The report's figures, drawn from ``metrics.json`` alone and embedded in the page.

Plot helpers follow the house shape ``f(data, *, ..., ax=None) -> Axes`` and
never save files; :func:`embed` draws one on a fresh Agg figure (no pyplot
state, default style, so a notebook's settings do not leak in) and returns an
``<figure>`` whose ``<img>`` holds the PNG as a ``data:image/png;base64`` URL.
The page stays one self-contained file, and the same metrics give the same
bytes (the PNG carries no software version or date).

Each plot helper takes ``t``, the catalogue of the report's language, for its titles,
labels and legend (English by default); :func:`embed` draws with the language's fonts
(:func:`churnlab.display.figure_rc`).
"""

from __future__ import annotations

import base64
import io
from typing import Callable, Mapping

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .. import i18n
from ..figures import axes
from .format import EN, esc, fmt_money, num, qty, tagged, words

CHURN = "#c0392b"
ACTIVE = "#2e86c1"
TOTAL = "#1d2330"
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
         "axes.grid": True, "grid.color": "#e3e6ec", "grid.linewidth": 0.8, "axes.axisbelow": True,
         "text.parse_math": False}  # a currency like "a $x^$" is text, not mathtext (it failed to draw)
DPI = 150
"""Pixels per inch of the PNG; it is shown at 100 px per inch (sharp on high-density screens)."""


def _finite(values: Mapping[str, float | int | None]) -> dict[str, float]:
    return {str(k): float(v) for k, v in values.items() if num(v) is not None}


def _short_money(value: float, _pos: object = None) -> str:
    """Axis ticks: ``1.2M``, ``350k``, ``75``."""
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.1f}M"
    if a >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def churn_rate_plot(monthly: Mapping[str, float | int | None], *, target: float | None = None,
                    t: i18n.Catalogue = EN, ax: Axes | None = None) -> Axes:
    """Churn rate per month (period -> churned in the month / customers at its start) and its 3-month mean.

    ``monthly`` is ``kpi.churn_rate.month`` of metrics.json; missing months are skipped.
    ``target``: the scorecard's monthly churn target, drawn as a dashed line (the scorecard trend).
    """
    ax = axes(ax, (10.4, 3.0))
    s = pd.Series(_finite(monthly), dtype=float).sort_index()
    x = range(len(s))
    ax.plot(x, s.to_numpy(), marker="o", ms=3, lw=1.4, color=CHURN, label=t("monthly churn rate"))
    ax.plot(x, s.rolling(3).mean().to_numpy(), color="0.35", lw=1, ls="--", label=t("3-month average"))
    step = max(1, len(s) // 12)
    ax.set_xticks(list(x)[::step], list(s.index)[::step], rotation=45, ha="right")
    if num(target) is not None:
        ax.axhline(float(target), color=TOTAL, lw=1, ls=":",
                   label=t("target {rate} a month", rate=f"{float(target):.2%}"))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_ylim(bottom=0)
    ax.set_title(t("Churn rate per month (churned / customers at the start of the month)"))
    ax.legend(frameon=False, loc="upper left")
    return ax


def survival_plot(points: Mapping[str, float | int | None], *, median: float | None = None,
                  median_ci: list | None = None, unit: str = "month", curve: Mapping[str, list] | None = None,
                  t: i18n.Catalogue = EN, ax: Axes | None = None) -> Axes:
    """Share of customers still active over time (Kaplan–Meier), and the median.

    With ``curve`` (``survival.km.curve``: time, survival, ci_low, ci_high) the
    Kaplan–Meier step curve is drawn with its 95% confidence band. Without it (older
    runs) a line joins ``points``, ``survival.km.survival`` (horizon -> S(h), S(0) = 1
    is added): the curve between them is not in metrics.json. ``median`` where S = 50%
    (``survival.km.median``) is marked with its 95% CI as a horizontal bar.
    """
    ax = axes(ax, (5.2, 3.2))
    pts = sorted((float(h), v) for h, v in _finite(points).items())
    if curve:
        time = np.asarray(curve["time"], dtype=float)
        surv = np.asarray(curve["survival"], dtype=float)
        low = np.asarray([np.nan if v is None else v for v in curve.get("ci_low") or [None] * len(time)], dtype=float)
        high = np.asarray([np.nan if v is None else v for v in curve.get("ci_high") or [None] * len(time)],
                          dtype=float)
        if np.isfinite(low).any():
            ax.fill_between(time, low, high, step="post", color=ACTIVE, alpha=0.18, lw=0,
                            label=t("95% confidence interval"))
        ax.step(time, surv, where="post", lw=1.6, color=ACTIVE, label=t("still active (Kaplan–Meier)"))
        last = (float(time[-1]), float(surv[-1])) if len(time) else None
    else:
        xs, ys = [0.0] + [h for h, _ in pts], [1.0] + [v for _, v in pts]
        ax.plot(xs, ys, marker="o", ms=4, lw=1.6, color=ACTIVE, label=t("still active (Kaplan–Meier)"))
        last = pts[-1] if pts else None
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    med = num(median)
    if med is not None:
        if last and med > last[0]:
            ax.plot([last[0], med], [last[1], 0.5], color=ACTIVE, lw=1, ls=":")
        ci = [num(c) for c in (median_ci or [])]
        xerr = [[med - ci[0]], [ci[1] - med]] if len(ci) == 2 and None not in ci else None
        ax.errorbar([med], [0.5], xerr=xerr, fmt="D", ms=6, color=CHURN, capsize=3,
                    label=tagged(t, "median:", qty(t, med, unit)))
    ax.set_ylim(0, 1.08)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(t(f"{unit}s since the start"))
    ax.set_title(t("Customers still active"))
    ax.legend(frameon=False, loc="lower left", fontsize=8)
    return ax


def cost_plot(components: Mapping[str, float | int | None], *, currency: str = "",
              t: i18n.Catalogue = EN, ax: Axes | None = None) -> Axes:
    """The cost of churn as a waterfall: each component (``cost.components``) stacked to the total."""
    ax = axes(ax, (5.2, 3.2))
    comps = _finite(components)
    names = [t.lookup(words(k)) for k in comps] + [t("total")]
    starts, widths, start = [], [], 0.0
    for v in comps.values():
        starts.append(start)
        widths.append(v)
        start += v
    starts.append(0.0)
    widths.append(start)
    colors = [CHURN] * len(comps) + [TOTAL]
    y = range(len(names))
    ax.barh(y, widths, left=starts, color=colors, height=0.6)
    for i, (s, w) in enumerate(zip(starts, widths)):
        ax.annotate(fmt_money(w), (s + max(w, 0), i), textcoords="offset points", xytext=(4, 0),
                    va="center", fontsize=8)
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(FuncFormatter(_short_money))
    ax.set_xlim(right=max(start, max(widths, default=0)) * 1.25 or 1)
    ax.set_xlabel(currency)
    ax.set_title(t("Where the cost of churn comes from"))
    return ax


def profit_curve_plot(curves: Mapping[str, Mapping[str, float | int | None]], *,
                      recommended: str | None = None, best: tuple[float, float] | None = None,
                      currency: str = "", t: i18n.Catalogue = EN, ax: Axes | None = None) -> Axes:
    """Expected campaign profit against the share of the list contacted, one line per policy.

    ``curves`` is ``retention.profit_curves`` (policy -> share as text -> profit); the
    ``recommended`` policy is drawn bold, the others thin and grey, and ``best`` (share,
    profit) of the recommended plan is marked. Zero profit is a dashed line.
    """
    ax = axes(ax, (5.2, 3.2))
    for name, points in sorted(curves.items(), key=lambda kv: kv[0] == recommended):
        pts = sorted((float(k), v) for k, v in _finite(points).items())
        if not pts:
            continue
        rec = name == recommended
        ax.plot([p for p, _ in pts], [v for _, v in pts], lw=2.2 if rec else 1, zorder=3 if rec else 2,
                color=ACTIVE if rec else "0.65", label=t.lookup(name) if rec else None)
    if best is not None and None not in best:
        ax.plot([best[0]], [best[1]], "D", color=CHURN, ms=6, zorder=4,
                label=t("best: top {share}, {profit}", share=f"{best[0]:.0%}", profit=fmt_money(best[1], currency)))
    ax.axhline(0, color="0.3", lw=0.8, ls="--")
    shown = [v for k, pts in curves.items() if k == recommended for v in _finite(pts).values()]
    if shown and max(shown) > 0:  # an untargeted mass campaign can lose 100x more: keep the plan in view
        low = min(min(v for pts in curves.values() for v in _finite(pts).values()), 0.0)
        ax.set_ylim(bottom=max(low, -1.5 * max(shown)) * 1.05, top=max(shown) * 1.25)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(FuncFormatter(_short_money))
    ax.set_xlabel(t("share of the early-warning list contacted, riskiest first"))
    ax.set_ylabel(currency)
    ax.set_title(t("Expected campaign profit"))
    ax.legend(frameon=False, loc="lower left", fontsize=7)
    return ax


def embed(draw: Callable[[Axes], object], *, alt: str, caption: str,
          size: tuple[float, float] = (5.2, 3.2), lang: str = i18n.DEFAULT) -> str:
    """``<figure>`` with the PNG drawn by ``draw(ax)`` inline; ``alt`` and ``caption`` are plain text.

    ``lang``: the language of the figure's text, drawn with its fonts (a CJK font for ``zh``).
    """
    rc = dict(STYLE)
    if lang != i18n.DEFAULT:
        from ..display import figure_rc

        rc.update(figure_rc(lang))
    with matplotlib.style.context("default"), matplotlib.rc_context(rc):
        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
        draw(fig.subplots())
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    width = round(size[0] * 100)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}" width="{width}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
