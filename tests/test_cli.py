"""Bad input through the real CLI: one line, non-zero exit, nothing written, old output intact."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml

from churnlab.study.cli import main

from .test_sources import TX_CSV, flag_params, sub_params, tx_params


def _run(capsys, *argv) -> tuple[int, list[str]]:
    code = main(["run", *argv])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("churnlab:")]
    return code, err


@pytest.fixture
def out(tmp_path):
    """An output root that already holds a good earlier run of 'study'."""
    root = tmp_path / "outputs"
    (root / "study").mkdir(parents=True)
    (root / "study" / "metrics.json").write_text('{"earlier": true}\n')
    return root


def _assert_untouched(out):
    assert (out / "study" / "metrics.json").read_text() == '{"earlier": true}\n'
    assert sorted(p.name for p in out.iterdir()) == ["study"]  # no temp folders left


def test_unknown_scenario(capsys, out):
    code, err = _run(capsys, "airline", "--out", str(out))
    assert code != 0
    assert err == ["churnlab: error: unknown scenario 'airline': expected one of telecom, retail, "
                   "software (or give your own file with --params FILE)"]
    _assert_untouched(out)


@pytest.mark.parametrize("text, expected", [
    (None, "params file not found"),
    ("scenario: telecom\nseed: [1,\n", "YAML syntax error at line"),
    ("scenario: telecom\nseed: 1\nas_of: '2025-01-01'\nchurn: {definition: contractual}\n"
     "source: {kind: simulate}\nwhatever: 3\n", "whatever: unknown key"),
    ("scenario: telecom\nseed: one\nas_of: '2025-01-01'\nchurn: {definition: contractual}\n"
     "source: {kind: simulate}\n", "seed: expected an integer, got 'one'"),
])
def test_bad_params_file(capsys, out, text, expected):
    path = out.parent / "study.yaml"
    if text is not None:
        path.write_text(text)
    code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code != 0 and len(err) == 1
    assert str(path) in err[0] and expected in err[0]
    _assert_untouched(out)


def _csv_case(tmp_path, kind: str):
    if kind in ("as_of", "column", "amount", "date", "empty"):
        text = {"as_of": TX_CSV, "column": TX_CSV.replace("Qty", "Count"),
                "amount": TX_CSV.replace("2,5.0,toys\n1", "2,5.O,toys\n1", 1),
                "date": TX_CSV.replace("2024-02-10 12:00:00", "2024-02-30"), "empty": ""}[kind]
        (tmp_path / "data.csv").write_text(text)
        data = tx_params(tmp_path / "data.csv")
        if kind == "as_of":
            data["as_of"] = "2020-06-30"
        return data
    if kind == "end_before_start":
        (tmp_path / "data.csv").write_text("id,start_date,end_date\na,2024-03-01,2024-01-01\n")
        return sub_params(tmp_path / "data.csv")
    text = {"duplicate": "id,tenure,Churn\na,1,Yes\na,2,No\n",
            "flag": "id,tenure,Churn\na,1,Yes\nb,2,Unknown\n"}[kind]
    (tmp_path / "data.csv").write_text(text)
    return flag_params(tmp_path / "data.csv")


@pytest.mark.parametrize("kind, expected", [
    ("as_of", "as_of 2020-06-30 is before all data"),
    ("column", "column 'Qty' (mapped to transactions.quantity) is not in the file"),
    ("amount", "column 'Price' (transactions.unit_price) has 1 row(s) with values that are not numbers"),
    ("date", "column 'When' (transactions.date) has 1 row(s) with dates that cannot be parsed"),
    ("empty", "the file is empty"),
    ("end_before_start", "1 row(s) have end date before start date"),
    ("duplicate", "column 'id' (customers.customer_id) has 2 row(s) with duplicate keys"),
    ("flag", "column 'Churn' (customers.churned) has 1 row(s) with values not in the mapping"),
])
def test_bad_data_through_the_cli(capsys, tmp_path, out, kind, expected):
    path = out.parent / "study.yaml"
    path.write_text(yaml.safe_dump(_csv_case(tmp_path, kind)))
    code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code != 0
    assert len(err) == 1, err
    assert err[0].startswith("churnlab: error: study: 01_data_collection.ipynb failed in cell ")
    assert "DataError: " in err[0] and "data.csv" in err[0] and expected in err[0]
    _assert_untouched(out)


def test_one_bad_study_does_not_stop_the_others(capsys, tmp_path, out):
    good = tmp_path / "good.yaml"
    rows = "".join(f"c{i},{1 + i % 24},{'Yes' if i % 3 == 0 else 'No'}\n" for i in range(60))
    (tmp_path / "data.csv").write_text("id,tenure,Churn\n" + rows)  # collection's minimum: 50, 10, 10
    good.write_text(yaml.safe_dump(flag_params(tmp_path / "data.csv")))
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: telecom\n")
    code, err = _run(capsys, "--params", str(bad), "--params", str(good), "--out", str(out))
    assert code != 0 and len(err) == 1 and "bad.yaml" in err[0]
    assert (out / "good" / "metrics.json").exists()
    assert (out / "good" / "01_data_collection.html").exists()
    # no value/costs/campaign sections: the cost-of-churn notebook is skipped, and said so
    man = json.loads((out / "good" / "manifest.json").read_text())
    assert man["notebooks"][3] == {"notebook": "04_cost_of_churn.ipynb", "status": "skipped",
                                   "reason": "the params have no value, costs, campaign section"}
    assert man["notebooks"][4]["status"] == "ok"  # the KPIs still run (data without dates)
    assert (out / "good" / "report.html").exists() and (out.parent / out.name / "index.html").exists()
    assert not (out / "good" / "04_cost_of_churn.html").exists()


def test_validate_command(capsys):
    from .conftest import ROOT

    assert main(["validate", str(ROOT / "params" / "telecom.yaml")]) == 0
    assert "ok" in capsys.readouterr().out


# ---------------------------------------------------------------------------- names, --out, lock, signals
# (issue 12) these run the real CLI with the kernels replaced by conftest's FakeRunner


def _tree(root):
    """Every path under ``root`` with its bytes: to show a failed run changed nothing."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _good_params(folder, name="study"):
    from .conftest import scenario_params, write_params

    return write_params(folder / f"{name}.yaml", scenario_params("telecom"))


