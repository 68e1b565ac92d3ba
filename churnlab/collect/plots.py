"""Figures for the notebooks. Each helper draws on ``ax`` (a new one if None) and
returns it; none saves files: the caller decides.

Computation lives in small functions beside each plot (``*_table``) so it can
be tested without drawing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..figures import PALETTE, axes


def segment_columns(df: pd.DataFrame, *, max_levels: int = 12,
                    exclude: tuple[str, ...] = ("customer_id", "exit_reason", "end_reason",
                                                "defected_categories")) -> list[str]:
    """Categorical columns fit for 'churn by segment' (2 to ``max_levels`` levels)."""
    out = []
    for col in df.columns:
        if col in exclude or col in ("churned", "event"):
            continue
        s = df[col]
        if s.dtype == object or s.dtype == bool or isinstance(s.dtype, pd.CategoricalDtype) \
                or (pd.api.types.is_integer_dtype(s) and s.nunique() <= 2):
            if 2 <= s.nunique(dropna=True) <= max_levels:
                out.append(col)
    return out


def segment_table(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers, churned and churn rate per level of ``column``."""
    g = df.groupby(df[column].astype("string").fillna("(missing)"), observed=True)["churned"]
    out = pd.DataFrame({"customers": g.size(), "churned": g.sum().astype(int)})
    out["churn_rate"] = out["churned"] / out["customers"]
    return out.sort_values("churn_rate", ascending=False)


def churn_by_segment(df: pd.DataFrame, *, column: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of the churn rate per segment level, with the overall rate."""
    import seaborn as sns  # imported here: most notebooks never need it

    ax = axes(ax)
    t = segment_table(df, column).reset_index()
    sns.barplot(data=t, y=column, x="churn_rate", color=PALETTE["churned"], ax=ax)
    overall = df["churned"].mean()
    ax.axvline(overall, color="0.3", ls="--", lw=1)
    for i, (rate, n) in enumerate(zip(t["churn_rate"], t["customers"])):
        ax.text(rate, i, f" {rate:.1%} (n={n:,})", va="center", fontsize=9)
    ax.set_xlabel("churn rate")
    ax.set_ylabel("")
    ax.set_title(f"Churn rate by {column} (dashed: all customers, {overall:.1%})")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.set_xlim(0, max(t["churn_rate"].max() * 1.35, 0.05))
    return ax


def duration_by_status(df: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of customer lifetime (months) for churned and retained customers.

    Retained customers' durations are censored: they are still customers.
    """
    import seaborn as sns  # imported here: most notebooks never need it

    ax = axes(ax)
    d = df.assign(status=np.where(df["churned"], "churned", "retained"))
    sns.histplot(data=d, x="duration", hue="status", palette=PALETTE, bins=36,
                 multiple="layer", element="step", ax=ax)
    ax.set_xlabel("months as a customer (retained: so far)")
    ax.set_ylabel("customers")
    ax.set_title("Customer lifetime by status")
    return ax


def flow_table(df: pd.DataFrame, *, freq: str = "MS") -> pd.DataFrame:
    """Customers starting and churning per period (needs ``start_date``/``end_date``)."""
    starts = df.groupby(df["start_date"].dt.to_period(freq[0]))["customer_id"].size()
    ends = df.loc[df["churned"]].groupby(df["end_date"].dt.to_period(freq[0]))["customer_id"].size()
    out = pd.DataFrame({"new": starts, "churned": ends}).fillna(0).astype(int)
    out.index = out.index.to_timestamp()
    return out


def customer_flow(df: pd.DataFrame, *, ax: plt.Axes | None = None, since: pd.Timestamp | None = None,
                  blind_from: pd.Timestamp | None = None, blind_to: pd.Timestamp | None = None
                  ) -> plt.Axes:
    """New and churned customers per month.

    ``blind_from``/``blind_to`` shade the stretch where churn cannot be seen yet
    (e.g. the last inactivity window before ``as_of``).
    """
    ax = axes(ax, (9, 3.5))
    t = flow_table(df)
    if since is not None:
        t = t[t.index >= since]
    ax.plot(t.index, t["new"], label="new", color=PALETTE["retained"])
    ax.plot(t.index, t["churned"], label="churned (by date last seen)", color=PALETTE["churned"])
    if blind_from is not None:
        ax.axvspan(blind_from, blind_to, color="0.85", zorder=0,
                   label="churn not observable yet")
    ax.set_ylabel("customers per month")
    ax.set_title("Customers won and lost each month")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=9)
    return ax


