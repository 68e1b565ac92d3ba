"""Manager-facing notebook HTML (churnlab.study.runner.to_html) and the recorded-numbers table
(churnlab.metrics.summary.recorded), on small hand-made notebooks and metrics."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from churnlab.metrics.summary import recorded
from churnlab.report import write_report
from churnlab.study.runner import code_html_name, notebook_title, to_html

from .test_report import make_run

LONG = "A description that is long enough that pandas would cut it at fifty characters by default, " * 2


def executed(folder: Path) -> Path:
    """A small executed notebook in ``folder`` whose cells mention the folder (like the injected
    parameters cell of a run in the runner's temporary folder)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 02 · Cause analysis: why customers leave and who will leave next"),
        nbformat.v4.new_code_cell(f'output_dir = "{folder}"\nsecret_code_marker = 1',
                                  metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(study.run_dir)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"writing to {folder}/metrics.json\n")]),
        nbformat.v4.new_code_cell("table", execution_count=3, outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": "<table><tr><td>OUTPUT_KEPT</td></tr></table>",
                                    "text/plain": "OUTPUT_KEPT"}, execution_count=3)]),
    ]
    path = folder / "02_cause_analysis.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def pages(tmp_path: Path) -> tuple[Path, Path]:
    tmp = tmp_path / ".alpha.tmp-0123abcd"
    tmp.mkdir()
    out = to_html(executed(tmp), shown_dir=tmp_path / "alpha")
    return out, out.with_name(code_html_name(out))


def test_manager_page_hides_the_code_and_keeps_the_outputs(pages):
    manager, _ = pages
    html = manager.read_text(encoding="utf-8")
    assert manager.name == "02_cause_analysis.html"
    assert "secret_code_marker" not in html and "hl-ipython3" not in html    # no input cell
    assert "OUTPUT_KEPT" in html and "writing to" in html                    # outputs stay
    assert 'href="02_cause_analysis.code.html"' in html                       # the analysts' page


def test_code_page_exists_with_the_code_and_links_back(pages):
    _, code = pages
    html = code.read_text(encoding="utf-8")
    assert code.name == "02_cause_analysis.code.html"
    assert "secret_code_marker" in html and "OUTPUT_KEPT" in html
    assert 'href="02_cause_analysis.html"' in html


def test_pages_show_the_published_folder_not_the_temporary_one(pages, tmp_path: Path):
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert ".tmp-" not in html, page.name
        assert str(tmp_path / "alpha") in html


def test_pages_are_titled_by_the_notebook(pages):
    for page in pages:
        title = re.search(r"<title>([^<]*)</title>", page.read_text(encoding="utf-8")).group(1)
        assert title == "02 · Cause analysis: why customers leave and who will leave next"
    assert notebook_title(nbformat.v4.new_notebook()) == "Notebook"


def test_report_links_both_versions(tmp_path: Path):
    run = make_run(tmp_path, "alpha")
    (run / "02_cause_analysis.code.html").write_text("<html></html>", encoding="utf-8")
    html = write_report(run).read_text(encoding="utf-8")
    assert 'href="02_cause_analysis.html"' in html and 'href="02_cause_analysis.code.html"' in html
    assert 'href="01_data_collection.code.html"' not in html   # not written: not linked


def test_tables_show_descriptions_in_full():
    import pandas as pd
    from IPython.core.formatters import DisplayFormatter

    from churnlab import display

    shown = []
    df = pd.DataFrame({"description": [LONG]})
    with pytest.MonkeyPatch.context() as mp:
        import IPython.display
        mp.setattr(IPython.display, "display", lambda item: shown.append(
            DisplayFormatter().format(item)[0]["text/html"]))
        display.table(df)
    assert LONG.strip() in shown[0] and "..." not in shown[0]


METRICS = {"causes": {"segment_churn": {c: {f"level{i}": {"customers": 100, "churned": 10, "rate": 0.1,
                                                         "ci_low": 0.05, "ci_high": 0.17}
                                            for i in range(12)} for c in ("plan", "region")},
                      "top_drivers": [f"feature_{i}" for i in range(10)], "logit_terms": 23,
                      "exit_reasons": {"price": 0.34, "service": 0.15}},
           "warning": {"auc": 0.8123456, "auc_ci": [0.79, 0.83], "model": "xgboost", "horizon_days": 90,
                       "models": {m: {"roc_auc": 0.8, "brier": 0.1} for m in ("xgboost", "logistic")}}}


def test_recorded_is_a_short_table_not_a_dict_dump():
    table = recorded(METRICS)
    assert list(table.columns) == ["key", "recorded value"]
    values = dict(zip(table["key"], table["recorded value"]))
    assert values["warning.auc"] == "0.8123" and values["warning.auc_ci"] == "0.79, 0.83"
    assert values["causes.exit_reasons"] == "price: 0.34; service: 0.15"
    assert values["causes.segment_churn.plan"].startswith("12 entries: level0, level1, level2, and 9 more")
    assert values["causes.top_drivers"].startswith("10 values: feature_0")
    assert values["warning.models.xgboost"] == "roc_auc: 0.8; brier: 0.1"
    assert len(table) < 20
    assert not any(v.startswith("{") for v in table["recorded value"])
    assert table["recorded value"].str.len().max() < 200


def test_pages_declare_their_language_and_keep_wide_tables_in_a_box(tmp_path: Path):
    from churnlab.study.runner import PAGE_CSS, page_html

    for lang, attr in (("en", "en"), ("zh", "zh-CN")):
        folder = tmp_path / lang
        folder.mkdir()
        manager = to_html(executed(folder), lang=lang)
        for page in (manager, manager.with_name(code_html_name(manager))):
            html = page.read_text(encoding="utf-8")
            assert re.findall(r"<html[^>]*>", html) == [f'<html lang="{attr}">'], page
            head = html.split("</head>")[0]
            assert PAGE_CSS in head and html.count(PAGE_CSS) == 1
    assert "overflow-x: auto" in PAGE_CSS and "max-width: 100%" in PAGE_CSS
    assert page_html('<html lang="en" class="x"><head></head></html>', "zh").startswith('<html lang="zh-CN">')
    zh = tmp_path / "zh" / "02_cause_analysis.html"
    assert "本页隐藏了代码" in zh.read_text(encoding="utf-8")   # the note at the top, in the page's language
