"""Reading exported files onto canonical tables (the bring-your-own-data path).

Every table goes through DuckDB: the file is opened with ``read_csv`` (all
columns as text) or ``read_parquet``, each mapped column is renamed and cast to
its canonical kind, and one query counts the rows that cannot be converted.
Problems that a person must fix (a missing column, a non-numeric amount, an
unparseable date, a value outside the mapping) raise one
:class:`~churnlab.errors.DataError` that names the file, the column, the
problem and the number of bad rows. Mess that has a standard remedy (missing
customer IDs, cancellations, returns, exact duplicates) is removed and
reported in the data-quality table instead.

SQL is built from quoted identifiers and literals (:func:`ident`, :func:`lit`),
never from raw user text.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..config import resolve_path
from ..errors import DataError, shown
from ..params import TableSource
from ..schema import TABLES, Column


def ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + str(name).replace('"', '""') + '"'


def lit(value: Any) -> str:
    """A DuckDB literal for a str/bool/number/None value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def connect(memory_limit: str = "3GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection with a memory cap (it spills to disk beyond)."""
    spill = Path(tempfile.gettempdir()) / "churnlab-duckdb"  # not a .tmp/ in the working folder
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(spill)})
    con.execute("SET TimeZone = 'UTC'")  # dates with offsets become UTC; others stay as written
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    return con


@dataclass(frozen=True)
class SourceTable:
    """A source file opened in DuckDB, with its canonical ``SELECT`` and checks."""

    table: str
    path: Path
    relation: str  # SQL of the raw file (read_csv/read_parquet call)
    select: dict[str, str]  # canonical column -> SQL expression over the raw file
    raw: dict[str, str]  # canonical column -> raw column (identifier)
    attributes: tuple[str, ...]  # extra raw columns kept as-is

    @property
    def label(self) -> str:
        return str(self.path)

    def sql(self) -> str:
        """``SELECT`` of the canonical columns (plus kept attributes) from the file."""
        cols = [f"{expr} AS {ident(name)}" for name, expr in self.select.items()]
        cols += [ident(a) for a in self.attributes]
        return f"SELECT {', '.join(cols)} FROM {self.relation}"


def _relation(path: Path, spec: TableSource) -> str:
    fmt = spec.format
    if fmt == "auto":
        suffixes = "".join(path.suffixes).lower()
        fmt = "parquet" if ".parquet" in suffixes or suffixes.endswith(".pq") else "csv"
    if fmt == "parquet":
        return f"read_parquet({lit(str(path))})"
    return (f"read_csv({lit(str(path))}, all_varchar = true, header = true, "
            f"delim = {lit(spec.delimiter)}, sample_size = -1)")


def _describe(con: duckdb.DuckDBPyConnection, relation: str, label: str) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        hint = ("; if its fields are not separated by commas, set delimiter"
                if "read_csv" in relation else "")
        raise DataError(f"{label}: cannot read the file ({first}){hint}") from None
    return {r[0]: r[1] for r in rows}


def _cast(col: Column, raw: str, raw_type: str, values: dict[Any, Any] | None,
          date_format: str | None) -> str:
    """SQL that turns raw column ``raw`` into canonical ``col`` (NULL where it can't)."""
    r = ident(raw)
    text = raw_type == "VARCHAR"
    if values:
        cases = " ".join(f"WHEN {lit(str(k))} THEN {lit(v)}" for k, v in values.items())
        src = f"trim(CAST({r} AS VARCHAR))"
        mapped = f"CASE {src} {cases} ELSE NULL END"
        if col.kind == "bool":
            return f"CAST({mapped} AS BOOLEAN)"
        if col.kind == "number":
            return f"TRY_CAST({mapped} AS DOUBLE)"
        return f"CAST({mapped} AS VARCHAR)"
    if col.kind == "id":
        if raw_type in ("DOUBLE", "FLOAT") or raw_type.startswith("DECIMAL"):
            # 17850.0 -> '17850'; a fractional ID is not an ID (NULL -> reported)
            return f"CASE WHEN {r} = floor({r}) THEN CAST(CAST({r} AS BIGINT) AS VARCHAR) END"
        if text:
            return f"regexp_replace(NULLIF(trim({r}), ''), '\\.0$', '')"
        return f"CAST({r} AS VARCHAR)"
    if col.kind == "date":
        # time-zone offsets are converted to UTC, then dropped; plain times stay as written
        if raw_type.startswith(("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")):
            return f"timezone('UTC', CAST({r} AS TIMESTAMPTZ))"
        if not text:
            return f"TRY_CAST({r} AS TIMESTAMP)"
        if date_format:
            parsed = f"try_strptime(NULLIF(trim({r}), ''), {lit(date_format)})"
            return f"timezone('UTC', {parsed})" if "%z" in date_format else parsed
        return f"timezone('UTC', TRY_CAST(NULLIF(trim({r}), '') AS TIMESTAMPTZ))"
    if col.kind == "number":
        return f"TRY_CAST(NULLIF(trim({r}), '') AS DOUBLE)" if text else f"CAST({r} AS DOUBLE)"
    if col.kind == "bool":
        if not text:
            return f"TRY_CAST({r} AS BOOLEAN)"
        low = f"lower(trim({r}))"
        return (f"CASE WHEN {low} IN ('true','t','yes','y','1') THEN TRUE "
                f"WHEN {low} IN ('false','f','no','n','0') THEN FALSE ELSE NULL END")
    return f"NULLIF(trim(CAST({r} AS VARCHAR)), '')" if text else f"CAST({r} AS VARCHAR)"


