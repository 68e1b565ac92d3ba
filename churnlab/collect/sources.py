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

import codecs
import csv
import gzip
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..config import PROJECT_ROOT, resolve_path
from ..errors import DataError, shown
from ..params import FileSource, TableSource
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
    copy: Path | None = None  # a temporary UTF-8 copy of a file in another encoding
    spec: TableSource | None = None

    @property
    def label(self) -> str:
        return str(self.path)

    def close(self) -> None:
        """Delete the temporary UTF-8 copy, if one was made."""
        if self.copy is not None:
            self.copy.unlink(missing_ok=True)

    def frame(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """The canonical table as a DataFrame (:meth:`sql`); read errors as in :meth:`query`."""
        try:
            return con.execute(self.sql()).df()
        except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
            raise read_error(exc, self.path, self.table, self.spec) from None

    def query(self, con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
        """Run ``sql`` (which reads the file); a read error becomes one :class:`DataError` line."""
        try:
            return con.execute(sql).fetchall()
        except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
            raise read_error(exc, self.path, self.table, self.spec) from None

    def sql(self) -> str:
        """``SELECT`` of the canonical columns (plus kept attributes) from the file."""
        cols = [f"{expr} AS {ident(name)}" for name, expr in self.select.items()]
        cols += [ident(a) for a in self.attributes]
        return f"SELECT {', '.join(cols)} FROM {self.relation}"


#: Event tables whose listed ``attributes`` become customer attributes -> their date column.
CARRIED = {"subscriptions": "start_date", "transactions": "date"}

#: Characters DuckDB reads as a file pattern; a path is literal, so they are escaped.
GLOB_CHARS = "*?["

#: Python codec name -> DuckDB's name, for the encodings DuckDB reads itself.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}


def literal_path(path: Path | str) -> str:
    """``path`` as DuckDB reads exactly that one file: glob characters in brackets.

    DuckDB expands ``*``, ``?`` and ``[...]`` in a file name, so ``data/t*.csv`` would
    read every matching file; ``[*]`` matches only the character itself.
    """
    return "".join(f"[{c}]" if c in GLOB_CHARS else c for c in str(path))


def file_format(path: Path, spec: TableSource) -> str:
    """``csv`` or ``parquet``: the spec's ``format``, or guessed from the file name."""
    if spec.format != "auto":
        return spec.format
    suffixes = "".join(path.suffixes).lower()
    return "parquet" if ".parquet" in suffixes or suffixes.endswith(".pq") else "csv"


def _relation(path: Path, spec: TableSource, *, utf8: bool = False, sample: int | None = None) -> str:
    """The ``read_csv``/``read_parquet`` call of one file (``utf8``: a transcoded copy).

    ``sample``: only the first rows (``churnlab validate``); the CSV sniffer then reads only
    them, where a full read sniffs the whole file.
    """
    where = lit(literal_path(path))
    if file_format(path, spec) == "parquet":
        rel = f"read_parquet({where})"
    else:
        enc = "utf-8" if utf8 else DUCKDB_ENCODINGS[codecs.lookup(spec.encoding).name]
        rel = (f"read_csv({where}, all_varchar = true, header = true, delim = {lit(spec.delimiter)}, "
               f"sample_size = {int(sample) if sample else -1}, encoding = {lit(enc)})")
    return f"(SELECT * FROM {rel} LIMIT {int(sample)})" if sample else rel


def needs_copy(path: Path, spec: TableSource) -> bool:
    """True when DuckDB cannot read the file's encoding itself (e.g. cp1252)."""
    return (file_format(path, spec) == "csv"
            and codecs.lookup(spec.encoding).name not in DUCKDB_ENCODINGS)


def utf8_copy(path: Path, encoding: str, workdir: Path, max_lines: int | None = None) -> Path:
    """A UTF-8 copy of text file ``path`` (gzipped or not) in ``workdir``, streamed.

    The caller deletes it (:meth:`SourceTable.close`). A byte the encoding cannot
    decode is a :class:`DataError` naming the line. ``max_lines``: only the first lines
    (``churnlab validate`` reads a sample).
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    fd, name = tempfile.mkstemp(prefix=".churnlab-utf8-", suffix=".csv", dir=workdir)
    out = Path(name)
    lineno = 0
    try:
        with opener(path, "rt", encoding=encoding, newline="") as src, \
                open(fd, "w", encoding="utf-8", newline="") as dst:
            for lineno, line in enumerate(src, 1):
                dst.write(line)
                if max_lines is not None and lineno >= max_lines:
                    break
    except UnicodeDecodeError as exc:
        out.unlink(missing_ok=True)
        raise DataError(f"{path}: cannot be read as {shown(encoding)} (after line {lineno}: "
                        f"{exc.reason}); expected the file's text encoding in encoding "
                        "(e.g. utf-8, latin-1, cp1252, utf-16)") from None
    except (OSError, EOFError) as exc:
        out.unlink(missing_ok=True)
        raise DataError(f"{path}: cannot be read ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    return out


def binary_share(text: str) -> float:
    """Share of characters in ``text`` that no CSV text holds: control characters other
    than tab, CR and LF, and U+FFFD (bytes the encoding could not decode)."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n"))
    return bad / len(text)


