"""Notebook 02 in words: sentences that interpret this run's numbers, in the session's language.

* :func:`segment_contrast` / :func:`segment_sentence` -- after the segments chart, the
  segment column whose levels differ most, its highest and lowest churn rate and their ratio
  ("By `plan`, customers in `month_to_month` churned at 31.2%, 4.1× the rate of those in
  `two_year` (7.6%).");
* :func:`recovery` / :func:`recovery_sentences` -- in the planted-vs-recovered section, how
  clearly the landmark logistic model finds each driver the simulator planted, and for a
  driver found only weakly (or not at all) why, from the numbers: few customers in the level,
  a small planted effect, a wide interval, a correlated covariate.

Each sentence is one catalogue template (``churnlab/i18n/zh/causes.yaml``), filled with the
run's numbers through :func:`churnlab.i18n.current`; names and levels stay in code spans.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import i18n
from ..design import as_level
from ..escape import md_code

#: a level holding less than this share of the customers is "few customers" for a test
FEW_SHARE = 0.10
#: a planted hazard ratio within [1/SMALL_HR, SMALL_HR] is a small effect
SMALL_HR = 1.25
#: an interval whose upper end is more than WIDE_CI times its lower end is wide
WIDE_CI = 2.0
#: a correlation at least this strong with another covariate can take part of an effect
CORRELATED = 0.4
ALPHA = 0.05


def _sentences(parts: list[str], cat: "i18n.Catalogue") -> str:
    """Sentences joined as the language writes them: a space in English, nothing in Chinese."""
    return (" " if cat.english else "").join(p for p in parts if p)


# --------------------------------------------------------------------------- segments

def segment_contrast(table: pd.DataFrame, columns: list[str]) -> dict | None:
    """The column of ``columns`` whose highest and lowest churn rates differ most, and those two levels.

    ``table``: :attr:`SegmentResult.table` (column, level, customers, churned, churn_rate,
    ci_low, ci_high). Per column with at least two levels, the ratio highest rate / lowest
    rate (infinite when the lowest is 0); the largest ratio wins (the first column on a tie).
    Returns ``column, high, low`` (the two rows as dicts), ``ratio`` and ``overlap`` (whether
    their 95% intervals overlap), or None when no column has two levels.
    """
    best = None
    for col in columns:
        t = table[table["column"] == col]
        if len(t) < 2:
            continue
        hi = t.loc[t["churn_rate"].idxmax()]
        lo = t.loc[t["churn_rate"].idxmin()]
        if hi["churn_rate"] <= 0:
            continue
        ratio = hi["churn_rate"] / lo["churn_rate"] if lo["churn_rate"] > 0 else math.inf
        if best is None or ratio > best["ratio"]:
            best = {"column": col, "high": hi.to_dict(), "low": lo.to_dict(), "ratio": float(ratio),
                    "overlap": bool(lo["ci_high"] >= hi["ci_low"])}
    return best


def segment_sentence(table: pd.DataFrame, columns: list[str],
                     cat: "i18n.Catalogue | None" = None) -> str | None:
    """One sentence naming the segment with the highest and the lowest churn rate (see :func:`segment_contrast`).

    When the two levels' 95% intervals overlap a second sentence says the gap may be chance;
    when the lowest rate is 0 the sentence says none of its customers churned.
    """
    cat = cat or i18n.current()
    c = segment_contrast(table, columns)
    if c is None:
        return None
    hi, lo = c["high"], c["low"]
    fields = dict(column=md_code(c["column"]), high=md_code(hi["level"]), low=md_code(lo["level"]),
                  high_rate=hi["churn_rate"], low_rate=lo["churn_rate"], low_n=int(lo["customers"]))
    if math.isinf(c["ratio"]):
        first = cat("By {column}, customers in {high} churned at {high_rate:.1%}; none of the "
                    "{low_n:,} customers in {low} did.", **fields)
    else:
        first = cat("By {column}, customers in {high} churned at {high_rate:.1%}, {ratio:.1f}× the "
                    "rate of those in {low} ({low_rate:.1%}).", ratio=c["ratio"], **fields)
    second = cat("Their 95% intervals overlap, so the gap may be chance.") if c["overlap"] else ""
    return _sentences([first, second], cat)


# --------------------------------------------------------------------------- planted vs recovered

def _term(table: pd.DataFrame, feature: str, level: str | None,
          counts: pd.Series | None = None) -> tuple[pd.Series | None, bool]:
    """The row of the logit ``table`` for a planted driver, and whether it must be inverted.

    A numeric driver is the term ``feature``; a level is the term ``feature=level`` (against the
    reference level), or, when the level is itself the reference, the term of the other level
    with the most customers (``counts``: customers per level), inverted: the planted level
    against that one.
    """
    terms = table.set_index("term")
    if level is None:
        return (terms.loc[feature], False) if feature in terms.index else (None, False)
    if f"{feature}={level}" in terms.index:
        return terms.loc[f"{feature}={level}"], False
    others = [t for t in terms.index if t.startswith(f"{feature}=")]
    if not others:
        return None, False
    size = (lambda t: counts.get(t.split("=", 1)[1], 0)) if counts is not None else (lambda t: 0)
    return terms.loc[max(others, key=size)], True


def recovery(truth: dict | None, logit: pd.DataFrame | None, analysis: pd.DataFrame,
             dropped: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """How clearly the logistic model recovers each planted driver, and the numbers that say why.

    Per driver of ``truth["drivers"]`` (strongest first): the model's ratio for it (``logit``,
    :attr:`LogitResult.table`; a reference level's ratio is inverted from another level's
    term), its 95% CI and Holm-adjusted p-value, and a ``verdict``:

    * ``clear``: the CI excludes 1 on the planted side and ``p_adjusted`` < 0.05;
    * ``weak``: the estimate points the planted way, but not clearly;
    * ``opposite``: the estimate points the other way;
    * ``unclear``: it points the planted way, but the model has no intervals (a penalised refit);
    * ``absent``: the model has no term for it (dropped, or not a covariate).

    And the numbers behind a weak result: ``customers`` in the level (a numeric driver: with a
    non-zero value) and their ``share``; ``small_effect`` (planted hazard ratio within
    1/1.25–1.25); ``wide_ci`` (upper/lower > 2); ``correlated`` and ``correlation``: the numeric
    covariate of ``analysis`` most correlated with a numeric driver, when |r| ≥ 0.4; ``terms``
    the number of terms Holm's adjustment covered. A yes/no category planted without a level
    (``senior``) is its one non-reference level.
    None without planted drivers or a model table.
    """
    if not truth or not truth.get("drivers") or logit is None or not len(logit):
        return None
    value = "odds_ratio" if "odds_ratio" in logit else "rate_ratio"
    rows = []
    num = analysis.select_dtypes("number").drop(columns=["churned", "event", "duration"],
                                                errors="ignore")
    for d in truth["drivers"]:
        feature, level = d["feature"], d.get("level")
        levels = [t.split("=", 1)[1] for t in logit["term"].astype(str) if t.startswith(f"{feature}=")]
        if level is None and feature not in set(logit["term"]) and len(levels) == 1:
            level = levels[0]  # a yes/no category planted without a level: its one non-reference level
        sign = -1 if d["direction"] == "-" else 1
        hr = float(d["effect"]["hazard_ratio"])
        row = {"feature": feature, "level": None if level is None else str(as_level(pd.Series([level])).iloc[0]),
               "planted_hr": hr, "per": d["effect"]["per"], "ratio": np.nan, "ci_low": np.nan,
               "ci_high": np.nan, "p_adjusted": np.nan, "customers": np.nan, "share": np.nan,
               "small_effect": abs(math.log(hr)) < math.log(SMALL_HR) if hr > 0 else False,
               "wide_ci": False, "correlated": None, "correlation": np.nan, "reason": None,
               "terms": int(logit["p_value"].notna().sum()), "kind": value.replace("_", " ")}
        if feature in analysis:
            col = analysis[feature]
            hit = (as_level(col) == row["level"]) if level is not None else \
                pd.to_numeric(col, errors="coerce").fillna(0).ne(0)
            row["customers"], row["share"] = int(hit.sum()), float(hit.mean())
        if level is None and feature in num and num[feature].std() > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = num.drop(columns=feature).corrwith(num[feature]).dropna()
            if len(r) and r.abs().max() >= CORRELATED:
                row["correlated"], row["correlation"] = r.abs().idxmax(), float(r[r.abs().idxmax()])
        counts = as_level(analysis[feature]).value_counts() if feature in analysis else None
        term, invert = _term(logit, feature, row["level"], counts)
        if term is None:
            row["verdict"] = "absent"
            if dropped is not None and len(dropped):
                why = dropped.loc[dropped["term"].astype(str).str.startswith(feature), "reason"]
                row["reason"] = str(why.iloc[0]) if len(why) else None
            rows.append(row)
            continue
        est, lo, hi = float(term[value]), float(term["ci_low"]), float(term["ci_high"])
        if invert:
            est, lo, hi = 1 / est, 1 / hi, 1 / lo
        row.update(ratio=est, ci_low=lo, ci_high=hi, p_adjusted=float(term["p_adjusted"]),
                   wide_ci=bool(lo > 0 and hi / lo > WIDE_CI))
        planted_side = (lo > 1) if sign > 0 else (hi < 1)
        if (est - 1) * sign <= 0:
            row["verdict"] = "opposite"
        elif lo != lo:  # a penalised refit: ratios without intervals
            row["verdict"] = "unclear"
        elif planted_side and row["p_adjusted"] < ALPHA:
            row["verdict"] = "clear"
        else:
            row["verdict"] = "weak"
        rows.append(row)
    return pd.DataFrame(rows)


def recovery_sentences(rec: pd.DataFrame | None, cat: "i18n.Catalogue | None" = None) -> list[str]:
    """The planted-vs-recovered section in words: one summary, then one paragraph per driver
    the model finds only weakly, the other way round, or not at all (see :func:`recovery`); after
    a penalised refit (no intervals) the summary says so and counts the drivers pointing the
    planted way.

    Each paragraph says what was planted and what the model found, then why, from the numbers
    (few customers in the level, a small planted effect, a wide interval, a correlated
    covariate; else chance), and ends with "Real studies miss effects this way too."
    """
    cat = cat or i18n.current()
    if rec is None or not len(rec):
        return []
    clear = rec[rec["verdict"] == "clear"]
    names = ", ".join(md_code(f) for f in clear["feature"])
    if (rec["verdict"] == "unclear").any():
        out = [cat("The model was refitted with a penalty and gives no intervals, so how clearly it "
                   "recovers the planted drivers cannot be judged here; {k} of {n} point the planted "
                   "way.", k=int(rec["verdict"].isin(["unclear", "clear"]).sum()), n=len(rec))]
    elif len(clear) == len(rec):
        out = [cat("The model recovers all {n} planted drivers clearly (95% CI away from 1 on the "
                   "planted side, adjusted p < 0.05).", n=len(rec))]
    elif len(clear):
        out = [cat("The model recovers {k} of {n} planted drivers clearly (95% CI away from 1 on the "
                   "planted side, adjusted p < 0.05): {names}.", k=len(clear), n=len(rec), names=names)]
    else:
        out = [cat("The model recovers none of the {n} planted drivers clearly (95% CI away from 1 on "
                   "the planted side, adjusted p < 0.05).", n=len(rec))]
    for r in rec[~rec["verdict"].isin(["clear", "unclear"])].itertuples():
        what = md_code(r.feature if r.level is None else f"{r.feature}={r.level}")
        planted = cat("The simulator planted {what} (hazard ratio {hr:.2f}: {per}).", what=what,
                      hr=r.planted_hr, per=r.per)
        nums = dict(kind=cat(r.kind), ratio=r.ratio, lo=r.ci_low, hi=r.ci_high, p=r.p_adjusted)
        if r.verdict == "absent":
            found = (cat("The model has no term for it: {reason}.", reason=r.reason) if r.reason
                     else cat("The model has no term for it."))
        elif r.verdict == "weak":
            found = cat("The model finds it only weakly ({kind} {ratio:.2f}, 95% CI {lo:.2f}–{hi:.2f}, "
                        "adjusted p = {p:.2f}).", **nums)
        elif r.ci_low == r.ci_low:
            found = cat("The model does not find it: its estimate points the other way ({kind} "
                        "{ratio:.2f}, 95% CI {lo:.2f}–{hi:.2f}).", **nums)
        else:
            found = cat("The model does not find it: its estimate points the other way ({kind} "
                        "{ratio:.2f}).", **nums)
        why = []
        if r.verdict == "weak" and (r.ci_low > 1 or r.ci_high < 1):
            why.append(cat("Its interval excludes 1, but after adjusting for the {m} terms tested "
                           "the p-value is above 0.05.", m=r.terms))
        if r.share == r.share and r.share < FEW_SHARE:
            if r.level is not None:
                why.append(cat("Only {n:,} customers ({share:.0%}) are in {level}, so the test has "
                               "little power.", n=int(r.customers), share=r.share,
                               level=md_code(r.level)))
            else:
                why.append(cat("Only {n:,} customers ({share:.0%}) have a non-zero {feature}, so the "
                               "test has little power.", n=int(r.customers), share=r.share,
                               feature=md_code(r.feature)))
        if r.small_effect:
            why.append(cat("The planted effect is small, and a small effect needs many customers "
                           "to show."))
        if r.wide_ci:
            why.append(cat("The interval is wide: the data cannot pin the effect down."))
        if r.correlated is not None and r.verdict != "absent":
            why.append(cat("It moves with {other} (correlation {r:.2f}), which takes part of its "
                           "effect when the model holds the other fixed.",
                           other=md_code(r.correlated), r=r.correlation))
        if not why and r.verdict != "absent":
            why.append(cat("Nothing in the numbers stands out: with many covariates, chance alone "
                           "hides some real effects."))
        out.append(_sentences([planted, found, *why, cat("Real studies miss effects this way too.")],
                              cat))
    return out
