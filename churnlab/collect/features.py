"""Customer features as of a cutoff date, aggregated from event tables in DuckDB.

Every function reads canonical Parquet files and uses only events on or
before ``cutoff`` (usage months only when the whole month is over), so the
same code builds the analysis table (``cutoff = as_of``) and point-in-time
snapshots (``cutoff`` = each observation date) without leaking the future.

Feature vocabulary (the names the simulator's ground truth uses):

=========================  ==================================================
``<m>_mean``               mean of usage metric ``m`` over the customer's months
``<m>_change``             mean of the last 3 months / mean of the first 3 - 1
``n_interactions``         contacts of any kind
``n_complaints``           contacts of kind ``complaint``
``response_hours_mean``    mean response time of contacts
``unresolved_share``       share of contacts not resolved
``csat_mean``              mean satisfaction score (1-5)
``n_purchases``            purchase lines
``total_spend``            sum of amounts
``avg_spend``              total_spend / n_purchases
``recency_days``           cutoff - last purchase, in days
``spend_recent``           spend in (cutoff - W, cutoff]
``spend_baseline``         spend in (cutoff - 2W, cutoff - W]
``n_offers``               retention offers received
``offer_accepted``         any offer accepted
=========================  ==================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from .sources import ident, lit


def _pq(path: Path) -> str:
    return f"read_parquet({lit(str(path))})"


def _ts(d: dt.date | pd.Timestamp) -> str:
    return f"TIMESTAMP {lit(pd.Timestamp(d).strftime('%Y-%m-%d %H:%M:%S'))}"


def columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a Parquet file."""
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_pq(path)}").fetchall()]


def _window_bounds(cutoff: dt.date, window_days: int) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(end, recent start, baseline start): the whole day of ``cutoff`` counts."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    return end, end - pd.Timedelta(days=window_days), end - pd.Timedelta(days=2 * window_days)


def activity_sql(path: Path, *, cutoff: dt.date, window_days: int) -> str:
    """One scan of the transactions: per-customer counts, spend and window spends.

    Columns ``customer_id, n_purchases, total_spend, first_purchase,
    last_purchase, spend_recent, spend_baseline`` for customers with a purchase
    on or before ``cutoff``.
    """
    end, r0, b0 = _window_bounds(cutoff, window_days)
    return f"""
        SELECT customer_id,
               count(*) AS n_purchases,
               sum(amount) AS total_spend,
               min(date) AS first_purchase,
               max(date) AS last_purchase,
               sum(CASE WHEN date >= {_ts(r0)} THEN amount ELSE 0 END) AS spend_recent,
               sum(CASE WHEN date >= {_ts(b0)} AND date < {_ts(r0)} THEN amount ELSE 0 END)
                   AS spend_baseline
        FROM {_pq(path)}
        WHERE date < {_ts(end)}
        GROUP BY customer_id"""  # CASE sums scan faster than FILTER clauses here


def purchase_sql(path: Path, *, cutoff: dt.date, window_days: int) -> str:
    """:func:`activity_sql` plus ``avg_spend`` and ``recency_days`` (whole days)."""
    return f"""
        SELECT *, total_spend / n_purchases AS avg_spend,
               date_diff('day', CAST(last_purchase AS DATE), DATE {lit(str(cutoff))}) AS recency_days
        FROM ({activity_sql(path, cutoff=cutoff, window_days=window_days)})"""


def transaction_activity(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date,
                         window_days: int) -> pd.DataFrame:
    """:func:`activity_sql` as a DataFrame, sorted by customer."""
    df = con.execute(activity_sql(path, cutoff=cutoff, window_days=window_days)
                     + " ORDER BY customer_id").df()
    return _ns(df, "first_purchase", "last_purchase")