def open_table(con: duckdb.DuckDBPyConnection, table: str, spec: TableSource) -> SourceTable:
    """Open ``spec.path`` and map it onto canonical ``table``; check the columns exist.

    Raises :class:`DataError` for a missing or empty file and for a mapped
    column that is not in the file.
    """
    path = resolve_path(spec.path)
    label = str(spec.path)
    if not path.exists():
        raise DataError(f"{label}: file not found (source.tables.{table}.path)")
    if path.stat().st_size == 0:
        raise DataError(f"{label}: the file is empty; expected a header line and data rows")
    relation = _relation(path, spec)
    types = _describe(con, relation, label)
    tspec = TABLES[table]
    for canon, src in spec.columns.items():
        if src not in types:
            raise DataError(
                f"{label}: column {shown(src)} (mapped to {table}.{canon}) is not in the file; "
                f"its columns are {shown(list(types), 120)}"
            )
    select: dict[str, str] = {}
    raw: dict[str, str] = {}
    for col in tspec.columns:
        src = spec.columns.get(col.name, col.name)
        if src not in types:
            if col.required and not (col.name == "amount" and _has_price(spec, types)):
                raise DataError(
                    f"{label}: required column {col.name!r} of the {table} table is missing; "
                    f"map it with source.tables.{table}.columns.{col.name}: <column in the file>"
                )
            continue
        raw[col.name] = src
        select[col.name] = _cast(col, src, types[src], spec.values.get(col.name), spec.date_format)
    if "amount" not in select and table == "transactions":
        select["amount"] = f"({select['quantity']}) * ({select['unit_price']})"
    used = set(raw.values())
    if tspec.extra == "drop":
        attributes: tuple[str, ...] = ()
    elif spec.attributes is not None:
        missing = [a for a in spec.attributes if a not in types]
        if missing:
            raise DataError(f"{label}: attribute column {shown(missing[0])} is not in the file; "
                            f"its columns are {shown(list(types), 120)}")
        attributes = tuple(a for a in spec.attributes if a not in used)
    else:
        attributes = tuple(c for c in types if c not in used)
    if tspec.extra == "numeric":  # every other column is a metric, checked like the rest
        for a in attributes:
            select[a] = _cast(Column(a, "number"), a, types[a], None, None)
            raw[a] = a
        attributes = ()
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {relation} LIMIT 1)").fetchall()[0][0] == 0:
        raise DataError(f"{label}: the file has a header but no data rows")
    return SourceTable(table, path, relation, select, raw, attributes)


def _has_price(spec: TableSource, types: dict[str, str]) -> bool:
    return (spec.columns.get("quantity", "quantity") in types
            and spec.columns.get("unit_price", "unit_price") in types)


def check_conversions(con: duckdb.DuckDBPyConnection, src: SourceTable,
                      spec: TableSource) -> None:
    """Count, per mapped column, rows whose value could not be converted; raise on any.

    A value is bad when the raw cell is not empty but the canonical value is
    NULL: a non-numeric amount, an unparseable date, a flag outside the
    ``values`` mapping. The message gives the count and one example.
    """
    checks = []
    for name, rawcol in src.raw.items():
        r = ident(rawcol)
        values = spec.values.get(name)
        if values:  # bad = not a key of the mapping (a key may map to null on purpose)
            keys = ", ".join(lit(str(k)) for k in values)
            bad = (f"{r} IS NOT NULL AND trim(CAST({r} AS VARCHAR)) <> '' "
                   f"AND trim(CAST({r} AS VARCHAR)) NOT IN ({keys})")
        else:
            bad = (f"{r} IS NOT NULL AND trim(CAST({r} AS VARCHAR)) <> '' "
                   f"AND ({src.select[name]}) IS NULL")
        checks.append((name, rawcol, bad))
    if not checks:
        return
    aggs = ", ".join(f"count(*) FILTER (WHERE {b})" for _, _, b in checks)
    counts = con.execute(f"SELECT {aggs} FROM {src.relation}").fetchall()[0]
    for (name, rawcol, bad), n in zip(checks, counts):
        if not n:
            continue
        example = con.execute(
            f"SELECT CAST({ident(rawcol)} AS VARCHAR) FROM {src.relation} WHERE {bad} LIMIT 1"
        ).fetchall()[0][0]
        col = next((c for c in TABLES[src.table].columns if c.name == name), Column(name, "number"))
        values = spec.values.get(name)
        if values:
            what = f"values not in the mapping {sorted(map(str, values))}"
            if any(isinstance(k, bool) for k in values):
                what += " (YAML reads unquoted Yes/No as true/false: quote them, \"Yes\")"
        else:
            what = {"date": "dates that cannot be parsed"
                            + (f" with format {shown(spec.date_format)}" if spec.date_format else
                               " (expected e.g. 2025-01-31; set date_format)"),
                    "number": "values that are not numbers"
                              + (" (usage: every column but customer_id and period is a metric; "
                                 "list the metrics under attributes)" if src.table == "usage" else ""),
                    "id": "IDs that are not whole numbers",
                    "bool": "values that are not true/false (map them under values)",
                    }.get(col.kind, "values that cannot be converted")
        raise DataError(f"{src.label}: column {shown(rawcol)} ({src.table}.{name}) has {n} row(s) "
                        f"with {what} (e.g. {shown(example)})")
