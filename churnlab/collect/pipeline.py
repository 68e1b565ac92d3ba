"""Stage 1, data collection: from a source to canonical tables and the analysis table.

:func:`collect` is the one call notebook 01 makes. It

1. gets the canonical tables: from the simulator (:mod:`churnlab.simulate`) or
   from exported files mapped by the params file (:mod:`churnlab.sources`),
   validating them and recording a data-quality report;
2. applies the chosen churn definition as of ``as_of``
   (:mod:`churnlab.definitions`);
3. aggregates event tables to one row per customer in DuckDB
   (:mod:`churnlab.features`) and writes the customer-level **analysis table**
   (duration, event, covariates);
4. builds point-in-time **snapshots** for early-warning models.

Everything is written as Parquet under ``<run>/data/``; later notebooks read
only these files (:func:`load`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import definitions, features
from ..errors import DataError, shown
from ..params import FileSource, SimulatedSource, StudyParams, TableSource
from ..schema import TABLES, validate_table
from .quality import (Minimum, check_as_of, check_minimum, check_simulated, check_window, event_span,
                      id_coverage, missingness, qrow)
from .sources import SourceTable, check_conversions, connect, ident, lit, open_table


@dataclass
class Collection:
    """What stage 1 produced (all also saved under ``data_dir``)."""

    data_dir: Path
    tables: dict[str, Path]
    quality: pd.DataFrame
    analysis: pd.DataFrame
    snapshots: pd.DataFrame
    ground_truth: dict | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        return len(self.analysis)

    @property
    def n_churned(self) -> int:
        return int(self.analysis["churned"].sum())

    @property
    def churn_rate(self) -> float:
        return self.n_churned / self.n_customers if self.n_customers else float("nan")


# --------------------------------------------------------------------------- quality report


# --------------------------------------------------------------------------- loading

def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_parquet(path, index=False)
    return path


def _sort_keys(df: pd.DataFrame) -> list[str]:
    return ["customer_id"] + [c for c in ("start_date", "period", "date") if c in df]


def load_small_table(con: duckdb.DuckDBPyConnection, name: str, spec: TableSource,
                     out: Path, as_of: dt.date | None = None) -> tuple[Path, list[dict], str]:
    """Map, convert, validate and save one small table (not transactions).

    Listed ``attributes`` of a subscriptions table are carried onto the customers
    (:func:`carried_attributes`, saved as ``<out>/.carried-subscriptions.parquet``).
    """
    src = open_table(con, name, spec, workdir=out)
    try:
        check_conversions(con, src, spec)
        df = src.frame(con)
    finally:
        src.close()
    for col in TABLES[name].columns:
        if col.kind == "date" and col.name in df:
            df[col.name] = pd.to_datetime(df[col.name]).astype("datetime64[ns]")
    quality = [qrow(name, "rows read", len(df), "", src.label)]
    blanks = _coerce_attributes(df) if name == "customers" else {}
    df = validate_table(df, name, source=src.label, raw=src.raw)
    if name == "subscriptions":
        bad = df["end_date"].notna() & (df["end_date"] < df["start_date"])
        if bad.any():
            ex = df.loc[bad].iloc[0]
            raise DataError(
                f"{src.label}: {int(bad.sum())} row(s) have end date before start date "
                f"(e.g. customer {ex['customer_id']}: {ex['start_date']:%Y-%m-%d} -> "
                f"{ex['end_date']:%Y-%m-%d})")
    quality += [qrow(name, f"blank {col}", n, "read as a number; blanks kept as missing")
                for col, n in blanks.items()]
    quality += missingness(df, name, skip=tuple(blanks))
    df = df.sort_values(_sort_keys(df), kind="stable").reset_index(drop=True)
    if name == "subscriptions" and src.attributes and as_of is not None:
        con.register("churnlab_subs", df)
        _carry(con, "churnlab_subs", "start_date", src.attributes, as_of, out, name)
        con.unregister("churnlab_subs")
        df = df.drop(columns=list(src.attributes))
    return _write(df, out / f"{name}.parquet"), quality, src.label


def _carry(con: duckdb.DuckDBPyConnection, rows: str, date_col: str, attributes: tuple[str, ...],
           as_of: dt.date, out: Path, name: str) -> None:
    """Save the carried attributes of table ``name`` (:func:`carried_attributes`) beside the tables."""
    df = carried_attributes(con, rows, date_col, attributes, as_of)
    _write(df, out / f".carried-{name}.parquet")


def carried_attributes(con: duckdb.DuckDBPyConnection, rows: str, date_col: str,
                       attributes: tuple[str, ...], as_of: dt.date) -> pd.DataFrame:
    """Per customer, the listed ``attributes`` of the latest row dated on or before ``as_of``.

    ``attributes:`` on a subscriptions or transactions table name columns that describe the
    customer (plan, region, channel); they become customer attributes, the value of the
    customer's latest contract or purchase by ``as_of`` (later rows never leak in; rows on
    one day keep the last value written). Customers with no such row are left out (missing).
    """
    picks = ", ".join(f"arg_max({ident(a)}, {ident(date_col)}) AS {ident(a)}" for a in attributes)
    end = f"TIMESTAMP {lit(str(as_of))} + INTERVAL 1 DAY"
    return con.execute(f"""SELECT customer_id, {picks} FROM {rows}
                           WHERE customer_id IS NOT NULL AND {ident(date_col)} < {end}
                           GROUP BY customer_id ORDER BY customer_id""").df()


def merge_carried(con: duckdb.DuckDBPyConnection, paths: dict[str, Path], labels: dict[str, str],
                  out: Path) -> list[dict]:
    """Join carried attributes onto the customers table (made if absent); quality rows.

    An attribute that is already a customers column is an error naming both files.
    """
    carried = sorted(out.glob(".carried-*.parquet"))
    if not carried:
        return []
    cust = pd.read_parquet(paths["customers"]) if "customers" in paths else None
    owner = {c: labels.get("customers", "customers") for c in (cust.columns if cust is not None else ())}
    base: pd.DataFrame | None = None
    quality = []
    for f in carried:
        name = f.stem.removeprefix(".carried-")
        extra = pd.read_parquet(f)
        f.unlink()
        attrs = [c for c in extra.columns if c != "customer_id"]
        taken = [c for c in attrs if c in owner]
        if taken:
            raise DataError(f"{labels.get(name, name)}: attribute {shown(taken[0])} "
                            f"(source.tables.{name}.attributes) is also a column of "
                            f"{owner[taken[0]]}; list it in one table only")
        owner |= {c: labels.get(name, name) for c in attrs}
        base = extra if base is None else base.merge(extra, on="customer_id", how="outer")
        quality.append(qrow("customers", f"attributes from {name}", len(extra),
                            "latest value on or before as_of", ", ".join(attrs)))
    assert base is not None
    if cust is not None:  # the customers table decides who is a customer
        base = cust.merge(base, on="customer_id", how="left")
    _coerce_attributes(base)
    base = base.sort_values("customer_id", kind="stable").reset_index(drop=True)
    paths["customers"] = _write(base, out / "customers.parquet")
    labels.setdefault("customers", "attributes of " + ", ".join(
        f.stem.removeprefix(".carried-") for f in carried))
    return quality


def _coerce_attributes(df: pd.DataFrame) -> dict[str, int]:
    """Type the text attributes of a customer table, in place.

    Columns of true/false become booleans; columns that are numbers except for
    blanks become numbers (integers when whole and complete), unless a value
    has a leading zero (codes such as '0012' stay text). Returns the
    number of blanks per column turned numeric, for the quality report.
    """
    blanks: dict[str, int] = {}
    for col in df.columns:
        if col == "customer_id" or df[col].dtype != object:
            continue
        s = df[col].astype("string").str.strip()
        blank = s.isna() | (s == "")
        low = s.str.lower()
        if not blank.any() and low.isin(["true", "false"]).all():
            df[col] = (low == "true").astype(bool)
            continue
        num = pd.to_numeric(s, errors="coerce")
        codes = s.str.match(r"^0\d").fillna(False).any()  # '0012', ZIP codes: text, not numbers
        if not codes and num.notna().any() and (num.notna() | blank).all():
            if blank.any():
                blanks[col] = int(blank.sum())
            integral = not blank.any() and (num == num.round()).all()
            df[col] = num.astype("int64" if integral else float)
        else:
            df[col] = s.where(~blank)
    return blanks


def load_transactions(con: duckdb.DuckDBPyConnection, spec: TableSource, out: Path,
                      as_of: dt.date) -> tuple[Path, list[dict], str]:
    """Map, check and clean the transactions in DuckDB; write canonical Parquet.

    What counts as a purchase:

    - an amount of zero is a purchase (a free item): it counts for purchase
      frequency and adds nothing to spend;
    - a negative amount is a return, not a purchase: left out and reported
      with its count and total;
    - identical lines are duplicates only when the export identifies its lines
      (``invoice_id`` or ``line_id``): then one is kept. Without an identifier,
      two identical purchases on one day may be two orders, so they are kept
      and reported as possible duplicates.

    Also removed and reported: lines without a customer, cancellations
    (``invoice_id`` starting with ``cancel_prefix``), lines without an amount
    and lines without a date. Lines after ``as_of`` are kept (for holdout
    checks) but no feature uses them.
    """
    src = open_table(con, "transactions", spec, workdir=out)
    try:
        return _load_transactions(con, src, spec, out, as_of)
    finally:
        src.close()


def _load_transactions(con: duckdb.DuckDBPyConnection, src: SourceTable, spec: TableSource,
                       out: Path, as_of: dt.date) -> tuple[Path, list[dict], str]:
    check_conversions(con, src, spec)
    identified = "invoice_id" in src.select or "line_id" in src.select
    canon = src.sql().replace(f"FROM {src.relation}", "FROM lines")
    cancel = (f"coalesce(starts_with(invoice_id, {lit(spec.cancel_prefix)}), FALSE)"
              if spec.cancel_prefix and "invoice_id" in src.select else "FALSE")
    lines = f"SELECT DISTINCT * FROM {src.relation}" if identified else f"SELECT * FROM {src.relation}"
    cte = f"WITH lines AS ({lines}), canon AS ({canon})"
    valid = f"customer_id IS NOT NULL AND NOT {cancel}"
    counts = src.query(con, f"""{cte}
        SELECT (SELECT count(*) FROM {src.relation}) AS n_raw,
               (SELECT count(*) FROM (SELECT DISTINCT * FROM {src.relation})) AS n_distinct,
               count(*) FILTER (WHERE customer_id IS NULL) AS no_customer,
               count(*) FILTER (WHERE customer_id IS NOT NULL AND {cancel}) AS cancelled,
               count(*) FILTER (WHERE {valid} AND amount IS NULL) AS no_amount,
               count(*) FILTER (WHERE {valid} AND amount = 0 AND date IS NOT NULL) AS free,
               count(*) FILTER (WHERE {valid} AND amount < 0) AS returns,
               coalesce(sum(amount) FILTER (WHERE {valid} AND amount < 0), 0) AS returned,
               count(*) FILTER (WHERE {valid} AND amount >= 0 AND date IS NULL) AS no_date
        FROM canon""")[0]
    n_raw, n_distinct, no_customer, cancelled, no_amount, free, returns, returned, no_date = counts
    keep = f"{valid} AND amount >= 0 AND date IS NOT NULL"
    path = out / "transactions.parquet"
    cols = ", ".join(ident(c) for c in ("customer_id", "date", "amount", "category", "invoice_id",
                                        "line_id") if c in src.select)
    src.query(con, f"""COPY ({cte} SELECT {cols} FROM canon WHERE {keep}
                    ORDER BY customer_id, date, amount) TO {lit(str(path))} (FORMAT parquet)""")
    if src.attributes:
        _carry(con, f"({cte} SELECT * FROM canon WHERE {keep})", "date", src.attributes, as_of,
               out, "transactions")
    dups = (qrow("transactions", "exact duplicate lines (same invoice or line id)",
                 n_raw - n_distinct, "dropped") if identified else
            qrow("transactions", "identical lines without an invoice or line id (possibly two "
                 "orders)", n_raw - n_distinct, "kept", "possible duplicates"))
    quality = [
        qrow("transactions", "rows read", n_raw, "", src.label),
        dups,
        qrow("transactions", "missing customer_id", no_customer, "dropped"),
        qrow("transactions", f"cancellations (invoice starts with {shown(spec.cancel_prefix)})",
              cancelled, "dropped") if spec.cancel_prefix else None,
        qrow("transactions", "missing amount", no_amount, "dropped"),
        qrow("transactions", "amount = 0 (free items: purchases without spend)", free, "kept"),
        qrow("transactions", "amount < 0 (returns: not purchases)", returns, "left out",
             f"{abs(returned):,.2f} returned" if returns else ""),
        qrow("transactions", "missing date", no_date, "dropped"),
    ]
    return path, [q for q in quality if q is not None], src.label


def gather_tables(params: StudyParams, data_dir: Path,
                  con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Path], list[dict], dict[str, str], dict | None]:
    """Canonical Parquet tables in ``data_dir`` from the params' source, plus quality rows."""
    src = params.source
    if isinstance(src, SimulatedSource):
        from ..simulate import simulate_to_parquet

        paths = simulate_to_parquet(params.scenario, data_dir, n_customers=src.n_customers,
                                    seed=params.seed, as_of=params.as_of,
                                    history_months=src.history_months,
                                    months_after_as_of=src.months_after_as_of)
        truth_path = data_dir / "ground_truth.json"
        truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
        paths = {k: Path(v) for k, v in paths.items() if k in TABLES}
        quality = check_simulated(con, paths)
        labels = {k: "simulated" for k in paths}
    else:
        assert isinstance(src, FileSource)
        paths, quality, labels, truth = {}, [], {}, None
        for name in TABLES:  # canonical order: customers first
            if name not in src.tables:
                continue
            spec = src.tables[name]
            if name == "transactions":
                paths[name], q, labels[name] = load_transactions(con, spec, data_dir, params.as_of)
            else:
                paths[name], q, labels[name] = load_small_table(con, name, spec, data_dir,
                                                                as_of=params.as_of)
            quality += q
        quality += merge_carried(con, paths, labels, data_dir)
        if src.shape == "customer_table":
            cust = pd.read_parquet(paths["customers"], columns=None)
            for need in ("duration", "churned"):
                if need not in cust:
                    raise DataError(
                        f"{labels['customers']}: a customer_table export needs a {need!r} column; "
                        f"map it with source.tables.customers.columns.{need}")
    return paths, quality, labels, truth


