"""Figures of the cause analysis (notebook 02).

Single-panel helpers take ``ax=None`` and return the Axes; the multi-panel ones return
the Figure (or None when there is nothing to draw). None saves a file."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..figures import PALETTE, axes, ratio_forest
from .scores import calibration_table, expected_calibration_error
from .warning import MODEL_NAMES


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
    """One :func:`drivers.segment_plot` per column (at most 4), stacked. A column without a
    level in ``table`` (all its levels too small, so only in ``skipped``) gets no panel;
    None when no column has one."""
    shown = set(table["column"]) if len(table) else set()
    columns = [c for c in columns if c in shown][:4]
    if not columns:
        return None
    fig, axs = plt.subplots(len(columns), 1, figsize=(8, 1.6 + 1.9 * len(columns)), squeeze=False)
    for ax, c in zip(axs[:, 0], columns):
        segment_plot(table, column=c, overall=overall, ax=ax)
    fig.tight_layout()
    return fig


def cohort_panels(cohorts: dict[str, pd.DataFrame], *, metrics: list[str]) -> plt.Figure | None:
    """Churn rate by decile of each metric in ``metrics``, side by side."""
    if not metrics:
        return None
    fig, axs = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axs[0], metrics):
        cohort_plot(cohorts[m], ax=ax)
        ax.set_title(f"Churn rate by decile of {m}")
    fig.tight_layout()
    return fig


def evaluation_panels(predictions: pd.DataFrame, *, chosen: str = "xgboost") -> plt.Figure:
    """ROC and precision-recall curves of both early-warning models, and the reliability
    of the ``chosen`` model before and after calibration."""
    fig, axs = plt.subplots(1, 3, figsize=(15, 4.4))
    roc_curves(predictions, ax=axs[0])
    pr_curves(predictions, ax=axs[1])
    calibration_plot(predictions, chosen=chosen, ax=axs[2])
    fig.tight_layout()
    return fig


def pareto_plot(pareto: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Bars of stated exit reasons (from :func:`exit_reason_pareto`, ``by=None``) with
    the cumulative share on a second axis."""
    ax = axes(ax)
    ax.bar(pareto["reason"], pareto["count"], color=PALETTE["churned"])
    ax.set_ylabel("churners stating the reason")
    ax.tick_params(axis="x", rotation=30)
    ax2 = ax.twinx()
    ax2.plot(pareto["reason"], pareto["cumulative_share"], color="0.25", marker="o")
    ax2.set_ylim(0, 1.05)
    ax2.axhline(0.8, color="0.6", ls=":", lw=1)
    ax2.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax2.set_ylabel("cumulative share")
    n = pareto.attrs.get("answered", int(pareto["count"].sum()))
    ax.set_title(f"Stated exit reasons ({n:,} churners answered)")
    return ax


def segment_plot(table: pd.DataFrame, *, column: str | None = None, overall: float | None = None,
                 ax: plt.Axes | None = None) -> plt.Axes:
    """Churn rate per level (``SegmentResult.table``) with 95% Wilson error bars."""
    t = table if column is None else table[table["column"] == column]
    ax = axes(ax, (7, 0.8 + 0.45 * len(t)))
    labels = t["level"] if column is not None or t["column"].nunique() == 1 \
        else t["column"] + ": " + t["level"]
    ypos = np.arange(len(t))
    ax.barh(ypos, t["churn_rate"], color=PALETTE["churned"], alpha=0.85)
    ax.errorbar(t["churn_rate"], ypos, xerr=[t["churn_rate"] - t["ci_low"],
                                             t["ci_high"] - t["churn_rate"]],
                fmt="none", ecolor="0.2", capsize=3, lw=1)
    for i, (hi, r, n) in enumerate(zip(t["ci_high"], t["churn_rate"], t["customers"])):
        ax.text(hi, i, f" {r:.1%} (n={n:,})", va="center", fontsize=9)
    if overall is not None:
        ax.axvline(overall, color="0.3", ls="--", lw=1)
    ax.set_yticks(ypos, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(t["ci_high"].max() * 1.35, 0.05))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.set_xlabel("churn rate (95% Wilson interval)")
    ax.set_title(f"Churn rate by {column or ', '.join(t['column'].unique())}")
    return ax


