"""churnlab.survival.interpret: the fitted models in words (right contrast, right ratio, wording from
the numbers, English and Chinese), and the readable labels in the display language."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnlab import i18n
from churnlab.survival.interpret import (
    contrast_sentence, median_sentence, numeric_sentence, planted_sentences, strongest_contrast,
    strongest_numeric,
)
from churnlab.survival.readable import level_word, localized, unit_word

EN = i18n.catalogue("en")
ZH = i18n.catalogue("zh")
REFERENCE = {"plan": "two_year", "senior": "False", "region": "north"}


def hr_table(rows) -> pd.DataFrame:
    """A hazard-ratio table (term, hr, ci_low, ci_high, p_value, sd) from (term, hr, lo, hi, p, sd)."""
    return pd.DataFrame(rows, columns=["term", "hr", "ci_low", "ci_high", "p_value", "sd"])


BASE = [("plan=month_to_month", 3.5, 2.9, 4.2, 1e-6, None),
        ("plan=one_year", 1.3, 1.05, 1.6, 0.01, None),
        ("region=west", 0.2, 0.01, 4.0, 0.30, None),  # furthest from 1, but not significant
        ("payment_failures_mean", 1.6, 1.4, 1.8, 1e-4, 2.3),
        ("dropped_calls_mean", 0.5, 0.4, 0.62, 1e-5, 1.2),
        ("complaints_so_far", 3.0, 0.5, 18.0, 0.2, 0.7)]  # strongest numeric, not significant


def test_contrast_is_the_significant_level_furthest_from_its_reference():
    c = strongest_contrast(hr_table(BASE), REFERENCE)
    assert (c["feature"], c["high"], c["low"]) == ("plan", "month_to_month", "two_year")
    assert c["ratio"] == pytest.approx(3.5) and (c["ci_low"], c["ci_high"]) == (2.9, 4.2)
    assert contrast_sentence(c, EN) == (
        "Customers whose **Contract plan** is “month to month” leave **3.5× as fast** as those with "
        "“two year” (hazard ratio 3.50, 95% CI 2.90–4.20).")


def test_a_protective_level_is_turned_round_so_the_faster_group_comes_first():
    rows = BASE + [("senior=True", 0.25, 0.2, 0.3125, 1e-8, None)]  # |log 0.25| > |log 3.5|
    c = strongest_contrast(hr_table(rows), REFERENCE)
    assert (c["feature"], c["high"], c["low"]) == ("senior", "False", "True")
    assert c["ratio"] == pytest.approx(4.0)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((3.2, 5.0))  # 1/0.3125, 1/0.2
    text = contrast_sentence(c, EN, strata=["senior"])
    assert "is “no” leave **4.0× as fast** as those with “yes” (hazard ratio 4.00, 95% CI 3.20–5.00)" in text
    assert "average over tenure: Senior customer breaks proportional hazards" in text


def test_no_significant_level_says_so():
    rows = [("plan=one_year", 1.3, 0.8, 2.0, 0.3, None)]
    assert strongest_contrast(hr_table(rows), REFERENCE) is None
    assert contrast_sentence(None, EN) == "No category level differs from its reference level at the 5% level."


def test_numeric_driver_is_the_largest_effect_per_sd_either_way():
    n = strongest_numeric(hr_table(BASE))
    assert n["feature"] == "dropped_calls_mean" and n["hr"] == 0.5  # |log 0.5| > |log 1.6|
    assert numeric_sentence(n, EN) == (
        "Among the numeric drivers, **Dropped calls per month** matters most: one standard deviation "
        "more (1.2 dropped calls a month) multiplies the risk of leaving by **0.50** (95% CI 0.40–0.62).")
    assert strongest_numeric(hr_table(BASE[:3])) is None
    assert numeric_sentence(None, EN) == "No numeric driver is significant at the 5% level."


def test_median_in_words_with_an_open_or_missing_end():
    assert median_sentence(76.0, (73.0, 84.0), "months", None, EN) == (
        "Half of the customers have left after **76 months** (95% CI 73–84 months).")
    assert "95% CI from 30 weeks; its upper end lies beyond the data" in \
        median_sentence(41.0, (30.0, math.inf), "weeks", None, EN)
    surv = pd.DataFrame({"horizon": [12.0, 24.0], "survival": [0.81, 0.64]})
    assert median_sentence(float("nan"), (np.nan, np.nan), "months", surv, EN) == (
        "Fewer than half of the customers leave within the data, so the median lifetime lies beyond "
        "it: 64% are still customers after 24 months.")


def planted(rows) -> pd.DataFrame:
    cols = ["feature", "planted_log_hr", "log_hr", "p_value", "hr", "recovered", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def test_planted_drivers_missed_or_rough_get_their_reason():
    p = planted([
        ("a", 0.8, 0.79, 1e-9, math.exp(0.79), True, "CI covers the planted value"),
        ("small_effect", -0.3, -0.1, 0.21, math.exp(-0.1), False, "not significant (p = 0.21)"),
        ("flipped", 0.25, -0.3, 0.01, math.exp(-0.3), False, "wrong sign"),
        ("diluted", 0.5, 0.3, 1e-4, math.exp(0.3), True, "within a factor 2 (estimate / planted = 0.60)"),
        ("no_term", 0.4, np.nan, np.nan, np.nan, None, "not comparable: no such term in the model"),
    ])
    out = planted_sentences(p, 935, EN, limit=3)
    assert out[0].startswith("Planted driver `small_effect` is missed: its estimate is not significant "
                             "(p = 0.21). A planted hazard ratio of 0.74 is a small effect, and 935 churn")
    assert out[1].startswith("Planted driver `flipped` is missed: its estimate points the wrong way "
                             "(hazard ratio 0.74 against a planted 1.28)")
    assert out[2].startswith("Planted driver `diluted` is recovered only roughly: its estimate is 0.60×")
    assert "attenuation" in out[2]
    assert len(out) == 3  # three to tell, limit three: no "more"
    assert planted_sentences(p, 935, EN, limit=1)[-1] == (
        "2 more planted driver(s) are missed or recovered only roughly (see the table).")
    assert planted_sentences(p.iloc[[0, 4]], 935, EN) == ["Every comparable planted driver (1) is recovered."]
    assert planted_sentences(None, 935, EN) == []


def test_the_sentences_read_in_chinese_with_the_same_numbers():
    c = strongest_contrast(hr_table(BASE), REFERENCE)
    zh = contrast_sentence(c, ZH, strata=["plan"])
    assert "“按月”" in zh and "“两年期”" in zh and "**3.5 倍**" in zh and "2.90–4.20" in zh
    n = numeric_sentence(strongest_numeric(hr_table(BASE)), ZH)
    assert "**每月掉话次数**" in n and "1.2 次掉话/月" in n and "**0.50**" in n
    m = median_sentence(76.0, (73.0, 84.0), "months", None, ZH)
    assert "76 个月" in m and "73–84 个月" in m
    for text in (zh, n, m):
        assert not i18n.english_prose(text), text


def test_readable_labels_translate_part_by_part_and_stay_english_in_english():
    table = pd.DataFrame({"term": ["senior=True", "plan=one_year", "dropped_calls_mean"],
                          "label": ["Senior customer: yes", "Contract plan: one year", "Dropped calls per month"],
                          "per": ["yes vs no", "one year vs two year", "per 1 SD = 2.1 dropped calls a month"]})
    assert localized(table, EN) is table
    zh = localized(table, ZH)
    assert list(zh["label"]) == ["老年客户：是", "合同类型：一年期", "每月掉话次数"]
    assert list(zh["per"]) == ["是 vs 否", "一年期 vs 两年期", "每 1 SD = 2.1 次掉话/月"]
    # levels and units are looked up under their context, never as a bare data value
    assert level_word("north", ZH) == "北部"
    assert unit_word("complaints", ZH) == "次投诉" and unit_word("complaints", EN) == "complaints"
    assert level_word("no such level", ZH) == "no such level"


def test_tidy_gives_glued_chinese_its_own_punctuation_and_leaves_english_alone():
    from churnlab.survival.interpret import tidy

    glued = "偏差 -7.1%. **误差**扩大 · 风险率. 没有 5,000 个客户月 （见表） 。 `price_rise` 1717.71 (1.2–3.4)."
    assert tidy(glued, "zh") == "偏差 -7.1%。**误差**扩大 · 风险率。没有 5,000 个客户月（见表）。`price_rise` 1717.71 (1.2–3.4)."
    english = "Bias -7.1%. The error grows (see the table) . Done."
    assert tidy(english, "en") == english
