"""The course cells of each notebook, generated from the catalogue (:mod:`.text`, :mod:`.exercises`).

Every notebook gets a learning-objectives markdown cell right after its title cell,
the note on switching the study right before its parameters cell (:mod:`.switch`) and,
at its end, an "Exercises" section: per exercise a prompt cell
(``study.exercise(ID)``, filled in with the run's numbers), a solution cell (tagged
``solution``, stripped from the student edition) and a check cell
(``study.check(ID, answer)``). Every generated cell carries the tag ``course``, so
:func:`with_course_cells` replaces them instead of adding them twice
(``python -m churnlab.course.cells`` rewrites the stored notebooks).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .editions import SOLUTION_TAG
from .exercises import EXERCISES
from .switch import SWITCH_TAG, switch_note
from .text import EXERCISES_LEAD, EXERCISES_TITLE, OBJECTIVES, OBJECTIVES_LEAD, OBJECTIVES_TITLE

COURSE_TAG = "course"


def objectives_markdown(notebook: str) -> str:
    """The learning-objectives cell of notebook ``"01"`` … ``"05"``."""
    items = "\n".join(f"- {o}" for o in OBJECTIVES[notebook])
    return f"### {OBJECTIVES_TITLE}\n\n{OBJECTIVES_LEAD}\n\n{items}"


def exercises_markdown() -> str:
    """The heading cell of the Exercises section."""
    return f"## {EXERCISES_TITLE}\n\n{EXERCISES_LEAD}"


def _cell(kind: str, source: str, cell_id: str, *tags: str) -> dict:
    cell = {"cell_type": kind, "id": cell_id, "metadata": {"tags": [COURSE_TAG, *tags]},
            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def course_cells(notebook: str) -> tuple[dict, list[dict]]:
    """The objectives cell and the Exercises cells of ``notebook`` (``"01"`` … ``"05"``)."""
    objectives = _cell("markdown", objectives_markdown(notebook), f"course-{notebook}-objectives", "objectives")
    cells = [_cell("markdown", exercises_markdown(), f"course-{notebook}-exercises", "exercises")]
    for ex in (e for e in EXERCISES.values() if e.notebook == notebook):
        key = ex.id.replace(".", "-")
        cells += [_cell("code", f'study.exercise("{ex.id}")', f"course-{key}-prompt", "exercise"),
                  _cell("code", ex.solution + "\n", f"course-{key}-solution", SOLUTION_TAG),
                  _cell("code", f'study.check("{ex.id}", answer)', f"course-{key}-check", "check")]
    return objectives, cells


def switch_cell() -> dict:
    """The note on switching the study (naming the stored default; the runner names the run's own file)."""
    return _cell("markdown", switch_note(), "course-switch", SWITCH_TAG)


def with_course_cells(nb: dict, notebook: str) -> dict:
    """``nb`` with its course cells (re)placed: objectives after the title cell, the switch note right
    before the parameters cell (after the objectives when there is none), exercises at the end."""
    cells = [c for c in nb["cells"] if COURSE_TAG not in c.get("metadata", {}).get("tags", [])]
    objectives, exercises = course_cells(notebook)
    cells = cells[:1] + [objectives] + cells[1:]
    at = next((i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 2)
    nb = dict(nb)
    nb["cells"] = cells[:at] + [switch_cell()] + cells[at:] + exercises
    return nb


def rewrite(notebooks_dir: str | Path) -> list[Path]:
    """Rewrite every stored notebook of ``notebooks_dir`` with its course cells; return the paths."""
    done = []
    for path in sorted(Path(notebooks_dir).glob("0[1-5]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(with_course_cells(nb, path.name[:2]), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        done.append(path)
    return done


if __name__ == "__main__":  # pragma: no cover
    from ..config import NOTEBOOKS_DIR

    for p in rewrite(sys.argv[1] if len(sys.argv) > 1 else NOTEBOOKS_DIR):
        print(p)