def _ns(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = df[c].astype("datetime64[ns]")
    return df


def category_activity(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date,
                      window_days: int) -> pd.DataFrame:
    """Purchases per customer and category in the baseline and recent windows."""
    end, r0, b0 = _window_bounds(cutoff, window_days)
    sql = f"""
        SELECT customer_id, category,
               count(*) FILTER (WHERE date < {_ts(r0)}) AS n_baseline,
               count(*) FILTER (WHERE date >= {_ts(r0)}) AS n_recent
        FROM {_pq(path)}
        WHERE date >= {_ts(b0)} AND date < {_ts(end)} AND category IS NOT NULL
        GROUP BY customer_id, category
        ORDER BY customer_id, category"""
    return con.execute(sql).df()


def usage_sql(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> str | None:
    """``<m>_mean`` and ``<m>_change`` for every numeric usage metric.

    Only months that ended on or before ``cutoff`` are used. ``<m>_change`` is
    ``mean(last 3 months) / mean(first 3 months) - 1`` (NaN when the first
    three average 0).
    """
    metrics = [c for c in columns(con, path) if c not in ("customer_id", "period")]
    if not metrics:
        return None
    last_month = pd.Timestamp(cutoff) + pd.Timedelta(days=1) - pd.DateOffset(months=1)
    parts = []
    for m in metrics:
        q = ident(m)
        parts.append(f"avg({q}) AS {ident(m + '_mean')}")
        parts.append(
            f"avg({q}) FILTER (WHERE rn_desc <= 3) / NULLIF(avg({q}) FILTER (WHERE rn_asc <= 3), 0) - 1"
            f" AS {ident(m + '_change')}")
    return f"""
        WITH u AS (
            SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY period) AS rn_asc,
                      row_number() OVER (PARTITION BY customer_id ORDER BY period DESC) AS rn_desc
            FROM {_pq(path)} WHERE period <= {_ts(last_month)})
        SELECT customer_id, {', '.join(parts)} FROM u GROUP BY customer_id"""


def interactions_sql(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> str:
    """Contact counts, complaints, response time, unresolved share and CSAT."""
    cols = set(columns(con, path))
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    aggs = ["count(*) FILTER (WHERE kind = 'complaint') AS n_complaints",  # specific before total
            "count(*) AS n_interactions"]
    if "response_hours" in cols:
        aggs.append("avg(response_hours) AS response_hours_mean")
    if "resolved" in cols:
        aggs.append("avg(CASE WHEN resolved THEN 0.0 ELSE 1.0 END) AS unresolved_share")
    if "csat" in cols:
        aggs.append("avg(csat) AS csat_mean")
    return f"""SELECT customer_id, {', '.join(aggs)} FROM {_pq(path)}
               WHERE date < {_ts(end)} GROUP BY customer_id"""


def offers_sql(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> str:
    """Retention offers received and whether any was accepted."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    return f"""SELECT customer_id, count(*) AS n_offers, bool_or(accepted) AS offer_accepted
               FROM {_pq(path)} WHERE date < {_ts(end)} GROUP BY customer_id"""


def exit_reasons_sql(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> str:
    """The stated exit reason per customer (the latest answer on or before ``cutoff``)."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    return f"""SELECT customer_id,
                      arg_max(reason, coalesce(date, TIMESTAMP '1900-01-01')) AS exit_reason
               FROM {_pq(path)} WHERE date IS NULL OR date < {_ts(end)} GROUP BY customer_id"""


def attributes_sql(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> str:
    """Static customer attributes (shape (a)'s duration and flag left out)."""
    drop = [c for c in ("duration", "churned") if c in columns(con, path)]
    exclude = f" EXCLUDE ({', '.join(ident(c) for c in drop)})" if drop else ""
    return f"SELECT *{exclude} FROM {_pq(path)}"


#: Event tables and the SQL of their per-customer features, in join order.
FEATURE_SQL = {
    "customers": attributes_sql,
    "usage": usage_sql,
    "interactions": interactions_sql,
    "offers": offers_sql,
}

COUNT_COLUMNS = ("n_interactions", "n_complaints", "n_offers", "n_purchases")

#: Features of the vocabulary above that summarise a customer's whole history up to the cutoff.
HISTORY_FEATURES = ("n_interactions", "n_complaints", "response_hours_mean", "unresolved_share",
                    "csat_mean", "n_purchases", "total_spend", "avg_spend", "recency_days",
                    "spend_recent", "spend_baseline", "n_offers", "offer_accepted")


def is_history_summary(column: str) -> bool:
    """Whether ``column`` is one of this module's whole-history summaries as of the cutoff:
    :data:`HISTORY_FEATURES`, a usage ``<m>_mean`` / ``<m>_change``, or such a count turned
    into a rate (``n_complaints_per_month``).

    As of ``as_of`` such a summary mixes the months before a churner's exit with the exit
    itself and keeps growing for survivors, so a model of the whole lifetime must not use it
    as a cause (it is description only); customer attributes (region, plan, ...) are not
    summaries. The landmark and episode designs use them as of a date before the outcome.
    """
    base = column.split("_per_", 1)[0]
    return base in HISTORY_FEATURES or base.endswith(("_mean", "_change"))


def customer_features(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], *,
                      cutoff: dt.date, window_days: int, universe: str | None = None,
                      exit_reasons: bool = False, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """All per-customer features as of ``cutoff`` in one DuckDB query, sorted by customer.

    ``universe`` is the SQL (or registered view name) of the customers to
    describe; by default, the customers with a purchase on or before ``cutoff``
    (or the customer table when there are no transactions). Customers absent
    from an event table had no such events: their counts are 0.
    ``exit_reasons`` adds the stated exit reason (an outcome, not a predictor);
    ``exclude`` names columns to leave out.
    """
    ctes: dict[str, str] = {}
    if "transactions" in tables:
        ctes["purchases"] = purchase_sql(tables["transactions"], cutoff=cutoff, window_days=window_days)
    for name, fn in FEATURE_SQL.items():
        if name in tables:
            sql = fn(con, tables[name], cutoff=cutoff)
            if sql:
                ctes[name] = sql
    if exit_reasons and "exit_reasons" in tables:
        ctes["exit_reasons"] = exit_reasons_sql(con, tables["exit_reasons"], cutoff=cutoff)
    if universe is None:
        universe = "purchases" if "purchases" in ctes else "customers"
    else:
        ctes = {"universe": universe} | ctes
        universe = "universe"
    joins = " ".join(f"LEFT JOIN {name} USING (customer_id)" for name in ctes
                     if name not in (universe, "universe"))
    with_sql = ", ".join(f"{name} AS ({sql})" for name, sql in ctes.items())
    star = f"* EXCLUDE ({', '.join(ident(c) for c in exclude)})" if exclude else "*"
    df = con.sql(f"WITH {with_sql} SELECT {star} FROM {universe} {joins} ORDER BY customer_id"
                 ).to_arrow_table().to_pandas()
    for col in COUNT_COLUMNS:
        if col in df:
            df[col] = df[col].fillna(0).astype("int64")
    if "offer_accepted" in df:
        df["offer_accepted"] = df["offer_accepted"].astype("boolean").fillna(False).astype(bool)
    for col in ("total_spend", "spend_recent", "spend_baseline"):
        if col in df:
            df[col] = df[col].fillna(0.0)
    return _ns(df, "first_purchase", "last_purchase", "signup_date")
