"""The run folder: every path a study reads or writes, and versioned artifacts.

A study writes into one folder (``<run>/``)::

    study.json                 which params made this folder (name, params file, params hash)
    data/*.parquet             stage 1: canonical tables, analysis table, snapshots, quality report
    data/ground_truth.json     simulated studies: the planted truth
    artifacts/*.parquet|json   objects one stage hands to a later one (early-warning list,
                               survival curves, sBG and BG/NBD fits, the collection stamp)
    early_warning.csv          outputs for people: the warning list and the survival predictions
    survival_predictions.csv
    metrics.json               headline numbers (:mod:`churnlab.metrics`)
    manifest.json, report.html written by the runner only (a published study)
    NN_*.ipynb / .html         executed notebooks (runner)

Every artifact carries the churnlab artifact **schema version** and the **hash of the
params** that made it (Parquet key-value metadata, or a JSON envelope). An artifact
is read back only when both match the reading study: an artifact made under other
params, or by an older layout, counts as missing and is recomputed. There are no
pickles: a hand-over is a table or a small JSON document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .log import logger

#: Bump when the layout or meaning of any artifact changes.
SCHEMA_VERSION = 3  # 2: cohorts aged by renewal, curves after the observation end, lifetime models on
# attributes only, the warning list's churn_probability calibrated (model_score added);
# 3: survival curves carry the discounted months under parameter draws (E#d columns)
_META_KEY = b"churnlab"


def params_hash(params_json: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a params mapping, ``output_dir`` left out
    (where a study writes does not change what it computes)."""
    data = {k: v for k, v in params_json.items() if k != "output_dir"}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunFolder:
    """Paths of one run folder. Nothing outside this class spells a run-folder path."""

    root: Path

    @property
    def stamp(self) -> Path:
        return self.root / "study.json"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def early_warning_csv(self) -> Path:
        return self.root / "early_warning.csv"

    @property
    def survival_predictions_csv(self) -> Path:
        return self.root / "survival_predictions.csv"

    def artifact(self, name: str, suffix: str) -> Path:
        return self.artifacts / f"{name}.{suffix}"

    def is_published(self) -> bool:
        """A folder ``churnlab run`` published (it holds the runner's manifest)."""
        return self.manifest.exists()

    #: What a study writes (and may clear when the folder changes params); never the notebooks.
    def study_files(self) -> list[Path]:
        return [self.stamp, self.data, self.artifacts, self.metrics, self.early_warning_csv,
                self.survival_predictions_csv]