@pytest.mark.parametrize("file", ["..yaml", "...yaml", "index.html.yaml", "lab.yaml", ".study.yaml"])
def test_a_study_name_that_is_not_a_plain_name_is_refused_before_anything_is_touched(
        capsys, out, fake_runner, file):
    (out / "index.html").write_text("<html>index</html>")
    path = _good_params(out, "x").rename(out / file)  # the params file sits in the output root itself
    before = _tree(out.parent) | {str(path.relative_to(out.parent)): path.read_bytes()}
    code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code != 0 and len(err) == 1 and fake_runner.calls == []
    assert f"/{file}: study name (from the file name) " in err[0] and len(err[0]) < 300
    assert "rename the file or give --name NAME" in err[0]
    assert _tree(out.parent) == before


def test_name_option_names_the_study(capsys, tmp_path, out, fake_runner):
    path = _good_params(tmp_path, "x").rename(tmp_path / "..yaml")
    code, err = _run(capsys, "--params", str(path), "--name", "shop", "--out", str(out))
    assert code == 0 and not err
    assert (out / "shop" / "manifest.json").exists() and (out / "index.html").exists()
    assert json.loads((out / "shop" / "manifest.json").read_text())["study"] == "shop"
    code, err = _run(capsys, "telecom", "--params", str(path), "--name", "shop", "--out", str(out))
    assert code != 0 and err == ["churnlab: error: --name 'shop': expected exactly one --params FILE and "
                                 "no scenario, got 1 params file(s) and 1 scenario(s)"]


