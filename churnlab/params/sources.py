"""``source``: the built-in simulator, or exported files mapped onto the canonical tables."""

from __future__ import annotations

import codecs
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from ..errors import shown
from ..schema import SHAPE_TABLES, TABLES
from .sections import Strict


class SimulatedSource(Strict):
    """The built-in simulator of the scenario's industry."""

    kind: Literal["simulate"]
    n_customers: int = Field(5000, ge=50, le=5_000_000)
    history_months: int = Field(36, ge=6, le=120)
    months_after_as_of: int = Field(0, ge=0, le=36)


class TableSource(Strict):
    """One exported file and how its columns map onto a canonical table.

    ``columns`` maps canonical name -> the file's column name; unmapped
    canonical names are looked up under their own name. ``values`` maps, per
    canonical column, the file's values to canonical ones (e.g.
    ``churned: {"Yes": true, "No": false}``; quote Yes/No in YAML). For the
    customers table, ``attributes`` lists the other columns to keep as
    covariates (default: all of them); on a subscriptions or transactions table
    it lists columns to carry onto the customers as attributes (the value of the
    customer's latest row on or before ``as_of``).

    ``path`` is one file, read literally (``t*.csv`` is a file of that name, not a
    pattern). ``delimiter`` is one character; ``encoding`` names the file's text
    encoding (``utf-8`` default; ``latin-1``, ``cp1252``, ``utf-16``, any Python codec);
    ``date_format`` is a strptime format with a year, e.g. ``%d/%m/%Y``.
    """

    path: str = Field(min_length=1)
    format: Literal["auto", "csv", "parquet"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    attributes: list[str] | None = None
    date_format: str | None = None
    cancel_prefix: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        """A delimiter is exactly one character, and not a quote or a line break."""
        if len(v) != 1 or v in ('"', "\n", "\r"):
            raise ValueError(f"expected one character such as ',' ';' or a tab, got {shown(v)}")
        return v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str) -> str:
        """A text encoding Python knows (``latin-1``, ``cp1252``, ``utf-16``...)."""
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"expected a text encoding such as utf-8, latin-1, cp1252 or utf-16, "
                             f"got {shown(v)}") from None
        return v

    @field_validator("date_format")
    @classmethod
    def _strptime(cls, v: str | None) -> str | None:
        """A strptime format DuckDB accepts, with a year (``%Y`` or ``%y``)."""
        if v is None:
            return v
        hint = "expected a strptime format with a year, such as '%d/%m/%Y' or '%Y-%m-%d %H:%M'"
        if not any(d in v for d in ("%Y", "%y", "%-y", "%G")):
            raise ValueError(f"{hint}, got {shown(v)}")
        import duckdb

        try:
            duckdb.execute("SELECT try_strptime('2000-01-01', ?)", [v])
        except duckdb.Error as exc:
            why = str(exc).splitlines()[0].split("Error: ", 1)[-1][:100]
            raise ValueError(f"{hint}, got {shown(v)} ({why})") from None
        return v


#: Tables whose ``attributes`` mean something: the customers' own columns, the usage metrics,
#: and columns of contracts or purchases carried onto the customers (latest row by ``as_of``).
ATTRIBUTE_TABLES = ("customers", "usage", "subscriptions", "transactions")


class FileSource(Strict):
    """Bring your own data: CSV or Parquet exports in one of three shapes.

    - ``customer_table`` (a): one row per customer with a duration and a churn flag;
    - ``subscriptions`` (b): contract spells with start and end dates;
    - ``transactions`` (c): purchase lines with customer, date and amount.
    """

    kind: Literal["files"]
    shape: Literal["customer_table", "subscriptions", "transactions"]
    duration_unit: Literal["day", "week", "month", "year"] = "month"
    tables: dict[str, TableSource]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableSource]) -> dict[str, TableSource]:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table {shown(unknown[0])}: expected one of {sorted(TABLES)}")
        kinds = {"bool": (bool,), "number": (int, float), "text": (str,), "id": (str,),
                 "date": (str,)}
        for name, spec in v.items():
            if spec.attributes is not None and name not in ATTRIBUTE_TABLES:
                raise ValueError(f"{name}.attributes: not used on the {name} table; customer "
                                 f"attributes are listed on {', '.join(ATTRIBUTE_TABLES)}")
            canon = {c.name: c for c in TABLES[name].columns}
            for part in ("columns", "values"):
                bad = sorted(set(getattr(spec, part)) - set(canon))
                if bad and not (TABLES[name].extra == "numeric" and part == "columns"):
                    raise ValueError(
                        f"{name}.{part}.{bad[0]}: unknown canonical column: expected one of {list(canon)}")
            for col, mapping in spec.values.items():
                want = kinds[canon[col].kind]
                for target in mapping.values():
                    if target is not None and (not isinstance(target, want)
                                               or (bool not in want and isinstance(target, bool))):
                        what = {"bool": "true or false", "number": "numbers"}.get(canon[col].kind, "text")
                        raise ValueError(f"{name}.values.{col}: mapped values must be {what} (or null), "
                                         f"got {shown(target)}")
        return v

    @model_validator(mode="after")
    def _shape_tables(self) -> "FileSource":
        for needed in SHAPE_TABLES[self.shape]:
            if needed not in self.tables:
                raise ValueError(f"shape {self.shape!r} needs a {needed!r} table under source.tables")
        return self


Source = Annotated[Union[SimulatedSource, FileSource], Field(discriminator="kind")]


