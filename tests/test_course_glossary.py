"""The glossary: complete entries, the rendered docs/glossary.md current, every cited id defined,
no "seed 00x" citations left in the package or the notebooks."""

from __future__ import annotations

import re

from churnlab.course.exercises import EXERCISES
from churnlab.course.glossary import BY_ID, EXERCISE_TERMS, TERMS, render_markdown

from .conftest import ROOT

SOURCES = ["Fader, P. S. & Hardie, B. G. S. (2007)", "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005)",
           "Gamma-Gamma model of monetary value", "ChartMogul", "Fighting Churn with Data", "lifelines"]


def test_entries_are_complete_and_unique():
    assert len(BY_ID) == len(TERMS)
    for t in TERMS:
        assert re.fullmatch(r"[a-z0-9-]+", t.id) and t.name and t.formula and t.source
        assert (ROOT / t.where).is_file(), t.where


def test_the_named_sources_are_cited():
    text = render_markdown()
    for source in SOURCES:
        assert source in text, source
    assert "2007" in BY_ID["sbg"].source and "2005" in BY_ID["bgnbd"].source


def test_docs_glossary_is_current():
    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == render_markdown(), \
        "run: python -m churnlab.course.glossary"


def test_every_exercise_names_glossary_terms_that_exist():
    assert set(EXERCISE_TERMS) == set(EXERCISES)
    assert all(t in BY_ID for terms in EXERCISE_TERMS.values() for t in terms)


def cited_ids() -> set[tuple[str, str]]:
    """(file, id) of every ``glossary.md#id`` in the package and every "glossary `id`" in the notebooks."""
    found = set()
    for p in (ROOT / "churnlab").rglob("*.py"):
        found |= {(p.name, m) for m in re.findall(r"glossary\.md#([a-z0-9-]+)", p.read_text(encoding="utf-8"))}
    for p in (ROOT / "notebooks").glob("*.ipynb"):
        for group in re.findall(r"glossary ((?:`[a-z0-9-]+`(?:, )?)+)", p.read_text(encoding="utf-8")):
            found |= {(p.name, m) for m in re.findall(r"`([a-z0-9-]+)`", group)}
    return found


def test_every_cited_glossary_id_exists():
    cited = cited_ids()
    assert len(cited) >= 15
    missing = sorted((f, i) for f, i in cited if i not in BY_ID)
    assert not missing, missing


def test_no_seed_citations_left():
    pattern = re.compile(r"seeds? 0\d\d|seeds 000")
    bad = []
    for p in list((ROOT / "churnlab").rglob("*.py")) + list((ROOT / "notebooks").glob("*.ipynb")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "churn_definition_hint" not in line:  # simulated data, kept as generated
                bad.append(f"{p.relative_to(ROOT)}:{n}")
    assert not bad, bad


# ------------------------------------------------------------------ the Chinese glossary (docs/glossary.zh.md)


def test_docs_glossary_zh_is_current():
    assert (ROOT / "docs" / "glossary.zh.md").read_text(encoding="utf-8") == render_markdown("zh"), \
        "run: python -m churnlab.course.glossary"


def sections(text: str) -> dict[str, list[str]]:
    """Term id -> the lines of its section."""
    parts = re.split(r'<a id="([a-z0-9-]+)"></a>\n', text)
    return {parts[i]: parts[i + 1].strip().splitlines() for i in range(1, len(parts), 2)}


def test_glossary_zh_translates_names_and_words_and_keeps_formulas_and_sources():
    from churnlab import i18n

    en, zh = sections(render_markdown()), sections(render_markdown("zh"))
    assert list(zh) == list(en) == [t.id for t in TERMS]  # same anchors, same order
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for t in TERMS:
        heading, _, formula, words, where, source = zh[t.id]
        assert heading.startswith("## ") and heading.endswith(f"（{t.name}）"), heading   # English name kept
        name = heading[3:].removesuffix(f"（{t.name}）")
        assert cjk.search(name) and not i18n.english_prose(name), (t.id, name)
        assert formula == "- **公式：** " + t.formula                     # the formula as it is
        assert source == "- **出处：** " + t.source                       # the citation as it is
        assert where == f"- **计算位置：** `{t.where}`"
        assert words.startswith("- **含义：** ") and cjk.search(words), (t.id, words)
        assert not i18n.english_prose(words), (t.id, words)
        for code in re.findall(r"`[^`]+`", t.formula):                    # names in the formula stay
            assert code in words, (t.id, code)
    text = render_markdown("zh")
    assert text.startswith("# 术语表") and all(s in text for s in SOURCES)


def test_glossary_zh_falls_back_to_english_for_a_term_without_translation(monkeypatch):
    from churnlab import i18n
    from churnlab.course import glossary

    term = glossary.Term("new-term", "A brand new term", "x = y / z", "churnlab/kpi/rates.py", "Nobody (2030)")
    monkeypatch.setattr(glossary, "TERMS", TERMS + [term])
    last = sections(render_markdown("zh"))["new-term"]
    assert last[0] == "## A brand new term" and last[2] == "- **公式：** x = y / z" and len(last) == 5
    assert i18n.catalogue("en") is not None
