"""The note before every notebook's parameters cell that says how to switch the study, naming the study it runs.

The note is a Markdown cell of its own (tags ``course`` and ``switch``, placed by
:func:`churnlab.course.cells.with_course_cells` right before the parameters cell), so the
title cell above it stays the same whatever study runs. It is :data:`SWITCH_NOTE`: the
params file this notebook runs (``{current}``) and the other built-in studies
(``{others}``). The stored notebooks name their default, ``params/telecom.yaml``;
``churnlab run`` names the study's own params file in the notebook it executes
(:func:`with_switch_note`, from :func:`churnlab.study.runner.notebook_in_language`), so a
retail run does not tell its reader it runs telecom. The note is a template of the
catalogues (``churnlab/i18n/<lang>/course.yaml``), translated like any narrative cell.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..config import PROJECT_ROOT, SCENARIOS

SWITCH_NOTE = ("> **Switch the study** in the parameters cell below, one line (`params_file = ...`). "
               "This notebook runs `{current}`; the other built-in studies are {others}, or give the "
               "params file of your own data (README, *Bring your own data*).")
#: the params file the stored notebooks open (their parameters cell)
DEFAULT_PARAMS = "params/telecom.yaml"
#: the tag of the note's cell (besides ``course``)
SWITCH_TAG = "switch"


def shown_path(params_file: str | Path) -> str:
    """``params_file`` as the reader should type it: relative to the project root when inside it."""
    path = Path(params_file)
    try:
        return (path if not path.is_absolute() else path.resolve().relative_to(PROJECT_ROOT.resolve())).as_posix()
    except ValueError:
        return str(path)


def switch_note(params_file: str | Path = DEFAULT_PARAMS) -> str:
    """The note naming ``params_file`` as the study this notebook runs and listing the other built-in ones."""
    current = shown_path(params_file)
    others = [f"params/{s}.yaml" for s in SCENARIOS if f"params/{s}.yaml" != current]
    return SWITCH_NOTE.format(current=current, others=", ".join(f"`{o}`" for o in others))


def with_switch_note(nb: dict, params_file: str | Path = DEFAULT_PARAMS) -> dict:
    """A copy of notebook ``nb`` (nbformat JSON) whose switch note (the cell tagged ``switch``) names ``params_file``.

    A notebook without that cell is returned unchanged.
    """
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown" and SWITCH_TAG in cell.get("metadata", {}).get("tags", []):
            note = switch_note(params_file)
            cell["source"] = note if isinstance(cell["source"], str) else note.splitlines(keepends=True)
    return nb