def _atomic(path: Path, write) -> Path:
    """Write through a temporary file in the same folder, then rename (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class ArtifactStore:
    """Read and write the artifacts of one run folder for one params hash."""

    def __init__(self, folder: RunFolder, params_hash: str, budget=None):
        """``budget``: a :class:`churnlab.memory.Budget` checked before a table is read whole."""
        self.folder = folder
        self.params_hash = params_hash
        self.budget = budget

    def _header(self, name: str, meta: dict[str, Any] | None) -> dict[str, Any]:
        return {"artifact": name, "schema_version": SCHEMA_VERSION, "params_hash": self.params_hash,
                "meta": meta or {}}

    def _valid(self, name: str, header: dict[str, Any] | None) -> bool:
        if not header:
            return False
        if header.get("schema_version") != SCHEMA_VERSION or header.get("params_hash") != self.params_hash:
            logger.info("artifact %s was made by other params or another churnlab layout: recomputing", name)
            return False
        return True

    # ------------------------------------------------------------------ tables
    def write_frame(self, name: str, df: pd.DataFrame, meta: dict[str, Any] | None = None) -> Path:
        """``artifacts/<name>.parquet`` with the header in the Parquet key-value metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        header = json.dumps(self._header(name, meta), default=str).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: header})
        return _atomic(self.folder.artifact(name, "parquet"), lambda p: pq.write_table(table, p))

    def read_frame(self, name: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """The table and its ``meta``, or None when missing, stale or unreadable."""
        import pyarrow.parquet as pq

        path = self.folder.artifact(name, "parquet")
        if not path.exists():
            return None
        try:
            raw = (pq.read_schema(path).metadata or {}).get(_META_KEY)
            header = json.loads(raw) if raw else None
        except (OSError, ValueError) as exc:
            logger.info("artifact %s is unreadable (%s): recomputing", name, exc)
            return None
        if not self._valid(name, header):
            return None
        from .memory import check_parquet

        check_parquet(f"artifact {name}", path, self.budget)
        return pd.read_parquet(path), header["meta"]

    # ------------------------------------------------------------------ documents
    def write_json(self, name: str, data: Any, meta: dict[str, Any] | None = None) -> Path:
        """``artifacts/<name>.json``: ``{header..., "data": data}``."""
        doc = self._header(name, meta) | {"data": data}
        text = json.dumps(doc, indent=1, sort_keys=True, default=str)
        return _atomic(self.folder.artifact(name, "json"), lambda p: p.write_text(text, encoding="utf-8"))

    def read_json(self, name: str) -> tuple[Any, dict[str, Any]] | None:
        """The document's ``data`` and ``meta``, or None when missing, stale or unreadable."""
        path = self.folder.artifact(name, "json")
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.info("artifact %s is unreadable (%s): recomputing", name, exc)
            return None
        if not isinstance(doc, dict) or not self._valid(name, doc):
            return None
        return doc.get("data"), doc.get("meta", {})


def clear_study_files(folder: RunFolder) -> None:
    """Remove what a study wrote into ``folder`` (not the executed notebooks)."""
    for path in folder.study_files():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- dataclass objects

def _jsonable(value: Any) -> bool:
    """Plain JSON data (table attrs worth keeping: counts, labels, renamed-column maps)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v) for v in value)
    return False


def _frame_name(name: str, path: str) -> str:
    return f"{name}__{path}" if path else name


class ObjectCodec:
    """Store a dataclass (fit results) as one JSON document plus one Parquet table per
    DataFrame field; nested dataclasses are stored in place. Floats keep full precision
    (JSON writes the shortest repr that round-trips; tables are Parquet)."""

    def __init__(self, store: ArtifactStore):
        self.store = store

    def _encode(self, name: str, obj: Any, path: str) -> Any:
        import dataclasses

        import numpy as np

        if isinstance(obj, pd.DataFrame):
            index = [n for n in obj.index.names if n is not None]
            frame = obj.reset_index() if index else obj
            attrs = {k: v for k, v in obj.attrs.items() if _jsonable(v)}
            self.store.write_frame(_frame_name(name, path), frame, {"index": index, "attrs": attrs})
            return {"__frame__": _frame_name(name, path)}
        if dataclasses.is_dataclass(obj):
            return {f.name: self._encode(name, getattr(obj, f.name), f"{path}.{f.name}".strip("."))
                    for f in dataclasses.fields(obj)}
        if isinstance(obj, pd.Timestamp):
            return {"__timestamp__": obj.isoformat()}
        if isinstance(obj, dt.date):
            return {"__date__": obj.isoformat()}
        if isinstance(obj, (np.floating, np.integer, np.bool_)):
            return obj.item()
        if isinstance(obj, (list, tuple)):
            return [self._encode(name, v, f"{path}.{i}") for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            return {str(k): self._encode(name, v, f"{path}.{k}") for k, v in obj.items()}
        return obj

    def write(self, name: str, obj: Any) -> Path:
        return self.store.write_json(name, self._encode(name, obj, ""))

    def _decode(self, cls: Any, value: Any) -> Any:
        import dataclasses
        import typing

        if isinstance(value, dict) and "__frame__" in value:
            got = self.store.read_frame(value["__frame__"])
            if got is None:
                raise LookupError(value["__frame__"])
            df, meta = got
            if meta.get("index"):
                df = df.set_index(meta["index"])
            df.attrs.update(meta.get("attrs", {}))
            return df
        if isinstance(value, dict) and "__timestamp__" in value:
            return pd.Timestamp(value["__timestamp__"])
        if isinstance(value, dict) and "__date__" in value:
            return dt.date.fromisoformat(value["__date__"])
        if dataclasses.is_dataclass(cls) and isinstance(value, dict):
            hints = typing.get_type_hints(cls)
            kwargs = {}
            for f in dataclasses.fields(cls):
                hint = hints.get(f.name)
                sub = next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), hint)
                kwargs[f.name] = self._decode(sub, value.get(f.name))
            return cls(**kwargs)
        return value

    def read(self, name: str, cls: type) -> tuple[bool, Any]:
        """``(found, object)``: ``found`` is False when the artifact (or one of its tables) is
        missing or stale; a fit that did not apply is stored, and read back, as None."""
        got = self.store.read_json(name)
        if got is None:
            return False, None
        try:
            return True, self._decode(cls, got[0])
        except (LookupError, TypeError) as exc:
            logger.info("artifact %s is incomplete (%s): recomputing", name, exc)
            return False, None
