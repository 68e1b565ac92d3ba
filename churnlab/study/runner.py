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
one line naming the study, the notebook, the cell and the error. One run at a
time writes a study into an output root (a lock); a run killed half-way is
recovered at the next start; SIGTERM stops a run like Ctrl-C
(:mod:`.publish`, :mod:`.signals`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import importlib.metadata as md
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import __version__, i18n
from ..config import (CODE_HTML_SUFFIX, NOTEBOOK_REQUIRES, NOTEBOOKS, NOTEBOOKS_DIR, PROJECT_ROOT,
                      resolve_path)
from ..errors import ChurnlabError, ParamsError
from ..metrics import FILENAME as METRICS_FILE
from ..metrics import write_json
from ..params import FileSource, StudyParams, load_params
from ..params.load import study_name
from .publish import (StudyLock, new_tmp, prepare_root, publish, recover, recover_root, remove_empty,
                      sweep_kernel_logs)
from .signals import stop_on_signals

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


def plan_study(params_path: str | Path, name: str | None = None, *, lang: str | None = None) -> Study:
    """Name a study and validate its params file: the early check, before anything is written.

    The name is ``name`` or the file's stem and must be a plain folder name
    (:func:`churnlab.params.load.study_name`): ``..yaml`` or ``index.html.yaml``
    are refused here, not after the run. ``lang`` overrides the params' language
    (``churnlab run --lang zh``); a language other than the file's own adds
    ``-<lang>`` to the default name, so both editions of a study can sit side by side.
    """
    path = Path(params_path)
    params = load_params(path)
    if lang is not None and lang != params.lang:
        params = params.model_copy(update={"lang": lang})
        name = name or f"{study_name(path)}-{lang}"
    return Study(study_name(path, name), path, params)


def notebook_params_file(study: Study, folder: Path) -> Path:
    """The params file the notebooks open: the study's own, or a copy of its params as run.

    When the run overrides the file (``--lang``), the params as run are written to
    ``folder/.source/<study name>.yaml`` (removed with the temporary run folder): data
    paths in params are relative to the project root, so the copy reads the same data.
    """
    import yaml

    if study.params == load_params(study.params_path):
        return study.params_path.resolve()
    out = Path(folder) / ".source" / f"{study.name}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(study.params.to_notebook(), allow_unicode=True, sort_keys=False),
                   encoding="utf-8")
    return out


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


