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


def transaction_activity(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date,
                         window_days: int) -> pd.DataFrame:
    """One scan of the transactions: per-customer counts, spend and windows.

    Returns ``customer_id, n_purchases, total_spend, first_purchase,
    last_purchase, spend_recent, spend_baseline`` for customers with a
    purchase on or before ``cutoff``. The whole day of ``cutoff`` counts.
    """
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    r0 = end - pd.Timedelta(days=window_days)
    b0 = end - pd.Timedelta(days=2 * window_days)
    sql = f"""
        SELECT customer_id,
               count(*) AS n_purchases,
               sum(amount) AS total_spend,
               min(date) AS first_purchase,
               max(date) AS last_purchase,
               coalesce(sum(amount) FILTER (WHERE date >= {_ts(r0)}), 0) AS spend_recent,
               coalesce(sum(amount) FILTER (WHERE date >= {_ts(b0)} AND date < {_ts(r0)}), 0)
                   AS spend_baseline
        FROM {_pq(path)}
        WHERE date < {_ts(end)}
        GROUP BY customer_id
        ORDER BY customer_id"""
    df = con.execute(sql).df()
    df["first_purchase"] = df["first_purchase"].astype("datetime64[ns]")
    df["last_purchase"] = df["last_purchase"].astype("datetime64[ns]")
    return df


def category_activity(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date,
                      window_days: int) -> pd.DataFrame:
    """Purchases per customer and category in the baseline and recent windows."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    r0 = end - pd.Timedelta(days=window_days)
    b0 = end - pd.Timedelta(days=2 * window_days)
    sql = f"""
        SELECT customer_id, category,
               count(*) FILTER (WHERE date < {_ts(r0)}) AS n_baseline,
               count(*) FILTER (WHERE date >= {_ts(r0)}) AS n_recent
        FROM {_pq(path)}
        WHERE date >= {_ts(b0)} AND date < {_ts(end)} AND category IS NOT NULL
        GROUP BY customer_id, category
        ORDER BY customer_id, category"""
    return con.execute(sql).df()


def purchase_features(activity: pd.DataFrame, *, cutoff: dt.date) -> pd.DataFrame:
    """Purchase features from :func:`transaction_activity` (pandas, per customer)."""
    out = activity[["customer_id", "n_purchases", "total_spend", "spend_recent",
                    "spend_baseline"]].copy()
    out["avg_spend"] = activity["total_spend"] / activity["n_purchases"]
    out["recency_days"] = (pd.Timestamp(cutoff) - activity["last_purchase"]).dt.days
    return out


def usage_features(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> pd.DataFrame:
    """``<m>_mean`` and ``<m>_change`` for every numeric usage metric.

    Only months that ended on or before ``cutoff`` are used. ``<m>_change`` is
    ``mean(last 3 months) / mean(first 3 months) - 1`` (NaN when the first
    three average 0).
    """
    metrics = [c for c in columns(con, path) if c not in ("customer_id", "period")]
    if not metrics:
        return pd.DataFrame(columns=["customer_id"])
    last_month = pd.Timestamp(cutoff) + pd.Timedelta(days=1) - pd.DateOffset(months=1)
    parts = []
    for m in metrics:
        q = ident(m)
        parts.append(f"avg({q}) AS {ident(m + '_mean')}")
        parts.append(
            f"avg({q}) FILTER (WHERE rn_desc <= 3) / NULLIF(avg({q}) FILTER (WHERE rn_asc <= 3), 0) - 1"
            f" AS {ident(m + '_change')}")
    sql = f"""
        WITH u AS (
            SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY period) AS rn_asc,
                      row_number() OVER (PARTITION BY customer_id ORDER BY period DESC) AS rn_desc
            FROM {_pq(path)} WHERE period <= {_ts(last_month)})
        SELECT customer_id, {', '.join(parts)} FROM u GROUP BY customer_id ORDER BY customer_id"""
    return con.execute(sql).df()


def interaction_features(con: duckdb.DuckDBPyConnection, path: Path, *,
                         cutoff: dt.date) -> pd.DataFrame:
    """Contact counts, complaints, response time, unresolved share and CSAT."""
    cols = set(columns(con, path))
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    aggs = ["count(*) AS n_interactions",
            "count(*) FILTER (WHERE kind = 'complaint') AS n_complaints"]
    if "response_hours" in cols:
        aggs.append("avg(response_hours) AS response_hours_mean")
    if "resolved" in cols:
        aggs.append("avg(CASE WHEN resolved THEN 0.0 ELSE 1.0 END) AS unresolved_share")
    if "csat" in cols:
        aggs.append("avg(csat) AS csat_mean")
    sql = f"""SELECT customer_id, {', '.join(aggs)} FROM {_pq(path)}
              WHERE date < {_ts(end)} GROUP BY customer_id ORDER BY customer_id"""
    return con.execute(sql).df()


def offer_features(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> pd.DataFrame:
    """Retention offers received and whether any was accepted."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    sql = f"""SELECT customer_id, count(*) AS n_offers, bool_or(accepted) AS offer_accepted
              FROM {_pq(path)} WHERE date < {_ts(end)} GROUP BY customer_id ORDER BY customer_id"""
    return con.execute(sql).df()


def exit_reason_table(con: duckdb.DuckDBPyConnection, path: Path, *, cutoff: dt.date) -> pd.DataFrame:
    """The stated exit reason per customer (the latest answer on or before ``cutoff``)."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    sql = f"""SELECT customer_id, arg_max(reason, coalesce(date, TIMESTAMP '1900-01-01')) AS exit_reason
              FROM {_pq(path)} WHERE date IS NULL OR date < {_ts(end)}
              GROUP BY customer_id ORDER BY customer_id"""
    return con.execute(sql).df()


FEATURE_TABLES = {
    "usage": usage_features,
    "interactions": interaction_features,
    "offers": offer_features,
}


def event_features(con: duckdb.DuckDBPyConnection, tables: dict[str, Path], *,
                   cutoff: dt.date) -> list[pd.DataFrame]:
    """Features of every event table present (usage, interactions, offers)."""
    return [fn(con, tables[name], cutoff=cutoff) for name, fn in FEATURE_TABLES.items()
            if name in tables]


def fill_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Customers absent from an event table had zero events: fill the count columns."""
    for col in ("n_interactions", "n_complaints", "n_offers", "n_purchases"):
        if col in df:
            df[col] = df[col].fillna(0).astype("int64")
    if "offer_accepted" in df:
        df["offer_accepted"] = df["offer_accepted"].astype("boolean").fillna(False).astype(bool)
    for col in ("total_spend", "spend_recent", "spend_baseline"):
        if col in df:
            df[col] = df[col].fillna(0.0)
    return df
