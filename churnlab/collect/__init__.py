"""Stage 1, data collection: canonical tables, churn definitions, features, the analysis table.

Modules: :mod:`.schema` (canonical tables), :mod:`.sources` (exports -> tables, DuckDB),
:mod:`.definitions` (churn definitions), :mod:`.features` (features as of a cutoff),
:mod:`.pipeline` (the stage: quality report, analysis table, snapshots), :mod:`.plots`.
"""

from .pipeline import (  # noqa: F401
    DATE_COLUMNS, Collection, missingness, load_small_table, load_transactions, check_simulated,
    id_coverage, gather_tables, churn_status, ACTIVITY, analysis_table, snapshot_dates,
    SNAPSHOT_DROP, snapshots, collect, collect_tables, load, compare_definitions,
    table_overview, summary_metrics
)
