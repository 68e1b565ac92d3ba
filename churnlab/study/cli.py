"""Command line: ``churnlab run [SCENARIO ...] [--params FILE [--name NAME]] [--out DIR] [--jobs N]``.

User-facing problems (:class:`~churnlab.errors.ChurnlabError`) print one line
each and give a non-zero exit; anything else is a bug and keeps its traceback.
Ctrl-C and SIGTERM stop a run with one line and exit 130 / 143, after the
temporary folders are removed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import OUTPUTS_DIR, SCENARIOS
from ..errors import ChurnlabError


EXAMPLES = """\
examples:
  churnlab run                                   all three scenarios into outputs/
  churnlab run telecom retail --jobs 2           some scenarios, two at a time
  churnlab run --params my_shop.yaml             your own data: outputs/my_shop/
  churnlab run --params params/examples/telco_ibm.yaml --name ibm --out /tmp/studies
  churnlab validate my_shop.yaml                 check a params file, run nothing
  make lab                                       the notebooks in JupyterLab (params_file switches the study)

Open outputs/index.html in a browser; each study's report.html links its notebooks.
"""

RUN_EXAMPLES = """\
examples:
  churnlab run                                   all three scenarios
  churnlab run software                          one scenario
  churnlab run --params my_shop.yaml --jobs 2    a params file of your own
"""


def version() -> str:
    """The installed churnlab version, from the package metadata ("unknown" when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    try:
        return _dist_version("churnlab")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``churnlab`` argument parser: commands, options, and examples in ``--help``."""
    p = argparse.ArgumentParser(prog="churnlab", description="Reproducible churn studies.",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"churnlab {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the study notebooks for scenarios or params files",
                         epilog=RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                     help=f"built-in scenarios ({', '.join(SCENARIOS)}); all of them when none "
                          "and no --params is given")
    run.add_argument("--params", action="append", default=[], metavar="FILE",
                     help="a params file to run (repeatable); output goes to <out>/<file stem>/")
    run.add_argument("--name", default=None, metavar="NAME",
                     help="name of the study's output folder (with one --params; default: the file "
                          "stem). Letters, digits, _ and -")
    run.add_argument("--out", default=str(OUTPUTS_DIR), metavar="DIR",
                     help="output root (default: outputs/)")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="studies run in parallel")
    run.add_argument("--lang", default=None, choices=("en", "zh"),
                     help="language of the notebooks, figures and reports (default: `lang` in the "
                          "params, English when unset); with zh the output folder is <name>-zh/")
    val = sub.add_parser("validate", help="validate params files and the data files they name "
                                          "(header and a sample), without running anything",
                         epilog="example:\n  churnlab validate params/telecom.yaml my_shop.yaml",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    val.add_argument("files", nargs="+", metavar="FILE")
    chk = sub.add_parser("check", help="check a course exercise's answer against a run's numbers")
    chk.add_argument("run_dir", metavar="RUN_DIR", help="a run folder holding metrics.json (e.g. outputs/telecom)")
    chk.add_argument("exercise", metavar="ID", help="the exercise, e.g. 02.1")
    chk.add_argument("answer", metavar="ANSWER", help="a number (0.031 or 3.1%%) or a name")
    eds = sub.add_parser("editions", help="write the instructor and student editions of the notebooks")
    eds.add_argument("--out", default=str(OUTPUTS_DIR / "course"), metavar="DIR",
                     help="folder for instructor/ and student/ (default: outputs/course)")
    eds.add_argument("--lang", default="en", choices=("en", "zh"),
                     help="language of the editions' narrative (default: en)")
    return p


_parser = build_parser


def _err(line: str) -> None:
    print(f"churnlab: error: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from ..collect.sources import check_files
        from ..params import FileSource, load_params

        bad = 0
        for f in args.files:  # the params, then the data files they name (a sample of each)
            try:
                params = load_params(f)
                if isinstance(params.source, FileSource):
                    check_files(params.source)
                print(f"{f}: ok")
            except ChurnlabError as exc:
                _err(str(exc))
                bad += 1
        return 1 if bad else 0

    if args.command in ("check", "editions"):
        from ..course.commands import main as course_main

        try:
            return course_main(args)
        except ChurnlabError as exc:
            _err(str(exc))
            return 2

    from .publish import StudyLock, write_text_atomic
    from .runner import resolve_studies, run_studies
    from .signals import exit_code

    if args.jobs < 1:
        _err(f"--jobs: expected an integer >= 1, got {args.jobs}")
        return 2
    studies, errors = resolve_studies(args.scenarios, args.params, args.name, lang=args.lang)
    for line in errors:
        _err(line)
    out = Path(args.out).expanduser().resolve()  # relative to where the command runs
    try:
        results = run_studies(studies, out, jobs=args.jobs) if studies else []
    except ChurnlabError as exc:  # the output root cannot be used: nothing ran
        _err(str(exc))
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the runner has cleaned up
        _err(f"stopped by {'SIGTERM' if exit_code(exc) == 143 else 'Ctrl-C'}: nothing was published "
             "by the unfinished studies; their temporary folders were removed and earlier output "
             "is unchanged")
        return exit_code(exc)
    for r in results:
        if r.ok:
            secs = sum(n.get("seconds", 0) for n in r.notebooks)
            ran = [n for n in r.notebooks if n["status"] == "ok"]
            skipped = "".join(f"; {n['notebook']} skipped: {n['reason']}"
                              for n in r.notebooks if n["status"] == "skipped")
            print(f"{r.name}: ok -> {r.out_dir} ({len(ran)} notebooks, {secs:.1f} s){skipped}")
        else:
            _err(r.message)
    if any(r.ok for r in results):
        from ..report import INDEX_FILE, render_index

        with StudyLock(out, "index", blocking=True):  # one writer at a time; readers see a whole file
            write_text_atomic(out / INDEX_FILE, render_index(out))
        print(f"index of all studies in {out}: {INDEX_FILE}")
    return 0 if results and not errors and all(r.ok for r in results) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
