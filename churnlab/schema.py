"""Canonical tables: the contract between data collection and every later stage.

Stage 1 turns any source (the built-in simulator, CSV/Parquet exports of a
CRM) into these tables, saved as Parquet in ``<run>/data/``. Later notebooks
read only these files.

=============  ===========================================================
table          one row per ...
=============  ===========================================================
customers      customer: ``customer_id`` + static attributes (segments).
               Shape (a) exports also carry ``duration`` and ``churned``.
subscriptions  contract spell: ``start_date``, ``end_date`` (empty = active),
               ``plan``, ``billing``, ``end_reason`` (voluntary/involuntary).
transactions   purchase line: ``date``, ``amount``, optional ``category``.
usage          customer x month: ``period`` + numeric behaviour metrics
               (any other numeric column, e.g. ``logins``, ``mrr``).
interactions   contact: ``kind`` (complaint, ticket, call), ``response_hours``,
               ``resolved``, optional ``csat`` (1-5).
exit_reasons   exit-survey answer: ``reason`` in :data:`EXIT_REASONS`.
offers         retention offer: ``offer_type``, ``accepted``, ``saved``.
=============  ===========================================================

Types: ``customer_id`` is a string everywhere; dates are ``datetime64[ns]``
(day precision is enough); booleans are ``bool``; money is ``float64``.

The module holds the column specs (:data:`TABLES`) and the pandera schemas
built from them, used to validate tables already renamed to canonical names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from .errors import DataError, shown

#: Features that non-contractual definitions are computed from: for churned
#: customers they restate the label, so descriptive comparisons leave them out.
DEFINING_FEATURES = ("recency_days", "spend_recent", "spend_baseline")


EXIT_REASONS = ("price", "service", "competitor", "product", "moved", "no_longer_needed")
END_REASONS = ("voluntary", "involuntary")
INTERACTION_KINDS = ("complaint", "ticket", "call")


@dataclass(frozen=True)
class Column:
    """One canonical column: its kind (``id``, ``date``, ``number``, ``bool``, ``text``)."""

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """A canonical table: named columns; ``extra`` says whether other columns are kept."""

    name: str
    columns: tuple[Column, ...]
    extra: str = "keep"  # keep | numeric (usage metrics) | drop
    unique: tuple[str, ...] = ()
    doc: str = ""
    defaults: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


CID = Column("customer_id", "id", doc="customer key (string)")

TABLES: dict[str, Table] = {
    "customers": Table(
        "customers",
        (
            CID,
            Column("signup_date", "date", required=False, nullable=True),
            Column("duration", "number", required=False, min_value=0,
                   doc="shape (a) only: time as a customer, in `duration_unit`"),
            Column("churned", "bool", required=False, doc="shape (a) only: churn flag"),
        ),
        unique=("customer_id",),
        doc="one row per customer; other columns are kept as attributes",
    ),
    "subscriptions": Table(
        "subscriptions",
        (
            CID,
            Column("start_date", "date"),
            Column("end_date", "date", nullable=True, doc="empty while the contract is active"),
            Column("plan", "text", required=False, nullable=True),
            Column("billing", "text", required=False, nullable=True),
            Column("end_reason", "text", required=False, nullable=True, allowed=END_REASONS),
        ),
    ),
    "transactions": Table(
        "transactions",
        (
            CID,
            Column("date", "date"),
            Column("amount", "number", doc="money; or give quantity and unit_price"),
            Column("category", "text", required=False, nullable=True),
            Column("quantity", "number", required=False, nullable=True),
            Column("unit_price", "number", required=False, nullable=True),
            Column("invoice_id", "text", required=False, nullable=True),
            Column("line_id", "text", required=False, nullable=True,
                   doc="an order-line identifier; with it or invoice_id, identical lines are duplicates"),
        ),
        extra="drop",
    ),
    "usage": Table(
        "usage",
        (CID, Column("period", "date", doc="first day of the month")),
        extra="numeric",
        unique=("customer_id", "period"),
    ),
    "interactions": Table(
        "interactions",
        (
            CID,
            Column("date", "date"),
            Column("kind", "text", allowed=INTERACTION_KINDS),
            Column("response_hours", "number", required=False, nullable=True, min_value=0),
            Column("resolved", "bool", required=False),
            Column("csat", "number", required=False, nullable=True, min_value=1),
        ),
    ),
    "exit_reasons": Table(
        "exit_reasons",
        (CID, Column("date", "date", required=False, nullable=True),
         Column("reason", "text", allowed=EXIT_REASONS)),
    ),
    "offers": Table(
        "offers",
        (
            CID,
            Column("date", "date"),
            Column("offer_type", "text"),
            Column("accepted", "bool"),
            Column("saved", "bool"),
        ),
    ),
}

#: Tables every source shape must provide.
SHAPE_TABLES = {
    "customer_table": ("customers",),
    "subscriptions": ("subscriptions",),
    "transactions": ("transactions",),
}


def _check(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.allowed:
        checks.append(pa.Check.isin(list(col.allowed), error=f"a value outside {list(col.allowed)}"))
    if col.min_value is not None:
        checks.append(pa.Check.ge(col.min_value, error=f"a value below {col.min_value}"))
    return checks


_DTYPES = {"id": str, "date": "datetime64[ns]", "number": float, "bool": bool, "text": str}


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a canonical table (columns present are checked)."""
    spec = TABLES[table]
    cols = {
        c.name: pa.Column(_DTYPES[c.kind], checks=_check(c), nullable=c.nullable,
                          required=c.required and c.name != "amount")
        for c in spec.columns
    }
    return pa.DataFrameSchema(cols, unique=list(spec.unique) or None, strict=False,
                              name=table)


def validate_table(df: pd.DataFrame, table: str, *, source: str,
                   raw: dict[str, str] | None = None) -> pd.DataFrame:
    """Validate a canonical table with pandera; raise one :class:`DataError` line.

    The message names the file (``source``), the column (the file's own name,
    from ``raw`` = canonical -> file column, when given), the problem and the
    number of bad rows, e.g. ``data.csv: column 'why' (exit_reasons.reason) has
    3 row(s) with a value outside [...] (e.g. 'bored')``.
    """
    try:
        return pandera_schema(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        row = fc.iloc[0]
        col = row["column"] if isinstance(row["column"], str) else "?"
        same = fc[(fc["column"] == row["column"]) & (fc["check"] == row["check"])]
        n_bad = int(same["index"].nunique()) if same["index"].notna().any() else len(same)
        check = str(row["check"])
        if check.startswith("field_uniqueness") or check == "multiple_fields_uniqueness":
            problem = "duplicate keys"
            n_bad = int(df.duplicated(list(TABLES[table].unique), keep=False).sum())
            col = ", ".join(TABLES[table].unique)
        elif check == "not_nullable":
            problem = "empty values"
        else:
            problem = check
        example = row["failure_case"]
        if hasattr(example, "item"):
            example = example.item()  # numpy scalar -> plain value for the message
        raw = raw or {}
        where = (f"column {shown(raw[col])} ({table}.{col})" if col in raw and raw[col] != col
                 else f"column '{col}' ({table} table)")
        raise DataError(
            f"{source}: {where} has {n_bad} row(s) with {problem}"
            + ("" if example is None or pd.isna(example) else f" (e.g. {shown(example)})")
        ) from None
