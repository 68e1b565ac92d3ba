"""Hazard ratios people can read: per standard deviation, under readable labels.

A Cox coefficient b is per unit of its covariate: exp(b) for "one more payment
failure a month" or "one more euro" cannot be compared across covariates, and
runs to ×1,000 for a covariate measured as a share. The rule here, one for every
table and figure that shows hazard ratios (notebook 03, the report):

* a **numeric** covariate: HR per 1 standard deviation (SD) of the covariate over
  the rows the model was fitted to, HR_SD = exp(b × SD), its 95% CI
  exp(b_low × SD) .. exp(b_high × SD), said on the page as "per 1 SD = 2.3
  failures a month". The SD, not the interquartile range, because counts with many
  zeros (complaints) often have an IQR of 0;
* a **category level** (term ``column=level``): the HR against the reference level,
  unchanged ("month to month vs two year").

Labels come from :mod:`churnlab.features_meta` (the params' ``labels:`` first).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..features_meta import WORDS, level_text, split_term, term_label, unit


def term_scale(X: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """The SD (ddof 1) of each numeric model column of ``X`` over the fitted rows; one-hot level
    columns (``column=level``) are left out (they are compared with their reference level)."""
    out = {}
    for c in columns:
        if c in X and split_term(c)[1] is None:
            sd = float(pd.to_numeric(X[c], errors="coerce").std(ddof=1))
            if np.isfinite(sd) and sd > 0:
                out[c] = sd
    return out


def fmt_sd(sd: float) -> str:
    """An SD for a label: two significant digits below 100 (2.3, 0.31, 46), whole above (1,718)."""
    return f"{sd:,.0f}" if abs(sd) >= 100 else f"{sd:.2g}"


def per_text(term: str, scale: Mapping[str, float], reference: Mapping[str, str] | None = None) -> str:
    """What one step of the term is: "per 1 SD = 2.3 failures a month", or "one year vs two year"."""
    feature, level = split_term(term)
    if level is not None:
        ref = (reference or {}).get(feature)
        return (WORDS["level"].format(level=level_text(level), reference=level_text(ref))
                if ref is not None else WORDS["level_plain"])
    sd = scale.get(term)
    if sd is None:
        return ""
    u = unit(feature)
    return WORDS["per_sd"].format(sd=fmt_sd(sd), unit=u) if u else WORDS["per_sd_plain"].format(sd=fmt_sd(sd))


def per_sd(hazard_ratios: pd.DataFrame, scale: Mapping[str, float], *,
           labels: Mapping[str, str] | None = None,
           reference: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Hazard ratios per 1 SD of each numeric term (module docstring), with readable labels.

    ``hazard_ratios``: :func:`churnlab.survival.cox.hazard_ratio_table` (term, hr, ci_low,
    ci_high, p_value, log_hr, log_ci_low, log_ci_high); ``scale``: SD per numeric term
    (:func:`term_scale`); ``labels``: the params' overrides; ``reference``: the reference
    level per categorical column. Returns label, per, hr, ci_low, ci_high, p_value, and
    term, sd, hr_per_unit; numeric terms without an SD keep their per-unit ratio.
    """
    rows = []
    for r in hazard_ratios.itertuples(index=False):
        sd = scale.get(r.term)
        k = sd if sd is not None else 1.0
        rows.append({"label": term_label(r.term, labels), "per": per_text(r.term, scale, reference),
                     "hr": float(np.exp(r.log_hr * k)), "ci_low": float(np.exp(r.log_ci_low * k)),
                     "ci_high": float(np.exp(r.log_ci_high * k)), "p_value": r.p_value,
                     "term": r.term, "sd": sd, "hr_per_unit": r.hr})
    cols = ["label", "per", "hr", "ci_low", "ci_high", "p_value", "term", "sd", "hr_per_unit"]
    return pd.DataFrame(rows, columns=cols)


def hr_per_sd(hr: float, sd: float | None) -> float:
    """A per-unit hazard ratio as per 1 SD: hr ** sd (= exp(b × SD)); unchanged without an SD."""
    return float(hr) ** float(sd) if sd is not None else float(hr)


#: How a feature and its level are joined in a label, per language (English: "Senior customer: yes").
LABEL_SEPARATOR = {"en": ": ", "zh": "："}


def localized(table: pd.DataFrame, cat) -> pd.DataFrame:
    """A readable table (:func:`per_sd`) with its ``label`` and ``per`` in the catalogue's language.

    A label or "per" text with its own catalogue entry is translated whole; otherwise a level
    label ("Senior customer: yes") is translated part by part, the feature label and the level
    each through the catalogue, joined by the language's :data:`LABEL_SEPARATOR`, and a level
    comparison ("one year vs two year") keeps its "vs" between the translated levels (a
    catalogue template as general as "{a}: {b}" would match any sentence with a colon).
    English (``cat.english``) returns the table unchanged.
    """
    if cat.english:
        return table
    out = table.copy()
    out["label"] = [localized_label(t, s, cat) for t, s in zip(out["term"], out["label"])]
    out["per"] = [localized_per(s, cat) if isinstance(s, str) else s for s in out["per"]]
    return out


def localized_label(term: str, text: str, cat) -> str:
    """One readable label in the catalogue's language: whole when the catalogue has it, else a
    level label ("Senior customer: yes") part by part (see :func:`localized`)."""
    found = cat.lookup(text)
    if cat.english or found != text or split_term(term)[1] is None:
        return found
    head, mark, tail = text.partition(": ")
    sep = LABEL_SEPARATOR.get(cat.lang, ": ")
    return f"{cat.lookup(head)}{sep}{level_word(tail, cat)}" if mark else text


def localized_per(text: str, cat) -> str:
    """One "per" text in the catalogue's language: whole when the catalogue has it ("per 1 SD =
    …" is a template), else a level comparison with each level translated around its "vs"."""
    found = cat.lookup(text)
    if cat.english or found != text or " vs " not in text:
        return found
    return " vs ".join(level_word(part, cat) for part in text.split(" vs "))


def level_word(text: str, cat) -> str:
    """A category level's text ("month to month") in the catalogue's language.

    Looked up under the key ``"level: <text>"`` (a context, as in gettext's msgctxt): a bare
    entry "north" or "yes" would also translate every table cell holding that data value in
    any notebook. Unchanged in English or without an entry.
    """
    if cat.english:
        return text
    key = f"level: {text}"
    found = cat.lookup(key)
    return text if found == key else found


def unit_word(text: str, cat) -> str:
    """A feature's unit ("complaints", "failures a month") in the catalogue's language, looked up
    under ``"unit: <text>"`` like :func:`level_word`; unchanged in English or without an entry."""
    if cat.english or not text:
        return text
    key = f"unit: {text}"
    found = cat.lookup(key)
    return text if found == key else found