def test_a_successful_fake_run_publishes_a_complete_study_and_leaves_nothing_else(capsys, out, fake_runner):
    code, err = _run(capsys, "--params", str(_good_params(out.parent)), "--out", str(out))
    assert code == 0 and not err and len(fake_runner.calls) == 5
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "study"]
    assert sorted(p.name for p in (out / "study").iterdir()) == sorted(
        ["manifest.json", "metrics.json", "report.html"] + [f"0{i}_{n}.{x}" for i, n in enumerate(
            ["data_collection", "cause_analysis", "survival_modelling", "cost_of_churn", "kpi_evaluation"],
            start=1) for x in ("ipynb", "html")])


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("where", ["file", "under_a_file"])
def test_out_that_is_a_file_or_under_a_file_is_one_line(capsys, tmp_path, fake_runner, jobs, where):
    f = tmp_path / "taken"
    f.write_text("keep me")
    target = f if where == "file" else f / "sub"
    params = [_good_params(tmp_path, n) for n in ("s1", "s2")]
    before = _tree(tmp_path)
    code, err = _run(capsys, "--params", str(params[0]), "--params", str(params[1]), "--out", str(target),
                     "--jobs", jobs)
    assert code == 1 and len(err) == 1 and err[0].startswith(f"churnlab: error: --out {target}: ")
    assert ("is a file; expected a folder" if where == "file" else "cannot create the folder") in err[0]
    assert _tree(tmp_path) == before and fake_runner.calls == []


def test_out_not_writable_is_one_line_and_leaves_no_folder(capsys, tmp_path, monkeypatch, fake_runner):
    """A read-only --out (simulated: the write probe fails, as it does for a read-only mount or
    without permission; as root chmod would not stop the write)."""
    import churnlab.study.publish as pub

    monkeypatch.setattr(pub.tempfile, "mkstemp", lambda **kw: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied")))
    target = tmp_path / "new" / "root"
    code, err = _run(capsys, "--params", str(_good_params(tmp_path)), "--out", str(target))
    assert code == 1 and err == [f"churnlab: error: --out {target}: cannot write there (Permission "
                                 "denied); expected a writable folder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.yaml"]


def test_a_failed_run_leaves_no_empty_folders_behind(capsys, tmp_path, fake_runner):
    def fail(nb, run_dir, log):
        raise RuntimeError("boom")

    fake_runner.hook = fail
    target = tmp_path / "a" / "b"
    code, err = _run(capsys, "--params", str(_good_params(tmp_path)), "--out", str(target))
    assert code == 1 and len(err) == 1 and "01_data_collection.ipynb failed: RuntimeError: boom" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.yaml"]


def test_a_second_run_of_the_same_study_refuses_while_the_first_holds_it(capsys, out):
    from churnlab.study.publish import StudyLock

    path = _good_params(out.parent)
    with StudyLock(out, "study"):
        code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code == 1 and err == [f"churnlab: error: {out / 'study'}: another churnlab run (pid {os.getpid()}) "
                                 "is writing this study; wait for it to finish or give another --out"]
    _assert_untouched(out)


def test_two_runs_of_one_study_into_one_root_one_refuses_and_the_result_is_complete(capsys, out, fake_runner):
    """Run A is inside its notebooks (holding the lock) when run B starts: B refuses in one line;
    A then publishes a complete output."""
    inside, go_on = threading.Event(), threading.Event()

    def block_first(nb, run_dir, log):
        if nb.startswith("01") and not inside.is_set():
            inside.set()
            assert go_on.wait(60)

    fake_runner.hook = block_first
    path = _good_params(out.parent)
    codes = {}
    a = threading.Thread(target=lambda: codes.setdefault("a", main(["run", "--params", str(path),
                                                                   "--out", str(out)])))
    a.start()
    try:
        assert inside.wait(60)
        code, err = _run(capsys, "--params", str(path), "--out", str(out))
        assert code == 1 and len(err) == 1 and "another churnlab run" in err[0]
    finally:
        go_on.set()
        a.join(60)
    assert codes["a"] == 0
    assert (out / "study" / "manifest.json").exists() and len(fake_runner.calls) == 5
    assert json.loads((out / "study" / "metrics.json").read_text()) == {"fake": True}
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "study"]


