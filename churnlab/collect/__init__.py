"""Stage 1, data collection: canonical tables, churn definitions, features, the analysis table.

Modules: :mod:`.sources` (exports -> tables, DuckDB), :mod:`.definitions` (churn definitions),
:mod:`.features` (features as of a cutoff), :mod:`.pipeline` (tables, analysis table, snapshots),
:mod:`.quality` (the data-quality report), :mod:`.summary` (definitions compared, the ``data``
metrics), :mod:`.stage` (notebook 01's result), :mod:`.plots` (its figures).
"""

from .pipeline import (  # noqa: F401
    ACTIVITY, SNAPSHOT_DROP, Collection, analysis_table, churn_status, collect, collect_tables,
    gather_tables, load, load_small_table, load_transactions, snapshot_dates, snapshots,
)
from .quality import DATE_COLUMNS, check_simulated, id_coverage, missingness  # noqa: F401
from .summary import compare_definitions, summary_metrics, table_overview  # noqa: F401