def cohort_plot(cohorts: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Churn rate per quantile group of a metric (:func:`metric_cohorts`) with Wilson bands."""
    ax = axes(ax)
    x = cohorts["cohort"]
    ax.plot(x, cohorts["churn_rate"], marker="o", color=PALETTE["churned"])
    ax.fill_between(x, cohorts["ci_low"], cohorts["ci_high"], color=PALETTE["churned"], alpha=0.2,
                    lw=0)
    ax.set_xticks(x, [f"{m:.3g}" for m in cohorts["mean"]], rotation=30)
    col = cohorts.attrs.get("column", "metric")
    ax.set_xlabel(f"{col} (mean of each of {len(cohorts)} quantile groups)")
    ax.set_ylabel("churn rate")
    ax.set_ylim(0, None)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(f"Churn rate by {col}")
    return ax


def odds_ratio_plot(table: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Forest plot of :class:`LogitResult` odds ratios (or monthly rate ratios) with 95% CIs,
    log x-axis."""
    value = "odds_ratio" if "odds_ratio" in table else "rate_ratio"
    what = "odds ratio of churning" if value == "odds_ratio" else "ratio of monthly churn rates"
    return ratio_forest(table, value=value,
                        xlabel=f"{what} (log scale; numeric: per 1 SD)",
                        title="Drivers of churn, adjusted for each other (grey: p ≥ 0.05)", ax=ax)


COLORS = {"xgboost": "#c0392b", "logistic": "#2e86c1"}


PANEL = (5, 4.5)  # default size of one model-evaluation panel


def roc_curves(predictions: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """ROC curve of each model (``p_<model>`` vs ``y``), AUC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    ax = axes(ax, PANEL)
    y = predictions["y"].astype(int)
    for m in MODEL_NAMES:
        fpr, tpr, _ = roc_curve(y, predictions[f"p_{m}"])
        ax.plot(fpr, tpr, color=COLORS[m], label=f"{m} (AUC {roc_auc_score(y, predictions[f'p_{m}']):.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC, held-out rows")
    ax.legend(loc="lower right")
    return ax


def pr_curves(predictions: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Precision-recall curve of each model, average precision in the legend."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    ax = axes(ax, PANEL)
    y = predictions["y"].astype(int)
    for m in MODEL_NAMES:
        prec, rec, _ = precision_recall_curve(y, predictions[f"p_{m}"])
        ap = average_precision_score(y, predictions[f"p_{m}"])
        ax.step(rec, prec, where="post", color=COLORS[m], label=f"{m} (AP {ap:.3f})")
    ax.axhline(y.mean(), color="0.6", ls="--", lw=1)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Precision-recall (dashed: churn rate {y.mean():.1%})")
    ax.legend(loc="upper right")
    return ax


def calibration_plot(predictions: pd.DataFrame, *, chosen: str = "xgboost", bins: int = 10,
                     ax: plt.Axes | None = None) -> plt.Axes:
    """Reliability diagram of the ``chosen`` model: observed churn vs mean predicted
    probability per equal-count bin (:func:`calibration_table`), before calibration
    (``p_<chosen>``) and after (``p_calibrated``, cross-fitted, when present); the
    legend gives each curve's expected calibration error."""
    ax = axes(ax, PANEL)
    y = predictions["y"].astype(int)
    curves = [(f"p_{chosen}", f"{chosen}, raw", COLORS[chosen], "--")]
    if "p_calibrated" in predictions:
        curves.append(("p_calibrated", f"{chosen}, calibrated", "0.15", "-"))
    top = 0.0
    for col, label, color, ls in curves:
        t = calibration_table(y, predictions[col], bins=bins)
        ece = expected_calibration_error(y, predictions[col], bins=bins)
        ax.plot(t["mean_predicted"], t["observed"], marker="o", color=color, ls=ls,
                label=f"{label} (ECE {ece:.3f})")
        top = max(top, t["mean_predicted"].max(), t["observed"].max())
    lim = min(1.0, top * 1.08 + 0.01)
    ax.plot([0, lim], [0, lim], color="0.6", ls=":", lw=1)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed churn rate")
    ax.set_title(f"Reliability, {bins} equal-count bins")
    ax.legend(loc="upper left")
    return ax


def shap_bar(ranking: pd.DataFrame, *, model: str = "xgboost", top: int = 15,
             ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of mean |SHAP| per feature (:func:`shap_ranking`) of ``model``,
    strongest on top."""
    t = ranking.head(top)
    ax = axes(ax, (6, 0.35 * len(t) + 1.2))
    ax.barh(t["feature"][::-1], t["mean_abs_shap"][::-1], color=COLORS.get(model, "0.4"))
    ax.set_xlabel("mean |SHAP| per customer (log-odds; categories summed over levels)")
    ax.set_title(f"Predictive attributions of the {model} model (SHAP), not causes")
    return ax
