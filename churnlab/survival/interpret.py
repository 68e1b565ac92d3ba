"""The fitted survival models in words: a few sentences a manager can repeat.

:func:`interpretation` reads one run of notebook 03 and says, in order,

1. the **strongest categorical contrast** of the Cox model on customer attributes, always
   as the faster-leaving group against the slower one: "customers whose Contract plan is
   “month to month” leave 3.5× as fast as those with “two year” (hazard ratio 3.52, 95% CI
   2.91–4.27)" (:func:`strongest_contrast`);
2. the **strongest numeric driver per standard deviation** (the drivers model when it ran,
   else the Cox model; :func:`strongest_numeric`);
3. the **Kaplan-Meier median lifetime with its 95% CI** in words;
4. on simulated data, the **planted drivers missed or recovered only roughly**, each with the
   likely reason (too little power for a small effect, a sign flipped by noise, an estimate
   diluted or inflated), as a teaching moment (:func:`planted_sentences`).

"Strongest" means the largest |log hazard ratio| among the terms significant at 5%: a hazard
ratio of 0.5 is as strong as one of 2. Each sentence is an English template filled through a
catalogue (:func:`churnlab.i18n.catalogue`), so a ``zh`` run reads it in Chinese; the
templates are listed in :data:`TEXT`.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

import numpy as np
import pandas as pd

from .. import i18n
from ..escape import md, md_code
from ..features_meta import label as feature_label
from ..features_meta import level_text, split_term, unit
from .readable import fmt_sd, level_word, unit_word

#: Significance level of "significant" in these sentences.
ALPHA = 0.05
#: Planted drivers named one by one at most (the rest are counted).
MAX_PLANTED = 2

#: The English templates (msgids of the catalogue ``churnlab/i18n/zh/survival.yaml``).
TEXT = {
    "contrast": ("Customers whose **{feature}** is “{high}” leave **{times:.1f}× as fast** as those "
                 "with “{low}” (hazard ratio {ratio:.2f}, 95% CI {ci_low:.2f}–{ci_high:.2f})."),
    "contrast_ph": ("This ratio is an average over tenure: {feature} breaks proportional hazards, "
                    "so the refit gives each of its levels its own baseline hazard."),
    "no_contrast": "No category level differs from its reference level at the 5% level.",
    "numeric_unit": ("Among the numeric drivers, **{feature}** matters most: one standard deviation "
                     "more ({sd} {unit}) multiplies the risk of leaving by **{hr:.2f}** (95% CI "
                     "{ci_low:.2f}–{ci_high:.2f})."),
    "numeric_plain": ("Among the numeric drivers, **{feature}** matters most: one standard deviation "
                      "more ({sd}) multiplies the risk of leaving by **{hr:.2f}** (95% CI "
                      "{ci_low:.2f}–{ci_high:.2f})."),
    "no_numeric": "No numeric driver is significant at the 5% level.",
    "median": ("Half of the customers have left after **{median:g} {unit}** (95% CI "
               "{ci_low:g}–{ci_high:g} {unit})."),
    "median_open": ("Half of the customers have left after **{median:g} {unit}** (95% CI from "
                    "{ci_low:g} {unit}; its upper end lies beyond the data)."),
    "no_median": ("Fewer than half of the customers leave within the data, so the median lifetime "
                  "lies beyond it: {share:.0%} are still customers after {horizon:g} {unit}."),
    "planted_all": "Every comparable planted driver ({n}) is recovered.",
    "planted_power": ("Planted driver {feature} is missed: its estimate is not significant "
                      "(p = {p:.2g}). A planted hazard ratio of {planted_hr:.2f} is a small effect, "
                      "and {events:,} churn events give too little power to tell it from chance: a "
                      "real driver can hide in a sample this size."),
    "planted_sign": ("Planted driver {feature} is missed: its estimate points the wrong way "
                     "(hazard ratio {hr:.2f} against a planted {planted_hr:.2f}). A weak effect can "
                     "be flipped by noise or by a correlated covariate that takes its place."),
    "planted_off": ("Planted driver {feature} is missed: its estimate is {ratio:.1f}× the planted "
                    "log hazard ratio. The model measures a stand-in for the simulator's own "
                    "variable, and a stand-in can dilute or exaggerate an effect."),
    "planted_small": ("Planted driver {feature} is recovered only roughly: its estimate is "
                      "{ratio:.2f}× the planted log hazard ratio and its 95% CI misses the planted "
                      "value. An estimate smaller than the truth is typical when the measured "
                      "covariate is a noisy stand-in for what drove churn (attenuation)."),
    "planted_large": ("Planted driver {feature} is recovered only roughly: its estimate is "
                      "{ratio:.2f}× the planted log hazard ratio and its 95% CI misses the planted "
                      "value. A larger estimate often means it also picks up a correlated driver."),
    "planted_more": "{n} more planted driver(s) are missed or recovered only roughly (see the table).",
}


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef”’"
_STOP = re.compile(f"(?<=[{_CJK}%])\\.(?=\\s|$)")
_SPACE_AFTER = re.compile("(?<=[。，；：！？）])[ \\t]+")
_SPACE_BEFORE = re.compile("(?<=\\S)[ \\t]+(?=（)")


def tidy(text: str, lang: str) -> str:
    """Sentences glued in English style, tidied for a CJK language: a "." after Chinese text
    becomes "。", and no space is left after full-width punctuation or before "（". The
    pieces are translated one by one, so the glue between them (". ", " ") is English;
    English (any other language) is returned unchanged."""
    if lang != "zh":
        return text
    return _SPACE_BEFORE.sub("", _SPACE_AFTER.sub("", _STOP.sub("。", text)))


def _significant(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    ok = table["p_value"].astype(float) < alpha
    ok &= np.isfinite(table["hr"].astype(float)) & (table["hr"].astype(float) > 0)
    return table[ok]


def strongest_contrast(table: pd.DataFrame, reference: Mapping[str, str], *,
                       alpha: float = ALPHA) -> dict | None:
    """The category level furthest from its reference level, as "high leaves N× as fast as low".

    ``table``: hazard ratios with ``term`` (``column=level``), ``hr``, ``ci_low``, ``ci_high``,
    ``p_value`` (:func:`churnlab.survival.cox.hazard_ratio_table` or the readable table);
    ``reference``: the reference level per column. Among the level terms significant at
    ``alpha``, the one with the largest |log HR|. A ratio below 1 is turned round, so the
    sentence always says who leaves faster: ``high`` is the faster group, ``ratio`` ≥ 1 and
    its CI is inverted with it (1/ci_high .. 1/ci_low). None when no level is significant.
    Returns feature, term, high, low (raw levels), ratio, ci_low, ci_high, p_value.
    """
    levels = table[np.array([split_term(t)[1] is not None and split_term(t)[0] in reference
                             for t in table["term"]], dtype=bool)]
    levels = _significant(levels, alpha)
    if levels.empty:
        return None
    r = levels.loc[np.log(levels["hr"].astype(float)).abs().idxmax()]
    feature, level = split_term(r["term"])
    ref = str(reference[feature])
    hr, lo, hi = float(r["hr"]), float(r["ci_low"]), float(r["ci_high"])
    if hr >= 1:
        return {"feature": feature, "term": r["term"], "high": level, "low": ref, "ratio": hr,
                "ci_low": lo, "ci_high": hi, "p_value": float(r["p_value"])}
    return {"feature": feature, "term": r["term"], "high": ref, "low": level, "ratio": 1 / hr,
            "ci_low": 1 / hi, "ci_high": 1 / lo, "p_value": float(r["p_value"])}


def strongest_numeric(table: pd.DataFrame, *, alpha: float = ALPHA) -> dict | None:
    """The numeric term with the largest |log HR| per SD among those significant at ``alpha``.

    ``table``: a readable table (:func:`churnlab.survival.readable.per_sd`: ``hr`` etc. already
    per SD, ``sd`` set for numeric terms). Terms without an SD (category levels, or a numeric
    term without spread) are left out. Returns feature, term, sd, hr, ci_low, ci_high,
    p_value; None when none is significant.
    """
    sd = pd.to_numeric(table["sd"], errors="coerce")
    plain = np.array([split_term(t)[1] is None for t in table["term"]], dtype=bool)
    numeric = table[(np.isfinite(sd) & (sd > 0)).to_numpy() & plain]
    numeric = _significant(numeric, alpha)
    if numeric.empty:
        return None
    r = numeric.loc[np.log(numeric["hr"].astype(float)).abs().idxmax()]
    return {"feature": split_term(r["term"])[0], "term": r["term"], "sd": float(r["sd"]),
            "hr": float(r["hr"]), "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
            "p_value": float(r["p_value"])}


def contrast_sentence(c: dict | None, cat: i18n.Catalogue, *, labels: Mapping[str, str] | None = None,
                      strata: tuple[str, ...] | list[str] = ()) -> str:
    """:func:`strongest_contrast` in words; a second sentence when the column breaks proportional
    hazards (it is in ``strata``: the ratio is an average over tenure)."""
    if c is None:
        return cat(TEXT["no_contrast"])
    name = md(cat.text(feature_label(c["feature"], labels)))  # translated, then escaped: read as text
    out = cat(TEXT["contrast"], feature=name, high=md(level_word(level_text(c["high"]), cat)),
              low=md(level_word(level_text(c["low"]), cat)),
              times=c["ratio"], ratio=c["ratio"], ci_low=c["ci_low"], ci_high=c["ci_high"])
    if c["feature"] in strata:
        out += " " + cat(TEXT["contrast_ph"], feature=name)
    return out


def numeric_sentence(n: dict | None, cat: i18n.Catalogue, *,
                     labels: Mapping[str, str] | None = None) -> str:
    """:func:`strongest_numeric` in words, with the size of one SD in the feature's unit."""
    if n is None:
        return cat(TEXT["no_numeric"])
    u = md(unit_word(unit(n["feature"]), cat))
    fields = {"feature": md(cat.text(feature_label(n["feature"], labels))), "sd": fmt_sd(n["sd"]),
              "hr": n["hr"],
              "ci_low": n["ci_low"], "ci_high": n["ci_high"]}
    return cat(TEXT["numeric_unit"], unit=u, **fields) if u else cat(TEXT["numeric_plain"], **fields)


