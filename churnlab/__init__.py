"""churnlab: a reproducible churn-study workbook.

Stages (one notebook each, one module family each):

1. data collection  -- :mod:`churnlab.collect` (+ :mod:`~churnlab.simulate`,
   :mod:`~churnlab.sources`, :mod:`~churnlab.schema`, :mod:`~churnlab.definitions`,
   :mod:`~churnlab.features`)

The runner (:mod:`churnlab.runner`, CLI ``churnlab run``) executes the
notebooks per scenario with papermill.
"""

__version__ = "0.1.0"
