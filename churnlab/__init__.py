"""churnlab: a reproducible churn-study workbook.

One package per stage, in the order the notebooks run them:

1. data collection    -- :mod:`churnlab.collect`   (notebook 01)
2. cause analysis     -- :mod:`churnlab.causes`    (notebook 02)
3. survival modelling -- :mod:`churnlab.survival`, :mod:`churnlab.clv` (notebook 03)
4. cost of churn      -- :mod:`churnlab.economics` (notebook 04)
5. KPI evaluation     -- :mod:`churnlab.kpi`       (notebook 05), then :mod:`churnlab.report`

Shared concepts have one home each: :mod:`~churnlab.units`, :mod:`~churnlab.discount`,
:mod:`~churnlab.intervals`, :mod:`~churnlab.design`, :mod:`~churnlab.figures`,
:mod:`~churnlab.schema`, :mod:`~churnlab.params`, :mod:`~churnlab.metrics`,
:mod:`~churnlab.artifacts` (run-folder paths), :mod:`~churnlab.errors`, :mod:`~churnlab.log`.

:func:`open_study` (in :mod:`churnlab.study`) is what every notebook calls; the runner
(``churnlab run``) executes the notebooks per study with papermill.
"""

__version__ = "0.2.0"


def open_study(params_file=None, **kwargs):
    """Open a study (see :func:`churnlab.study.study.open_study`)."""
    from .study.study import open_study as _open

    return _open(params_file, **kwargs)
