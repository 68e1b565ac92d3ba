"""Run studies: the notebooks of each scenario, in order, with papermill.

A study is one params file. Its output goes to ``<out>/<name>/`` where
``name`` is the params file's stem (``params/telecom.yaml`` -> ``telecom``):

- the executed notebooks, each also as HTML;
- ``data/`` with the Parquet tables;
- ``metrics.json`` (headline numbers, written by the notebooks);
- ``manifest.json`` (params, seed, input hashes, package versions, git
  commit, per-notebook status and wall time).

Nothing is half-written: a study builds in a temporary folder next to its
final place and replaces the previous good output only when every notebook
succeeded. A failure leaves the earlier output untouched and is reported as
one line naming the study, the notebook, the cell and the error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata as md
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..config import NOTEBOOK_REQUIRES, NOTEBOOKS, NOTEBOOKS_DIR, PROJECT_ROOT, resolve_path
from ..errors import ChurnlabError, ParamsError
from ..metrics import FILENAME as METRICS_FILE
from ..metrics import write_json
from ..params import FileSource, StudyParams, load_params

PACKAGES = ("pandas", "numpy", "pyarrow", "duckdb", "pandera", "pydantic", "papermill",
            "nbconvert", "matplotlib", "seaborn", "statsmodels", "scikit-learn", "lifelines",
            "xgboost-cpu", "scipy")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Study:
    """One study to run: a validated params file and the name of its output folder."""

    name: str
    params_path: Path
    params: StudyParams


@dataclass
class StudyResult:
    """How a study went. ``message`` is the one-line error when it failed."""

    name: str
    ok: bool
    out_dir: Path
    message: str = ""
    notebooks: list[dict[str, Any]] = field(default_factory=list)


def plan_study(params_path: str | Path) -> Study:
    """Validate one params file (the early check) and name its study."""
    path = Path(params_path)
    return Study(path.stem, path, load_params(path))


def notebook_parameters(notebook: Path) -> set[str]:
    """Names in the notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True,
                               text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"churnlab": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def _inputs(study: Study) -> dict[str, Any]:
    inputs: dict[str, Any] = {"params_file": {"path": str(study.params_path),
                                              "sha256": _sha256(study.params_path)}}
    src = study.params.source
    if isinstance(src, FileSource):
        for name, spec in src.tables.items():
            p = resolve_path(spec.path)
            inputs[name] = {"path": str(spec.path), "sha256": _sha256(p) if p.exists() else None}
    else:
        inputs["simulator"] = {"scenario": study.params.scenario, **src.model_dump()}
    return inputs


def _kernel_manager_class(log_path: Path):
    """A kernel manager whose kernel writes its stderr to ``log_path``, not to ours.

    Kernels print start-up warnings and exit noise on stderr; a study's
    output should be its one-line status. The log is kept if the kernel dies.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = open(log_path, "ab")  # noqa: SIM115 - closed when the kernel exits
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _error_line(study: str, notebook: str, exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = _ANSI.sub("", str(exc.evalue)).strip().splitlines()
        first = evalue[0] if evalue else ""
        return f"{study}: {notebook} failed in cell {exc.exec_count}: {exc.ename}: {first}"
    return f"{study}: {notebook} failed: {exc.__class__.__name__}: {_ANSI.sub('', str(exc))}"


def to_html(notebook: Path) -> Path:
    """Render an executed notebook to a self-contained HTML file beside it."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    out = notebook.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


def _kernel_failure(exc: BaseException) -> bool:
    """The kernel died or never started (not an error in a cell)."""
    return exc.__class__.__name__ == "DeadKernelError" or "Kernel died before replying" in str(exc)


