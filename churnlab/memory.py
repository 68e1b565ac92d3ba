"""The memory budget of a run, and what loading a table into pandas would cost.

A study that loads a table too big for the machine must stop with one line naming the
table, not end in an out-of-memory kill (issue 14). Before a whole table is read into
pandas (the analysis table, the snapshots, a canonical table such as the transactions,
an artifact), :func:`check_parquet` estimates its size from the Parquet metadata alone
and raises :class:`~churnlab.errors.MemoryBudgetError` when this process would then use
more than the budget::

    transactions (50,000,000 rows, ~2.4 GB) would exceed the memory budget of 2.0 GB;
    set scale.sample_size lower or engine: spark, or raise scale.memory_gb

**The budget** (:func:`budget_bytes`) is ``scale.memory_gb`` when set, else 80% of the
memory available when the study opens (``MemAvailable`` of ``/proc/meminfo``, psutil
elsewhere) plus what the process already holds; it is the resident memory this process
may reach. **The check**: resident memory now + the table's estimated cost > budget.

**The estimate** (:func:`frame_bytes`): the pandas frame's own size, rows x the bytes
per value of each column read from the Parquet schema and footer (:func:`column_bytes`),
times :data:`LOAD_FACTOR` plus :data:`LOAD_OVERHEAD`: while pyarrow converts, the Arrow
table, the per-column arrays and the consolidated pandas blocks exist at once. Bytes per
value: 8 for numbers and times (datetime64), 1 for booleans and int8, 40 for dates
(``datetime.date`` objects); a text column costs an 8-byte pointer per row plus one Python
``str`` (:data:`STR_OVERHEAD` bytes + its length) per distinct value -- pyarrow shares
equal strings -- with the distinct values counted from the size of the column's dictionary
page (every value when the column is stored PLAIN). The frame estimate is within 15% of
the frame measured by its objects on churnlab's tables and UCI Online Retail; the peak
resident growth of ``pd.read_parquet`` in a fresh process was 2.6-3.0 times the frame on
tables of 0.4-6.3M rows (plus ~15-30 MB of first-use pools on small ones), hence the
factor and the overhead (``tests/test_memory.py`` checks the estimate is within a factor
of 2 of the measured peak on real tables).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import MemoryBudgetError

GB = 2**30
#: Share of the memory available at start a run may use when ``scale.memory_gb`` is unset.
DEFAULT_SHARE = 0.8
#: Bytes of a Python ``str`` object beyond its characters (CPython 3.11, ASCII).
STR_OVERHEAD = 49
#: Peak resident growth while reading a Parquet file into pandas over the frame's own size
#: (measured 2.6-3.0, see above), and the fixed cost of a first read (pools, thread stacks).
LOAD_FACTOR = 2.7
LOAD_OVERHEAD = 16 * 2**20


def available_bytes() -> int:
    """The memory the system can give without swapping: ``MemAvailable`` (Linux), else psutil."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    return int(psutil.virtual_memory().available)


def process_bytes() -> int:
    """Resident memory of this process now."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import psutil

        return int(psutil.Process().memory_info().rss)


@dataclass(frozen=True)
class Budget:
    """The resident memory a study's process may reach, in bytes, and where it came from."""

    limit: int
    origin: str  # "scale.memory_gb" or "80% of the memory available"

    @property
    def gb(self) -> float:
        return self.limit / GB


def budget_bytes(memory_gb: float | None) -> Budget:
    """``memory_gb`` in bytes, or :data:`DEFAULT_SHARE` of the available memory plus this
    process's own resident memory (what it may grow to) when ``memory_gb`` is None."""
    if memory_gb is not None:
        return Budget(int(memory_gb * GB), "scale.memory_gb")
    return Budget(int(DEFAULT_SHARE * available_bytes()) + process_bytes(),
                  f"{DEFAULT_SHARE:.0%} of the memory available")


@dataclass(frozen=True)
class ColumnStats:
    """What the Parquet footer says about one column, summed over row groups."""

    rows: int = 0
    uncompressed: int = 0  # bytes of all pages, dictionary included
    dictionary: int = 0  # estimated uncompressed bytes of the dictionary pages (0: PLAIN)
    value_len: float | None = None  # average length of a text value (from min/max statistics)
    distinct: int | None = None  # distinct values counted from row groups (:func:`_sampled_distinct`)

    @property
    def plain(self) -> bool:
        """Some pages hold the values themselves: the column had no dictionary, or its dictionary
        overflowed the page limit (pyarrow falls back to PLAIN, ~1 MB): index pages cost at most
        ~2.5 bytes per value, PLAIN pages 4 + its length."""
        return not self.dictionary or (self.uncompressed - self.dictionary) / max(self.rows, 1) >= 3.0


def _column_stats(meta) -> dict[str, ColumnStats]:
    found: dict[str, ColumnStats] = {}
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        for c in range(rg.num_columns):
            col = rg.column(c)
            old = found.get(col.path_in_schema, ColumnStats())
            dictionary = 0
            if col.has_dictionary_page and col.dictionary_page_offset is not None:
                # pages are written dictionary first: its compressed size, scaled to uncompressed
                packed = max(col.data_page_offset - col.dictionary_page_offset, 0)
                dictionary = int(packed * col.total_uncompressed_size / max(col.total_compressed_size, 1))
            value_len = old.value_len
            st = col.statistics
            if st is not None and st.has_min_max and isinstance(st.min, (str, bytes)):
                value_len = (len(st.min) + len(st.max)) / 2
            found[col.path_in_schema] = ColumnStats(
                old.rows + rg.num_rows, old.uncompressed + col.total_uncompressed_size,
                old.dictionary + dictionary, value_len)
    return found