def _csv_layout(path: Path, spec: TableSource, limit: int = 200_000) -> str | None:
    """What is wrong with a CSV file DuckDB could not sniff, read with Python's csv module.

    First, a file whose first 4,096 characters are more than 10% undecodable bytes or
    control characters (:func:`binary_share`) is called binary, not CSV text. Then it
    looks at up to ``limit`` lines: a line whose number of fields differs from the
    header's (the usual cause: a wrong delimiter or an unbalanced quote), or a header
    of one field that another common delimiter would split. None when nothing is found.
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding=spec.encoding, errors="replace", newline="") as f:
            share = binary_share(f.read(4096))
        if share > 0.10:
            return (f"the file looks binary, not CSV text ({share:.0%} of its first characters "
                    f"are control characters or not {spec.encoding}); expected a text CSV file")
        with opener(path, "rt", encoding=spec.encoding, errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=spec.delimiter)
            header = next(reader, [])
            for _ in range(limit):
                row = next(reader, None)
                if row is None:
                    break
                if row and len(row) != len(header):
                    return (f"line {reader.line_num} has {len(row)} field(s) where the header has "
                            f"{len(header)} (delimiter {shown(spec.delimiter)}); check the "
                            "delimiter and the quotes")
    except (OSError, EOFError, csv.Error) as exc:
        return f"{exc.__class__.__name__}: {str(exc)[:100]}"
    if len(header) == 1:
        other = next((d for d in (";", "\t", "|", ",") if d != spec.delimiter and d in header[0]), None)
        if other:
            return f"its header has one column; its fields seem separated by {shown(other)}: set delimiter"
    return None


def read_error(exc: Exception, path: Path, table: str, spec: TableSource | None) -> DataError:
    """One line naming the file, the key and the real cause of a DuckDB read error.

    Classified: text that is not UTF-8 (set ``encoding``), a line over DuckDB's
    ``max_line_size``, a layout the CSV sniffer could not detect (a field-count mismatch
    found by :func:`_csv_layout`, or a likely delimiter), a file that is not Parquet, and
    anything else with DuckDB's first line.
    """
    text = str(exc)
    key = f"source.tables.{table}"
    line = re.search(r"CSV Error on Line: (\d+)", text)
    at = f" (line {line.group(1)})" if line else ""
    if "Invalid unicode" in text or "not utf-8 encoded" in text:
        return DataError(f"{path}: the file is not UTF-8 text{at}; set {key}.encoding "
                         "(e.g. latin-1, cp1252, utf-16)")
    if "Maximum line size of" in text:
        size = re.search(r"Maximum line size of (\d+)", text)
        most = f"{int(size.group(1)):,} bytes" if size else "DuckDB's maximum line size"
        return DataError(f"{path}: a line{at} is longer than {most}; expected a CSV file with "
                         f"one record per line ({key}.format, delimiter and quotes)")
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        return DataError(f"{path}: a line{at} has more or fewer fields than the header; check "
                         f"{key}.delimiter (now {shown(spec.delimiter if spec else ',')}) and the quotes")
    if "sniffing file" in text or "not possible to automatically detect" in text:
        why = _csv_layout(path, spec) if spec is not None else None
        return DataError(f"{path}: cannot detect the CSV layout: " + (why or (
            f"expected a text CSV file with a header line ({key}.delimiter, encoding, format)"))
            + f" ({key})")
    if "parquet" in text.lower() and ("magic" in text.lower() or "not a parquet" in text.lower()
                                      or "too small" in text.lower()):
        return DataError(f"{path}: not a Parquet file; set {key}.format: csv if it is CSV")
    first = text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
    return DataError(f"{path}: cannot read the file ({first[:150]}) ({key})")


def _describe(con: duckdb.DuckDBPyConnection, relation: str, path: Path, table: str,
              spec: TableSource) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        raise read_error(exc, path, table, spec) from None
    return {r[0]: r[1] for r in rows}


def where_from(spec_path: str, path: Path) -> str:
    """How a params path was resolved, for messages: the absolute path, and from where."""
    if Path(spec_path).expanduser().is_absolute():
        return f"looked for {path}"
    return f"looked for {path}; relative paths are read from the project folder {PROJECT_ROOT}"

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


def open_table(con: duckdb.DuckDBPyConnection, table: str, spec: TableSource, *,
               workdir: Path | None = None, sample: int | None = None) -> SourceTable:
    """Open ``spec.path`` and map it onto canonical ``table``; check the columns exist.

    The path is one file, read literally. A CSV file in an encoding DuckDB cannot
    read is copied to UTF-8 in ``workdir`` (default: the system temp folder); call
    :meth:`SourceTable.close` when done. Raises :class:`DataError` for a missing,
    unreadable or empty file and for a mapped column that is not in the file.
    """
    path = resolve_path(spec.path)
    label = str(spec.path)
    key = f"source.tables.{table}"
    if not path.exists():
        raise DataError(f"{label}: file not found ({key}.path; {where_from(spec.path, path)})")
    if not path.is_file():
        raise DataError(f"{label}: is not a file ({key}.path; {where_from(spec.path, path)})")
    if not os.access(path, os.R_OK):
        raise DataError(f"{label}: the file is not readable (permissions; {key}.path)")
    if path.stat().st_size == 0:
        raise DataError(f"{label}: the file is empty; expected a header line and data rows")
    copy = utf8_copy(path, spec.encoding, workdir or Path(tempfile.gettempdir()),
                     max_lines=sample + 1 if sample else None) if needs_copy(path, spec) else None
    try:
        relation = _relation(copy or path, spec, utf8=copy is not None, sample=sample)
        types = _describe(con, relation, path, table, spec)
        src = _map_columns(con, table, spec, path, label, relation, types, copy)
    except BaseException:
        if copy is not None:
            copy.unlink(missing_ok=True)
        raise
    return src


def _map_columns(con: duckdb.DuckDBPyConnection, table: str, spec: TableSource, path: Path,
                 label: str, relation: str, types: dict[str, str], copy: Path | None) -> SourceTable:
    tspec = TABLES[table]
    only = next(iter(types)) if len(types) == 1 else ""
    other = next((d for d in (";", "\t", "|", ",") if d != spec.delimiter and d in only), None)
    for canon, src in spec.columns.items():
        if src not in types and other is not None:
            raise DataError(f"{label}: the header has one column {shown(only, 60)}; its fields seem "
                            f"separated by {shown(other)}: set source.tables.{table}.delimiter")
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
    if spec.attributes is not None:
        missing = [a for a in spec.attributes if a not in types]
        if missing:
            raise DataError(f"{label}: attribute column {shown(missing[0])} "
                            f"(source.tables.{table}.attributes) is not in the file; "
                            f"its columns are {shown(list(types), 120)}")
    if table in CARRIED:  # listed columns become customer attributes (pipeline.carried_attributes)
        attributes: tuple[str, ...] = tuple(a for a in spec.attributes or () if a not in used)
    elif tspec.extra == "drop":
        attributes = ()
    elif spec.attributes is not None:
        attributes = tuple(a for a in spec.attributes if a not in used)
    else:
        attributes = tuple(c for c in types if c not in used)
    if tspec.extra == "numeric":  # every other column is a metric, checked like the rest
        for a in attributes:
            select[a] = _cast(Column(a, "number"), a, types[a], None, None)
            raw[a] = a
        attributes = ()
    src = SourceTable(table, path, relation, select, raw, attributes, copy, spec)
    if src.query(con, f"SELECT count(*) FROM (SELECT 1 FROM {relation} LIMIT 1)")[0][0] == 0:
        raise DataError(f"{label}: the file has a header but no data rows")
    return src

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
    counts = src.query(con, f"SELECT {aggs} FROM {src.relation}")[0]
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


def check_files(source: FileSource, *, sample: int = 1000) -> None:
    """What ``churnlab validate`` checks of a files source without running the study.

    Every table's file exists, is readable and non-empty; its header and first ``sample``
    rows are read with DuckDB (the same read as the study, sniffed on the sample); the
    mapped columns and listed attributes are in the file; the sample's values convert
    (numbers, dates, mapped flags); a customer_table export has its duration and churn
    flag. Raises one :class:`DataError` line, like the study would.
    """
    con = connect(memory_limit="1GB", threads=1)
    try:
        with tempfile.TemporaryDirectory(prefix="churnlab-validate-") as work:
            for name, spec in source.tables.items():
                src = open_table(con, name, spec, workdir=Path(work), sample=sample)
                try:
                    check_conversions(con, src, spec)
                finally:
                    src.close()
                if source.shape == "customer_table" and name == "customers":
                    for need in ("duration", "churned"):
                        if need not in src.select:
                            raise DataError(f"{spec.path}: a customer_table export needs a {need!r} "
                                            f"column; map it with source.tables.customers.columns.{need}")
    finally:
        con.close()
