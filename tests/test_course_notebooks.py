"""Notebook tier: the stored notebooks (the instructor edition) run their solutions through
``churnlab run`` in every scenario, and the checker accepts each one; ``churnlab check`` agrees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from churnlab.config import SCENARIOS

from .conftest import scenario_params, write_params

pytestmark = pytest.mark.notebooks
CLI = str(Path(sys.executable).with_name("churnlab"))
#: Exercises every simulated scenario can check (the others depend on the kind of business).
ALWAYS = {"01.1", "01.2", "01.3", "02.1", "02.2", "03.3", "04.1", "04.2", "05.1", "05.2", "05.3"}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    files = [write_params(base / f"{s}.yaml", scenario_params(s, source={"n_customers": 400})) for s in SCENARIOS]
    args = [a for f in files for a in ("--params", str(f))]
    res = subprocess.run([CLI, "run", *args, "--out", str(base / "out"), "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    return base / "out"


def check_outputs(nb_path: Path) -> dict[str, str]:
    """Exercise id -> the text the check cell showed."""
    nb = nbformat.read(nb_path, as_version=4)
    found = {}
    for cell in nb.cells:
        if "check" in cell.metadata.get("tags", []):
            text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            found[cell.source.split('"')[1]] = text
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_instructor_solutions_are_accepted(out, scenario):
    seen = {}
    for nb in sorted((out / scenario).glob("0[1-5]_*.ipynb")):
        seen |= check_outputs(nb)
    assert len(seen) == 15
    for ex, shown in seen.items():
        assert "correct" in shown or "cannot be checked" in shown, (ex, shown)
        assert "not yet" not in shown and "close" not in shown, (ex, shown)
    assert {ex for ex, shown in seen.items() if "correct" in shown} >= ALWAYS, seen


def test_cli_check_on_a_published_run(out):
    res = subprocess.run([CLI, "check", str(out / "telecom"), "05.3", "0.9"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "05.3: correct"
    res = subprocess.run([CLI, "check", str(out / "telecom"), "05.3", "1.1"], capture_output=True, text=True)
    assert res.returncode == 1 and "new MRR" in res.stdout
