"""Publishing a study's output: the output root, a lock per study, the swap and crash recovery.

A study ``NAME`` run into the output root ``ROOT`` uses these entries of ROOT:

``NAME/``              the published output (what users open)
``.NAME.lock``         held (``fcntl.flock``) by the one run writing NAME; holds its pid
``.NAME.tmp-ID/``      the run being built; never published by recovery
``.NAME.old-ID/``      the previous output, moved aside during the swap
``.NAME.trash-ID/``    the previous output being deleted after the swap

The swap (:func:`publish`) is three renames in one folder (each atomic) and a delete:

1. ``NAME`` -> ``.NAME.old-ID`` (when there is a previous output)
2. ``.NAME.tmp-ID`` -> ``NAME``; the new output is published
3. ``.NAME.old-ID`` -> ``.NAME.trash-ID``
4. delete ``.NAME.trash-ID``

Between any two steps either the old or the new complete output exists (as ``NAME``
or as ``.NAME.old-ID``). A failure of step 2 renames the old output back at once.
A run killed in between leaves the state on disk, and the next run of NAME (or any
run into ROOT, see :func:`recover_root`) recovers it before it starts, holding the lock,
so never under another live run:

* ``NAME`` exists: it is the output (the swap got past step 2, or never started);
  every ``.NAME.tmp-*``, ``.old-*`` and ``.trash-*`` left over is deleted;
* ``NAME`` is missing and a ``.NAME.old-*`` exists: the killed run had moved the previous
  output aside (step 1) but not published its own; the previous output is renamed back
  (a run that never reported success does not change the output). Several ``.old-*``
  (only possible from runs without the lock) restore the newest by change time, then name;
* otherwise there was no output before; left-over folders are deleted.

A trash folder is never restored: its deletion may have started.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OutputError
from .signals import signals_deferred

#: Left-over entries of a study in the output root: ``.NAME.tmp-ID``, ``.NAME.old-ID``, ``.NAME.trash-ID``.
LEFTOVER = re.compile(r"\.([A-Za-z0-9][A-Za-z0-9_-]{0,99})\.(tmp|old|trash)-([0-9a-f]+)")
#: Kernel logs kept in the system temp folder (the log of a kernel that died) are deleted after this.
KERNEL_LOG_DAYS = 7
KERNEL_LOG_GLOB = "churnlab-*.log"


def _token() -> str:
    return uuid.uuid4().hex[:12]


def _shown(path: Path) -> str:
    s = str(path)
    return s if len(s) <= 100 else "…" + s[-99:]


# ---------------------------------------------------------------------------- the output root
def prepare_root(root: Path) -> list[Path]:
    """Make sure ``root`` is a folder this process can write; return the folders it created.

    The folders created (outermost first) are for :func:`remove_empty` when the
    run publishes nothing. Raises one :class:`OutputError` line when ``root`` is a
    file, cannot be created, or is not writable (checked by writing a probe file,
    so it holds for root users and read-only mounts alike).
    """
    root = Path(root)
    missing = []
    p = root
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    if root.exists() and not root.is_dir():
        raise OutputError(f"--out {_shown(root)}: is a file; expected a folder for the study outputs")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {_shown(root)}: cannot create the folder ({exc.strerror or exc}); "
                          "expected a writable folder") from None
    created = list(reversed(missing))
    try:
        fd, probe = tempfile.mkstemp(dir=root, prefix=".churnlab-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        remove_empty(created)
        raise OutputError(f"--out {_shown(root)}: cannot write there ({exc.strerror or exc}); "
                          "expected a writable folder") from None
    return created


def remove_empty(created: list[Path]) -> None:
    """Remove the folders :func:`prepare_root` created, innermost first, if they are still empty."""
    for p in reversed(created):
        try:
            p.rmdir()
        except OSError:
            return


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``path`` whole or not at all: a hidden temporary file beside it, then one rename.

    The temporary name follows the left-over pattern (``.STEM.tmp-ID``), so a
    file left by a killed run is swept like any other left-over.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{_token()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------------------- the lock
class StudyLock:
    """The lock of one study in one output root: ``ROOT/.NAME.lock``, held with ``fcntl.flock``.

    Not blocking by default: a second run of the same study into the same root
    refuses with one :class:`OutputError` line naming the holder's pid, rather
    than waiting for an unknown time. ``blocking=True`` waits (used for short
    sections such as writing the index). The lock file holds the holder's pid and
    is deleted on release; a lock taken on a file that was deleted meanwhile is
    retaken on the new file, so two holders never coexist. The operating system
    releases the lock when the holder dies, even by ``kill -9``.
    """

    def __init__(self, root: Path, name: str, *, blocking: bool = False) -> None:
        self.root = Path(root)
        self.name = name
        self.path = self.root / f".{name}.lock"
        self.blocking = blocking
        self._fd: int | None = None

    def holder(self) -> str:
        """The pid written in the lock file, or ``''`` when unknown."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return ""
        return text if text.isdigit() else ""

    def acquire(self) -> "StudyLock":
        for _ in range(100):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                pid = self.holder()
                raise OutputError(
                    f"{_shown(self.root / self.name)}: another churnlab run"
                    f"{f' (pid {pid})' if pid else ''} is writing this study; wait for it to finish "
                    "or give another --out") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the holder before us deleted the file on release: lock the new one
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return self
        raise OutputError(f"{_shown(self.path)}: the lock file keeps changing; expected one churnlab "
                          "run at a time")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # still holding it: nobody can take the old file now
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "StudyLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# ---------------------------------------------------------------------------- the swap
def new_tmp(root: Path, name: str) -> Path:
    """Create the temporary folder a run of ``name`` builds in (``ROOT/.NAME.tmp-ID``)."""
    tmp = Path(root) / f".{name}.tmp-{_token()}"
    tmp.mkdir()
    return tmp


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the complete output in ``tmp`` (see the module docstring for the steps).

    Both live in the output root, so each rename is atomic. If step 1 or 2
    fails, the old output is back as ``final`` and one :class:`OutputError` line
    is raised; after step 2 the new output is published and a failure to delete
    the old one only leaves a left-over for the next start to sweep.
    """
    tmp, final = Path(tmp), Path(final)
    token = _token()
    old = final.with_name(f".{final.name}.old-{token}")
    trash = final.with_name(f".{final.name}.trash-{token}")
    with signals_deferred():
        had_old = final.exists()
        try:
            if had_old:
                os.replace(final, old)  # step 1
        except OSError as exc:
            raise OutputError(f"{_shown(final)}: could not move the earlier output aside "
                              f"({exc.strerror or exc}); it is unchanged") from None
        try:
            os.replace(tmp, final)  # step 2
        except OSError as exc:
            if had_old:
                try:
                    os.replace(old, final)
                except OSError:
                    pass  # the next start restores it (recover)
            raise OutputError(f"{_shown(final)}: could not publish the new output "
                              f"({exc.strerror or exc}); the earlier output is unchanged") from None
        _fsync_dir(final.parent)
    if had_old:
        try:
            os.replace(old, trash)  # step 3
            shutil.rmtree(trash)  # step 4
        except OSError:
            pass  # published; what is left is swept at the next start


# ---------------------------------------------------------------------------- recovery
@dataclass
class Recovery:
    """What :func:`recover` did for one study: the output it restored and what it deleted."""

    name: str
    restored: Path | None = None
    removed: list[Path] = field(default_factory=list)


def leftovers(root: Path, name: str | None = None) -> list[tuple[str, str, Path]]:
    """Left-over entries in ``root`` as (study name, kind, path), sorted; only ``name``'s if given."""
    found = []
    try:
        entries = list(Path(root).iterdir())
    except OSError:
        return []
    for p in entries:
        m = LEFTOVER.fullmatch(p.name)
        if m and (name is None or m.group(1) == name):
            found.append((m.group(1), m.group(2), p))
    return sorted(found, key=lambda t: t[2].name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover(root: Path, name: str) -> Recovery:
    """Bring study ``name`` in ``root`` back to a consistent state after a killed run.

    The caller holds the study's :class:`StudyLock`. The rule (module docstring):
    an existing output wins; else the newest previous output moved aside is
    restored; every other left-over folder of the study is deleted.
    """
    root = Path(root)
    final = root / name
    rec = Recovery(name)
    found = leftovers(root, name)
    olds = [p for _n, kind, p in found if kind == "old"]
    if not final.exists() and olds:
        def newest(p: Path) -> tuple[float, str]:
            try:
                return (p.stat().st_ctime, p.name)
            except OSError:
                return (0.0, p.name)
        chosen = max(olds, key=newest)
        os.replace(chosen, final)
        rec.restored = final
        _fsync_dir(root)
    for _n, _kind, p in found:
        if p.exists() and p != final:
            _remove(p)
            rec.removed.append(p)
    return rec


def recover_root(root: Path) -> list[Recovery]:
    """Recover every study of ``root`` with left-overs whose lock is free (see :func:`recover`).

    A study another live run holds is skipped: its temporary folder is in use.
    """
    done = []
    for name in sorted({n for n, _k, _p in leftovers(root)}):
        try:
            with StudyLock(root, name):
                done.append(recover(root, name))
        except OutputError:
            continue
    return done


def sweep_kernel_logs(folder: Path, *, max_age_days: float = KERNEL_LOG_DAYS,
                      now: float | None = None) -> list[Path]:
    """Delete ``churnlab-*.log`` files in ``folder`` older than ``max_age_days``; return them.

    They are the logs of kernels that died, kept for the error line that named them.
    """
    cutoff = (time.time() if now is None else now) - max_age_days * 86400
    removed = []
    for p in Path(folder).glob(KERNEL_LOG_GLOB):
        try:
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed
