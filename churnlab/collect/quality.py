"""Stage 1's data-quality report: one row per check (table, check, rows, action, detail).

Rows read, values missing, rows dropped by cleaning (with the reason), dates past
``as_of`` and customers missing from a table. The notebook shows the report as it
is; dropped rows never enter a later number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import DataError, shown
from ..schema import TABLES
from .sources import ident, lit

#: Tables whose rows are events in time (checked against ``as_of``).
DATE_COLUMNS = {"subscriptions": "start_date", "transactions": "date", "usage": "period",
                "interactions": "date", "exit_reasons": "date", "offers": "date"}


def qrow(table: str, check: str, rows: int, action: str, detail: str = "") -> dict:
    return {"table": table, "check": check, "rows": int(rows), "detail": detail, "action": action}


def missingness(df: pd.DataFrame, table: str, *, skip: tuple[str, ...] = ()) -> list[dict]:
    """Quality rows for columns with empty cells (kept as missing).

    Open end dates and their end reasons are not missing data (active contracts).
    """
    out = []
    for col, n in df.isna().sum().items():
        if n and col not in ("end_date", "end_reason") + skip:
            out.append(qrow(table, f"missing {col}", n, "kept as missing",
                             f"{n / len(df):.1%} of rows"))
    return out


def check_simulated(con: duckdb.DuckDBPyConnection, paths: dict[str, Path]) -> list[dict]:
    """Check the simulator's canonical files from their Parquet statistics.

    The simulator writes canonical tables (its own tests check the schemas and
    values); here every required column must be present, non-nullable columns
    must hold no empty value and bounded columns (``amount > 0``,
    ``response_hours >= 0``) must respect their bounds. Row-group statistics
    answer this without scanning, which matters at 50M transaction lines.
    """
    quality = []
    for name, path in paths.items():
        spec = TABLES[name]
        stats = {r[0]: r[1:] for r in con.execute(f"""
            SELECT path_in_schema, sum(stats_null_count),
                   min(TRY_CAST(stats_min_value AS DOUBLE))
            FROM parquet_metadata({lit(str(path))}) GROUP BY path_in_schema""").fetchall()}
        for col in spec.columns:
            if col.name not in stats:
                if col.required:
                    raise DataError(f"{path}: required column {col.name!r} is missing")
                continue
            nulls, vmin = stats[col.name]
            if nulls and not col.nullable:
                raise DataError(f"{path}: column {col.name!r} has {nulls} empty value(s)")
            if vmin is None:
                continue
            if col.name == "amount" and vmin <= 0:
                raise DataError(f"{path}: column 'amount' has values <= 0")
            if col.min_value is not None and vmin < col.min_value:
                raise DataError(f"{path}: column {col.name!r} has values below {col.min_value}")
        nrows = con.execute(
            f"SELECT sum(num_rows) FROM parquet_file_metadata({lit(str(path))})").fetchall()[0][0]
        quality.append(qrow(name, "rows read", nrows, "", "simulated"))
    return quality


def check_as_of(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], labels: dict[str, str],
                 as_of: dt.date) -> list[dict]:
    """Date coverage per table; ``as_of`` before all data is an error."""
    rows = []
    for name, col in DATE_COLUMNS.items():
        if name not in tables:
            continue
        lo, hi, after = con.execute(
            f"SELECT min({ident(col)}), max({ident(col)}), "
            f"count(*) FILTER (WHERE {ident(col)} >= TIMESTAMP {lit(str(as_of))} + INTERVAL 1 DAY) "
            f"FROM read_parquet({lit(str(tables[name]))})").fetchall()[0]
        if lo is None:
            continue
        if name in ("subscriptions", "transactions") and pd.Timestamp(lo).date() > as_of:
            raise DataError(f"{labels.get(name, tables[name])}: as_of {as_of} is before all data "
                            f"(first {col} is {pd.Timestamp(lo):%Y-%m-%d}); "
                            "expected an as_of within the data's dates")
        rows.append(qrow(name, "date coverage", 0, "",
                          f"{pd.Timestamp(lo):%Y-%m-%d} to {pd.Timestamp(hi):%Y-%m-%d}"))
        if after:
            rows.append(qrow(name, f"{col} after as_of", after,
                              "kept for holdout checks; not used in features or churn"))
    return rows


def id_coverage(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], labels: dict[str, str],
                analysis: pd.DataFrame, *, sample: int = 1000) -> list[dict]:
    """Check that every table speaks of the study's customers; none at all is an error.

    IDs written differently in two exports ('0012' vs 12, '17850.0' vs
    '17850') would otherwise leave every attribute or event silently empty.
    The first ``sample`` IDs of each table are looked up (enough to see a
    format mismatch without scanning a 50M-line file); for the customers table
    the report also counts study customers it lacks.
    """
    con.register("churnlab_ids", analysis[["customer_id"]])
    rows = []
    for name, path in tables.items():
        ids = [r[0] for r in con.execute(
            f"SELECT customer_id FROM read_parquet({lit(str(path))}) WHERE customer_id IS NOT NULL "
            f"LIMIT {int(sample)}").fetchall()]
        known = None
        if name == "customers":  # one row per customer: worth the full count
            known = con.execute(f"""
                SELECT count(*) FROM churnlab_ids WHERE customer_id IN
                    (SELECT customer_id FROM read_parquet({lit(str(path))}))""").fetchall()[0][0]
        if ids and (known == 0 or (known is None and not analysis["customer_id"].isin(ids).any())):
            raise DataError(
                f"{labels.get(name, path)}: none of its customer IDs matches a customer of the "
                f"study (e.g. {shown(ids[0])} here, {shown(analysis['customer_id'].iloc[0])} there); "
                "check that IDs are written the same way in every file")
        if known is not None and known < len(analysis):
            rows.append(qrow(name, "study customers without a customers row",
                              len(analysis) - known, "attributes left missing"))
    return rows
