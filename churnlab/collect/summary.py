"""What stage 1 produced, summarised: churners under every definition, table sizes,
and the ``data`` section of ``metrics.json``."""

from __future__ import annotations

import re

import pandas as pd

from .. import i18n
from ..params import StudyParams
from . import definitions, features
from .pipeline import ACTIVITY, Collection
from .sources import connect


def compare_definitions(collection: Collection, params: StudyParams) -> pd.DataFrame:
    """How many customers churned as of ``as_of`` under each applicable definition.

    Contractual data gives one row per end reason; transaction data gives the
    inactivity, partial and category definitions with the params' settings.
    """
    tables = collection.tables
    rows = []
    c = params.churn
    if "subscriptions" in tables:
        st = definitions.contractual(pd.read_parquet(tables["subscriptions"]), as_of=params.as_of,
                                     resubscribe_gap_days=c.resubscribe_gap_days)
        rows.append(("contractual", f"contract ended, no new one within {c.resubscribe_gap_days} days",
                     len(st), int(st["churned"].sum())))
        if "end_reason" in st:
            for reason, n in st.loc[st["churned"], "end_reason"].value_counts().sort_index().items():
                rows.append((f"contractual: {reason}", "by end reason", len(st), int(n)))
    if "transactions" in tables:
        a = collection.analysis
        con = connect()
        try:
            if set(ACTIVITY[2:]) <= set(a.columns) and "start_date" in a:
                # a purchase-based analysis table already holds the activity as of as_of
                act = a[["customer_id", "start_date"] + ACTIVITY[2:]].rename(
                    columns={"start_date": "first_purchase"})
            else:
                act = features.transaction_activity(con, tables["transactions"], cutoff=params.as_of,
                                                    window_days=c.window_days)
            cats = pd.DataFrame()
            if "category" in features.columns(con, tables["transactions"]):
                cats = features.category_activity(con, tables["transactions"], cutoff=params.as_of,
                                                  window_days=c.window_days)
        finally:
            con.close()
        defs = [
            ("inactivity", f"no purchase in {c.inactivity_days} days",
             definitions.inactivity(act, as_of=params.as_of, inactivity_days=c.inactivity_days)),
            ("partial", f"spend fell >= {c.partial_drop:.0%} (last {c.window_days} days vs the "
                        f"{c.window_days} before)",
             definitions.partial(act, as_of=params.as_of, window_days=c.window_days,
                                 partial_drop=c.partial_drop)),
        ]
        if not cats.empty:
            defs.append(("category", f"stopped buying a category bought >= "
                                     f"{c.category_min_purchases} times",
                         definitions.category(cats, act, as_of=params.as_of, window_days=c.window_days,
                                              category_min_purchases=c.category_min_purchases)))
        rows += [(name, rule, len(st), int(st["churned"].sum())) for name, rule, st in defs]
    if not rows:  # shape (a): the export's own flag is the definition
        a = collection.analysis
        rows.append((c.definition, "the export's own churn flag", len(a), int(a["churned"].sum())))
    out = pd.DataFrame(rows, columns=["definition", "rule", "customers", "churned"])
    out["churn_rate"] = out["churned"] / out["customers"]
    out["chosen"] = out["definition"] == c.definition
    return out


def table_overview(collection: Collection) -> pd.DataFrame:
    """Rows and columns of each canonical table written."""
    import pyarrow.parquet as pq

    rows = []
    for name, path in collection.tables.items():
        meta = pq.ParquetFile(path).metadata
        rows.append({"table": name, "rows": meta.num_rows, "columns": meta.num_columns,
                     "file": path.name})
    rows.append({"table": "analysis (one row per customer)", "rows": len(collection.analysis),
                 "columns": collection.analysis.shape[1], "file": "analysis.parquet"})
    rows.append({"table": "snapshots (customer x observation date)",
                 "rows": len(collection.snapshots), "columns": collection.snapshots.shape[1],
                 "file": "snapshots.parquet"})
    return pd.DataFrame(rows)


def summary_metrics(collection: Collection, params: StudyParams,
                    defs: pd.DataFrame | None = None) -> dict:
    """The ``data`` section of ``metrics.json``.

    ``churn_rate`` is the share of customers (started on or before ``as_of``)
    who churned by ``as_of`` under the chosen definition.
    """
    a = collection.analysis
    out = {
        "n_customers": collection.n_customers,
        "n_churned": collection.n_churned,
        "churn_rate": collection.churn_rate,
        "definition": params.churn.definition,
        "as_of": params.as_of,
        "source": params.source.kind,
        "tables": {k: int(v) for k, v in table_overview(collection).set_index("file")["rows"].items()},
        "median_duration_months": float(a["duration"].median()),
        "n_snapshots": int(collection.snapshots["snapshot_date"].nunique())
        if len(collection.snapshots) else 0,
        "snapshot_positive_rate": float(collection.snapshots["churn_next"].mean())
        if len(collection.snapshots) else None,
    }
    if defs is not None:
        out["churned_by_definition"] = {r.definition: int(r.churned) for r in defs.itertuples()}
    dropped = collection.quality[collection.quality["action"] == "dropped"]
    out["rows_dropped"] = {r.check: int(r.rows) for r in dropped.itertuples()}
    return out


_DATE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")


def date_range(detail, cat: "i18n.Catalogue") -> str:
    """A quality detail ``2023-01-01 to 2025-12-31`` in ``cat``'s language; any other detail unchanged.

    Dates only: a catalogue template ``{start} to {end}`` would match every text with " to " in it.
    """
    m = _DATE_RANGE.fullmatch(detail) if isinstance(detail, str) else None
    return cat("{start} to {end} (dates)", start=m.group(1), end=m.group(2)) if m and not cat.english \
        else detail


def truth_table(truth: pd.DataFrame) -> pd.DataFrame:
    """The planted drivers as shown: what (``feature``, ``level``), which way and how strong first.

    The ``effect`` mapping is spread into ``hazard_ratio`` and ``per`` (a cell holding a dict
    prints as Python, ``{'hazard_ratio': 1.08, 'per': ...}``, which neither reads well nor
    translates); the columns run feature, level, direction, hazard_ratio, per, then the rest
    (description, log_hazard_ratio, ...).
    """
    out = truth
    if "effect" in truth and truth["effect"].map(lambda e: isinstance(e, dict)).all():
        effect = pd.DataFrame(truth["effect"].tolist(), index=truth.index)
        out = pd.concat([truth.drop(columns="effect"),
                         effect[[c for c in ("hazard_ratio", "per") if c in effect]]], axis=1)
    first = [c for c in ("feature", "level", "direction", "hazard_ratio", "per") if c in out]
    return out[first + [c for c in out.columns if c not in first]]