def _kernel_manager_class(log_path: Path, launched: list):
    """A kernel manager whose kernel writes its stderr to ``log_path``, not to ours.

    Kernels print start-up warnings and exit noise on stderr; a study's
    output should be its one-line status. The log is kept if the kernel dies.
    Each kernel process started is appended to ``launched``, so a stopped run
    can end the kernels papermill had no chance to shut down.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = open(log_path, "ab")  # noqa: SIM115 - closed when the kernel exits
            out = await super()._async_launch_kernel(kernel_cmd, **kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                launched.append(process)
            return out

    return QuietKernelManager


def _end_kernels(launched: list) -> None:
    """Kill the kernel processes still running (a run stopped while a notebook executed)."""
    for process in launched:
        try:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - best effort: the kernel also exits when orphaned
            continue


def _error_line(study: str, notebook: str, exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = _ANSI.sub("", str(exc.evalue)).strip().splitlines()
        first = evalue[0] if evalue else ""
        return f"{study}: {notebook} failed in cell {exc.exec_count}: {exc.ename}: {first}"
    return f"{study}: {notebook} failed: {exc.__class__.__name__}: {_ANSI.sub('', str(exc))}"


#: The line at the top of each HTML version, linking the other one (Markdown; ``{other}`` is its file name).
HTML_NOTES = {
    "manager": "*The code is hidden on this page. Analysts: [the same notebook with its code]({other}).*",
    "code": "*This page shows the code. Managers: [the same notebook without code]({other}).*",
}


#: CSS added to each notebook page: a wide table or output scrolls inside its own box, never the
#: page (a flex item shrinks only with ``min-width: 0``); images and code fit the column.
PAGE_CSS = """<style type="text/css">
/* churnlab: wide outputs scroll in their own box, the page never scrolls sideways */
.jp-OutputArea-child, .jp-Cell-outputWrapper, .jp-Cell-inputWrapper { max-width: 100%; }
.jp-OutputArea-output, .jp-InputArea-editor, .jp-MarkdownOutput { min-width: 0; max-width: 100%; overflow-x: auto; }
.jp-RenderedHTMLCommon table { display: block; max-width: 100%; overflow-x: auto; }
.jp-RenderedImage img, .jp-RenderedHTMLCommon img { max-width: 100%; height: auto; }
.jp-RenderedText pre, .jp-RenderedHTMLCommon pre { max-width: 100%; overflow-x: auto; }
</style>
"""


def page_html(body: str, lang: str) -> str:
    """An nbconvert page with :data:`PAGE_CSS` at the end of its head and ``<html lang>`` of ``lang``.

    ``lang`` is a churnlab language (``zh`` becomes ``zh-CN``, :data:`churnlab.i18n.HTML_LANG`).
    """
    tag = f'<html lang="{i18n.HTML_LANG.get(lang, lang)}">'
    body = re.sub(r"<html(\s[^>]*)?>", tag, body, count=1)
    return body.replace("</head>", PAGE_CSS + "</head>", 1)


def code_html_name(notebook: str | Path) -> str:
    """The file name of a notebook's HTML with its code: ``02_cause_analysis.code.html``."""
    return Path(notebook).with_suffix("").name + CODE_HTML_SUFFIX


def notebook_title(nb) -> str:
    """The text of the notebook's first Markdown heading (its title), else ``Notebook``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or "Notebook"
    return "Notebook"


def _replace_in_outputs(nb, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in every cell's source and text outputs (in place)."""
    def sub(value):
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [sub(v) for v in value]
        return value

    for cell in nb.cells:
        cell.source = sub(cell.source)
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = sub(out["text"])
            for kind in ("text/plain", "text/html", "text/markdown"):
                if kind in out.get("data", {}):
                    out["data"][kind] = sub(out["data"][kind])


