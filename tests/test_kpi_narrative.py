"""Notebook 05 in words and in Chinese: the latest churn against its target (churnlab.kpi.narrative),
the scorecard Styler translated before styling, and the narrative of notebooks 04 and 05 in the catalogue."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab import i18n
from churnlab import kpi
from churnlab.kpi.narrative import churn_vs_target_sentence
from churnlab.kpi.scorecard import style_scorecard, translated_scorecard
from churnlab.metrics.summary import recorded

ROOT = Path(__file__).resolve().parents[1]
MONTHLY = pd.DataFrame({"period": ["2025-11", "2025-12"], "churn_rate": [0.012, 0.021]})


def card(value, previous=0.012, target=0.015):
    return kpi.scorecard({"monthly_churn": value, "save_rate": 0.4}, {"monthly_churn": previous},
                         {} if target is None else {"monthly_churn": target, "save_rate": 0.45},
                         periods={"monthly_churn": "month"}, tolerance=0.1)


@pytest.mark.parametrize("value, previous, target, expected", [
    (0.012, 0.02, 0.015, "In 2025-12 the churn rate was 1.20% a month, at or below the target of 1.50%: on track. "
                         "It fell from 2.00% the month before."),
    (0.016, 0.016, 0.015, "In 2025-12 the churn rate was 1.60% a month, above the target of 1.50% but within the "
                          "tolerance: watch. It was about the same the month before (1.60%)."),
    (0.021, 0.012, 0.015, "In 2025-12 the churn rate was 2.10% a month, 1.4× the target of 1.50%: off track. "
                          "It rose from 1.20% the month before."),
    (0.021, 0.012, None, "In 2025-12 the churn rate was 2.10% a month; no target is set for it. "
                         "It rose from 1.20% the month before."),
])
def test_latest_churn_against_its_target_in_words(value, previous, target, expected):
    assert churn_vs_target_sentence(card(value, previous, target), MONTHLY) == expected


def test_the_pooled_rate_and_its_compounded_year_follow():
    s = churn_vs_target_sentence(card(0.012), MONTHLY, pooled=0.01)
    assert s.endswith("Over the last 12 months churn averaged 1.00% a month, 11.4% a year compounded.")


def test_no_sentence_without_a_monthly_churn_row():
    assert churn_vs_target_sentence(None, MONTHLY) is None
    assert churn_vs_target_sentence(card(0.012), None) is None
    no_churn = kpi.scorecard({"save_rate": 0.4}, {}, {"save_rate": 0.45})
    assert churn_vs_target_sentence(no_churn, MONTHLY) is None


@pytest.mark.parametrize("value, target", [(0.012, 0.015), (0.016, 0.015), (0.021, 0.015), (0.021, None)])
def test_every_wording_reads_in_chinese(value, target):
    zh = churn_vs_target_sentence(card(value, 0.012, target), MONTHLY, pooled=0.01, cat=i18n.catalogue("zh"))
    assert not i18n.english_prose(zh), zh
    assert zh.startswith("2025-12 的流失率为每月 ") and "最近 12 个月" in zh
    assert any(w in zh for w in ("达标", "需关注", "没有为它设定目标"))


def test_scorecard_styler_is_translated_before_styling():
    c = card(0.021, 0.012)
    zh = i18n.catalogue("zh")
    styler = style_scorecard(c, cat=zh)
    shown = styler.data
    assert list(shown.columns[:7]) == ["KPI", "数值", "目标", "期间", "上期", "趋势", "状态"]
    assert list(shown["KPI"]) == ["月流失率", "挽留成功率"]
    assert list(shown["状态"]) == ["未达标", "未达标"]  # save rate 0.40 against 0.45: missed by more than 10%
    assert shown["趋势"].iloc[0] == "上升" and shown["期间"].iloc[0] == "月"
    html = styler.to_html()
    assert "#f5b7b1" in html  # the off-track colour found its translated status
    assert "off track" not in html and "monthly_churn" not in html
    assert not any(i18n.english_prose(t) for t in re.sub(r"<[^>]+>", "\n", html).splitlines()
                   if "{" not in t and ":" not in t)
    assert np.isclose(shown["数值"].iloc[0], 0.021)  # numbers untouched


def test_english_scorecard_styler_is_unchanged():
    c = card(0.021, 0.012)
    styler = style_scorecard(c, cat=i18n.catalogue("en"))
    assert styler.data is c or styler.data.equals(c)
    assert list(styler.data.columns[:3]) == ["kpi", "value", "target"]
    assert translated_scorecard(c, i18n.catalogue("en")) is c


def test_scorecard_styler_follows_the_session_language():
    c = card(0.012)
    with i18n.use("zh"):
        assert "状态" in style_scorecard(c).data.columns
    assert "status" in style_scorecard(c).data.columns


def test_recorded_table_words_in_chinese_identifiers_kept():
    metrics = {"retention": {"policy": "by risk, differentiated offers", "save_rate": 0.5,
                             "policies": {"by risk, differentiated offers": 1036.0, "mass campaign: everyone": -5.0},
                             "discount_period": "year"}}
    en = recorded(metrics, cat=i18n.catalogue("en"))
    assert list(en.columns) == ["key", "recorded value"]
    zh = recorded(metrics, cat=i18n.catalogue("zh"))
    assert list(zh.columns) == ["键", "记录值"]
    values = dict(zip(zh["键"], zh["记录值"]))
    assert values["retention.policy"] == "按风险排序，差异化优惠"
    assert values["retention.policies"] == "按风险排序，差异化优惠: 1,036; 大规模活动：所有客户: -5"
    assert values["retention.discount_period"] == "year"  # a word without a space is an identifier: kept


def _paragraphs(notebook: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "course" not in cell.get("metadata", {}).get("tags", []):
            out += re.split(r"\n\s*\n", "".join(cell["source"]).strip())
    return out


@pytest.mark.parametrize("notebook", ["04_cost_of_churn.ipynb", "05_kpi_evaluation.ipynb"])
def test_every_narrative_paragraph_of_notebooks_04_and_05_has_chinese(notebook):
    zh = i18n.catalogue("zh")
    for p in _paragraphs(notebook):
        out = zh.markdown(p)
        assert out != p and not i18n.english_prose(out), p[:80]


def test_lifecycle_transition_ticks_are_written_in_the_session_language():
    from churnlab.kpi.lifecycle import STAGES
    from churnlab.kpi.plots import transition_heatmap

    t = pd.DataFrame(0.2, index=list(STAGES), columns=list(STAGES))
    with i18n.use("zh"), warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing-glyph warning while seaborn draws
        ax = transition_heatmap(t)
    with warnings.catch_warnings():  # drawn here without the CJK font: glyphs may miss
        warnings.simplefilter("ignore")
        ax.figure.canvas.draw()  # fixed tick labels are redrawn from the frame: they must stay Chinese
    assert [x.get_text() for x in ax.get_yticklabels()] == ["潜在", "首次购买", "重复/稳定", "休眠/流失", "已恢复"]
    assert [x.get_text() for x in transition_heatmap(t).get_xticklabels()][1] == "first purchase"


def test_consistency_note_in_both_languages_keeps_a_method_with_a_colon_whole():
    from churnlab.kpi import rates
    from churnlab.kpi.stage import consistency_note

    cons = rates.consistency(period_rate=0.0096, km_hazard=0.013, sbg_rate=0.0059, tolerance=0.25)
    en = consistency_note(cons)
    assert en.startswith("**survival: churn events per customer-month at risk: 0.0130 a month, +35% against the "
                         "period rate 0.0096** (more than the 25% tolerance). The survival rate spreads")
    assert " **sBG: expected monthly churn of the current base: 0.0059 a month, -39%" in en
    zh = consistency_note(cons, i18n.catalogue("zh"))
    assert "**sBG：现有客户群的预期月流失率——每月 0.0059，相对期间流失率 0.0096 为 -39%**" in zh
    assert not i18n.english_prose(zh)
    agree = rates.consistency(period_rate=0.01, km_hazard=0.0101, sbg_rate=None, tolerance=0.25)
    assert consistency_note(agree) == "All methods agree within 25%."
    assert consistency_note(agree, i18n.catalogue("zh")) == "所有方法的结果相差都在 25% 以内。"


def test_scorecard_conversion_note_in_both_languages():
    from churnlab.kpi.stage import scorecard_note

    rows = [{"kpi": "grr", "measured": "month", "current": 0.9913, "value": 0.9002, "period": "year", "target": 0.98}]
    assert scorecard_note(rows) == ("Compared per the target's period: grr measured per month (0.9913) is 0.9002 "
                                    "per year, against 0.98.")
    assert scorecard_note(rows, i18n.catalogue("zh")) == "按目标的期间比较：GRR 按月测量为 0.9913，折合每年 0.9002，目标为 0.98。"
