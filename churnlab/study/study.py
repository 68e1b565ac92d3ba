"""The study object: one params file, one run folder, every stage's result on demand.

Every notebook opens the study from its two-line parameters cell::

    params_file = "params/telecom.yaml"
    output_dir = ""
    study = open_study(params_file, output_dir=output_dir, injected=globals())

The study validates the params once and knows its run folder
(:class:`~churnlab.artifacts.RunFolder`). It hands out what a stage needs:

* the canonical tables and the analysis table (stage 1), computed when missing;
* derived objects a later stage uses -- the early-warning list, the survival
  curves of the best AFT model, the sBG and BG/NBD fits -- computed when missing
  and read back when present and made by the same params (versioned artifacts,
  no pickles);
* each stage's typed result (:meth:`Study.collect`, :meth:`causes`,
  :meth:`survival`, :meth:`economics`, :meth:`kpis`), whose ``metrics()`` is
  recorded into ``metrics.json``.

So any notebook runs on its own: opened first, notebook 04 computes the
collection, the warning list and the survival curves it needs.

Where a study writes:

* under ``churnlab run``: the runner's temporary folder, published when all
  notebooks succeed;
* anywhere else (JupyterLab, a bare ``papermill`` run): ``output_dir`` if given,
  else ``outputs/lab/<study>/``. Such a run never writes into a folder the runner
  published (one holding a ``manifest.json``), and a folder holding another
  params file's results is cleared before use, so two studies never mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import i18n, memory, metrics
from ..artifacts import ArtifactStore, ObjectCodec, RunFolder, clear_study_files, params_hash
from ..config import OUTPUTS_DIR, resolve_path
from ..errors import StudyError
from ..log import logger
from ..params import StudyParams, load_params, validate_params
from ..params.load import study_name

#: Outside the runner, studies write under ``outputs/lab/<study>/``.
LAB_DIR = OUTPUTS_DIR / "lab"
#: The params keys ``papermill -f FILE`` may inject into a notebook.
PARAMS_KEYS = tuple(StudyParams.model_fields)


def _injected_params(injected: dict[str, Any] | None) -> dict[str, Any] | None:
    """The params mapping ``papermill -f FILE`` injected as notebook variables, if any.

    papermill turns each top-level key of FILE into a variable after the
    parameters cell; a whole params file always has ``scenario``, ``seed`` and
    ``source``, so only then are the variables taken as params.
    """
    if not injected or not all(k in injected for k in ("scenario", "seed", "source")):
        return None
    return {k: injected[k] for k in PARAMS_KEYS if k in injected}


def open_study(params_file: str | Path | None = None, *, output_dir: str | Path = "",
               injected: dict[str, Any] | None = None, params: StudyParams | None = None) -> "Study":
    """Open the study of ``params_file`` (or of ``params``, or of params injected by papermill).

    ``output_dir``: the run folder; empty means ``outputs/lab/<study name>/``.
    ``injected``: the notebook's ``globals()``; when papermill injected a whole
    params file (``papermill nb.ipynb out.ipynb -f my.yaml``), those params win
    over ``params_file``. Raises :class:`~churnlab.errors.ChurnlabError` (one
    line) for a bad params file or a folder it must not write into.
    """
    from_notebook = _injected_params(injected)
    if params is not None:
        name, path = params.scenario, None
    elif from_notebook is not None:
        params = validate_params(from_notebook, source="params injected by papermill")
        path = None
        name = f"{params.scenario}-{params_hash(params.to_notebook())[:8]}"
    elif params_file is not None:
        path = resolve_path(params_file)
        params = load_params(path)
        name = study_name(path)  # a plain folder name: never outputs/lab/. itself
    else:
        raise StudyError("open_study: give a params file (params_file = \"params/telecom.yaml\")")
    out = output_dir or params.output_dir
    root = resolve_path(out) if out else LAB_DIR / name
    i18n.set_language(params.lang)  # the display language of the notebook session
    return Study(params, name=name, params_file=path, folder=RunFolder(root))


@dataclass
class Study:
    """One study: validated params, its run folder and its cached results (see the module docstring)."""

    params: StudyParams
    name: str
    params_file: Path | None
    folder: RunFolder
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.hash = params_hash(self.params.to_notebook())
        #: what this process may hold (:mod:`churnlab.memory`): fixed when the study opens
        self.budget = memory.budget_bytes(self.params.scale.memory_gb)
        self.store = ArtifactStore(self.folder, self.hash, budget=self.budget)
        self._claim_folder()

    # ------------------------------------------------------------------ the folder
    def _claim_folder(self) -> None:
        f = self.folder
        if f.is_published():
            raise StudyError(
                f"{f.root}: this folder was published by `churnlab run`; a notebook run outside the "
                "runner never writes there. Leave output_dir empty (outputs/lab/<study>/) or choose "
                "another folder")
        stamp = json.loads(f.stamp.read_text(encoding="utf-8")) if f.stamp.exists() else None
        if stamp is not None and stamp.get("params_hash") != self.hash:
            logger.info("%s held the results of other params (%s); clearing it for %s", f.root,
                        stamp.get("params_file") or stamp.get("name"), self.name)
            clear_study_files(f)
        f.root.mkdir(parents=True, exist_ok=True)
        if stamp is None or stamp.get("params_hash") != self.hash:
            metrics.write_json(f.stamp, {"name": self.name, "params_hash": self.hash,
                                         "params_file": str(self.params_file) if self.params_file else None,
                                         "scenario": self.params.scenario})

    @property
    def run_dir(self) -> Path:
        return self.folder.root

    def __repr__(self) -> str:
        return f"Study({self.name!r}, scenario={self.params.scenario!r}, folder={str(self.run_dir)!r})"

    # ------------------------------------------------------------------ the course kit
    def metrics(self) -> dict:
        """The run's ``metrics.json`` as recorded so far (a plain mapping)."""
        return metrics.read(self.run_dir)

    def exercise(self, exercise_id: str):
        """The prompt of a course exercise with this run's numbers (:mod:`churnlab.course`)."""
        from ..course import prompt

        return prompt(exercise_id, self.metrics())

    def check(self, exercise_id: str, answer):
        """Check an exercise answer against this run's numbers: ``correct``, ``close: ...`` or ``not yet: ...``."""
        from ..course import check

        return check(exercise_id, answer, self.metrics())

    def _memo(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def record(self, result) -> dict:
        """Write each ``metrics.json`` section of a stage result; return the whole file."""
        data: dict = {}
        for section, values in result.metrics().items():
            data = metrics.record(self.run_dir, section, values)
        return data

    # ------------------------------------------------------------------ stage 1
    def collection(self):
        """The canonical tables, analysis table and snapshots (stage 1), computed once."""
        return self._memo("collection", self._collection)

    def _collection(self):
        from ..collect import collect, load

        if self.store.read_json("collection") is not None:
            for name, label in (("analysis", "the analysis table"), ("snapshots", "the snapshots")):
                memory.check_parquet(label, self.folder.data / f"{name}.parquet", self.budget)
            return load(self.run_dir)
        self._check_collection_fits()
        col = collect(self.params, self.folder.data)
        self.store.write_json("collection", {"tables": sorted(col.tables)})
        return col

    def _check_collection_fits(self) -> None:
        """Before a simulated base is collected on DuckDB: would its analysis table and
        snapshots, built in pandas, fit the budget? (:func:`churnlab.memory.collection_bytes`)"""
        from ..params import SimulatedSource

        if self.params.engine != "duckdb" or not isinstance(self.params.source, SimulatedSource):
            return
        n = self.params.source.n_customers
        memory.check("the analysis table and snapshots", n,
                     memory.collection_bytes(n, self.params.snapshots.count), self.budget)

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        """A canonical table of this study, read once (None if the study has none); stops with
        one line when reading it whole would exceed the memory budget."""
        def read():
            path = self.collection().tables.get(name)
            if path is None:
                return None
            memory.check_parquet(name, path, self.budget, columns)
            return pd.read_parquet(path, columns=columns)
        return self._memo(f"table:{name}:{columns}", read)

    def tables(self, *names: str) -> dict[str, pd.DataFrame]:
        """The present tables among ``names`` (``transactions`` as :meth:`transactions` gives them)."""
        read = {n: self.transactions() if n == "transactions" else self.table(n) for n in names}
        return {n: t for n, t in read.items() if t is not None}

    def collect(self):
        """Stage 1's result (notebook 01); records the ``data`` section."""
        from ..collect.stage import describe

        res = describe(self.params, self.collection())
        self.record(res)
        return res

    # ------------------------------------------------------------------ stage 2
    def early_warning(self):
        """The early-warning model and list (stage 2), computed once per kernel."""
        from ..causes.stage import early_warning

        def make():
            ew = early_warning(self.params, self.collection())
            if ew.warning_list is not None:
                self.store.write_frame("warning_list", ew.warning_list,
                                       {"held_out": ew.warning_list.attrs.get("held_out")})
                ew.warning_list.to_csv(self.folder.early_warning_csv, index=False)
            return ew
        return self._memo("early_warning", make)

    def warning_list(self) -> pd.DataFrame | None:
        """The early-warning list: from memory, from the artifact, else computed (stage 2)."""
        if "early_warning" in self._cache:
            return self._cache["early_warning"].warning_list
        got = self.store.read_frame("warning_list")
        if got is None:
            return self.early_warning().warning_list
        frame, meta = got
        frame.attrs["held_out"] = meta.get("held_out")
        return frame

    def causes(self):
        """Stage 2's result (notebook 02); records ``causes`` and ``warning``."""
        from ..causes.stage import analyse

        res = analyse(self.params, self.collection(), self.early_warning())
        self.record(res)
        return res

    # ------------------------------------------------------------------ stage 3
    def prepared(self):
        """The survival table and model covariates (:func:`churnlab.survival.prepare`): computed
        once per study and kept as an artifact for notebooks 03-05."""
        from ..survival import Prepared, prepare

        return self._fit("prepared", Prepared, lambda: prepare(
            self.collection().analysis, self.params.survival, self.collection().ground_truth))

    def transactions(self) -> pd.DataFrame | None:
        """Purchase lines (``customer_id``, ``date``, ``amount``), or None."""
        return self.table("transactions", ["customer_id", "date", "amount"])

    def _keep_survival_objects(self, curves, sbg, bgnbd) -> None:
        """Cache the stage-3 fits and write them as artifacts for later notebooks."""
        codec = ObjectCodec(self.store)
        self._cache.update(curves=curves, sbg=sbg, bgnbd=bgnbd)
        self._write_curves(curves)
        codec.write("sbg", sbg)
        codec.write("bgnbd", bgnbd)

    def _write_curves(self, curves) -> None:
        if curves is not None:
            self.store.write_frame("survival_curves", curves.to_frame(),
                                   {"model": curves.model, "unit": curves.unit, "cap": curves.cap,
                                    "lag": curves.lag, "value_basis": curves.value_basis})

    def survival_curves(self):
        """Conditional survival curves of active customers from the best AFT model (or None)."""
        from ..survival.curves import SurvivalCurves
        from ..survival.stage import fit_curves

        def make():
            got = self.store.read_frame("survival_curves")
            if got is not None:
                df, meta = got
                return SurvivalCurves.from_frame(df, model=meta["model"], unit=meta["unit"], cap=meta["cap"],
                                                 lag=meta.get("lag", 0.0),
                                                 value_basis=meta.get("value_basis"))
            curves = fit_curves(self.params, self.prepared())[1]
            self._write_curves(curves)
            return curves
        return self._memo("curves", make)

    def _fit(self, key: str, cls, fit):
        """``key``'s object: from memory, from its artifact (None when the fit did not apply),
        else fitted by ``fit()`` and written."""
        def make():
            codec = ObjectCodec(self.store)
            found, obj = codec.read(key, cls)
            if not found:
                obj = fit()
                codec.write(key, obj)
            return obj
        return self._memo(key, make)

    def sbg(self):
        """The sBG on acquisition cohorts (``survival.cohort_period``), or None when not applicable."""
        from ..clv import SBGProjection
        from ..survival.stage import fit_sbg

        return self._fit("sbg", SBGProjection,
                         lambda: fit_sbg(self.params, self.collection(), self.prepared()))

    def bgnbd(self):
        """The BG/NBD as of ``as_of``, or None when not applicable."""
        from ..clv import BGNBDStudy
        from ..survival.stage import fit_bgnbd

        return self._fit("bgnbd", BGNBDStudy,
                         lambda: fit_bgnbd(self.params, self.collection(), self.transactions()))

    def survival(self):
        """Stage 3's result (notebook 03); records ``survival`` and keeps its fits as artifacts."""
        from ..survival.stage import analyse

        res = analyse(self.params, self.collection(), self.prepared(), transactions=self.transactions())
        self._keep_survival_objects(res.curves, res.sbg, res.bgnbd)
        if res.predictions is not None:
            res.predictions.to_csv(self.folder.survival_predictions_csv, index=False)
        self.record(res)
        return res

    # ------------------------------------------------------------------ stages 4 and 5
    def economics(self):
        """Stage 4's result (notebook 04); records ``value``, ``cost`` and ``retention``."""
        from ..economics.stage import analyse

        res = analyse(self.params, self.collection(), self.prepared(), curves=self.survival_curves(),
                      sbg=self.sbg(), bgnbd=self.bgnbd(), warning_list=self.warning_list(),
                      tables=self.tables("offers", "exit_reasons", "transactions"))
        self.record(res)
        return res

    def kpis(self):
        """Stage 5's result (notebook 05); records ``kpi``."""
        from ..kpi.stage import evaluate

        tables = self.tables("subscriptions", "usage", "interactions", "offers", "customers", "transactions")
        res = evaluate(self.params, self.collection(), self.prepared(), tables=tables)
        self.record(res)
        return res
