"""Slower tier: each notebook runs on its own, and notebook runs outside the runner are safe.

* Every notebook runs from its stored defaults (``params/telecom.yaml``) in a fresh
  folder, with no earlier notebook run first: it computes what it needs through
  the study object.
* ``papermill nb.ipynb out.ipynb -f params.yaml`` runs the study of that file.
* A notebook run outside the runner never touches a folder the runner published,
  whether it is pointed at it or left to its default folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from churnlab.config import NOTEBOOKS

from .conftest import ROOT, scenario_params, write_params

pytestmark = pytest.mark.notebooks
CLI = str(Path(sys.executable).with_name("churnlab"))


def execute(nb: str, out: Path, *, root: Path = ROOT, **kw):
    return papermill.execute_notebook(str(root / "notebooks" / nb), str(out), kernel_name="python3",
                                      progress_bar=False, cwd=str(root / "notebooks"), **kw)


def folder_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("nb", NOTEBOOKS)
def test_each_notebook_runs_alone_from_its_stored_defaults(nb, tmp_path):
    run = tmp_path / "run"
    execute(nb, tmp_path / nb, parameters={"output_dir": str(run)})
    m = json.loads((run / "metrics.json").read_text())
    assert json.loads((run / "study.json").read_text())["params_file"].endswith("params/telecom.yaml")
    section = {"01": "data", "02": "causes", "03": "survival", "04": "cost", "05": "kpi"}[nb[:2]]
    assert section in m


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project (params, notebooks) whose outputs live under tmp_path."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "params").mkdir()
    write_params(root / "params" / "telecom.yaml",
                 scenario_params("telecom", source={"n_customers": 300}))
    write_params(root / "params" / "retail.yaml", scenario_params("retail", source={"n_customers": 300}))
    monkeypatch.setenv("CHURNLAB_ROOT", str(root))
    return root


def test_papermill_with_a_params_file_runs_that_study(project, tmp_path):
    out = tmp_path / "by_f"
    params = json.loads(json.dumps(scenario_params("retail", source={"n_customers": 250})))
    execute(NOTEBOOKS[0], tmp_path / "nb.ipynb", root=project,
            parameters={**params, "output_dir": str(out)})  # what `papermill -f file.yaml` injects
    m = json.loads((out / "metrics.json").read_text())["data"]
    assert m["n_customers"] <= 250 and m["definition"] == "inactivity"


def test_notebook_runs_outside_the_runner_leave_a_published_folder_untouched(project, tmp_path):
    outputs = project / "outputs"
    res = subprocess.run([CLI, "run", "telecom", "--out", str(outputs)], capture_output=True,
                         text=True, timeout=900, env={**__import__("os").environ})
    assert res.returncode == 0, res.stderr
    published = outputs / "telecom"
    before = folder_digest(published)
    # pointed at the published folder: one clear error, nothing written
    with pytest.raises(PapermillExecutionError, match="published by `churnlab run`"):
        execute(NOTEBOOKS[1], tmp_path / "x.ipynb", root=project, parameters={"output_dir": str(published)})
    # left to its default: writes to outputs/lab/telecom, not outputs/telecom
    execute(NOTEBOOKS[0], tmp_path / "y.ipynb", root=project)
    assert (outputs / "lab" / "telecom" / "metrics.json").exists()
    assert folder_digest(published) == before