# --------------------------------------------------------------------------- churn status

def churn_status(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], params: StudyParams,
                 *, at: dt.date, activity: pd.DataFrame | None = None) -> pd.DataFrame:
    """Apply the params' churn definition as of ``at``: one row per customer, sorted.

    Columns: ``customer_id, start_date, end_date, churned`` and, depending on
    the definition, ``plan, billing, end_reason, n_returns`` or
    ``defected_categories``. ``activity`` (from
    :func:`~churnlab.features.transaction_activity` at ``at``) saves a scan.
    """
    c = params.churn
    if c.definition == "contractual":
        subs = pd.read_parquet(tables["subscriptions"])
        return definitions.contractual(subs, as_of=at, resubscribe_gap_days=c.resubscribe_gap_days)
    if activity is None:
        activity = features.transaction_activity(con, tables["transactions"], cutoff=at,
                                                 window_days=c.window_days)
    if c.definition == "inactivity":
        return definitions.inactivity(activity, as_of=at, inactivity_days=c.inactivity_days)
    if c.definition == "partial":
        return definitions.partial(activity, as_of=at, window_days=c.window_days,
                                   partial_drop=c.partial_drop)
    cats = features.category_activity(con, tables["transactions"], cutoff=at,
                                      window_days=c.window_days)
    return definitions.category(cats, activity, as_of=at, window_days=c.window_days,
                                category_min_purchases=c.category_min_purchases)


