"""Notebook tier: really executed notebook pages in a real browser, in English and Chinese.

A small telecom study (400 customers) runs notebook 02 (the cause analysis, with its wide
drivers table) through the runner, once in English and once in Chinese. Its code-hidden
page, its code page, the report and the index must fit 1280 px (no sideways scrolling,
nothing sticking out except inside a box that scrolls), load every image and (but for the
code page, whose code may hold a dict) show no raw dict dump; the notebook pages declare
their language. The checks are those of
:mod:`tests.test_browser` (:func:`~tests.test_browser.probe`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from churnlab.report import write_index
from churnlab.study.runner import plan_study, run_study

from .conftest import scenario_params, write_params
from . import test_browser
from .test_browser import assert_clean, probe

pytestmark = pytest.mark.notebooks
NOTEBOOK = "02_cause_analysis.ipynb"


@pytest.fixture(scope="module")
def browser() -> str:
    """Headless Chromium, as :func:`tests.test_browser.chromium` finds it (skip locally, fail under CI)."""
    return test_browser.chromium.__wrapped__()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("browser-runs")
    params = write_params(base / "telecom.yaml", scenario_params("telecom", source={"n_customers": 400}))
    out, done = base / "out", {}
    for lang in ("en", "zh"):
        study = plan_study(params, f"telecom-{lang}", lang=lang)
        result = run_study(study, out, notebooks=(NOTEBOOK,))
        assert result.ok, result.message
        done[lang] = result.out_dir
    write_index(out)
    return done


@pytest.mark.parametrize("lang, html_lang", [("en", "en"), ("zh", "zh-CN")])
def test_executed_notebook_pages_fit_and_declare_their_language(runs, browser, tmp_path, lang, html_lang):
    run = runs[lang]
    for page, code in ((run / "02_cause_analysis.html", False), (run / "02_cause_analysis.code.html", True)):
        seen = probe(browser, tmp_path, page)
        assert_clean(f"{lang} {page.name}", seen, code=code)  # code may hold dicts: only the managers' page is checked
        assert seen["lang"] == html_lang, page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_and_index_of_a_real_run_fit(runs, browser, tmp_path, lang):
    for page in (runs[lang] / "report.html", runs[lang].parent / "index.html"):
        assert_clean(f"{lang} {page.name}", probe(browser, tmp_path, page))
