"""churnlab.collect.views: every section of notebook 01 shows something, on data with and without dates."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from churnlab import open_study
from churnlab.collect import views

from .conftest import scenario_params, write_params


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect_views")
    f = write_params(tmp / "retail.yaml", scenario_params("retail", source={"n_customers": 300}))
    return open_study(f, output_dir=tmp / "run")


@pytest.fixture
def shown(monkeypatch):
    out = []
    monkeypatch.setattr("IPython.display.display", lambda x: out.append(x))
    return out


SECTIONS = ["overview", "quality", "definitions", "churn_summary", "segments", "durations", "flow",
            "differences", "truth", "snapshots"]


def test_header_names_the_study(study, shown):
    views.header(study)
    assert len(shown) == 1 and study.name in shown[0].data


@pytest.mark.parametrize("name", SECTIONS)
def test_every_view_shows_something(study, shown, name):
    getattr(views, name)(study.collect())
    assert shown and all(x is not None for x in shown)


def test_definitions_show_the_figure_then_the_table(study, shown):
    res = study.collect()
    views.definitions(res)
    assert type(shown[0]).__name__ == "Figure" and shown[1] is res.definitions


def test_views_without_dates_segments_or_truth_show_notes(study, shown):
    bare = dataclasses.replace(study.collect(), segments=[], flow=None, truth=None,
                               snapshots=pd.DataFrame())
    for name in ("segments", "flow", "truth", "snapshots"):
        getattr(views, name)(bare)
    assert [type(x).__name__ for x in shown] == ["Markdown"] * 4
    assert "no planted truth" in shown[2].data
