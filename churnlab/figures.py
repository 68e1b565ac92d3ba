"""Shared drawing helpers: the palette, a new-axes helper and the ratio forest plot.

Plot helpers across churnlab look like ``f(data, *, ..., ax=None) -> Axes``:
they draw on ``ax`` (a new figure if None), return it, and never save files.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

PALETTE = {"churned": "#c0392b", "retained": "#2e86c1"}


def axes(ax: plt.Axes | None = None, size: tuple[float, float] = (7, 4)) -> plt.Axes:
    """``ax`` itself, or the axes of a new figure of ``size`` inches."""
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def ratio_forest(table: pd.DataFrame, *, value: str, xlabel: str, title: str,
                 ax: plt.Axes | None = None) -> plt.Axes:
    """Forest plot of ratios (odds or hazard) with 95% CIs on a log x-axis.

    ``table`` has ``term``, ``value``, ``ci_low``, ``ci_high`` and ``p_value``;
    ratios above 1 (more churn) are red, below 1 blue, p >= 0.05 grey.
    """
    ax = axes(ax, (7, 0.8 + 0.35 * len(table)))
    ypos = np.arange(len(table))
    sig = table["p_value"].lt(0.05).to_numpy()
    colors = np.where(table[value].gt(1), PALETTE["churned"], PALETTE["retained"])
    if table["ci_low"].notna().any():
        ax.errorbar(table[value], ypos,
                    xerr=[table[value] - table["ci_low"], table["ci_high"] - table[value]],
                    fmt="none", ecolor="0.4", capsize=2, lw=1)
    ax.scatter(table[value], ypos, c=[c if s else "0.6" for c, s in zip(colors, sig)], zorder=3)
    ax.axvline(1, color="0.3", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(ypos, table["term"])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax
