"""Publishing (churnlab.study.publish): study names, the lock, the swap under injected faults,
crash recovery, the output root, kernel-log sweeping and the SIGTERM handler."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import churnlab.study.publish as pub
from churnlab.errors import OutputError, ParamsError
from churnlab.params.load import study_name
from churnlab.study.publish import (StudyLock, leftovers, prepare_root, publish, recover, recover_root,
                                    remove_empty, sweep_kernel_logs, write_text_atomic)
from churnlab.study.signals import Interrupted, exit_code, stop_on_signals

from .conftest import ROOT


# ---------------------------------------------------------------------------- names
@pytest.mark.parametrize("file", ["..yaml", "...yaml", ".hidden.yaml", "index.html.yaml", "lab.yaml",
                                  "LAB.yaml", "index.yaml", "a b.yaml", "x" * 101 + ".yaml",
                                  "café.yaml", "-dash.yaml", "_under.yaml", "a;rm.yaml"])
def test_a_study_name_must_be_a_plain_folder_name(file):
    with pytest.raises(ParamsError) as info:
        study_name(Path("some/where") / file)
    line = str(info.value)
    assert "\n" not in line and len("churnlab: error: " + line) < 300
    assert line.split(": ")[0].endswith(".yaml") and "rename the file or give --name" in line


@pytest.mark.parametrize("file, expected", [("telecom.yaml", "telecom"), ("my_shop-2.yml", "my_shop-2"),
                                            ("A1.yaml", "A1"), ("x" * 100 + ".yaml", "x" * 100)])
def test_plain_names_pass(file, expected):
    assert study_name(file) == expected


def test_name_given_explicitly_wins_and_is_checked_by_the_same_rule():
    assert study_name("..yaml", "shop") == "shop"
    with pytest.raises(ParamsError, match=r"--name '\.\./x' is not a plain name"):
        study_name("shop.yaml", "../x")
    with pytest.raises(ParamsError, match="--name 'index' is reserved"):
        study_name("shop.yaml", "index")


def test_a_notebook_run_outside_the_runner_also_refuses_a_name_that_is_not_plain(tmp_path):
    """``..yaml`` opened in JupyterLab must not make ``outputs/lab/.`` (the lab folder itself) its run folder."""
    from churnlab.study.study import open_study

    from .conftest import scenario_params, write_params

    path = write_params(tmp_path / "..yaml", scenario_params("telecom"))
    with pytest.raises(ParamsError, match="is not a plain name"):
        open_study(path)


# ---------------------------------------------------------------------------- the lock
def test_a_second_holder_is_refused_with_the_pid_and_the_file_is_gone_after_release(tmp_path):
    with StudyLock(tmp_path, "s") as lock:
        assert lock.path.read_text().strip() == str(os.getpid())
        with pytest.raises(OutputError) as info:
            StudyLock(tmp_path, "s").acquire()
        assert f"another churnlab run (pid {os.getpid()}) is writing this study" in str(info.value)
        assert str(tmp_path / "s") in str(info.value)
        with StudyLock(tmp_path, "other"):  # another study in the same root is independent
            pass
    assert list(tmp_path.iterdir()) == []
    with StudyLock(tmp_path, "s"):  # free again
        pass


def test_a_lock_held_by_another_process_is_refused_and_freed_when_it_dies(tmp_path):
    code = ("import sys, time; from churnlab.study.publish import StudyLock; "
            f"l = StudyLock({str(tmp_path)!r}, 's').acquire(); print('held', flush=True); time.sleep(60)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match=f"pid {proc.pid}"):
            StudyLock(tmp_path, "s").acquire()
    finally:
        proc.kill()  # like kill -9: no clean-up runs, the OS frees the lock
        proc.wait()
    with StudyLock(tmp_path, "s"):
        pass


# ---------------------------------------------------------------------------- the swap
OLD, NEW = "old", "new"


def _make(root: Path, *, old: bool = True) -> Path:
    if old:
        (root / "study").mkdir()
        (root / "study" / "out.txt").write_text(OLD)
        (root / "study" / "more.txt").write_text(OLD)
    tmp = root / ".study.tmp-0123abcd"
    tmp.mkdir()
    (tmp / "out.txt").write_text(NEW)
    (tmp / "more.txt").write_text(NEW)
    return tmp


def _complete(folder: Path) -> str | None:
    """OLD or NEW when ``folder`` holds that whole output, else None."""
    try:
        texts = {(folder / f).read_text() for f in ("out.txt", "more.txt")}
    except OSError:
        return None
    return texts.pop() if len(texts) == 1 and sorted(p.name for p in folder.iterdir()) == [
        "more.txt", "out.txt"] else None


def _outputs(root: Path) -> set[str]:
    """The complete outputs present: as the study folder or moved aside (``.study.old-*``)."""
    found = {_complete(root / "study")}
    found |= {_complete(p) for _n, kind, p in leftovers(root, "study") if kind == "old"}
    return found - {None}


class Crash(BaseException):
    """A process killed at this point: no except/finally of publish's own handles it."""