def _execute(src: Path, out: Path, parameters: dict[str, Any], kernel_log: Path,
             attempts: int = 3) -> None:
    """Execute one notebook with papermill, retrying only when the kernel fails to start.

    Kernels started at the same moment by parallel studies can race for ports
    and die before answering; that says nothing about the notebook, so the
    start is retried. Errors raised by cells are never retried.
    """
    import papermill

    for attempt in range(1, attempts + 1):
        try:
            papermill.execute_notebook(
                str(src), str(out), parameters=parameters, kernel_name="python3",
                progress_bar=False, cwd=str(NOTEBOOKS_DIR), log_output=False,
                request_save_on_cell_execute=False,  # one write at the end (also on error), not
                # two full rewrites per cell: the run folder is temporary until published
                kernel_manager_class=_kernel_manager_class(kernel_log))
            return
        except RuntimeError as exc:
            if attempt == attempts or "Kernel died before replying" not in str(exc):
                raise
            time.sleep(0.5 * attempt)


def run_study(study: Study, out_root: str | Path, *, notebooks: tuple[str, ...] = NOTEBOOKS,
              on_notebook: Callable[[str, str], None] | None = None) -> StudyResult:
    """Execute the notebooks of one study into a temporary folder, then publish it.

    ``on_notebook(study, notebook)`` is called after each notebook (for progress).
    """
    out_root = resolve_path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / study.name
    tmp = out_root / f".{study.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    # notebooks open the study from its params file; the run writes into the temporary folder
    params = study.params.to_notebook() | {"params_file": str(study.params_path.resolve()),
                                           "output_dir": str(tmp)}
    started = dt.datetime.now(dt.timezone.utc)
    records: list[dict[str, Any]] = []
    result = StudyResult(study.name, False, final, notebooks=records)
    kernel_log = Path(tempfile.gettempdir()) / f"churnlab-{study.name}-{uuid.uuid4().hex[:8]}.log"
    try:
        for nb in notebooks:
            missing = [k for k in NOTEBOOK_REQUIRES.get(nb, ()) if getattr(study.params, k) is None]
            if missing:  # e.g. no cost figures: the study stops short of the cost of churn
                records.append({"notebook": nb, "status": "skipped",
                                "reason": f"the params have no {', '.join(missing)} section"})
                if on_notebook:
                    on_notebook(study.name, nb)
                continue
            src = NOTEBOOKS_DIR / nb
            accepted = notebook_parameters(src)
            t0 = time.perf_counter()
            try:
                _execute(src, tmp / nb, {k: v for k, v in params.items() if k in accepted}, kernel_log)
            except Exception as exc:  # the notebook's own error, reported in one line
                records.append({"notebook": nb, "status": "failed",
                                "seconds": round(time.perf_counter() - t0, 2)})
                result.message = _error_line(study.name, nb, exc)
                if _kernel_failure(exc):
                    result.message += f" (kernel log: {kernel_log})"
                    kernel_log = None
                return result
            try:
                to_html(tmp / nb)
            except Exception as exc:  # noqa: BLE001 - reported as the study's one line
                result.message = f"{study.name}: {nb} ran, but its HTML failed: {exc.__class__.__name__}: {exc}"
                return result
            records.append({"notebook": nb, "status": "ok",
                            "seconds": round(time.perf_counter() - t0, 2)})
            if on_notebook:
                on_notebook(study.name, nb)
        if not (tmp / METRICS_FILE).exists():
            result.message = f"{study.name}: the notebooks wrote no {METRICS_FILE}"
            return result
        write_json(tmp / "manifest.json", {
            "study": study.name,
            "scenario": study.params.scenario,
            "seed": study.params.seed,
            "params": study.params.to_notebook() | {"output_dir": str(final)},
            "inputs": _inputs(study),
            "packages": _versions(),
            "git": _git(),
            "platform": {"system": platform.system(), "machine": platform.machine(),
                         "python": sys.version.split()[0]},
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "notebooks": records,
        })
        try:  # the study report, now that the manifest can be linked from it
            from ..report import write_report

            write_report(tmp)
        except Exception as exc:  # noqa: BLE001 - reported as the study's one line
            result.message = f"{study.name}: the report failed: {exc.__class__.__name__}: {exc}"
            return result
        try:
            publish(tmp, final)
        except OSError as exc:
            result.message = f"{study.name}: could not replace {final}: {exc}"
            return result
        result.ok = True
        return result
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if kernel_log is not None:
            kernel_log.unlink(missing_ok=True)


