"""The early-warning list: each active customer's risk, its reasons and the action.

Drivers are SHAP values of the model that drives the list: for XGBoost its exact
tree SHAP values (``pred_contribs=True``; Lundberg et al. 2020, *Nature Machine
Intelligence* 2:56-67), for the logistic regression the exact linear SHAP values
``beta_j (z_ij - mean z_j)`` (Lundberg & Lee 2017, *NeurIPS*, independent features).
A one-hot encoded feature's value is the signed sum over its columns
(:func:`shap_values`), and its importance the mean absolute value of that sum
(:func:`shap_ranking`). They are *predictive attributions* -- how much a feature
moves this model's score -- not causal effects. :func:`early_warning_list` scores
the active customers, turns scores into calibrated probabilities, assigns risk
tiers and maps each customer's reasons to actions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import Calibration
from .warning import Models


def _contributions(model, X: pd.DataFrame, which: str) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Design-column SHAP values (log-odds), the bias column, and each column's source feature.

    ``model``: a :class:`Models` (``X`` raw rows; ``which`` = ``xgboost`` or
    ``logistic``) or an ``XGBClassifier`` / booster (``X`` its design matrix).
    """
    import xgboost

    if not isinstance(model, Models):
        booster = model.get_booster() if hasattr(model, "get_booster") else model
        contrib = booster.predict(xgboost.DMatrix(X, missing=np.nan), pred_contribs=True)
        phi = pd.DataFrame(contrib[:, :-1], columns=list(X.columns), index=X.index)
        return phi, contrib[:, -1], list(X.columns)
    M = model.matrix(X)
    sources = [model.design.source[c] for c in M.columns]
    if which == "xgboost":
        contrib = model.xgboost.get_booster().predict(xgboost.DMatrix(M, missing=np.nan),
                                                      pred_contribs=True)
        return pd.DataFrame(contrib[:, :-1], columns=list(M.columns), index=X.index), contrib[:, -1], sources
    prep, lr = model.logistic.named_steps["prep"], model.logistic.named_steps["model"]
    Z = pd.DataFrame(np.asarray(prep.transform(M), dtype=float), columns=prep.get_feature_names_out(),
                     index=X.index)
    beta = pd.Series(lr.coef_[0], index=Z.columns)
    mean = pd.Series(model.background, index=Z.columns)
    phi = ((Z - mean) * beta)[list(M.columns)]
    bias = np.full(len(X), float(lr.intercept_[0] + (beta * mean).sum()))
    return phi, bias, sources


