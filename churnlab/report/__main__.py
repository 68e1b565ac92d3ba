"""``python -m churnlab.report DIR ...``: a study folder gets report.html, any other folder index.html."""

from __future__ import annotations

import sys
from pathlib import Path

from .index import write_index
from .page import METRICS_FILE, write_report


def main(argv: list[str] | None = None) -> int:
    """Write the report of each study folder (with a metrics.json) or the index of each other folder.

    Prints the path of each page written (the command's output, not a status message).
    """
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m churnlab.report RUN_DIR|OUT_ROOT ...", file=sys.stderr)
        return 2
    for arg in args:
        d = Path(arg)
        path = write_report(d) if (d / METRICS_FILE).is_file() else write_index(d)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
