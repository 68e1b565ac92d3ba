"""The simulator's planted drivers against a model's estimates: the recovery rule and its table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..design import as_level


def planted_reference(drivers: list[dict], df: pd.DataFrame) -> dict[str, str]:
    """Reference levels that keep each planted categorical level estimable.

    For a planted driver ``feature = level`` the reference is the most common
    *other* level, so the model reports a hazard ratio for the planted level.
    """
    ref = {}
    for d in drivers:
        if "level" in d and d["feature"] in df:
            counts = as_level(df[d["feature"]]).value_counts()
            others = [v for v in counts.index if v != str(d["level"])]
            if others:
                ref[d["feature"]] = others[0]
    return ref


#: Planted feature -> the episode covariate that measures the simulator's own variable
#: (:mod:`churnlab.collect.episodes`).
EPISODE_TERMS = {"monthly_charge_change": "price_rise", "unresolved_share": "unresolved_so_far",
                 "n_complaints": "complaints_so_far", "response_hours_mean": "slow_response_days",
                 "dropped_calls_mean": "dropped_calls_mean", "logins_change": "engagement_log_ratio",
                 "csat_mean": "csat_running"}
#: Planted drivers that no proportional monthly hazard can carry, and why.
NOT_MODELLED = {"payment_failures_mean": "involuntary churn: a failed payment ends the subscription "
                                         "in the month it happens; the model censors involuntary ends"}
#: The recovery rule's tolerance: an estimate within this factor of the planted log-HR.
FACTOR = 2.0
#: Planted drivers with |log-HR per stated unit| at least this large must be recovered.
MIN_EFFECT = 0.2

PLANTED_COLUMNS = ["feature", "per", "planted_log_hr", "term", "log_hr", "log_ci_low", "log_ci_high",
                   "p_value", "hr", "ci_low", "ci_high", "ratio", "recovered", "asserted", "verdict"]


def recovered(planted: float, log_hr: float, ci_low: float, ci_high: float, p_value: float, *,
              alpha: float = 0.05, factor: float = FACTOR) -> tuple[bool, str]:
    """Is a planted log-hazard ratio recovered by an estimate? ``(flag, reason)``.

    Recovered when all three hold: **significant** (``p_value < alpha``), the **right sign**
    (``sign(log_hr) == sign(planted)``) and **close**: the 95% CI ``[ci_low, ci_high]``
    (log scale) covers ``planted``, or the estimate is within ``factor`` of it,
    ``1/factor <= log_hr / planted <= factor``. A non-significant estimate is never
    recovered, however close; one off by more than the factor with a CI that misses is not
    either. Rule of issue 11 (item 10); the factor is :data:`FACTOR` unless told.
    """
    vals = (planted, log_hr, ci_low, ci_high, p_value)
    if any(v is None or not np.isfinite(v) for v in vals):
        return False, "no estimate"
    if not p_value < alpha:
        return False, f"not significant (p = {p_value:.2g})"
    if np.sign(log_hr) != np.sign(planted):
        return False, "wrong sign"
    if ci_low <= planted <= ci_high:
        return True, "CI covers the planted value"
    ratio = log_hr / planted
    if 1 / factor <= ratio <= factor:
        return True, f"within a factor {factor:g} (estimate / planted = {ratio:.2f})"
    return False, f"size off by more than a factor {factor:g} (estimate / planted = {ratio:.2f})"


def _term(d: dict, terms: list[str], renamed: dict[str, str]) -> str:
    feat = renamed.get(d["feature"], d["feature"])
    term = f"{feat}={d['level']}" if "level" in d else feat
    if term not in terms:  # a yes/no feature without a level: its one dummy term
        dummies = [t for t in terms if t.startswith(f"{feat}=")]
        term = dummies[0] if len(dummies) == 1 else term
    return term


def planted_recovery(drivers: list[dict], hazard_ratios: pd.DataFrame, *,
                     renamed: dict[str, str] | None = None, strata: list[str] = (),
                     alpha: float = 0.05, factor: float = FACTOR,
                     min_effect: float = MIN_EFFECT) -> pd.DataFrame:
    """Every planted driver next to its estimate, judged by :func:`recovered`.

    ``drivers``: ``ground_truth.json["drivers"]`` (feature, level, log_hazard_ratio per the
    stated unit ``effect.per``); ``hazard_ratios``: :func:`~churnlab.survival.cox.hazard_ratio_table`
    of the model; ``renamed``: planted feature -> model covariate (default
    :data:`EPISODE_TERMS`); ``strata``: columns the model stratifies on (they have no hazard
    ratio). ``recovered`` is None where no term can carry the driver (``verdict`` says why);
    ``asserted``: comparable and ``|planted log-HR| >= min_effect``, the drivers the notebook
    tier requires to be recovered. ``ratio`` = estimated / planted log-HR.
    """
    renamed = EPISODE_TERMS if renamed is None else renamed
    hr = hazard_ratios.set_index("term")
    rows = []
    for d in drivers:
        planted = float(d["log_hazard_ratio"])
        term = _term(d, list(hr.index), renamed)
        row = dict.fromkeys(PLANTED_COLUMNS, np.nan)
        row.update(feature=d["feature"] + (f"={d['level']}" if "level" in d else ""),
                   per=d.get("effect", {}).get("per", ""), planted_log_hr=planted, term=None,
                   recovered=None, asserted=False)
        if d["feature"] in strata:
            row["verdict"] = "not comparable: the model stratifies on it (own baseline hazard)"
        elif d["feature"] in NOT_MODELLED:
            row["verdict"] = "not comparable: " + NOT_MODELLED[d["feature"]]
        elif term not in hr.index:
            row["verdict"] = "not comparable: no such term in the model"
        else:
            e = hr.loc[term]
            ok, why = recovered(planted, e["log_hr"], e["log_ci_low"], e["log_ci_high"],
                                e["p_value"], alpha=alpha, factor=factor)
            row.update(term=term, log_hr=e["log_hr"], log_ci_low=e["log_ci_low"],
                       log_ci_high=e["log_ci_high"], p_value=e["p_value"], hr=e["hr"],
                       ci_low=e["ci_low"], ci_high=e["ci_high"], ratio=e["log_hr"] / planted,
                       recovered=ok, asserted=abs(planted) >= min_effect, verdict=why)
        rows.append(row)
    return pd.DataFrame(rows, columns=PLANTED_COLUMNS)


def truth_caps(ground_truth: dict | None) -> dict[str, float]:
    """Upper limits the simulator puts on its running counts, read from the ground truth's
    ``hazard.linear_predictor`` keys (``complaints_so_far_cap5`` -> ``{"complaints_so_far": 5}``),
    so the episode covariates count as the simulator does. Empty for real data."""
    lp = ((ground_truth or {}).get("hazard") or {}).get("linear_predictor") or {}
    caps = {}
    for key in lp:
        m = re.fullmatch(r"(\w+_so_far)_cap(\d+)", key)
        if m:
            caps[m.group(1)] = float(m.group(2))
    return caps