def definition_bars(defs: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Churn rate under each definition; the chosen one highlighted."""
    ax = axes(ax, (7, 0.6 + 0.5 * len(defs)))
    colors = [PALETTE["churned"] if c else "0.6" for c in defs["chosen"]]
    ax.barh(defs["definition"], defs["churn_rate"], color=colors)
    for i, (r, n) in enumerate(zip(defs["churn_rate"], defs["churned"])):
        ax.text(r, i, f" {r:.1%} ({n:,})", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(defs["churn_rate"].max() * 1.3, 0.05))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.set_xlabel("share of customers churned as of as_of")
    ax.set_title("The same customers under different churn definitions")
    return ax


NOT_METRICS = ("event", "duration", "duration_days", "n_returns")


def metric_differences(df: pd.DataFrame, *, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Numeric columns ranked by how much churned and retained customers differ.

    The standardised mean difference ``(mean_churned - mean_retained) / s_pooled``
    with ``s_pooled = sqrt((s_c^2 + s_r^2) / 2)``; constant columns and ``exclude``
    are left out.
    """
    rows = []
    churned = df["churned"].astype(bool)
    for col in df.select_dtypes("number").columns:
        if col in NOT_METRICS or col in exclude or df[col].nunique(dropna=True) < 2:
            continue
        c, r = df.loc[churned, col].dropna(), df.loc[~churned, col].dropna()
        if len(c) < 2 or len(r) < 2:
            continue
        sd = np.sqrt((c.var() + r.var()) / 2)
        rows.append({"metric": col, "mean_churned": c.mean(), "mean_retained": r.mean(),
                     "smd": (c.mean() - r.mean()) / sd if sd > 0 else np.nan})
    out = pd.DataFrame(rows, columns=["metric", "mean_churned", "mean_retained", "smd"])
    return out.reindex(out["smd"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def metric_by_status(df: pd.DataFrame, *, column: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Mean of a numeric metric for retained and churned customers, with 95% CIs.

    The interval is the t-interval of a mean, ``mean ± t(0.975, n-1) · s / sqrt(n)``
    (missing values left out), which at these group sizes agrees with a percentile
    bootstrap to the width of a line.
    """
    from scipy import stats

    ax = axes(ax, (4, 3.5))
    status = np.where(df["churned"].astype(bool), "churned", "retained")
    groups = ["retained", "churned"]
    means, half = [], []
    for g in groups:
        v = df.loc[status == g, column].dropna().to_numpy(dtype=float)
        means.append(v.mean() if len(v) else np.nan)
        half.append(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
                    if len(v) > 1 else np.nan)
    ax.bar(groups, means, color=[PALETTE[g] for g in groups])
    ax.errorbar(groups, means, yerr=half, fmt="none", ecolor="0.25", lw=1.5)
    ax.set_xlabel("")
    ax.set_ylabel(f"mean {column}")
    ax.set_title(column)
    return ax


def segment_panels(df: pd.DataFrame, *, columns: list[str]) -> plt.Figure | None:
    """One :func:`churn_by_segment` panel per column, stacked; None when there are no columns."""
    if not columns:
        return None
    height = 2.2 + 0.45 * sum(df[c].nunique() for c in columns)
    fig, axs = plt.subplots(len(columns), 1, figsize=(8, height), squeeze=False)
    for ax, c in zip(axs[:, 0], columns):
        churn_by_segment(df, column=c, ax=ax)
    fig.tight_layout()
    return fig


def metric_panels(df: pd.DataFrame, *, columns: list[str]) -> plt.Figure | None:
    """One :func:`metric_by_status` panel per column, side by side (at most 4)."""
    columns = columns[:4]
    if not columns:
        return None
    fig, axs = plt.subplots(1, len(columns), figsize=(3.6 * len(columns), 3.4), squeeze=False)
    for ax, c in zip(axs[0], columns):
        metric_by_status(df, column=c, ax=ax)
    fig.tight_layout()
    return fig