def column_bytes(field, stats: ColumnStats | None = None) -> float:
    """Pandas bytes per row of one Arrow ``field`` read by ``pd.read_parquet`` (see the module
    docstring); ``stats`` (:class:`ColumnStats`) gives a text column's length and distinct share."""
    import pyarrow as pa

    t = field.type
    if pa.types.is_dictionary(t):  # a pandas Categorical: codes
        return float(max(t.index_type.bit_width // 8, 1))
    if pa.types.is_boolean(t):
        return 1.0
    if pa.types.is_date(t):  # datetime.date objects (32 bytes each) behind 8-byte pointers
        return 8.0 + 32.0
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        stats = stats or ColumnStats()
        rows = max(stats.rows, 1)
        length = stats.value_len if stats.value_len is not None else max(
            stats.uncompressed / rows - 4.0, 0.0)
        # pyarrow shares one Python str per distinct value (deduplicate_objects): a dictionary
        # page holds each distinct value once (4-byte length + bytes); PLAIN pages every value
        if stats.distinct is not None:
            distinct = stats.distinct
        elif stats.plain:
            distinct = rows
        else:
            distinct = min(stats.dictionary / (4.0 + length), rows)
        return 8.0 + (STR_OVERHEAD + length) * distinct / rows
    try:
        return float(max(t.bit_width // 8, 1))  # numbers, timestamps, durations
    except ValueError:  # not fixed-width: nested or other objects, one Python object per row
        return 8.0 + STR_OVERHEAD  # nested or other objects: at least one Python object per row


def _sampled_distinct(pf, column: str, rows: int) -> int:
    """Distinct values of a text column whose pages are PLAIN, from its first and last row groups
    (the only data read): all of them when there is one row group; else the Lincoln-Petersen
    estimate ``d1 * d2 / shared`` scaled to the whole column (every value distinct when the
    two groups share none, as customer IDs of a customer table)."""
    import pyarrow.compute as pc

    groups = pf.metadata.num_row_groups
    first = pc.unique(pf.read_row_group(0, columns=[column]).column(0))
    if groups == 1:
        return len(first)
    last = pc.unique(pf.read_row_group(groups - 1, columns=[column]).column(0))
    shared = int(pc.sum(pc.is_in(first, value_set=last)).as_py() or 0)
    sampled = pf.metadata.row_group(0).num_rows + pf.metadata.row_group(groups - 1).num_rows
    if shared == 0:
        return rows
    # values seen in the two groups, and the Lincoln-Petersen total, scaled when the groups are a
    # small part of the column (a value per row at most)
    total = len(first) * len(last) / shared
    return int(min(max(total, len(first) + len(last) - shared), rows, total * max(rows / sampled, 1.0)))


def frame_bytes(path: str | Path, columns: list[str] | None = None) -> tuple[int, int]:
    """``(rows, estimated peak bytes)`` of ``pd.read_parquet(path, columns=columns)``, from the
    Parquet footer only (no data page is read)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    stats = _column_stats(pf.metadata)
    wanted = set(columns) if columns is not None else None
    for f in pf.schema_arrow:
        st = stats.get(f.name)
        if (wanted is None or f.name in wanted) and st is not None and st.plain and st.value_len is not None:
            stats[f.name] = replace(st, distinct=_sampled_distinct(pf, f.name, st.rows))
    per_row = sum(column_bytes(f, stats.get(f.name)) for f in pf.schema_arrow
                  if wanted is None or f.name in wanted)
    rows = pf.metadata.num_rows
    return rows, int(rows * per_row * LOAD_FACTOR + LOAD_OVERHEAD)


def check(label: str, rows: int, nbytes: int, budget: Budget) -> None:
    """Raise :class:`~churnlab.errors.MemoryBudgetError` (one line) when loading ``nbytes`` more
    would take this process over ``budget``."""
    if process_bytes() + nbytes > budget.limit:
        raise MemoryBudgetError(
            f"{label} ({rows:,} rows, ~{nbytes / GB:.1f} GB) would exceed the memory budget of "
            f"{budget.gb:.1f} GB ({budget.origin}); set scale.sample_size lower or engine: spark, "
            "or raise scale.memory_gb")


def check_parquet(label: str, path: str | Path, budget: Budget | None,
                  columns: list[str] | None = None) -> None:
    """:func:`check` a Parquet file about to be read whole into pandas (no-op without a budget
    or when the file is missing: the reader reports that)."""
    if budget is None or not Path(path).exists():
        return
    rows, nbytes = frame_bytes(path, columns)
    check(label, rows, nbytes, budget)


#: Pandas bytes per customer of the analysis table and per snapshot row (frame sizes measured
#: by :func:`frame_bytes` on the simulated telecom and retail studies: 195-216 and 153-158 bytes).
ANALYSIS_ROW_BYTES = 240
SNAPSHOT_ROW_BYTES = 160


def collection_bytes(n_customers: int, n_snapshots: int) -> int:
    """Estimated peak bytes of a collection held in pandas: the analysis table (one row per
    customer) and the snapshots (at most one row per customer and snapshot date), with the
    conversion factor of :func:`frame_bytes`."""
    frame = n_customers * (ANALYSIS_ROW_BYTES + n_snapshots * SNAPSHOT_ROW_BYTES)
    return int(frame * LOAD_FACTOR + LOAD_OVERHEAD)


def duckdb_memory_limit(budget: Budget, share: float = 0.5) -> str:
    """A DuckDB ``memory_limit`` for a connection in this process: ``share`` of what the budget
    leaves above the current resident memory (DuckDB spills to disk beyond), at least 256 MB."""
    room = max(budget.limit - process_bytes(), 0) * share
    return f"{max(int(room / 2**20), 256)}MB"
