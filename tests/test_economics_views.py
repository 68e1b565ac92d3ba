"""Notebook 04's views on a small simulated telecom study: every section shows its text, figures and tables."""

from __future__ import annotations

import dataclasses

import pytest

from churnlab import open_study
from churnlab.economics import views
from .conftest import scenario_params, write_params


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("economics_views")
    params = write_params(folder / "telecom.yaml", scenario_params("telecom", source={"n_customers": 300}))
    s = open_study(params, output_dir=folder / "run")
    return s, s.economics()


@pytest.fixture
def shown(monkeypatch):
    items = []
    monkeypatch.setattr("IPython.display.display", lambda x: items.append(x))
    return items


CALLS = {
    "header": lambda s, r: views.header(r, s.name),
    "clv": lambda s, r: views.clv(r),
    "sbg_check": lambda s, r: views.sbg_check(r, s.params),
    "churn_cost": lambda s, r: views.churn_cost(r, s.params),
    "at_risk": lambda s, r: views.at_risk(r),
    "campaign": lambda s, r: views.campaign(r),
    "profit_risk": lambda s, r: views.profit_risk(r),
    "fix_roi": lambda s, r: views.fix_roi(r),
    "sensitivity": lambda s, r: views.sensitivity(r),
}


@pytest.mark.parametrize("name", CALLS)
def test_every_view_shows_its_section(study, shown, name):
    s, res = study
    CALLS[name](s, res)
    assert shown, f"views.{name} showed nothing"
    kinds = {type(x).__name__ for x in shown}
    assert "Markdown" in kinds or "DataFrame" in kinds or "Figure" in kinds


def test_sections_show_text_figures_and_tables_in_order(study, shown):
    s, res = study
    views.clv(res)
    assert [type(x).__name__ for x in shown] == ["Markdown", "Markdown", "Figure", "Markdown", "DataFrame",
                                                 "Markdown"]
    assert f"{len(res.clv):,} active customers" in shown[1].data
    assert shown[-1].data.startswith(f"CLV {'by' if 'nearly flat' in shown[-1].data else 'differs by'} plan")
    assert "95% interval" in shown[1].data and "model's parameters" in shown[1].data
    shown.clear()
    views.churn_cost(res, s.params)
    kinds = [type(x).__name__ for x in shown]
    assert kinds[-3:] == ["Figure", "Figure", "DataFrame"] and "Total cost of churn" in shown[-4].data


def test_sections_that_did_not_run_show_nothing(study, shown):
    s, res = study
    empty = dataclasses.replace(res, sbg_check=None, at_risk=None, inputs=None, policies=None,
                                profit=None, fix_roi=None)
    views.sbg_check(empty, s.params)
    views.at_risk(empty)
    views.campaign(empty)
    views.profit_risk(empty)
    views.fix_roi(empty)
    assert shown == []