def publish(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` (both in one folder, so each rename is atomic)."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


#: Folder names under the output root that are not studies (``lab``: notebook runs outside the runner).
RESERVED = frozenset({"lab"})

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _worker(study: Study, out_root: str, queue: Any, threads: int) -> StudyResult:
    # Parallel studies share the cores: each kernel (it inherits this environment) gets its
    # part, or OpenMP/BLAS pools oversubscribe the machine and spin (10x slower seen on 2 cores).
    os.environ.update({v: str(threads) for v in THREAD_VARS})
    return run_study(study, out_root, on_notebook=lambda s, nb: queue.put((s, nb)))


def _result(future: Any, study: Study, out_root: str | Path) -> StudyResult:
    """A worker's result; a crashed worker becomes a failed study, not a lost summary."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001
        return StudyResult(study.name, False, resolve_path(out_root) / study.name,
                           f"{study.name}: the worker stopped: {exc.__class__.__name__}: {exc}")


def run_studies(studies: list[Study], out_root: str | Path, *, jobs: int = 1,
                progress: bool | None = None) -> list[StudyResult]:
    """Run several studies (``jobs`` at a time); one failure does not stop the others."""
    from tqdm.auto import tqdm

    total = len(studies) * len(NOTEBOOKS)
    bar = tqdm(total=total, unit="notebook", desc="churnlab", disable=None if progress is None
               else not progress, file=sys.stderr)
    results: list[StudyResult] = []
    try:
        if jobs <= 1 or len(studies) <= 1:
            for s in studies:
                results.append(run_study(s, out_root, on_notebook=lambda st, nb: bar.update()))
        else:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")
            with ctx.Manager() as manager:
                queue = manager.Queue()
                with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                    threads = max(1, (os.cpu_count() or 1) // min(jobs, len(studies)))
                    futures = [pool.submit(_worker, s, str(out_root), queue, threads)
                               for s in studies]
                    pending = set(futures)
                    while pending:
                        done = {f for f in pending if f.done()}
                        while not queue.empty():
                            queue.get()
                            bar.update()
                        pending -= done
                        time.sleep(0.1)
                    results = [_result(f, s, out_root) for f, s in zip(futures, studies)]
                while not queue.empty():
                    queue.get()
                    bar.update()
    finally:
        bar.close()
    return results


def resolve_studies(scenarios: list[str], params_files: list[str]) -> tuple[list[Study], list[str]]:
    """Studies to run from scenario names and params files, plus one error line per bad one.

    With neither, all three built-in scenarios run.
    """
    from ..params import scenario_params_path

    studies: list[Study] = []
    errors: list[str] = []
    paths: list[Path] = []
    for name in scenarios:
        try:
            paths.append(scenario_params_path(name))
        except ParamsError as exc:
            errors.append(str(exc))
    paths += [Path(p) for p in params_files]
    if not scenarios and not params_files:
        from ..config import SCENARIOS

        paths = [scenario_params_path(s) for s in SCENARIOS]
    seen: set[str] = set()
    for p in paths:
        try:
            study = plan_study(p)
        except ChurnlabError as exc:
            errors.append(str(exc))
            continue
        if study.name in RESERVED:
            errors.append(f"{p}: a study cannot be named {study.name!r}: outputs/{study.name}/ holds the "
                          "notebook runs made outside the runner; rename the params file")
            continue
        if study.name in seen:
            errors.append(f"{p}: a study named {study.name!r} is already in this run "
                          "(outputs go to a folder named after the params file)")
            continue
        seen.add(study.name)
        studies.append(study)
    return studies, errors
