"""The sentence that reads the run's CLV by segment (churnlab.economics.narrative), in English and Chinese."""

from __future__ import annotations

import warnings
import numpy as np
import pandas as pd
import pytest

from churnlab import i18n
from churnlab.economics import narrative


def drivers(rows):
    """A drivers table from (segment, clv_mean, price, volume) rows."""
    return pd.DataFrame(rows, columns=["segment", "clv_mean", "price", "volume"]).assign(customers=100)


def sentence(table, lang="en", contractual=True):
    return narrative.clv_by_segment_sentence(table, segment="plan", currency="EUR", contractual=contractual,
                                             cat=i18n.catalogue(lang))


def test_flat_clv_with_a_higher_price_offset_by_a_shorter_stay():
    # 649 vs 631: within 10%; the dearer plan stays for fewer months
    t = drivers([("monthly", 649.0, 80.0, 23.2), ("two_year", 631.0, 60.0, 30.0)])
    s = sentence(t)
    assert s.startswith("CLV by plan is nearly flat: 649 EUR for monthly against 631 EUR for two\\_year")
    assert "higher monthly revenue of monthly (80.00 EUR a month against 60.00 EUR a month for two\\_year)" in s
    assert "offset by its shorter expected stay (23.2 discounted months against 30.0 discounted months)" in s


def test_the_offset_is_told_from_the_dearest_and_the_cheapest_segment():
    # the CLV range is one_year..two_year, but the price contrast is monthly against two_year
    t = drivers([("one_year", 659.0, 66.7, 28.2), ("monthly", 649.0, 77.9, 23.8), ("two_year", 631.0, 62.5, 28.8)])
    s = sentence(t)
    assert s.startswith("CLV by plan is nearly flat: 659 EUR for one\\_year against 631 EUR for two\\_year")
    assert "higher monthly revenue of monthly (77.90 EUR a month against 62.50 EUR a month for two\\_year)" in s
    assert "(23.8 discounted months against 28.8 discounted months)" in s


def test_a_dearer_segment_that_also_stays_longer_is_no_offset():
    t = drivers([("a", 640.0, 66.0, 29.0), ("b", 630.0, 62.0, 28.0)])
    assert "differ little" in sentence(t)


def test_flat_clv_with_alike_customers_says_they_differ_little():
    t = drivers([("a", 600.0, 60.0, 28.6), ("b", 590.0, 59.0, 28.5)])
    assert "differ little in monthly revenue" in sentence(t)


@pytest.mark.parametrize("rows, expected", [
    ([("a", 900.0, 90.0, 28.0), ("b", 400.0, 60.0, 19.0)], "because a customers both pay more a month"),
    ([("a", 900.0, 120.0, 21.0), ("b", 400.0, 55.0, 20.5)], "mostly because a customers pay more a month"),
    ([("a", 900.0, 61.0, 40.0), ("b", 400.0, 60.0, 19.0)], "mostly because a customers are expected to stay longer"),
    ([("a", 900.0, 150.0, 17.0), ("b", 400.0, 50.0, 22.0)], "which outweighs their shorter expected stay"),
    ([("a", 900.0, 45.0, 57.0), ("b", 400.0, 60.0, 19.0)], "which outweighs their lower monthly revenue"),
])
def test_a_clear_difference_names_the_part_that_makes_it(rows, expected):
    s = sentence(drivers(rows))
    assert s.startswith("CLV differs by plan: 900 EUR for a against 400 EUR for b (2.2×)")
    assert expected in s


def test_shops_speak_of_spend_and_purchases():
    s = sentence(drivers([("store", 300.0, 40.0, 21.0), ("online", 120.0, 38.0, 9.0)]), contractual=False)
    assert "are expected to buy more often (21.0 discounted purchases against 9.0 discounted purchases)" in s


def test_no_sentence_without_two_segments_or_positive_values():
    assert sentence(None) is None
    assert sentence(drivers([("a", 600.0, 60.0, 28.0)])) is None
    assert sentence(drivers([("a", 600.0, 60.0, 28.0), ("b", 0.0, 60.0, 0.0)])) is None


@pytest.mark.parametrize("rows", [
    [("monthly", 649.0, 80.0, 23.2), ("two_year", 631.0, 60.0, 30.0)],
    [("one_year", 659.0, 66.7, 28.2), ("monthly", 649.0, 77.9, 23.8), ("two_year", 631.0, 62.5, 28.8)],
    [("a", 600.0, 60.0, 28.6), ("b", 590.0, 59.0, 28.5)],
    [("a", 900.0, 90.0, 28.0), ("b", 400.0, 60.0, 19.0)],
    [("a", 900.0, 120.0, 21.0), ("b", 400.0, 55.0, 20.5)],
    [("a", 900.0, 61.0, 40.0), ("b", 400.0, 60.0, 19.0)],
    [("a", 900.0, 150.0, 17.0), ("b", 400.0, 50.0, 22.0)],
    [("a", 900.0, 45.0, 57.0), ("b", 400.0, 60.0, 19.0)],
])
@pytest.mark.parametrize("contractual", [True, False])
def test_every_wording_has_a_chinese_template(rows, contractual):
    zh = i18n.catalogue("zh")
    s = sentence(drivers(rows), "zh", contractual)
    assert not i18n.english_prose(s), s
    assert f"{rows[0][1]:,.0f}" in s and f"{rows[-1][1]:,.0f}" in s  # the numbers stay
    en = sentence(drivers(rows), "en", contractual)
    assert zh.text(en) == s  # the rendered English matches the same template


def test_drivers_table_means_per_segment_highest_first():
    ids = ["a", "b", "c", "d"]
    t = narrative.drivers_table(pd.Series([100.0, 300.0, 200.0, 400.0], index=ids),
                                pd.Series([10.0, 30.0, 20.0, 40.0], index=ids),
                                pd.Series([1.0, 2.0, 3.0, 4.0], index=ids),
                                pd.Series(["x", "x", "y", "y"], index=ids))
    assert list(t["segment"]) == ["y", "x"]
    assert np.allclose(t[["clv_mean", "price", "volume"]].to_numpy(), [[300, 30, 3.5], [200, 20, 1.5]])
    assert list(t["customers"]) == [2, 2]


def test_waterfall_bar_names_are_written_in_the_session_language():
    from churnlab.economics.cost import COMPONENTS
    from churnlab.economics.plots import waterfall

    cost = type("Cost", (), {"totals": {**{c: 10.0 for c in COMPONENTS}, "total": 40.0}, "currency": "EUR",
                             "window": (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))})()
    with i18n.use("zh"):
        ax = waterfall(cost)
    with warnings.catch_warnings():  # drawn here without the CJK font: glyphs may miss
        warnings.simplefilter("ignore")
        ax.figure.canvas.draw()  # category ticks are redrawn from the categories
    assert [t.get_text() for t in ax.get_xticklabels()] == ["直接成本", "间接成本", "损失的未来收入", "机会成本", "合计"]
    assert [t.get_text() for t in waterfall(cost).get_xticklabels()][2] == "lost future revenue"
