"""Slower tier: the three scenarios run in Chinese (``churnlab run --lang zh``) leak no English prose.

Every notebook (Markdown cells, text, tables, the English recorded beside figures), the
study reports and the index are scanned by :mod:`churnlab.i18n.leaks`; code, names and
numbers aside, nothing a reader sees may be English. The same params in English are the
stored default, and their numbers must not depend on the language.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from churnlab.config import NOTEBOOKS, SCENARIOS
from churnlab.i18n.leaks import leaks

pytestmark = pytest.mark.notebooks
CLI = str(Path(sys.executable).with_name("churnlab"))


@pytest.fixture(scope="module")
def zh_root(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zh")
    res = subprocess.run([CLI, "run", *SCENARIOS, "--lang", "zh", "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_english_prose_in_a_zh_run(zh_root, scenario):
    run = zh_root / f"{scenario}-zh"
    assert all((run / nb).exists() for nb in NOTEBOOKS if nb != "04_cost_of_churn.ipynb")
    found = leaks(run)
    assert not found, f"{len(found)} English run(s), e.g. " + "; ".join(f"{w}: {t}" for w, t in found[:15])


def test_no_english_prose_in_the_zh_index(zh_root):
    found = leaks(zh_root / "index.html")
    assert not found, found[:15]


def test_zh_run_records_its_language(zh_root):
    manifest = json.loads((zh_root / "telecom-zh" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["params"]["lang"] == "zh"
    page = (zh_root / "telecom-zh" / "02_cause_analysis.html").read_text(encoding="utf-8")
    assert "本页" in page  # the page note, in Chinese
