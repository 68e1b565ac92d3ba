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
    monkeypatch.setattr("IPython.display.display", lambda x: shown.append(x))
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