def _is_flag_export(params: StudyParams) -> bool:
    return isinstance(params.source, FileSource) and params.source.shape == "customer_table"


def _side_by_side(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Columns of ``right`` added to ``left``, matched on ``customer_id``.

    Both come sorted by customer; when the IDs line up row by row (the usual
    case) the columns are placed side by side without a join.
    """
    overlap = [c for c in right.columns if c != "customer_id" and c in left.columns]
    if overlap:
        right = right.drop(columns=overlap)
    if len(left) == len(right) and (left["customer_id"].to_numpy() == right["customer_id"].to_numpy()).all():
        out = right.copy(deep=False)  # the wide frame's arrays are shared, not copied
        out.index = pd.RangeIndex(len(out))
        for i, col in enumerate(left.columns):  # the few status columns go in front
            if col == "customer_id":
                continue
            out.insert(i, col, left[col].to_numpy())
        return out
    return left.merge(right, on="customer_id", how="left")


def _universe(con: duckdb.DuckDBPyConnection, ids: pd.Series) -> str:
    con.register("churnlab_universe", pd.DataFrame({"customer_id": ids.to_numpy()}))
    return "SELECT customer_id FROM churnlab_universe"


ACTIVITY = ["customer_id", "first_purchase", "last_purchase", "spend_recent", "spend_baseline"]


def analysis_table(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], params: StudyParams) -> pd.DataFrame:
    """The customer-level analysis table as of ``as_of``: duration, event, covariates.

    One row per customer who started on or before ``as_of``. Columns:
    ``customer_id, start_date, end_date, churned, event, duration_days,
    duration`` (months), the definition's own columns, then every feature of
    :func:`churnlab.features.customer_features` and ``exit_reason``.
    """
    as_of, window = params.as_of, params.churn.window_days
    if _is_flag_export(params):
        cust = pd.read_parquet(tables["customers"], columns=["customer_id", "duration", "churned"])
        status = definitions.from_flag(cust, duration_unit=params.source.duration_unit)
        feats = features.customer_features(con, tables, cutoff=as_of, window_days=window,
                                           universe=_universe(con, status["customer_id"]),
                                           exit_reasons=True)
    elif params.churn.definition == "contractual":
        status = churn_status(con, tables, params, at=as_of)
        feats = features.customer_features(con, tables, cutoff=as_of, window_days=window,
                                           universe=_universe(con, status["customer_id"]),
                                           exit_reasons=True)
    else:
        feats = features.customer_features(con, tables, cutoff=as_of, window_days=window,
                                           exit_reasons=True)
        status = churn_status(con, tables, params, at=as_of, activity=feats[ACTIVITY])
        del feats["first_purchase"]  # = start_date
    c = params.churn
    dated = "start_date" in status and "end_date" in status
    until = definitions.observation_end(as_of, c.definition, inactivity_days=c.inactivity_days,
                                        window_days=c.window_days) if dated else None
    base = definitions.durations(status, as_of=as_of, observed_until=until)
    lead = ["customer_id", "start_date", "end_date", "churned", "event", "duration_days", "duration"]
    base = base[[c for c in lead if c in base] + [c for c in base if c not in lead]]
    return _side_by_side(base, feats)


def snapshot_dates(params: StudyParams) -> list[pd.Timestamp]:
    """Observation dates, latest first: ``as_of - lead - k * spacing`` for k = 0..count-1."""
    s = params.snapshots
    last = pd.Timestamp(params.as_of) - pd.Timedelta(days=s.lead_days)
    return [last - pd.Timedelta(days=k * s.spacing_days) for k in range(s.count)]


SNAPSHOT_DROP = ["start_date", "end_date", "churned", "end_reason", "defected_categories",
                 "n_returns", "first_purchase"]


def snapshots(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], params: StudyParams) -> pd.DataFrame:
    """Point-in-time snapshots for early-warning models (no leakage).

    For each observation date ``s`` (:func:`snapshot_dates`): the customers
    active at ``s`` (started on or before ``s``, not churned as of ``s``),
    their features computed from events on or before ``s`` only, plus
    ``tenure_months`` at ``s``, and the label ``churn_next`` = churned as of
    ``s + lead_days`` under the same definition; for contracts, a customer who
    left and came back within the lead time counts as churned too. Since
    ``s + lead_days <= as_of``, labels never use data after ``as_of``. Exports without dates
    (shape a) give an empty frame.
    """
    empty = pd.DataFrame(columns=["snapshot_date", "customer_id", "churn_next", "tenure_months"])
    if _is_flag_export(params):
        return empty
    lead = pd.Timedelta(days=params.snapshots.lead_days)
    window = params.churn.window_days
    contractual = params.churn.definition == "contractual"
    frames = []
    for s in snapshot_dates(params):
        if contractual:
            now = churn_status(con, tables, params, at=s.date())
            now = now[(~now["churned"]) & (now["start_date"] <= s)].reset_index(drop=True)
            feats = features.customer_features(con, tables, cutoff=s.date(), window_days=window,
                                               universe=_universe(con, now["customer_id"]))
        else:
            feats = features.customer_features(con, tables, cutoff=s.date(), window_days=window)
            now = churn_status(con, tables, params, at=s.date(), activity=feats[ACTIVITY])
            keep = (~now["churned"]).to_numpy()
            now, feats = now[keep].reset_index(drop=True), feats[keep].reset_index(drop=True)
        if now.empty:
            continue
        later = churn_status(con, tables, params, at=(s + lead).date()).set_index("customer_id")
        churn_next = now["customer_id"].map(later["churned"]).fillna(False).astype(bool)
        if "n_returns" in later:  # left and came back within the lead time: churned too
            churn_next |= now["customer_id"].map(later["n_returns"]).to_numpy() > now["n_returns"].to_numpy()
        snap = pd.DataFrame({
            "snapshot_date": s,
            "customer_id": now["customer_id"].to_numpy(),
            "churn_next": churn_next.to_numpy(),
            "tenure_months": ((s - now["start_date"]).dt.days / definitions.DAYS_PER_MONTH).to_numpy(),
        })
        snap = _side_by_side(snap, now.drop(columns=SNAPSHOT_DROP, errors="ignore"))
        frames.append(_side_by_side(snap, feats.drop(columns=SNAPSHOT_DROP, errors="ignore")))
    if not frames:
        return empty
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["snapshot_date", "customer_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- entry points

def collect(params: StudyParams, data_dir: str | Path, *, with_snapshots: bool = True,
            threads: int | None = None, minimum: Minimum = Minimum()) -> Collection:
    """Run stage 1 and write everything under ``data_dir``.

    Writes the canonical tables (``<table>.parquet``), ``analysis.parquet``,
    ``snapshots.parquet``, ``quality.parquet`` and, for simulated data,
    ``ground_truth.json``. Raises :class:`~churnlab.errors.DataError` (one
    line naming the file, the column and the problem) on bad input, and when the data
    cannot carry the study: ``as_of`` after all data, a churn window longer than the history,
    fewer customers, churners or stayers than ``minimum`` (:mod:`.quality`).
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    con = connect(threads=threads)
    try:
        tables, quality, labels, truth = gather_tables(params, data_dir, con)
        return collect_tables(con, params, data_dir, tables, quality=quality, labels=labels,
                              truth=truth, with_snapshots=with_snapshots, minimum=minimum)
    finally:
        con.close()


def collect_tables(con: duckdb.DuckDBPyConnection, params: StudyParams, data_dir: Path,
                   tables: dict[str, Path], *, quality: list[dict] | None = None,
                   labels: dict[str, str] | None = None, truth: dict | None = None,
                   with_snapshots: bool = True, minimum: Minimum | None = None) -> Collection:
    """From canonical tables to the analysis table (and snapshots), written to ``data_dir``.

    The part of :func:`collect` after the tables are in place: date coverage
    and the ``as_of`` check, the churn definition, the per-customer
    aggregation, the ID cross-check and the snapshots. ``minimum`` (None: no check) is the
    fewest customers, churners and stayers the later stages need (:func:`check_minimum`).
    """
    labels = labels or {}
    quality = list(quality or []) + check_as_of(con, tables, labels, params.as_of)
    label = labels.get("transactions") or labels.get("subscriptions") or labels.get("customers") or "data"
    c = params.churn
    if not _is_flag_export(params):
        check_window(event_span(con, tables), label, as_of=params.as_of, definition=c.definition,
                     inactivity_days=c.inactivity_days, window_days=c.window_days)
    analysis = analysis_table(con, tables, params)
    if analysis.empty:
        raise DataError(f"{label}: no customers started on or before as_of {params.as_of}")
    if minimum is not None:
        check_minimum(len(analysis), int(analysis["churned"].sum()), label, as_of=params.as_of,
                      definition=c.definition, minimum=minimum)
    quality += id_coverage(con, tables, labels, analysis)
    snaps = snapshots(con, tables, params) if with_snapshots else pd.DataFrame(
        columns=["snapshot_date", "customer_id", "churn_next", "tenure_months"])
    qdf = pd.DataFrame(quality, columns=["table", "check", "rows", "detail", "action"])
    _write(analysis, data_dir / "analysis.parquet")
    _write(snaps, data_dir / "snapshots.parquet")
    _write(qdf, data_dir / "quality.parquet")
    return Collection(data_dir, tables, qdf, analysis, snaps, truth, labels)


def load(run_dir: str | Path) -> Collection:
    """Read a finished stage 1 back from ``<run>/data/`` (what later notebooks call)."""
    data_dir = Path(run_dir) / "data"
    if not (data_dir / "analysis.parquet").exists():
        raise DataError(f"{data_dir}: no analysis table; run notebook 01 (data collection) first")
    tables = {name: data_dir / f"{name}.parquet" for name in TABLES
              if (data_dir / f"{name}.parquet").exists()}
    truth_path = data_dir / "ground_truth.json"
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
    return Collection(data_dir, tables, pd.read_parquet(data_dir / "quality.parquet"),
                      pd.read_parquet(data_dir / "analysis.parquet"),
                      pd.read_parquet(data_dir / "snapshots.parquet"), truth)