STEPS = ["replace", "replace", "replace", "rmtree"]  # steps 1-3 rename, step 4 deletes


def _inject(monkeypatch, step: int, fault: type[BaseException], when: str) -> None:
    """Make the ``step``-th file operation (1-based) of the swap fail, before or after it acts."""
    real = {"replace": os.replace, "rmtree": shutil.rmtree}
    count = {"n": 0}

    def wrap(kind):
        def op(*a, **kw):
            count["n"] += 1
            if count["n"] == step and STEPS[step - 1] == kind:
                if when == "after":
                    real[kind](*a, **kw)
                raise fault("injected")
            return real[kind](*a, **kw)
        return op

    monkeypatch.setattr(pub.os, "replace", wrap("replace"))
    monkeypatch.setattr(pub.shutil, "rmtree", wrap("rmtree"))


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_a_crash_at_any_step_keeps_a_complete_output_and_recovery_makes_it_consistent(
        tmp_path, monkeypatch, step, when):
    tmp = _make(tmp_path)
    _inject(monkeypatch, step, Crash, when)
    with pytest.raises(Crash):
        publish(tmp, tmp_path / "study")
    assert _outputs(tmp_path), "neither the old nor the new output exists"
    monkeypatch.undo()
    # the next start, holding the lock: an existing output wins, else the previous one comes back
    expected = NEW if (step, when) in ((2, "after"), (3, "before"), (3, "after"), (4, "before"),
                                       (4, "after")) else OLD
    with StudyLock(tmp_path, "study"):
        rec = recover(tmp_path, "study")
    assert _complete(tmp_path / "study") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    assert (rec.restored is not None) == (step == 2 and when == "before" or step == 1 and when == "after")


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_a_failing_step_leaves_old_or_new_and_says_which(tmp_path, monkeypatch, step):
    tmp = _make(tmp_path)
    _inject(monkeypatch, step, lambda msg: OSError(28, "No space left on device"), "before")
    if step <= 2:  # not published: the old output is back in place, in one line
        with pytest.raises(OutputError, match="the earlier output is unchanged|it is unchanged"):
            publish(tmp, tmp_path / "study")
        assert _complete(tmp_path / "study") == OLD
    else:  # published; the old output is left over until the next start sweeps it
        publish(tmp, tmp_path / "study")
        assert _complete(tmp_path / "study") == NEW
    monkeypatch.undo()
    with StudyLock(tmp_path, "study"):
        recover(tmp_path, "study")
    assert _complete(tmp_path / "study") == (OLD if step <= 2 else NEW)
    assert {p.name for p in tmp_path.iterdir()} <= {"study", tmp.name}  # a failed run removes its tmp itself


@pytest.mark.parametrize("step", [1, 2])
def test_the_first_publish_crashing_leaves_nothing_half_made(tmp_path, monkeypatch, step):
    tmp = _make(tmp_path, old=False)
    _inject(monkeypatch, step, Crash, "after" if step == 1 else "before")
    if step == 1:  # with no old output, the first rename is tmp -> final
        with pytest.raises(Crash):
            publish(tmp, tmp_path / "study")
        assert _complete(tmp_path / "study") == NEW
    else:
        publish(tmp, tmp_path / "study")
        assert _complete(tmp_path / "study") == NEW
    monkeypatch.undo()
    with StudyLock(tmp_path, "study"):
        recover(tmp_path, "study")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_publish_replaces_the_old_output_whole_and_leaves_nothing_else(tmp_path):
    tmp = _make(tmp_path)
    publish(tmp, tmp_path / "study")
    assert _complete(tmp_path / "study") == NEW
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


# ---------------------------------------------------------------------------- recovery rules
def test_recovery_never_publishes_an_unfinished_run_and_restores_the_newest_old(tmp_path):
    (tmp_path / ".study.tmp-aa").mkdir()  # a killed run's folder: not published, deleted
    (tmp_path / ".study.trash-bb").mkdir()  # a deletion that had started: never restored
    (tmp_path / ".study.trash-bb" / "out.txt").write_text("half")
    for i, token in enumerate(["cc", "dd"]):
        (tmp_path / f".study.old-{token}").mkdir()
        (tmp_path / f".study.old-{token}" / "out.txt").write_text(token)
        os.utime(tmp_path / f".study.old-{token}")
        time.sleep(0.02)
    (tmp_path / ".other.tmp-ee").mkdir()  # another study's left-overs are not this study's
    rec = recover(tmp_path, "study")
    assert (tmp_path / "study" / "out.txt").read_text() == "dd" and rec.restored == tmp_path / "study"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-ee", "study"]


