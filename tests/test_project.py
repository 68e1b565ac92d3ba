"""Project hygiene: pinned environment, stripped notebooks, params known to the notebooks."""

from __future__ import annotations

import json
import re

import papermill
import pytest
import yaml

from churnlab.config import NOTEBOOKS
from churnlab.study.study import PARAMS_KEYS
from churnlab.params import StudyParams, load_params

from .conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)$")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.match(line)
        assert m, f"requirements.lock: not an exact pin: {line!r}"
        pins[m.group(1).lower()] = m.group(2)
    return pins


def test_environment_yml_matches_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    pins = {}
    for line in pip:
        m = PIN.match(line)
        assert m, f"environment.yml: not an exact pin: {line!r}"
        pins[m.group(1).lower()] = m.group(2)
    assert pins == _lock()


def test_lock_pins_the_stack_cpu_only():
    lock = _lock()
    for pkg in ("pandas", "papermill", "jupyterlab", "statsmodels", "lifelines", "seaborn",
                "xgboost-cpu", "duckdb", "pandera", "pydantic"):
        assert pkg in lock, pkg
    assert int(lock["pandas"].split(".")[0]) < 3  # lifelines 0.30 needs pandas < 3
    assert "xgboost" not in lock  # the CPU wheel, not the one that brings NCCL
    assert not [p for p in lock if p.startswith("nvidia")]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{name} has stored outputs: strip them"
            assert cell.get("execution_count") is None
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters'"


PARAM_FILES = sorted((ROOT / "params").rglob("*.yaml"))


@pytest.mark.parametrize("path", PARAM_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_params_key_is_validated_and_known_to_the_notebooks(path):
    load_params(path)  # validated by the package (unknown keys would fail)
    for name in NOTEBOOKS:  # every notebook takes the study from params_file ...
        assert set(papermill.inspect_notebook(str(ROOT / "notebooks" / name))) == {"params_file", "output_dir"}
    # ... or, under `papermill -f FILE`, from the injected keys, which open_study picks up by name
    data = yaml.safe_load(path.read_text())
    assert set(data) <= set(PARAMS_KEYS) == set(StudyParams.model_fields)


def test_outputs_and_generated_data_are_ignored():
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "outputs/*" in ignore and "data/*" in ignore and ".venv" in ignore  # a folder, or a worktree's symlink
