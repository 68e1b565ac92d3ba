"""Notebooks 01 and 02 in Chinese: the view rules that translate glued text, and the tables' shape."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab import i18n
from churnlab.causes import views as causes_views
from churnlab.collect import summary as collect_summary
from churnlab.simulate import retail, software, telecom

EN = i18n.catalogue("en")
ZH = i18n.catalogue("zh")


def test_a_date_range_is_translated_and_other_details_are_not():
    assert collect_summary.date_range("2023-01-01 to 2025-12-31", ZH) == "2023-01-01 至 2025-12-31"
    assert collect_summary.date_range("2023-01-01 to 2025-12-31", EN) == "2023-01-01 to 2025-12-31"
    assert collect_summary.date_range("go to the shop", ZH) == "go to the shop"
    assert collect_summary.date_range(None, ZH) is None
    # no catalogue template "{start} to {end}": it would swallow every text with " to " in it
    assert ZH.text("walk to school") == "walk to school"


def test_the_planted_effect_is_spread_into_columns():
    t = pd.DataFrame(telecom.truth()["drivers"])
    shown = collect_summary.truth_table(t)
    assert "effect" not in shown
    assert list(shown.columns[:5]) == ["feature", "level", "direction", "hazard_ratio", "per"]
    assert "description" in shown and "log_hazard_ratio" in shown
    assert shown["hazard_ratio"].tolist() == [d["effect"]["hazard_ratio"] for d in telecom.truth()["drivers"]]
    plain = collect_summary.truth_table(t.drop(columns="effect"))
    assert list(plain.columns[:3]) == ["feature", "level", "direction"] and len(plain.columns) == len(t.columns) - 1


@pytest.mark.parametrize("scenario", [telecom, retail, software])
def test_every_planted_description_and_unit_has_a_translation(scenario):
    for d in scenario.truth()["drivers"]:
        for text in (d["description"], d["effect"]["per"]):
            assert ZH.lookup(text) != text, text
            assert not i18n.english_prose(ZH.lookup(text))


def test_the_shown_table_labels_stay_unique_in_chinese():
    # duplicate labels stop show() from translating the cells of a table
    t = collect_summary.truth_table(pd.DataFrame(software.truth()["drivers"]))
    assert pd.Index([ZH.lookup(c) for c in t.columns]).is_unique
    assert pd.Index([ZH.lookup(c) for c in causes_views.COMPARISON_SHOWN]).is_unique


def test_list_items_are_joined_as_the_language_writes_them():
    assert causes_views._join(["a", "b"], EN) == "a; b"
    assert causes_views._join(["甲", "乙"], ZH) == "甲；乙"


@pytest.mark.parametrize("note, expected", [
    ("time-ordered: trained on 10,931 rows from 2025-01-05, 2025-04-05; tested on 3,811 rows from "
     "2025-10-02", "按时间顺序：用 2025-01-05, 2025-04-05 的 10,931 行训练；用 2025-10-02 的 3,811 行测试"),
    ("logistic drives the list: higher held-out ROC AUC (0.700 vs 0.699 for xgboost)",
     "预警名单由 logistic 模型生成：其留出集 ROC AUC 更高（0.700，xgboost 为 0.699）"),
    ("plan: reference level is 'month_to_month' (the most frequent).",
     "plan：参照水平是 'month_to_month'（最常见的水平）。"),
])
def test_run_notes_are_translated_by_template(note, expected):
    assert ZH.text(note) == expected