def median_sentence(median: float, ci: tuple[float, float], unit_label: str,
                    survival: pd.DataFrame | None, cat: i18n.Catalogue) -> str:
    """The Kaplan-Meier median lifetime and its 95% CI in words.

    An open upper CI end (NaN or inf) is said as "beyond the data"; without a median (fewer than
    half leave), the share still there at the last horizon of ``survival`` (horizon, survival).
    """
    if median is None or not math.isfinite(median):
        if survival is None or not len(survival):
            return ""
        last = survival.iloc[-1]
        return cat(TEXT["no_median"], share=float(last["survival"]), horizon=float(last["horizon"]),
                   unit=unit_label)
    lo, hi = (float(v) if v is not None else float("nan") for v in ci)
    if not math.isfinite(hi):
        return cat(TEXT["median_open"], median=median, ci_low=lo, unit=unit_label)
    return cat(TEXT["median"], median=median, ci_low=lo, ci_high=hi, unit=unit_label)


def planted_sentences(planted: pd.DataFrame | None, events: int, cat: i18n.Catalogue, *,
                      limit: int = MAX_PLANTED) -> list[str]:
    """What the planted-driver check teaches: each driver missed or recovered only roughly.

    ``planted``: :func:`churnlab.survival.planted.planted_recovery`; ``events``: churn events of
    the model. Missed drivers come first (largest |planted log-HR| first), then the ones
    recovered without their CI covering the planted value; each gets its likely reason:
    not significant (power), wrong sign (noise, a correlated covariate), size off (a stand-in
    variable). Drivers that cannot be compared are left to the table. One sentence when all
    are recovered, none without planted drivers.
    """
    if planted is None or not len(planted):
        return []
    comparable = planted[planted["recovered"].notna()]
    if comparable.empty:
        return []
    rec = comparable["recovered"].astype(bool)
    covers = comparable["verdict"].astype(str).str.startswith("CI covers")
    weak = comparable[rec & ~covers]
    missed = comparable[~rec]
    order = (missed.reindex(missed["planted_log_hr"].abs().sort_values(ascending=False).index),
             weak.reindex(weak["planted_log_hr"].abs().sort_values(ascending=False).index))
    rows = pd.concat([o for o in order if len(o)]) if len(missed) + len(weak) else missed
    if rows.empty:
        return [cat(TEXT["planted_all"], n=len(comparable))]
    out = []
    for r in rows.head(limit).itertuples():
        planted_hr = float(np.exp(r.planted_log_hr))
        ratio = float(r.log_hr / r.planted_log_hr) if r.planted_log_hr else float("nan")
        if not r.recovered:
            if not float(r.p_value) < ALPHA:
                out.append(cat(TEXT["planted_power"], feature=md_code(r.feature), p=float(r.p_value),
                               planted_hr=planted_hr, events=int(events)))
            elif np.sign(r.log_hr) != np.sign(r.planted_log_hr):
                out.append(cat(TEXT["planted_sign"], feature=md_code(r.feature), hr=float(r.hr),
                               planted_hr=planted_hr))
            else:
                out.append(cat(TEXT["planted_off"], feature=md_code(r.feature), ratio=ratio))
        else:
            key = "planted_small" if abs(ratio) < 1 else "planted_large"
            out.append(cat(TEXT[key], feature=md_code(r.feature), ratio=ratio))
    if len(rows) > limit:
        out.append(cat(TEXT["planted_more"], n=len(rows) - limit))
    return out


def interpretation(res, cat: i18n.Catalogue | None = None) -> str:
    """The run in words (module docstring): one sentence per line, in the catalogue's language.

    ``res``: a :class:`~churnlab.survival.stage.SurvivalResult`; ``cat``: the catalogue (English
    when None). Parts that did not run are left out; "" when none ran.
    """
    from .stage import readable_table

    cat = i18n.catalogue() if cat is None else cat
    labels = getattr(res.params, "labels", None) or {}
    lines = []
    if res.remedy is not None:
        first = res.remedy.first
        lines.append(contrast_sentence(strongest_contrast(first.hazard_ratios, first.design.reference),
                                       cat, labels=labels, strata=res.remedy.strata))
    model = res.drivers if res.drivers is not None else (res.remedy.first if res.remedy else None)
    if model is not None:
        lines.append(numeric_sentence(strongest_numeric(readable_table(model, res.params)), cat,
                                      labels=labels))
    km = res.km_all
    if km is not None:
        lines.append(median_sentence(km.median, km.median_ci, res.unit_label, km.survival, cat))
    if res.planted is not None and res.drivers is not None:
        lines += planted_sentences(res.planted, res.drivers.events, cat)
    return tidy("\n".join(line for line in lines if line), cat.lang)
