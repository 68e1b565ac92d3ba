"""The note at the top of every notebook that says how to switch the study, naming the study it runs.

The title cell of each notebook ends with :data:`SWITCH_NOTE`: the params file this
notebook runs (``{current}``) and the other built-in studies (``{others}``). The stored
notebooks name their default, ``params/telecom.yaml`` (:func:`rewrite` keeps them so);
``churnlab run`` names the study's own params file in the notebook it executes
(:func:`with_switch_note`, from :func:`churnlab.study.runner.notebook_in_language`), so a
retail run does not tell its reader it runs telecom. The note is a template of the
catalogues (``churnlab/i18n/<lang>/course.yaml``), translated like any narrative paragraph.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

from ..config import PROJECT_ROOT, SCENARIOS

SWITCH_NOTE = ("> **Switch the study** in the parameters cell below, one line (`params_file = ...`). "
               "This notebook runs `{current}`; the other built-in studies are {others}, or give the "
               "params file of your own data (README, *Bring your own data*).")
#: the params file the stored notebooks open (their parameters cell)
DEFAULT_PARAMS = "params/telecom.yaml"
#: a paragraph that is the note (whatever study it names)
_NOTE = re.compile(r"^> \*\*Switch the study\*\*.*$", re.M)


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
    """A copy of notebook ``nb`` (nbformat JSON) whose switch note names ``params_file``.

    The note is the paragraph starting ``> **Switch the study**`` (one line) in the first
    Markdown cell holding it; a notebook without one is returned unchanged.
    """
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if _NOTE.search(source):
            new = _NOTE.sub(lambda m: switch_note(params_file), source, count=1)
            cell["source"] = new if isinstance(cell["source"], str) else new.splitlines(keepends=True)
            break
    return nb


def rewrite(notebooks_dir: str | Path) -> list[Path]:
    """Rewrite the switch note of every stored notebook of ``notebooks_dir`` (naming the default); return the paths."""
    done = []
    for path in sorted(Path(notebooks_dir).glob("0[1-5]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        new = with_switch_note(nb)
        if new != nb:
            path.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            done.append(path)
    return done


if __name__ == "__main__":  # pragma: no cover
    from ..config import NOTEBOOKS_DIR

    for p in rewrite(sys.argv[1] if len(sys.argv) > 1 else NOTEBOOKS_DIR):
        print(p)
