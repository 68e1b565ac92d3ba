"""churnlab.kpi.views: every section of notebook 05 shows something on a small simulated study."""

from __future__ import annotations

import pytest

from churnlab import open_study
from churnlab.kpi import views

from .conftest import scenario_params, write_params

VIEWS = [views.header, views.rates, views.segments, views.end_reasons, views.cohorts, views.mrr,
         views.winback, views.lifecycle, views.indicators, views.scorecard, views.sensitivity,
         views.consistency]


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kpi_views")
    params = write_params(tmp / "params.yaml", scenario_params("software", source={"n_customers": 300}))
    return open_study(params, output_dir=tmp / "run").kpis()


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_every_view_shows_something(view, res, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *items, **kw: shown.extend(items))
    view(res)
    assert shown, f"{view.__name__} showed nothing"
    assert view.__doc__


def test_rates_shows_the_panels_then_a_table_per_period(res, monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *items, **kw: shown.extend(items))
    views.rates(res)
    if res.monthly is not None:
        assert isinstance(shown[2], plt.Figure)
        assert shown[1].data == res.notes["rates"] and "lapses" in shown[1].data  # the event-history note
        assert shown[-1] is res.conversions
        assert sum(type(s).__name__ == "Markdown" and s.data.startswith("**Per ") for s in shown) == len(res.rates)
