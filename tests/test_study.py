"""The study object: one params validation, run-folder rules, artifacts reused only when valid."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from churnlab import open_study
from churnlab.artifacts import SCHEMA_VERSION, ArtifactStore, ObjectCodec, RunFolder, params_hash
from churnlab.clv import SBGProjection, SBGResult
from churnlab.errors import ChurnlabError, ParamsError, StudyError
from churnlab.study import study as study_mod

from .conftest import ROOT

SMALL = {"scenario": "telecom", "seed": 7, "as_of": "2025-12-31", "churn": {"definition": "contractual"},
         "snapshots": {"count": 2, "spacing_days": 90, "lead_days": 90},
         "source": {"kind": "simulate", "n_customers": 300, "history_months": 24}}


def write_params(path, **change):
    path.write_text(yaml.safe_dump({**SMALL, **change}))
    return path


def test_open_study_names_the_study_after_its_params_file(tmp_path):
    f = write_params(tmp_path / "my_shop.yaml")
    s = open_study(f, output_dir=tmp_path / "run")
    assert s.name == "my_shop" and s.params.seed == 7 and s.run_dir == (tmp_path / "run").resolve()
    assert json.loads((tmp_path / "run" / "study.json").read_text())["params_hash"] == s.hash


def test_default_folder_is_the_lab_folder_not_the_published_one(tmp_path, monkeypatch):
    monkeypatch.setattr(study_mod, "LAB_DIR", tmp_path / "lab")
    s = open_study(write_params(tmp_path / "telecom.yaml"))
    assert s.run_dir == tmp_path / "lab" / "telecom"


def test_a_published_folder_is_never_written_by_a_notebook_run(tmp_path):
    run = tmp_path / "published"
    run.mkdir()
    (run / "manifest.json").write_text("{}")
    (run / "metrics.json").write_text('{"data": 1}')
    with pytest.raises(StudyError, match="published by `churnlab run`"):
        open_study(write_params(tmp_path / "p.yaml"), output_dir=run)
    assert sorted(p.name for p in run.iterdir()) == ["manifest.json", "metrics.json"]
    assert (run / "metrics.json").read_text() == '{"data": 1}'


def test_bad_params_file_is_one_line(tmp_path):
    with pytest.raises(ParamsError, match=r"churn\.definition"):
        open_study(write_params(tmp_path / "p.yaml", churn={"definition": "inactivity"}),
                   output_dir=tmp_path / "r")
    with pytest.raises(ChurnlabError, match="params file not found"):
        open_study(tmp_path / "missing.yaml", output_dir=tmp_path / "r")


def test_papermill_injected_params_win_over_params_file(tmp_path):
    injected = {"params_file": "params/telecom.yaml", "output_dir": "", **SMALL, "seed": 11, "np": object()}
    s = open_study("params/telecom.yaml", output_dir=tmp_path / "r", injected=injected)
    assert s.params.seed == 11 and s.params.source.n_customers == 300 and s.params_file is None
    # a notebook's own variables that are not a whole params file are ignored
    s = open_study(ROOT / "params" / "retail.yaml", output_dir=tmp_path / "r2",
                   injected={"seed": 3, "value": 1.0})
    assert s.params.scenario == "retail" and s.params.seed == 42


def test_stale_artifact_made_under_other_params_is_recomputed(tmp_path):
    f = write_params(tmp_path / "p.yaml")
    run = tmp_path / "run"
    s = open_study(f, output_dir=run)
    n1 = s.collection().n_customers
    wl = s.warning_list()
    assert wl is not None and (run / "artifacts" / "warning_list.parquet").exists()
    # the same params read the artifacts back instead of recomputing
    s_again = open_study(f, output_dir=run)
    assert s_again.store.read_frame("warning_list") is not None
    pd.testing.assert_frame_equal(s_again.warning_list(), wl)
    # other params: the folder is cleared and everything is recomputed
    write_params(f, source={**SMALL["source"], "n_customers": 200})
    s2 = open_study(f, output_dir=run)
    assert not (run / "artifacts" / "warning_list.parquet").exists()
    assert s2.collection().n_customers != n1
    assert len(s2.warning_list()) != len(wl)


def test_artifact_store_rejects_other_params_and_other_schema(tmp_path):
    folder = RunFolder(tmp_path)
    a = ArtifactStore(folder, "hash-a")
    a.write_frame("t", pd.DataFrame({"x": [1.5, 2.5]}), {"k": 1})
    df, meta = a.read_frame("t")
    assert df["x"].tolist() == [1.5, 2.5] and meta == {"k": 1}
    assert ArtifactStore(folder, "hash-b").read_frame("t") is None
    a.write_json("j", {"v": 0.1 + 0.2})
    assert a.read_json("j")[0] == {"v": 0.1 + 0.2}  # full precision
    doc = json.loads(folder.artifact("j", "json").read_text())
    doc["schema_version"] = SCHEMA_VERSION + 1
    folder.artifact("j", "json").write_text(json.dumps(doc))
    assert a.read_json("j") is None


def test_object_codec_round_trips_fits_exactly(tmp_path):
    store = ArtifactStore(RunFolder(tmp_path), "h")
    table = pd.DataFrame({"actual": [1.0, 0.8123456789012345]}, index=pd.Index([0, 1], name="age"))
    proj = SBGProjection(SBGResult(0.7041, 1.1819, -1611.2, 7, True, ["BFGS: converged"]), 4, table,
                         0.0123, "quarter")
    ObjectCodec(store).write("sbg", proj)
    found, back = ObjectCodec(store).read("sbg", SBGProjection)
    assert found
    assert back.fit == proj.fit and back.mape == proj.mape and back.period == "quarter"
    pd.testing.assert_frame_equal(back.table, table)


def test_params_hash_ignores_output_dir():
    assert params_hash({"a": 1, "output_dir": "x"}) == params_hash({"a": 1, "output_dir": "y"})
    assert params_hash({"a": 1}) != params_hash({"a": 2})


def test_a_fit_that_did_not_apply_is_stored_and_not_refitted(tmp_path):
    store = ArtifactStore(RunFolder(tmp_path), "h")
    assert ObjectCodec(store).read("bgnbd", SBGProjection) == (False, None)  # missing: fit it
    ObjectCodec(store).write("bgnbd", None)  # e.g. no BG/NBD for a contractual study
    assert ObjectCodec(store).read("bgnbd", SBGProjection) == (True, None)  # known not to apply
