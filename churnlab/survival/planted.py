"""The simulator's planted hazard ratios against the Cox estimates."""

from __future__ import annotations

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


def planted_comparison(drivers: list[dict], hazard_ratios: pd.DataFrame, *,
                       renamed: dict[str, str] | None = None) -> pd.DataFrame:
    """The simulator's planted hazard ratios next to the model's estimates.

    ``drivers``: ``ground_truth.json["drivers"]`` (feature, level, direction,
    log_hazard_ratio, effect); ``renamed`` maps features to their model names
    (e.g. from :func:`exposure_rates`). The planted effects act on the monthly
    hazard through the simulator's own variables (e.g. complaints so far), the
    model sees customer-level summaries, so compare directions and order, not
    digits. Columns: feature, planted_hr, per, term, estimated_hr, ci_low,
    ci_high, p_value, same_direction.
    """
    renamed = dict(renamed or {})
    hr = hazard_ratios.set_index("term")
    rows = []
    for d in drivers:
        feat = renamed.get(d["feature"], d["feature"])
        term = f"{feat}={d['level']}" if "level" in d else feat
        if term not in hr.index:  # a yes/no feature without a level: its one dummy term
            dummies = [t for t in hr.index if t.startswith(f"{feat}=")]
            term = dummies[0] if len(dummies) == 1 else term
        est = hr.loc[term] if term in hr.index else None
        planted = float(np.exp(d["log_hazard_ratio"]))
        row = {"feature": d["feature"], "planted_hr": planted,
               "per": d.get("effect", {}).get("per", ""), "term": term if est is not None else None,
               "estimated_hr": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
               "same_direction": None}
        if est is not None:
            row.update(estimated_hr=float(est["hr"]), ci_low=float(est["ci_low"]),
                       ci_high=float(est["ci_high"]), p_value=float(est["p_value"]),
                       same_direction=bool(np.sign(np.log(est["hr"])) == np.sign(d["log_hazard_ratio"])))
        rows.append(row)
    return pd.DataFrame(rows)
