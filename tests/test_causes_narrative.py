"""churnlab.causes.narrative: the sentences of notebook 02 that interpret the run's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import i18n
from churnlab.causes import narrative

EN = i18n.catalogue("en")
ZH = i18n.catalogue("zh")


def seg_table(rows):
    t = pd.DataFrame(rows, columns=["column", "level", "customers", "churned"])
    t["churn_rate"] = t["churned"] / t["customers"]
    half = 1.96 * np.sqrt(t["churn_rate"] * (1 - t["churn_rate"]) / t["customers"])
    t["ci_low"], t["ci_high"] = t["churn_rate"] - half, t["churn_rate"] + half
    return t


SEGMENTS = seg_table([("plan", "month_to_month", 2000, 624), ("plan", "one_year", 1500, 225),
                      ("plan", "two_year", 1500, 114), ("region", "north", 2500, 500),
                      ("region", "south", 2500, 450)])


def test_the_segment_with_the_largest_spread_names_its_highest_and_lowest_level():
    c = narrative.segment_contrast(SEGMENTS, ["region", "plan"])
    assert (c["column"], c["high"]["level"], c["low"]["level"]) == ("plan", "month_to_month", "two_year")
    assert c["ratio"] == pytest.approx(0.312 / 0.076)
    assert not c["overlap"]
    text = narrative.segment_sentence(SEGMENTS, ["region", "plan"], EN)
    assert text == ("By `plan`, customers in `month_to_month` churned at 31.2%, 4.1× the rate of those "
                    "in `two_year` (7.6%).")


def test_overlapping_intervals_say_the_gap_may_be_chance():
    small = seg_table([("senior", "True", 60, 15), ("senior", "False", 70, 14)])
    text = narrative.segment_sentence(small, ["senior"], EN)
    assert "1.2× the rate" in text and text.endswith("so the gap may be chance.")


def test_a_level_where_nobody_churned_is_said_in_words_not_as_an_infinite_ratio():
    t = seg_table([("channel", "online", 400, 40), ("channel", "store", 300, 0)])
    text = narrative.segment_sentence(t, ["channel"], EN)
    assert "none of the 300 customers in `store` did" in text and "inf" not in text


def test_no_column_with_two_levels_gives_no_sentence():
    assert narrative.segment_sentence(seg_table([("plan", "a", 50, 5)]), ["plan"], EN) is None


def test_the_segment_sentence_is_translated_and_keeps_levels_and_numbers():
    text = narrative.segment_sentence(SEGMENTS, ["plan"], ZH)
    assert "`month_to_month`" in text and "31.2%" in text and "4.1" in text
    assert not i18n.english_prose(text)


# --------------------------------------------------------------------------- planted vs recovered

def driver(feature, direction, hr, per, **extra):
    return {"feature": feature, "direction": direction, "effect": {"hazard_ratio": hr, "per": per}, **extra}


TRUTH = {"drivers": [
    driver("price_change", "+", 2.2, "+10% price rise"),        # clear
    driver("complaints", "+", 1.1, "complaint so far (max 5)"),         # weak: CI includes 1, small effect
    driver("senior", "+", 1.3, "senior vs not"),                # weak: few seniors, wide CI
    driver("plan", "+", 9.0, "month_to_month vs one_year, outside contract-end months (first-year average)",
           level="month_to_month"),  # reference level
    driver("loyal", "-", 0.5, "member vs non-member", level=True),     # opposite
    driver("absent_metric", "+", 1.5, "day of mean response time above 24 h"),                  # no term
]}
LOGIT = pd.DataFrame({
    "term": ["price_change", "complaints", "senior=True", "plan=one_year", "plan=two_year", "loyal=True"],
    "odds_ratio": [1.5, 1.08, 1.4, 0.25, 0.2, 1.1],
    "ci_low": [1.38, 0.95, 0.8, 0.2, 0.15, 0.95],
    "ci_high": [1.6, 1.22, 2.45, 0.31, 0.27, 1.27],
    "p_value": [1e-9, 0.2, 0.25, 1e-12, 1e-12, 0.2],
    "p_adjusted": [1e-8, 1.0, 1.0, 1e-11, 1e-11, 1.0]})


@pytest.fixture
def analysis():
    rng = np.random.default_rng(0)
    n = 1000
    return pd.DataFrame({"churned": rng.random(n) < 0.2, "price_change": rng.random(n),
                         "complaints": rng.poisson(1, n), "senior": np.arange(n) < 50,
                         "plan": np.where(np.arange(n) < 600, "month_to_month",
                                          np.where(np.arange(n) < 900, "one_year", "two_year")),
                         "loyal": np.arange(n) % 2 == 0})


def test_verdicts_follow_the_interval_and_the_planted_direction(analysis):
    rec = narrative.recovery(TRUTH, LOGIT, analysis).set_index("feature")
    assert rec["verdict"].to_dict() == {"price_change": "clear", "complaints": "weak", "senior": "weak",
                                        "plan": "clear", "loyal": "opposite", "absent_metric": "absent"}
    # a reference level is read off the most frequent other level, inverted
    assert rec.loc["plan", "ratio"] == pytest.approx(4.0)
    assert rec.loc["plan", ["ci_low", "ci_high"]].tolist() == pytest.approx([1 / 0.31, 5.0])
    assert rec.loc["senior", "level"] == "True" and rec.loc["senior", "customers"] == 50
    assert rec.loc["senior", "wide_ci"] and not rec.loc["complaints", "wide_ci"]
    assert rec.loc["complaints", "small_effect"] and not rec.loc["price_change", "small_effect"]


def test_weak_recovery_is_explained_by_the_numbers(analysis):
    rec = narrative.recovery(TRUTH, LOGIT, analysis)
    text = narrative.recovery_sentences(rec, EN)
    assert text[0].startswith("The model recovers 2 of 6 planted drivers clearly") and "`plan`" in text[0]
    senior = next(s for s in text if "`senior=True`" in s)
    assert "finds it only weakly (odds ratio 1.40, 95% CI 0.80–2.45, adjusted p = 1.00)" in senior
    assert "Only 50 customers (5%) are in `True`, so the test has little power." in senior
    assert "The interval is wide" in senior and senior.endswith("Real studies miss effects this way too.")
    complaints = next(s for s in text if "`complaints`" in s)
    assert "The planted effect is small" in complaints and "little power" not in complaints
    assert any("points the other way (odds ratio 1.10" in s for s in text)
    assert any("`absent_metric`" in s and "no term for it" in s for s in text)
    assert not any("`price_change`" in s for s in text[1:])  # clear: in the summary only


def test_an_interval_clear_of_1_before_holm_only_says_so(analysis):
    logit = LOGIT.assign(ci_low=LOGIT["ci_low"].where(LOGIT["term"] != "complaints", 1.01))
    text = narrative.recovery_sentences(narrative.recovery(TRUTH, logit, analysis), EN)
    complaints = next(s for s in text if "`complaints`" in s)
    assert "Its interval excludes 1, but after adjusting for the 6 terms tested" in complaints


def test_a_penalised_fit_without_intervals_is_not_judged(analysis):
    logit = LOGIT.assign(ci_low=np.nan, ci_high=np.nan, p_value=np.nan, p_adjusted=np.nan)
    rec = narrative.recovery(TRUTH, logit, analysis)
    assert set(rec["verdict"]) == {"unclear", "opposite", "absent"}
    text = narrative.recovery_sentences(rec, EN)
    assert "gives no intervals" in text[0] and "4 of 6 point the planted way" in text[0]
    assert len(text) == 3  # loyal (the other way) and the absent metric


def test_no_truth_or_no_model_gives_nothing(analysis):
    assert narrative.recovery(None, LOGIT, analysis) is None
    assert narrative.recovery(TRUTH, None, analysis) is None
    assert narrative.recovery_sentences(None) == []


def test_the_recovery_sentences_are_translated(analysis):
    text = narrative.recovery_sentences(narrative.recovery(TRUTH, LOGIT, analysis), ZH)
    assert all(not i18n.english_prose(s) for s in text), [i18n.english_prose(s) for s in text]
    assert "`senior=True`" in text[2] and "0.80–2.45" in text[2]
