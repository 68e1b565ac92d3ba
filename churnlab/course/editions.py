"""Instructor and student editions of the notebooks, generated from the same source.

A code cell tagged ``solution`` holds an exercise's solution. The instructor
edition is the notebook as stored (solutions included); the student edition
replaces each solution cell by :data:`STUDENT_CELL` (tagged ``answer``), so the
check cell that follows it says "not yet" until the student fills it in.
Outputs are never written: both editions are stored empty, like the source.
With ``lang`` other than English, both editions have their narrative (every Markdown
cell, the course cells included) in that language (:func:`churnlab.i18n.translate_notebook`);
code stays as it is.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

SOLUTION_TAG = "solution"
ANSWER_TAG = "answer"
#: What the student edition holds instead of a solution.
STUDENT_CELL = "# your answer\nanswer = None\n"
EDITIONS = ("instructor", "student")


def tags(cell: dict) -> list[str]:
    """The cell's metadata tags."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell: dict) -> bool:
    """Whether ``cell`` is an exercise solution (a code cell tagged ``solution``)."""
    return cell.get("cell_type") == "code" and SOLUTION_TAG in tags(cell)


def student_notebook(nb: dict) -> dict:
    """A copy of the notebook mapping ``nb`` with every solution replaced by :data:`STUDENT_CELL`."""
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if is_solution(cell):
            cell["source"] = STUDENT_CELL.splitlines(keepends=True)
            cell["metadata"]["tags"] = [t for t in tags(cell) if t != SOLUTION_TAG] + [ANSWER_TAG]
            cell["outputs"], cell["execution_count"] = [], None
    return out


def instructor_notebook(nb: dict) -> dict:
    """A copy of ``nb`` with its solutions, outputs cleared."""
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return out


def write_editions(notebooks_dir: str | Path, out: str | Path, *, lang: str = "en") -> dict[str, list[Path]]:
    """Write ``<out>/instructor/*.ipynb`` and ``<out>/student/*.ipynb`` from ``notebooks_dir``; return the paths.

    ``lang``: the language of their Markdown cells (English, the stored text, by default).
    """
    from .. import i18n

    out = Path(out)
    written: dict[str, list[Path]] = {e: [] for e in EDITIONS}
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        nb = i18n.translate_notebook(json.loads(path.read_text(encoding="utf-8")), lang)
        for edition, make in (("instructor", instructor_notebook), ("student", student_notebook)):
            target = out / edition / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(make(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            written[edition].append(target)
    return written
