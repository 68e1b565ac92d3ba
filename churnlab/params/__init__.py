"""Study parameters: one YAML file per study, validated once, early.

A params file is both the input of ``churnlab run`` and a papermill parameters
file (``papermill nb.ipynb out.ipynb -f params/telecom.yaml``): its top-level
keys are the names in each notebook's ``parameters`` cell.

Validation (pydantic) checks types, ranges and required fields, and treats
**unknown keys as errors** (papermill itself only warns). Every failure becomes
one :class:`~churnlab.errors.ParamsError` line that names the file, the key
and what was expected, e.g.::

    params/telecom.yaml: churn.inactivity_days: expected an integer >= 1, got 'six'

Modules: :mod:`.sections` (one model per section), :mod:`.sources` (the data source),
:mod:`.study` (:class:`StudyParams`), :mod:`.load` (reading files, one-line errors).

Keys (see the README for the full reference):

``scenario``     telecom | retail | software (the industry template).
``seed``         integer seed for every random step.
``as_of``        observation end, ``YYYY-MM-DD``: churn is judged as of this day
                 and no data after it enters a feature.
``kpi_period``   month | quarter | year, the period of KPI tables.
``churn``        the churn definition and its settings (:class:`ChurnParams`).
``snapshots``    point-in-time snapshots for prediction (:class:`SnapshotParams`).
``source``       where the data comes from: the simulator or files
                 (:class:`SimulatedSource`, :class:`FileSource`).
``engine``       duckdb | spark: what runs the collection (stage 1); DuckDB, embedded, is
                 the default, Spark reads the same Ibis expressions (:class:`SparkParams`).
``spark``        ``master`` and ``config`` of the Spark session when ``engine: spark``.
``scale``        model sample size and memory budget for large bases (:class:`ScaleParams`).
``playbook``     cause -> action overrides (:class:`PlaybookParams`).
``warning``      early-warning risk tiers by rank (:class:`WarningParams`).
``survival``     survival models, sBG and BG/NBD settings (:class:`SurvivalParams`).
``value``, ``costs``, ``campaign``, ``fixes``  customer value, cost of churn, retention
                 campaign and candidate fixes (notebook 04; :class:`ValueParams`,
                 :class:`CostParams`, :class:`CampaignParams`, :class:`FixParams`).
``kpi``          KPI targets and evaluation settings (notebook 05; :class:`KpiParams`).
``output_dir``   where the run writes; empty means ``outputs/lab/<study>/`` outside the runner
                 (:func:`churnlab.open_study`); the runner sets its own folder.
"""

from .load import load_params, read_params_file, scenario_params_path, validate_params  # noqa: F401
from .sections import (  # noqa: F401
    HIGHER_IS_BETTER, KPI_KINDS, CampaignParams, ChurnParams, CostParams, FixParams, KpiParams, PlaybookParams,
    ScaleParams, SparkParams, Target,
    Scenario, SnapshotParams, SurvivalParams, ValueParams, WarningParams,
)
from .sources import FileSource, SimulatedSource, Source, TableSource  # noqa: F401
from .study import StudyParams  # noqa: F401
