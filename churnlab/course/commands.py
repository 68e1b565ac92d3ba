"""``churnlab check RUN_DIR ID ANSWER`` and ``churnlab editions [--out DIR]``.

``check`` prints the feedback line (in the run's language: ``params.lang`` of its
``manifest.json``) and exits 0 when the answer is correct, 1 otherwise; ``editions``
writes both editions (their narrative in ``--lang``) and prints where.
"""

from __future__ import annotations

from pathlib import Path


def main(args) -> int:
    """Run the ``check`` or ``editions`` subcommand of the parsed ``args``."""
    if args.command == "check":
        from .exercises import check_run

        fb = check_run(args.run_dir, args.exercise, args.answer)
        print(str(fb))
        return 0 if fb.ok else 1
    from ..config import NOTEBOOKS_DIR
    from .editions import write_editions

    out = Path(args.out).expanduser().resolve()
    written = write_editions(NOTEBOOKS_DIR, out, lang=getattr(args, "lang", "en") or "en")
    print(f"editions of {len(written['instructor'])} notebooks: {out / 'instructor'} and {out / 'student'}")
    return 0
