"""Runner pieces that need no kernel: study naming, publishing, one-line errors."""

from __future__ import annotations

from churnlab.study.runner import publish, resolve_studies

from .conftest import ROOT, scenario_params, write_params


def test_no_scenario_means_all_three():
    studies, errors = resolve_studies([], [])
    assert [s.name for s in studies] == ["telecom", "retail", "software"] and not errors


def test_study_name_is_the_params_file_stem(tmp_path):
    f = write_params(tmp_path / "my_shop.yaml", scenario_params("retail"))
    studies, errors = resolve_studies(["telecom"], [str(f)])
    assert [s.name for s in studies] == ["telecom", "my_shop"] and not errors


def test_duplicate_names_and_bad_files_are_reported_not_run(tmp_path):
    f = write_params(tmp_path / "telecom.yaml", scenario_params("telecom"))
    studies, errors = resolve_studies(["telecom", "nope"], [str(f)])
    assert [s.name for s in studies] == ["telecom"]
    assert len(errors) == 2 and "unknown scenario 'nope'" in errors[0]
    assert "already in this run" in errors[1]


def test_publish_replaces_the_old_output_whole(tmp_path):
    final = tmp_path / "study"
    final.mkdir()
    (final / "old.txt").write_text("old")
    tmp = tmp_path / ".study.tmp-1"
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    publish(tmp, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_params_dir_holds_the_three_scenarios():
    assert {p.stem for p in (ROOT / "params").glob("*.yaml")} == {"telecom", "retail", "software"}
