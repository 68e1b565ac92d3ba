"""churnlab.survival.views: each section of notebook 03 shows its notes, tables and figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import yaml

from churnlab import open_study
from churnlab.survival import views

from .conftest import scenario_params

#: views that show their note whatever ran; the others show only when their part ran
ALWAYS = ["header", "kaplan_meier", "segments", "hazard", "cox", "parametric", "predictions",
          "validation", "competing", "sbg", "bgnbd", "alive_vs_inactivity"]


@pytest.fixture(scope="module", params=["telecom", "retail"])
def res(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    f = tmp / f"{request.param}.yaml"
    f.write_text(yaml.safe_dump(scenario_params(request.param, source={"n_customers": 300})))
    return open_study(f, output_dir=tmp / "run").survival()


def shown_by(view, res, monkeypatch) -> list:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda x, **kw: shown.append(x))
    view(res)
    return shown


@pytest.mark.parametrize("name", ALWAYS)
def test_each_view_shows_something_and_leaves_no_figure_open(res, name, monkeypatch):
    shown = shown_by(getattr(views, name), res, monkeypatch)
    assert shown and "Markdown" in [type(s).__name__ for s in shown], shown  # at least its note
    assert not plt.get_fignums()  # every figure shown once, then closed


def test_conditional_views_show_only_what_ran(res, monkeypatch):
    assert bool(shown_by(views.cox_remedied, res, monkeypatch)) == res.remedied
    assert bool(shown_by(views.planted, res, monkeypatch)) == (res.planted is not None)
    assert not plt.get_fignums()


def test_kaplan_meier_shows_note_table_figure_note_in_order(res, monkeypatch):
    shown = shown_by(views.kaplan_meier, res, monkeypatch)
    assert res.km_all is not None
    kinds = [type(s).__name__ for s in shown]
    assert kinds == ["Markdown", "DataFrame", "Figure", "Markdown"], kinds


def test_interpretation_and_record_show_one_text_and_one_table(res, monkeypatch):
    shown = shown_by(views.interpretation, res, monkeypatch)
    assert [type(s).__name__ for s in shown] == ["Markdown"]
    text = shown[0].data
    assert "Half of the customers have left after" in text or "Fewer than half" in text
    assert "as fast" in text or "No category level differs" in text
    shown = shown_by(views.record, res, monkeypatch)
    assert [type(s).__name__ for s in shown] == ["DataFrame"]
    assert list(shown[0].columns) == ["key", "recorded value"]


def test_in_chinese_every_view_of_notebook_03_leaves_no_english_text(res, monkeypatch):
    """Notes, the run in words, table cells and figure texts of every view, shown in zh."""
    from churnlab import i18n

    names = ALWAYS + ["cox_remedied", "drivers", "interpretation", "planted", "record"]
    found = []
    with i18n.use("zh"):
        for name in names:
            shown = []
            monkeypatch.setattr("IPython.display.display",
                                lambda x, metadata=None, **kw: shown.append((x, metadata)))
            getattr(views, name)(res)
            for item, metadata in shown:
                if type(item).__name__ == "Markdown":
                    found += [(name, r) for line in item.data.splitlines() for r in i18n.english_prose(line)]
                elif hasattr(item, "columns"):
                    cells = [v for c in item.columns if item[c].dtype == object for v in item[c]]
                    found += [(name, r) for v in cells if isinstance(v, str) for r in i18n.english_prose(v)]
                found += [(name, r) for r in (metadata or {}).get(i18n.UNTRANSLATED, [])]
    assert not found, found