def test_recovery_without_any_earlier_output_just_sweeps(tmp_path):
    (tmp_path / ".study.tmp-aa").mkdir()
    (tmp_path / ".index.tmp-ab").write_text("half an index")
    rec = recover(tmp_path, "study")
    assert rec.restored is None and len(rec.removed) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".index.tmp-ab"]


def test_recover_root_skips_a_study_another_run_holds(tmp_path):
    for name in ("busy", "dead"):
        (tmp_path / f".{name}.tmp-aa").mkdir()
    (tmp_path / ".index.tmp-ab").write_text("half an index")
    (tmp_path / "study.tmp-aa").mkdir()  # not hidden: not a left-over, never touched
    with StudyLock(tmp_path, "busy"):
        done = recover_root(tmp_path)
    assert [r.name for r in done] == ["dead", "index"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".busy.tmp-aa", "study.tmp-aa"]


# ---------------------------------------------------------------------------- the output root
def test_prepare_root_creates_and_reports_what_it_created(tmp_path):
    root = tmp_path / "a" / "b"
    created = prepare_root(root)
    assert created == [tmp_path / "a", root] and root.is_dir() and list(root.iterdir()) == []
    remove_empty(created)
    assert list(tmp_path.iterdir()) == []
    assert prepare_root(tmp_path) == []


def test_prepare_root_refuses_a_file_and_a_folder_under_a_file(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("keep")
    with pytest.raises(OutputError, match=r"is a file; expected a folder"):
        prepare_root(f)
    with pytest.raises(OutputError, match=r"cannot create the folder \(Not a directory\)"):
        prepare_root(f / "sub")
    assert f.read_text() == "keep" and sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_prepare_root_refuses_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write to read-only folders (root)")
        with pytest.raises(OutputError, match=r"cannot (write there|create the folder)"):
            prepare_root(ro / "new")
        with pytest.raises(OutputError, match=r"cannot write there"):
            prepare_root(ro)
    finally:
        ro.chmod(0o700)
    assert list(ro.iterdir()) == []


def test_prepare_root_probe_failure_is_one_line_and_removes_what_it_made(tmp_path, monkeypatch):
    """The write probe (not the permission bits) decides, so root users and read-only mounts are caught."""
    def refuse(*a, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pub.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"cannot write there \(Permission denied\)"):
        prepare_root(tmp_path / "new" / "root")
    assert list(tmp_path.iterdir()) == []


def test_write_text_atomic_never_leaves_half_a_file(tmp_path, monkeypatch):
    path = tmp_path / "index.html"
    write_text_atomic(path, "one")
    assert path.read_text() == "one" and [p.name for p in tmp_path.iterdir()] == ["index.html"]

    def fail(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pub.os, "replace", fail)
    with pytest.raises(OSError):
        write_text_atomic(path, "two")
    assert path.read_text() == "one" and [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_kernel_logs_older_than_a_week_are_swept(tmp_path):
    old, new, other = tmp_path / "churnlab-a-1.log", tmp_path / "churnlab-b-2.log", tmp_path / "x.log"
    for p in (old, new, other):
        p.write_text("log")
    eight_days = time.time() - 8 * 86400
    os.utime(old, (eight_days, eight_days))
    os.utime(other, (eight_days, eight_days))
    assert sweep_kernel_logs(tmp_path) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["churnlab-b-2.log", "x.log"]


# ---------------------------------------------------------------------------- signals
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_raise_interrupted_and_the_handlers_come_back(sig, code):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(KeyboardInterrupt) as info:
        with stop_on_signals():
            os.kill(os.getpid(), sig)
            time.sleep(5)  # the handler interrupts this
    assert isinstance(info.value, Interrupted) and exit_code(info.value) == code
    assert {s: signal.getsignal(s) for s in before} == before
    assert exit_code(KeyboardInterrupt()) == 130


def test_signals_arriving_during_the_renames_wait_until_they_are_done(tmp_path):
    tmp = _make(tmp_path)
    real = os.replace
    seen = []

    def replace_and_signal(a, b):
        real(a, b)
        seen.append(Path(b).name)
        if len(seen) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # blocked until both renames are done

    pub.os.replace = replace_and_signal
    try:
        with pytest.raises(Interrupted):
            with stop_on_signals():
                publish(tmp, tmp_path / "study")
    finally:
        pub.os.replace = real
    assert seen[1] == "study" and _complete(tmp_path / "study") == NEW
