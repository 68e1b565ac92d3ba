"""Stated exit reasons: what leavers say (exit surveys), and whether it matches what they did.

Shares are of the churners who answered; the answering share is reported with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..design import as_level
from ..errors import DataError


def _answered(df: pd.DataFrame) -> pd.DataFrame:
    if "exit_reason" not in df.columns:
        raise DataError("the analysis table has no exit_reason column; no stated reasons to analyse")
    if "churned" not in df.columns or not df["churned"].astype(bool).any():
        raise DataError("the analysis table has no churned customers; cause analysis needs both groups")
    d = df[df["churned"].astype(bool) & df["exit_reason"].notna()]
    if d.empty:
        raise DataError("no churned customer stated an exit reason")
    return d


def exit_reason_pareto(df: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Stated exit reasons among churners who gave one, most frequent first.

    Columns: [``by``], reason, count, share (of answering churners, within the
    ``by`` group), cumulative_share. ``result.attrs`` holds ``answered`` and
    ``churned`` (how many churners gave a reason, overall).
    """
    d = _answered(df)
    keys = [as_level(d[by]).rename(by)] if by else []
    parts = []
    for key, g in (d.groupby(keys, sort=True) if by else [(None, d)]):
        c = g["exit_reason"].astype(str).value_counts()
        c = c.sort_index().sort_values(ascending=False, kind="stable")
        t = pd.DataFrame({"reason": c.index, "count": c.to_numpy()})
        t["share"] = t["count"] / t["count"].sum()
        t["cumulative_share"] = t["share"].cumsum()
        if by:
            t.insert(0, by, key[0] if isinstance(key, tuple) else key)
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(answered=len(d), churned=int(df["churned"].astype(bool).sum()))
    return out


def reasons_vs_drivers(df: pd.DataFrame, *, drivers: list[str]) -> pd.DataFrame:
    """Do stated reasons match behaviour? Per reason and numeric driver, churners
    who gave the reason vs churners who gave another one.

    Columns: reason, driver, n_reason, n_other, mean_reason, mean_other,
    difference (``mean_reason - mean_other``), p_value (Welch t-test, scipy;
    NaN with fewer than 2 values on a side). E.g. a positive difference for
    ``price`` × ``monthly_charge_change`` says customers who named price did see
    larger price rises. Only churners who stated a reason are used.
    """
    d = _answered(df)
    missing = [c for c in drivers if c not in df.columns]
    if missing:
        raise DataError(f"reasons_vs_drivers: column(s) {', '.join(missing)} not in the analysis table")
    reason = d["exit_reason"].astype(str)
    rows = []
    for r in sorted(reason.unique()):
        m = reason.eq(r)
        for col in drivers:
            x = pd.to_numeric(d[col].astype(float) if d[col].dtype == bool else d[col],
                              errors="coerce")
            a, b = x[m].dropna(), x[~m].dropna()
            p = stats.ttest_ind(a, b, equal_var=False).pvalue \
                if len(a) >= 2 and len(b) >= 2 and (a.std() > 0 or b.std() > 0) else np.nan
            rows.append({"reason": r, "driver": col, "n_reason": len(a), "n_other": len(b),
                         "mean_reason": a.mean() if len(a) else np.nan,
                         "mean_other": b.mean() if len(b) else np.nan, "p_value": p})
    out = pd.DataFrame(rows, columns=["reason", "driver", "n_reason", "n_other", "mean_reason",
                                      "mean_other", "p_value"])
    out.insert(6, "difference", out["mean_reason"] - out["mean_other"])
    return out