def _by_source(phi: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    return phi.T.groupby(pd.Series(sources, index=phi.columns), sort=False).sum().T


def shap_values(model, X: pd.DataFrame, *, which: str = "xgboost") -> pd.DataFrame:
    """Per-row SHAP values of one model, summed per source feature (log-odds scale).

    ``logit(p_i) = bias + sum_f phi_if``. A categorical feature's value is the
    signed sum over its dummies, ``phi_i,plan = sum_l phi_i,plan_l`` (SHAP values
    are additive, so this is the SHAP value of the feature as one player).
    XGBoost: ``booster.predict(DMatrix(X), pred_contribs=True)``; logistic:
    ``phi_ij = beta_j (z_ij - mean_train z_j)`` on its imputed, standardised inputs.
    ``model`` is a :class:`Models` (``X`` raw rows) or an ``XGBClassifier``
    (``X`` its design matrix). Columns: features, then ``bias``.
    """
    phi, bias, sources = _contributions(model, X, which)
    out = _by_source(phi, sources)
    out["bias"] = bias
    return out


def shap_ranking(model, X: pd.DataFrame, *, which: str = "xgboost") -> pd.DataFrame:
    """Global driver ranking: mean |SHAP| per original feature, largest first.

    ``importance_f = mean_i |sum_{j in f} phi_ij|`` where ``j`` runs over the
    design columns of feature ``f`` (itself for a numeric feature, its dummies
    for a categorical): first the signed sum per customer, then the absolute
    value. (Summing absolute values per dummy instead would inflate a feature
    with many levels, whose dummies' contributions partly cancel.) Columns:
    ``feature, mean_abs_shap, share`` (of the total), ``mean_shap`` (signed mean)
    and ``rank`` (1 = strongest).
    """
    phi = shap_values(model, X, which=which).drop(columns="bias")
    mean_abs, signed = phi.abs().mean(), phi.mean()
    out = pd.DataFrame({"feature": mean_abs.index, "mean_abs_shap": mean_abs.to_numpy(),
                        "mean_shap": signed.to_numpy()})
    total = out["mean_abs_shap"].sum()
    out["share"] = out["mean_abs_shap"] / total if total > 0 else np.nan
    out = out.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[["feature", "mean_abs_shap", "share", "mean_shap", "rank"]]


def reason_codes(model, X: pd.DataFrame, *, top: int = 3, which: str = "xgboost") -> pd.DataFrame:
    """Per row, the ``top`` features that push its churn risk up the most.

    Features ranked by their (per-feature summed) SHAP value ``phi_if``;
    only positive contributions count, so a row may have fewer than ``top``
    reasons (missing). Columns ``reason_1..top`` (feature names) and
    ``contribution_1..top`` (log-odds), index aligned with ``X``.
    """
    phi = shap_values(model, X, which=which).drop(columns="bias")
    vals = phi.to_numpy()
    names = np.asarray(phi.columns, dtype=object)
    order = np.argsort(-vals, axis=1, kind="stable")[:, :top]
    out = {}
    for k in range(min(top, vals.shape[1])):
        v = np.take_along_axis(vals, order[:, [k]], axis=1)[:, 0]
        out[f"reason_{k + 1}"] = np.where(v > 0, names[order[:, k]], None)
        out[f"contribution_{k + 1}"] = np.where(v > 0, v, np.nan)
    for k in range(vals.shape[1], top):
        out[f"reason_{k + 1}"] = np.full(len(phi), None, dtype=object)
        out[f"contribution_{k + 1}"] = np.full(len(phi), np.nan)
    cols = [f"reason_{k}" for k in range(1, top + 1)] + [f"contribution_{k}" for k in range(1, top + 1)]
    return pd.DataFrame(out, index=X.index)[cols]


def current_customers(analysis: pd.DataFrame) -> pd.DataFrame:
    """Active customers as of ``as_of``, with snapshot-style features.

    The analysis table's features are computed as of ``as_of`` by the same
    code as the snapshots' (:func:`churnlab.features.customer_features`), so
    its rows with ``churned == False`` are the current snapshot. Their
    ``duration`` (months from start to ``as_of``, not an outcome for an active
    customer) becomes ``tenure_months``, the snapshots' name for the same
    quantity; outcome columns are then ignored by the design transform.
    """
    cur = analysis[~analysis["churned"].astype(bool)].copy()
    if "tenure_months" not in cur and "duration" in cur:
        cur["tenure_months"] = cur["duration"].astype(float)
    return cur.reset_index(drop=True)


def early_warning_list(model: Models, current: pd.DataFrame, *,
                       playbook: dict[str, str] | None = None,
                       tiers: tuple[float, float] = (0.5, 0.2),
                       tier_shares: tuple[float, float] | None = None,
                       which: str = "xgboost",
                       calibration: Calibration | None = None) -> pd.DataFrame:
    """Ranked list of active customers at risk, with reasons and actions.

    ``current``: one row per customer with features as of now; rows with
    ``churned == True`` are dropped (use :func:`current_customers` on the
    analysis table to get ``tenure_months`` too). Columns aligned through the
    model's design transform (missing numeric columns -> NaN, unseen levels
    -> zeros).

    Columns: ``customer_id``; ``model_score``, the ``which`` model's raw
    output; ``churn_probability``, that score through ``calibration``
    (:meth:`Calibration.apply`, fitted on held-out rows: the probability money is
    computed from; the raw score when ``calibration`` is None); ``risk_tier`` =
    high if the probability >= tiers[0], medium if >= tiers[1], else low; with
    ``tier_shares = (h, m)`` the tiers are instead by rank of the score: the top
    ``h`` of customers high, the next ``m`` medium (useful when churn is rare and
    few probabilities pass an absolute 0.5); ``reason_1..3`` (:func:`reason_codes`
    of the same model); ``suggested_action``: ``playbook[reason]`` for each reason
    in order, distinct actions joined by "; " (empty when no playbook or no match).
    Sorted by score, highest first.
    """
    if "churned" in current:
        current = current[~current["churned"].astype(bool)]
    current = current.reset_index(drop=True)
    X = model.matrix(current)
    score = model.predict(X, model=which)
    p = calibration.apply(score) if calibration is not None else score
    if tier_shares is not None:  # tiers by rank: the top shares of active customers
        high_share, medium_share = tier_shares
        cuts = (float(np.quantile(score, 1 - high_share)),
                float(np.quantile(score, 1 - high_share - medium_share)))
        tier = np.where(score >= cuts[0], "high", np.where(score >= cuts[1], "medium", "low"))
    else:
        hi, mid = tiers
        if not hi >= mid:
            raise ValueError(f"tiers must be (high, medium) with high >= medium, got {tiers}")
        tier = np.where(p >= hi, "high", np.where(p >= mid, "medium", "low"))
    reasons = reason_codes(model, X, top=3, which=which)
    playbook = playbook or {}

    def action(row) -> str:
        acts = [playbook[r] for r in row if r is not None and r in playbook]
        return "; ".join(dict.fromkeys(acts))

    out = pd.DataFrame({"customer_id": current["customer_id"].to_numpy(), "churn_probability": p,
                        "model_score": score, "risk_tier": tier})
    for k in (1, 2, 3):
        out[f"reason_{k}"] = reasons[f"reason_{k}"].to_numpy()
    out["suggested_action"] = [action(r) for r in
                               reasons[["reason_1", "reason_2", "reason_3"]].itertuples(index=False)]
    return out.sort_values("model_score", ascending=False, kind="stable").reset_index(drop=True)


def tier_summary(warning: pd.DataFrame) -> pd.DataFrame:
    """Customers and mean (calibrated) churn probability per risk tier."""
    g = warning.groupby("risk_tier")["churn_probability"]
    out = pd.DataFrame({"customers": g.size(), "mean_probability": g.mean()})
    return out.reindex([t for t in ("high", "medium", "low") if t in out.index])
