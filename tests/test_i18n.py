"""The language catalogues (churnlab.i18n): templates, fallbacks, the prose detector, the display hook."""

from __future__ import annotations

import pytest

from churnlab import i18n
from churnlab.i18n import Catalogue, Template, english_prose


def cat(entries: dict[str, str]) -> Catalogue:
    c = Catalogue("zh")
    for en, tr in entries.items():
        if "{" in en:
            c.templates.append(Template.compile(en, tr))
        else:
            c.exact[en] = tr
    c.templates.sort(key=lambda t: -t.literal)
    return c


def test_exact_and_template_with_specs():
    c = cat({"Churn rate by segment": "各细分群体的流失率",
             "{a:,} of {b:,} churners gave a reason.": "{b} 名流失客户中有 {a} 名给出了原因。"})
    assert c.text("Churn rate by segment") == "各细分群体的流失率"
    assert c.text("1,204 of 3,000 churners gave a reason.") == "3,000 名流失客户中有 1,204 名给出了原因。"
    # the explicit call renders the values with the English specs, the translation places them
    assert c("{a:,} of {b:,} churners gave a reason.", a=1204, b=3000) == "3,000 名流失客户中有 1,204 名给出了原因。"


def test_fields_are_translated_in_turn_and_lines_keep_markers():
    c = cat({"**{section} skipped:** {reason}": "**已跳过{section}：**{reason}",
             "Logit": "逻辑回归", "too few churners": "流失客户太少",
             "Price rise": "涨价"})
    assert c.text("**Logit skipped:** too few churners") == "**已跳过逻辑回归：**流失客户太少"
    assert c.text("* Price rise\n* Price rise") == "* 涨价\n* 涨价"
    assert c.markdown("## Price rise\n\nPrice rise") == "## 涨价\n\n涨价"


def test_missing_english_is_remembered_and_left_as_is():
    c = cat({})
    assert c.text("This sentence has no entry.") == "This sentence has no entry."
    assert "This sentence has no entry." in c.missing
    assert c.lookup("month-to-month") == "month-to-month"  # a data value, not prose


def test_english_catalogue_is_the_identity():
    en = i18n.catalogue("en")
    assert en.text("Churn rate by segment") == "Churn rate by segment"
    assert en("{n:,} customers", n=1200) == "1,200 customers"


def test_unknown_language_is_one_clear_error():
    with pytest.raises(ValueError, match="lang: expected one of en, zh, got 'fr'"):
        i18n.catalogue("fr")


@pytest.mark.parametrize("text, runs", [
    ("客户流失率为 3.1%，较上月上升。", []),
    ("`churn_rate` 与 p_value 都是列名，Kaplan-Meier 中位数 76", []),
    ("客户 who left early 更多", ["who left early"]),
    ("The median lifetime is 76 months.", ["The median lifetime is", "months"]),
    ("参见 Gold, Fighting Churn with Data (2020)", []),
])
def test_english_prose_detector(text, runs):
    found = english_prose(text)
    assert bool(found) == bool(runs)
    if runs:
        assert found[0] == runs[0]


def test_every_zh_entry_keeps_the_fields_of_its_english_side():
    zh = i18n.catalogue("zh")
    for t in zh.templates:
        en_fields = {m.group(1) for m in i18n.FIELD.finditer(t.source)}
        zh_fields = {m.group(1) for m in i18n.FIELD.finditer(t.target)}
        assert zh_fields <= en_fields, (t.source, zh_fields - en_fields)
    for en, tr in zh.exact.items():
        assert "{" not in tr or "{{" in tr, (en, tr)


def test_display_translates_text_tables_and_figures(monkeypatch):
    import matplotlib.pyplot as plt
    import pandas as pd

    from churnlab import display

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda item, **kw: shown.append(item))
    c = cat({"Churn rate": "流失率", "Survival by plan": "按套餐的生存曲线", "{n} customers": "{n} 名客户"})
    monkeypatch.setattr(i18n, "current", lambda: c)
    fig, ax = plt.subplots()
    ax.set_title("Survival by plan")
    ax.set_ylabel("Churn rate")
    display.show("5 customers", pd.DataFrame({"Churn rate": [0.1], "plan": ["Churn rate"]}), fig)
    assert shown[0].data == "5 名客户"
    assert list(shown[1].columns) == ["流失率", "plan"] and shown[1]["plan"][0] == "流失率"
    assert ax.get_title() == "按套餐的生存曲线" and ax.get_ylabel() == "流失率"


def test_translate_notebook_only_touches_markdown():
    nb = {"cells": [{"cell_type": "markdown", "source": ["*The code is hidden on this page. Analysts: "
                                                          "[the same notebook with its code](x.html).*"]},
                    {"cell_type": "code", "source": "print('The code is hidden')"}], "metadata": {}}
    out = i18n.translate_notebook(nb, "zh")
    assert out["cells"][0]["source"].startswith("*本页隐藏了代码")
    assert out["cells"][1] == nb["cells"][1]
    assert i18n.translate_notebook(nb, "en") is nb


def test_a_cjk_font_draws_chinese_figures():
    """The set-up installs a CJK font (scripts/ensure_cjk_font.sh) and Matplotlib finds it for zh figures."""
    import os

    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from churnlab.display import figure_rc

    cjk = [f for f in i18n.FONTS["zh"] if _installed(font_manager, f)]
    if not cjk:
        msg = "no CJK font installed; run scripts/ensure_cjk_font.sh (make test does)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(msg + " -- CI must have it", pytrace=False)
        pytest.skip(msg)
    import warnings

    with plt.rc_context(figure_rc("zh")), warnings.catch_warnings():  # as display.figure draws
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would be a warning
        fig, ax = plt.subplots()
        ax.set_title("按套餐的生存曲线 (Kaplan-Meier)")
        fig.canvas.draw()
    plt.close(fig)
    assert i18n.fonts("zh") == ["DejaVu Sans", cjk[0]]


def _installed(font_manager, family: str) -> bool:
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return True
    except ValueError:
        return False


def test_a_one_line_template_does_not_swallow_several_lines():
    c = cat({"* {note}": "* 注：{note}", "Price rise": "涨价"})
    assert c.text("* Price rise\n* Price rise") == "* 注：涨价\n* 注：涨价"
