"""churnlab.causes.views: every section of notebook 02 shows something on a small simulated study."""

from __future__ import annotations

import dataclasses

import pytest

from churnlab import open_study
from churnlab.causes import views

from .conftest import scenario_params, write_params

VIEWS = ["stated_reasons", "reason_shares", "reasons_vs_drivers", "segments", "cohorts", "logit",
         "validation", "evaluation", "driver_ranking", "planted", "early_warning_list"]


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("causes_views")
    f = write_params(tmp / "telecom.yaml", scenario_params("telecom", source={"n_customers": 300}))
    return open_study(f, output_dir=tmp / "run").causes()


@pytest.fixture
def shown(monkeypatch):
    out = []
    monkeypatch.setattr("IPython.display.display", lambda x: out.append(x))
    return out


def test_header_names_the_study(res, shown):
    views.header(res, "my study")
    assert type(shown[0]).__name__ == "Markdown" and "my study" in shown[0].data


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_shows_something(res, shown, name):
    getattr(views, name)(res)
    assert shown, f"views.{name} showed nothing"


def test_missing_sections_show_a_note_or_nothing(res, shown):
    bare = dataclasses.replace(res, pareto=None, reason_shares=None, reasons_vs_drivers=None,
                               logit=None, planted=None)
    views.stated_reasons(bare)
    assert [x.data for x in shown] == ["This data has no exit-survey answers."]
    for name in ("reason_shares", "reasons_vs_drivers", "logit", "planted"):
        getattr(views, name)(bare)
    assert len(shown) == 1


def test_one_rule_leaves_the_same_leaky_features_out_of_causes_and_warning(res):
    from churnlab.design import leaky_features

    leaky = set(leaky_features(res.collection.analysis))
    assert {"n_offers", "offer_accepted"} <= leaky
    assert not leaky & set(res.covariates["numeric"] + res.covariates["categorical"])
    assert not leaky & set(res.warning.validation.models.design.source.values())
    assert res.metrics()["warning"]["excluded_features"].keys() == leaky
