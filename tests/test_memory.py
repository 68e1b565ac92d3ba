"""The memory guard: the budget, the estimate of a table in pandas, and a run that stops in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from churnlab import memory
from churnlab.artifacts import ArtifactStore, RunFolder
from churnlab.errors import ChurnlabError, MemoryBudgetError
from churnlab.study.cli import main

from .conftest import RETAIL, ROOT, scenario_params, write_params

HUGE = memory.Budget(2**50, "test")
TINY = memory.Budget(2**20, "scale.memory_gb")  # 1 MB: below any Python process


def test_the_budget_is_memory_gb_or_80_percent_of_what_is_available():
    assert memory.budget_bytes(2.5).limit == int(2.5 * 2**30)
    assert memory.budget_bytes(2.5).origin == "scale.memory_gb"
    auto = memory.budget_bytes(None)
    expected = 0.8 * memory.available_bytes() + memory.process_bytes()
    assert auto.limit == pytest.approx(expected, rel=0.05)  # the machine moves a little between calls
    assert 0 < memory.process_bytes() < auto.limit


def test_the_error_is_one_line_naming_the_table_its_size_and_the_settings():
    with pytest.raises(MemoryBudgetError) as exc:
        memory.check("transactions", 50_000_000, 12 * 2**30, memory.Budget(8 * 2**30, "scale.memory_gb"))
    msg = str(exc.value)
    assert isinstance(exc.value, ChurnlabError) and "\n" not in msg
    assert msg.startswith("transactions (50,000,000 rows, ~12.0 GB) would exceed the memory budget of 8.0 GB")
    assert "scale.sample_size" in msg and "engine: spark" in msg and "scale.memory_gb" in msg
    memory.check("transactions", 10, 1000, HUGE)  # fits: no error


def test_the_frame_estimate_follows_the_columns(tmp_path):
    """Numbers 8 bytes, booleans 1, a unique text column its pointer + one str per row, a
    repeated one (few distinct values, shared strings) about its pointer."""
    n = 200_000
    df = pd.DataFrame({"x": np.arange(n, dtype="float64"), "flag": np.arange(n) % 2 == 0,
                       "id": [f"C{i:08d}" for i in range(n)], "plan": np.array(["basic", "plus"])[np.arange(n) % 2]})
    df.to_parquet(tmp_path / "t.parquet", index=False)
    rows, est = memory.frame_bytes(tmp_path / "t.parquet")
    frame = (est - memory.LOAD_OVERHEAD) / memory.LOAD_FACTOR
    ids = {id(v) for v in df["id"]}  # what the frame really holds: pointers + distinct strings
    real = 8 * n + 1 * n + 8 * n + sum(sys.getsizeof(v) for v in df["id"]) + 8 * n + 2 * sys.getsizeof("basic")
    assert rows == n and len(ids) == n
    assert frame == pytest.approx(real, rel=0.1)
    _, only_x = memory.frame_bytes(tmp_path / "t.parquet", columns=["x"])
    assert (only_x - memory.LOAD_OVERHEAD) / memory.LOAD_FACTOR == pytest.approx(8 * n)


# the peak is VmHWM (this process's high-water mark), not ru_maxrss: that one keeps the RSS of
# the forked parent (pytest) across exec
MEASURE = """
import json, sys
import pandas as pd, pyarrow.parquet  # imported before the baseline
from churnlab import memory
def hwm():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024
base = memory.process_bytes()
assert hwm() - base < 8 * 2**20
df = pd.read_parquet(sys.argv[1])
print(json.dumps({"estimate": memory.frame_bytes(sys.argv[1])[1], "measured": hwm() - base}))
"""


@pytest.mark.skipif(not RETAIL.exists(), reason="UCI Online Retail not found (../shared/datasets)")
@pytest.mark.parametrize("typed", [True, False])
def test_the_estimate_is_within_a_factor_of_2_of_the_measured_peak_on_a_real_table(tmp_path, typed):
    """UCI Online Retail (541,909 lines) as Parquet, with its columns typed or all text: the peak
    resident growth of ``pd.read_parquet`` in a fresh process against the estimate from the footer."""
    import duckdb

    path = tmp_path / "retail.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{RETAIL}', all_varchar={str(not typed).lower()})) "
        f"TO '{path}' (FORMAT parquet)")
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    got = json.loads(out.stdout)
    assert got["measured"] > 50 * 2**20  # a real read was measured
    assert 0.5 <= got["estimate"] / got["measured"] <= 2.0, got


def test_an_artifact_too_big_for_the_budget_is_refused_before_it_is_read(tmp_path):
    folder = RunFolder(tmp_path)
    ArtifactStore(folder, "h").write_frame("warning_list", pd.DataFrame({"a": range(1000)}))
    assert ArtifactStore(folder, "h", budget=HUGE).read_frame("warning_list") is not None
    with pytest.raises(MemoryBudgetError, match=r"^artifact warning_list \(1,000 rows, ~0\.0 GB\) would exceed"):
        ArtifactStore(folder, "h", budget=TINY).read_frame("warning_list")


def test_a_run_over_its_memory_budget_stops_in_one_line_and_publishes_nothing(capsys, tmp_path):
    """Through the CLI: ``scale.memory_gb`` far below what the kernel holds; the collection is
    refused before it starts, the run ends in one line, and no study folder is published."""
    params = write_params(tmp_path / "big.yaml", scenario_params(
        "telecom", source={"n_customers": 400}, scale={"memory_gb": 0.01}))
    out = tmp_path / "out"
    code = main(["run", "--params", str(params), "--out", str(out)])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code != 0
    assert len(err) == 1, err
    assert err[0].startswith("churnlab: error: big: 01_data_collection.ipynb failed in cell ")
    assert ("MemoryBudgetError: the analysis table and snapshots (400 rows, ~0.0 GB) would exceed "
            "the memory budget of 0.0 GB (scale.memory_gb)") in err[0]
    assert not (out / "big").exists()
    assert not out.exists() or not any(p.name.startswith("big") for p in out.iterdir())


def test_the_study_checks_each_table_before_reading_it(tmp_path):
    """The study spine: a canonical table, the collection read back, an artifact -- each refused
    in one line when the budget is too small, read when it fits."""
    from churnlab.params import validate_params
    from churnlab.study.study import Study, open_study

    params = validate_params(scenario_params("telecom", source={"n_customers": 400}))
    study = open_study(params=params, output_dir=tmp_path / "run")
    assert study.budget.origin.startswith("80%")
    assert len(study.table("customers")) == 400  # fits: read
    again = Study(params, name="telecom", params_file=None, folder=study.folder)
    object.__setattr__(again, "budget", TINY)
    with pytest.raises(MemoryBudgetError, match=r"^the analysis table \(400 rows, ~0\.0 GB\) would exceed"):
        again.collection()  # read back from the run folder
    again._cache["collection"] = study.collection()
    with pytest.raises(MemoryBudgetError, match=r"^usage \([\d,]+ rows"):
        again.table("usage")


def test_duckdb_gets_half_of_what_the_budget_leaves():
    room = 4 * 2**30
    budget = memory.Budget(memory.process_bytes() + room, "test")
    assert int(memory.duckdb_memory_limit(budget)[:-2]) == pytest.approx(room / 2 / 2**20, rel=0.02)
    assert memory.duckdb_memory_limit(TINY) == "256MB"
