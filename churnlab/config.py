"""Project paths, built once from the project root.

Relative paths in a params file (data files, output folders) are resolved
against :data:`PROJECT_ROOT`, the folder that holds ``params/`` and
``notebooks/``, whatever the current working directory is. That way a params
file means the same thing from the CLI, from papermill and from a notebook
opened in JupyterLab (whose working directory is ``notebooks/``).
Set ``CHURNLAB_ROOT`` to use another project folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("CHURNLAB_ROOT", Path(__file__).resolve().parents[1])).resolve()
PARAMS_DIR = PROJECT_ROOT / "params"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
DATA_DIR = PROJECT_ROOT / "data"

SCENARIOS = ("telecom", "retail", "software")

#: Notebooks of a study, in the order they run.
NOTEBOOKS = ("01_data_collection.ipynb", "02_cause_analysis.ipynb", "03_survival_modelling.ipynb",
             "04_cost_of_churn.ipynb", "05_kpi_evaluation.ipynb")

#: A notebook's HTML: ``NAME.html`` without code (for managers) and ``NAME`` + this suffix with it.
CODE_HTML_SUFFIX = ".code.html"


def resolve_path(path: str | os.PathLike) -> Path:
    """Return ``path`` as an absolute path; relative paths hang off the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_ROOT / p).resolve()

#: Params sections a notebook needs; without them the runner skips it (and says so).
NOTEBOOK_REQUIRES = {"04_cost_of_churn.ipynb": ("value", "costs", "campaign")}
