"""Reading and writing ``<run>/metrics.json``, the headline numbers of a run.

Each stage records its section (``data``, ``causes``, ``survival``, ...) with
:func:`record`, which checks it against its model in
:mod:`churnlab.metrics.sections` first. The file holds results only, never
timings, and is written with sorted keys and floats rounded to 12 significant
digits (``NaN`` -> ``null``) so that the same params and seed give a
byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .sections import StudyMetrics, dump, parse, validate_section

FILENAME = "metrics.json"
SIGNIFICANT = 12


def clean(value: Any) -> Any:
    """JSON-able, deterministic form of ``value`` (numpy scalars, NaN -> None, dates -> ISO)."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        x = float(value)
        if not math.isfinite(x):
            return None
        return float(f"{x:.{SIGNIFICANT}g}")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return value


def dumps(data: dict) -> str:
    """The canonical text of a metrics mapping."""
    return json.dumps(clean(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: str | Path, data: dict) -> Path:
    """Write ``data`` atomically (temp file + rename) in canonical form."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dumps(data), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read(run_dir: str | Path) -> dict:
    """The metrics recorded so far in ``run_dir`` (empty if none)."""
    path = Path(run_dir) / FILENAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load(run_dir: str | Path) -> StudyMetrics:
    """The metrics of ``run_dir`` as :class:`StudyMetrics` (:class:`MetricsError` if the file does not fit)."""
    return parse(read(run_dir))


def record(run_dir: str | Path, section: str, values: dict) -> dict:
    """Set ``metrics[section] = values`` in ``<run_dir>/metrics.json``; return the whole mapping.

    ``values`` is cleaned (:func:`clean`) and validated against the section's
    model first: an unknown section, a misspelt key or a value of the wrong
    type raises :class:`~churnlab.metrics.sections.MetricsError` naming the
    section and key, and nothing is written.
    """
    data = read(run_dir)
    data[section] = dump(validate_section(section, clean(values)))
    write_json(Path(run_dir) / FILENAME, data)
    return data