def notebook_in_language(src: Path, folder: Path, lang: str, params_file: str | Path | None = None) -> Path:
    """The notebook to execute: ``src`` itself when nothing changes, else a copy with its narrative in ``lang``.

    The copy (``folder/.source/NAME``, removed before the run folder is published) has every
    Markdown cell translated by the language's catalogue (:func:`churnlab.i18n.translate_notebook`),
    and its switch note names ``params_file``, the study's own params file
    (:func:`churnlab.course.switch.with_switch_note`), before it is translated.
    """
    from ..course.switch import with_switch_note

    stored = json.loads(Path(src).read_text(encoding="utf-8"))
    nb = with_switch_note(stored, params_file) if params_file is not None else stored
    if lang == i18n.DEFAULT and nb == stored:
        return src
    out = Path(folder) / ".source" / Path(src).name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(i18n.translate_notebook(nb, lang), indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    return out


def to_html(notebook: Path, *, shown_dir: str | Path | None = None, lang: str = "en") -> Path:
    """Render an executed notebook to two self-contained HTML files beside it; return the first.

    ``NAME.html`` is the managers' page: the code cells' inputs and prompts are hidden
    (nbconvert ``exclude_input``), the narrative, tables and figures stay. ``NAME.code.html``
    (:func:`code_html_name`) is the analysts' page with the code. Each opens with a line
    linking the other (:data:`HTML_NOTES`); the browser title is the notebook's own title
    (:func:`notebook_title`). The folder the notebook ran in (the runner's temporary
    folder) is shown as ``shown_dir``, the folder the run is published as, wherever it
    appears in a cell or an output. The pages declare ``lang`` (``<html lang>``) and keep
    wide tables inside their own scrolling box (:func:`page_html`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    if shown_dir is not None:
        _replace_in_outputs(nb, str(notebook.parent.resolve()), str(shown_dir))
        _replace_in_outputs(nb, str(notebook.parent), str(shown_dir))
        _replace_in_outputs(nb, notebook.parent.name, Path(shown_dir).name)  # relative mentions
    resources = {"metadata": {"name": notebook_title(nb)}}
    out = notebook.with_suffix(".html")
    code = notebook.with_name(code_html_name(notebook))
    for kind, path, other, exporter in (
            ("manager", out, code.name, HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                                       exclude_output_prompt=True)),
            ("code", code, out.name, HTMLExporter())):
        page = nbformat.from_dict(nb)
        page.cells.insert(0, nbformat.v4.new_markdown_cell(i18n.catalogue(lang)(HTML_NOTES[kind], other=other)))
        body, _ = exporter.from_notebook_node(page, resources=dict(resources))
        path.write_text(page_html(body, lang), encoding="utf-8")
    return out


def _kernel_failure(exc: BaseException) -> bool:
    """The kernel died or never started (not an error in a cell)."""
    return exc.__class__.__name__ == "DeadKernelError" or "Kernel died before replying" in str(exc)


def _execute(src: Path, out: Path, parameters: dict[str, Any], kernel_log: Path,
             launched: list, attempts: int = 3) -> None:
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
                kernel_manager_class=_kernel_manager_class(kernel_log, launched))
            return
        except RuntimeError as exc:
            if attempt == attempts or "Kernel died before replying" not in str(exc):
                raise
            time.sleep(0.5 * attempt)


def run_study(study: Study, out_root: str | Path, *, notebooks: tuple[str, ...] = NOTEBOOKS,
              on_notebook: Callable[[str, str], None] | None = None) -> StudyResult:
    """Execute the notebooks of one study into a temporary folder, then publish it.

    Holds the study's lock in ``out_root`` for the whole run (a second run of the
    same study refuses), recovers what a killed run left first, and removes its
    temporary folder and kernels however it ends (an error, Ctrl-C, SIGTERM).
    Every problem is the result's one-line ``message``; only a stop signal
    (``KeyboardInterrupt``) propagates. ``on_notebook(study, notebook)`` is
    called after each notebook (for progress).
    """
    out_root = resolve_path(out_root)
    final = out_root / study.name
    result = StudyResult(study.name, False, final)
    created: list[Path] = []
    try:
        created = prepare_root(out_root)
        with StudyLock(out_root, study.name):
            recover(out_root, study.name)
            _run_locked(study, out_root, result, notebooks, on_notebook)
    except ChurnlabError as exc:
        result.message = str(exc)
    except OSError as exc:
        result.message = f"{study.name}: cannot write in {out_root}: {exc.strerror or exc}"
    finally:
        if not result.ok:
            remove_empty(created)
    return result


def _run_locked(study: Study, out_root: Path, result: StudyResult, notebooks: tuple[str, ...],
                on_notebook: Callable[[str, str], None] | None) -> None:
    """The body of :func:`run_study`, under the lock: fills ``result`` in place."""
    final = result.out_dir
    tmp = new_tmp(out_root, study.name)
    # notebooks open the study from its params file; the run writes into the temporary folder
    params = study.params.to_notebook() | {"params_file": str(notebook_params_file(study, tmp)),
                                           "output_dir": str(tmp)}
    started = dt.datetime.now(dt.timezone.utc)
    records = result.notebooks
    kernel_log = tmp / ".kernel.log"  # inside the run folder: removed with it
    launched: list = []
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
            src = notebook_in_language(src, tmp, study.params.lang, study.params_path)
            t0 = time.perf_counter()
            try:
                _execute(src, tmp / nb, {k: v for k, v in params.items() if k in accepted}, kernel_log,
                         launched)
            except Exception as exc:  # the notebook's own error, reported in one line
                records.append({"notebook": nb, "status": "failed",
                                "seconds": round(time.perf_counter() - t0, 2)})
                result.message = _error_line(study.name, nb, exc)
                if _kernel_failure(exc):
                    result.message += f" (kernel log: {_keep_kernel_log(kernel_log, study.name)})"
                return
            try:
                to_html(tmp / nb, shown_dir=final, lang=study.params.lang)
            except Exception as exc:  # noqa: BLE001 - reported as the study's one line
                result.message = f"{study.name}: {nb} ran, but its HTML failed: {exc.__class__.__name__}: {exc}"
                return
            records.append({"notebook": nb, "status": "ok",
                            "seconds": round(time.perf_counter() - t0, 2)})
            if on_notebook:
                on_notebook(study.name, nb)
        shutil.rmtree(tmp / ".source", ignore_errors=True)  # the notebooks as run (notebook_in_language)
        if not (tmp / METRICS_FILE).exists():
            result.message = f"{study.name}: the notebooks wrote no {METRICS_FILE}"
            return
        kernel_log.unlink(missing_ok=True)  # all kernels ended well: their log says nothing
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
            return
        publish(tmp, final)
        result.ok = True
    finally:
        _end_kernels(launched)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _keep_kernel_log(kernel_log: Path, name: str) -> Path | str:
    """Copy a dead kernel's log out of the run folder (which is removed) into the system temp folder.

    Such logs are deleted after :data:`~churnlab.study.publish.KERNEL_LOG_DAYS` days.
    """
    if not kernel_log.exists():
        return "none written"
    fd, kept = tempfile.mkstemp(prefix=f"churnlab-{name}-", suffix=".log")
    os.close(fd)
    shutil.copyfile(kernel_log, kept)
    return Path(kept)


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _worker(study: Study, out_root: str, queue: Any, threads: int, index: int) -> None:
    """One study in a worker process; its result (or its progress) goes to ``queue``."""
    # Parallel studies share the cores: each kernel (it inherits this environment) gets its
    # part, or OpenMP/BLAS pools oversubscribe the machine and spin (10x slower seen on 2 cores).
    os.environ.update({v: str(threads) for v in THREAD_VARS})
    with stop_on_signals():  # the parent stops a worker with SIGTERM: clean up like Ctrl-C
        try:
            result = run_study(study, out_root, on_notebook=lambda s, nb: queue.put(("progress", index, nb)))
        except KeyboardInterrupt:
            return
        except Exception as exc:  # noqa: BLE001 - a bug, reported as the study's line
            result = StudyResult(study.name, False, resolve_path(out_root) / study.name,
                                 f"{study.name}: the worker stopped: {exc.__class__.__name__}: {exc}")
        queue.put(("done", index, result))


def _drain(queue: Any, results: dict[int, StudyResult], bar: Any, timeout: float) -> None:
    """Take the workers' messages: progress ticks and finished results."""
    import queue as q

    wait = timeout
    while True:
        try:
            kind, index, payload = queue.get(timeout=wait) if wait else queue.get_nowait()
        except q.Empty:
            return
        wait = 0
        if kind == "done":
            results[index] = payload
        else:
            bar.update()


