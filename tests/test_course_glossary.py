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
