"""Stage 1's data-quality report: one row per check (table, check, rows, action, detail).

Rows read, values missing, rows dropped by cleaning (with the reason), dates past
``as_of`` and customers missing from a table. The notebook shows the report as it
is; dropped rows never enter a later number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


def event_span(con: duckdb.DuckDBPyConnection, tables: dict[str, Path]) -> tuple[dt.date, dt.date] | None:
    """First and last day of the customers' history: purchase dates, contract starts and ends."""
    cols = {"transactions": ("date",), "subscriptions": ("start_date", "end_date")}
    lo = hi = None
    for name, names in cols.items():
        if name not in tables:
            continue
        for col in names:
            a, b = con.execute(f"SELECT min({ident(col)}), max({ident(col)}) "
                               f"FROM read_parquet({lit(str(tables[name]))})").fetchall()[0]
            if a is not None:
                lo = min(lo, pd.Timestamp(a).date()) if lo else pd.Timestamp(a).date()
                hi = max(hi, pd.Timestamp(b).date()) if hi else pd.Timestamp(b).date()
    return (lo, hi) if lo is not None else None


def check_window(span: tuple[dt.date, dt.date] | None, label: str, *, as_of: dt.date,
                 definition: str, inactivity_days: int, window_days: int) -> None:
    """The churn definition must be observable in the data's history; else one line naming why.

    - ``as_of`` after all data: if the last purchase is more than the definition's window
      (``inactivity_days``; ``window_days`` for partial/category) before ``as_of``, every
      customer would look churned. (An open contract is data up to ``as_of``: contracts that
      all ended long before leave no one who stayed, which :func:`check_minimum` says.)
    - a window longer than the history: inactivity needs ``inactivity_days`` of history before
      ``as_of``, partial and category defection ``2 x window_days`` (baseline and recent window).
    """
    if span is None or definition == "contractual":
        return
    first, last = span
    key, days = (("churn.inactivity_days", inactivity_days) if definition == "inactivity"
                 else ("churn.window_days", window_days))
    if (as_of - last).days > days:
        raise DataError(f"{label}: as_of {as_of} is after all data (the last date is {last}, "
                        f"{(as_of - last).days} days earlier, more than {key} = {days}); "
                        f"expected an as_of within the data's dates")
    need = {"inactivity": inactivity_days, "partial": 2 * window_days,
            "category": 2 * window_days}.get(definition)
    if need is not None and (as_of - first).days < need:
        what = "the window" if definition == "inactivity" else "a baseline and a recent window"
        raise DataError(f"{label}: {key} = {days} needs {need} days of history before as_of "
                        f"({what}); the data start on {first}, {(as_of - first).days} days before "
                        f"as_of {as_of}: expected a shorter {key} or a later as_of")


@dataclass(frozen=True)
class Minimum:
    """The fewest customers, churners and stayers the cause and survival models can be fitted on."""

    customers: int = 50
    churned: int = 10
    stayed: int = 10


def check_minimum(n_customers: int, n_churned: int, label: str, *, as_of: dt.date,
                  definition: str, minimum: Minimum = Minimum()) -> None:
    """Too few customers, churners or stayers for the models: one line stating the minimum.

    Said at collection, where the cause is (a small export, an early ``as_of``, a
    definition that marks nearly everyone), rather than as a plotting error in notebook 02.
    """
    stayed = n_customers - n_churned
    if (n_customers < minimum.customers or n_churned < minimum.churned
            or stayed < minimum.stayed):
        raise DataError(f"{label}: {n_customers} customers as of {as_of}, {n_churned} churned and "
                        f"{stayed} stayed under churn.definition {definition!r}; the models need "
                        f"at least {minimum.customers} customers, {minimum.churned} churned and "
                        f"{minimum.stayed} stayed (check as_of, churn.* and the data)")