@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C")])
def test_sigterm_and_ctrl_c_stop_with_one_line_and_clean_up(capsys, out, fake_runner, sig, code, word):
    def stop(nb, run_dir, log):
        if nb.startswith("03"):
            assert run_dir.is_dir() and run_dir.name.startswith(".study.tmp-")
            os.kill(os.getpid(), sig)
            time.sleep(5)  # interrupted by the handler

    fake_runner.hook = stop
    got, err = _run(capsys, "--params", str(_good_params(out.parent)), "--out", str(out))
    assert got == code and err == [f"churnlab: error: stopped by {word}: nothing was published by the "
                                   "unfinished studies; their temporary folders were removed and earlier "
                                   "output is unchanged"]
    _assert_untouched(out)  # no .study.tmp-*, no lock file
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_the_next_start_recovers_a_killed_swap_and_sweeps_left_overs(capsys, out, fake_runner):
    # a run killed between the swap's renames: the earlier output is aside, nothing published
    os.replace(out / "study", out / ".study.old-0a1b2c")
    (out / ".study.tmp-3d4e5f").mkdir()  # its temporary folder
    (out / ".other.tmp-6a7b8c").mkdir()  # another study's run killed earlier
    (out / ".other.trash-6a7b8d").mkdir()

    def check(nb, run_dir, log):  # by the first notebook, the earlier output is back
        if nb.startswith("01"):
            assert (out / "study" / "metrics.json").read_text() == '{"earlier": true}\n'
            assert sorted(p.name for p in out.iterdir()) == [".study.lock", run_dir.name, "study"]

    fake_runner.hook = check
    code, err = _run(capsys, "--params", str(_good_params(out.parent)), "--out", str(out))
    assert code == 0 and not err
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "study"]


def test_a_dead_kernel_keeps_its_log_where_the_line_says(capsys, tmp_path, out, fake_runner, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "churnlab-old-1.log"
    stale.write_text("a week old")
    os.utime(stale, (time.time() - 8 * 86400,) * 2)

    def die(nb, run_dir, log):
        assert log.parent == run_dir  # the kernel log lives in the run folder
        log.write_text("Segmentation fault\n")
        raise RuntimeError("Kernel died before replying to kernel_info")

    fake_runner.hook = die
    code, err = _run(capsys, "--params", str(_good_params(out.parent)), "--out", str(out))
    assert code == 1 and len(err) == 1
    kept = Path(err[0].rsplit("(kernel log: ", 1)[1].rstrip(")"))
    assert kept.parent == tmp_path and kept.read_text() == "Segmentation fault\n"
    assert not stale.exists()  # logs older than a week are swept at start
    _assert_untouched(out)


# ---------------------------------------------------------------------------- real kernels (notebook tier)
def _kernel_logs_in(out):
    return sorted(out.glob(".*.tmp-*/.kernel.log"))


@pytest.mark.notebooks
@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_during_real_notebooks_exits_143_in_one_line_and_leaves_nothing(tmp_path, jobs):
    """`churnlab run` is sent SIGTERM while kernels execute notebooks: exit 143, one line and no
    traceback, no temporary folder, no lock, no kernel log, no output root it created, no kernel left."""
    import subprocess
    import sys
    import tempfile

    import psutil

    from .conftest import ROOT, scenario_params, write_params

    names = ["s1", "s2"][:jobs]
    files = [write_params(tmp_path / f"{n}.yaml", scenario_params("telecom", source={"n_customers": 400}))
             for n in names]
    out = tmp_path / "out"
    short_tmp = Path(tempfile.mkdtemp(prefix="clt", dir="/tmp"))  # kernels' sockets need short paths
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(short_tmp)}
    argv = [sys.executable, "-m", "churnlab.study.cli", "run", "--out", str(out), "--jobs", str(jobs)]
    for f in files:
        argv += ["--params", str(f)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 180
        while len(_kernel_logs_in(out)) < jobs and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        time.sleep(2)  # the kernels are running cells
        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= jobs
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.strip()] == [
        "churnlab: error: stopped by SIGTERM: nothing was published by the unfinished studies; their "
        "temporary folders were removed and earlier output is unchanged"], stderr
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    _gone, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, [p.cmdline() for p in alive]
    assert not list(short_tmp.glob("churnlab-*.log"))
    shutil.rmtree(short_tmp, ignore_errors=True)