def _run_parallel(studies: list[Study], out_root: Path, jobs: int, bar: Any) -> list[StudyResult]:
    """Run ``studies`` in up to ``jobs`` worker processes; a stop signal stops every worker.

    Workers are plain processes (not a pool) so that on Ctrl-C or SIGTERM each is
    sent SIGTERM and cleans up its temporary folder and kernels before this returns.
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    threads = max(1, (os.cpu_count() or 1) // min(jobs, len(studies)))
    results: dict[int, StudyResult] = {}
    running: dict[int, Any] = {}
    todo = list(range(len(studies)))
    try:
        while todo or running:
            while todo and len(running) < jobs:
                i = todo.pop(0)
                running[i] = ctx.Process(target=_worker, args=(studies[i], str(out_root), queue,
                                                                threads, i))
                running[i].start()
            _drain(queue, results, bar, timeout=0.1)
            for i, proc in list(running.items()):
                if proc.is_alive():
                    continue
                if i not in results:  # its last message may still be on the way
                    _drain(queue, results, bar, timeout=2.0)
                if i not in results:
                    results[i] = StudyResult(studies[i].name, False, out_root / studies[i].name,
                                             f"{studies[i].name}: the worker stopped (exit code "
                                             f"{proc.exitcode}); the earlier output is unchanged")
                proc.join()
                del running[i]
    except BaseException:
        for proc in running.values():
            if proc.is_alive():
                proc.terminate()  # SIGTERM: the worker cleans up like Ctrl-C
        for proc in running.values():
            proc.join(60)
            if proc.is_alive():
                proc.kill()
                proc.join()
        raise
    finally:
        queue.close()
    return [results[i] for i in range(len(studies))]


def run_studies(studies: list[Study], out_root: str | Path, *, jobs: int = 1,
                progress: bool | None = None) -> list[StudyResult]:
    """Run several studies (``jobs`` at a time); one failure does not stop the others.

    First the output root is checked (one :class:`~churnlab.errors.OutputError`
    line if it is a file or not writable), what killed runs left in it is
    recovered (:func:`~churnlab.study.publish.recover_root`) and kernel logs older
    than a week are deleted from the system temp folder. If nothing is published,
    the folders created for the root are removed again. SIGTERM stops the run like
    Ctrl-C: a :class:`~churnlab.study.signals.Interrupted` propagates after every
    study cleaned up.
    """
    from tqdm.auto import tqdm

    out_root = resolve_path(out_root)
    with stop_on_signals():
        created = prepare_root(out_root)
        results: list[StudyResult] = []
        bar = tqdm(total=len(studies) * len(NOTEBOOKS), unit="notebook", desc="churnlab",
                   disable=None if progress is None else not progress, file=sys.stderr)
        try:
            recover_root(out_root)
            sweep_kernel_logs(Path(tempfile.gettempdir()))
            if jobs <= 1 or len(studies) <= 1:
                for s in studies:
                    results.append(run_study(s, out_root, on_notebook=lambda st, nb: bar.update()))
            else:
                results = _run_parallel(studies, out_root, jobs, bar)
        finally:
            bar.close()
            if not any(r.ok for r in results):
                remove_empty(created)
    return results


def resolve_studies(scenarios: list[str], params_files: list[str],
                    name: str | None = None, *, lang: str | None = None) -> tuple[list[Study], list[str]]:
    """Studies to run from scenario names and params files, plus one error line per bad one.

    With neither, all three built-in scenarios run. ``name`` names the study of
    the one params file given (and is an error otherwise).
    """
    from ..params import scenario_params_path

    if name is not None and (scenarios or len(params_files) != 1):
        return [], [f"--name {name[:30]!r}: expected exactly one --params FILE and no scenario, "
                    f"got {len(params_files)} params file(s) and {len(scenarios)} scenario(s)"]
    studies: list[Study] = []
    errors: list[str] = []
    paths: list[Path] = []
    for scenario in scenarios:
        try:
            paths.append(scenario_params_path(scenario))
        except ParamsError as exc:
            errors.append(str(exc))
    paths += [Path(p) for p in params_files]
    if not scenarios and not params_files:
        from ..config import SCENARIOS

        paths = [scenario_params_path(s) for s in SCENARIOS]
    seen: set[str] = set()
    for p in paths:
        try:
            study = plan_study(p, name, lang=lang)
        except ChurnlabError as exc:
            errors.append(str(exc))
            continue
        if study.name in seen:
            errors.append(f"{p}: a study named {study.name!r} is already in this run "
                          "(outputs go to a folder named after the params file)")
            continue
        seen.add(study.name)
        studies.append(study)
    return studies, errors
