"""Bring your own data on the two real datasets, checked against independent computations."""

from __future__ import annotations

import csv
import gzip

import pandas as pd
import pytest

from churnlab.collect import collect, compare_definitions
from churnlab.params import load_params

from .conftest import ROOT


def _params(name: str, tmp_path, path):
    p = load_params(ROOT / "params" / "examples" / f"{name}.yaml")
    tables = {k: v.model_copy(update={"path": str(path)}) for k, v in p.source.tables.items()}
    return p.model_copy(update={"source": p.source.model_copy(update={"tables": tables})})


def test_telco_churn_rate_matches_the_raw_file(tmp_path, telco_csv):
    with open(telco_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    churned = sum(r["Churn"] == "Yes" for r in rows)
    # IBM Telco: 1,869 of 7,043 customers churned (26.54%), counted here from the raw CSV
    assert (churned, len(rows)) == (1869, 7043)
    col = collect(_params("telco_ibm", tmp_path, telco_csv), tmp_path / "data")
    assert col.n_customers == 7043 and col.n_churned == churned
    assert col.churn_rate == pytest.approx(churned / len(rows), abs=1e-12)
    a = col.analysis.set_index("customer_id")
    raw = {r["customerID"]: r for r in rows}
    sample = a.sample(50, random_state=0)
    for cid, row in sample.iterrows():
        assert row["duration"] == pytest.approx(float(raw[cid]["tenure"]))
        assert row["Contract"] == raw[cid]["Contract"]
    # TotalCharges is text with 11 blanks (all tenure 0): read as numbers, blanks missing
    assert a["TotalCharges"].dtype == float and a["TotalCharges"].isna().sum() == 11
    assert (a.loc[a["TotalCharges"].isna(), "duration"] == 0).all()
    q = col.quality.set_index("check")
    assert q.loc["blank TotalCharges", "rows"] == 11


def _uci_reference(path, as_of: str, window: int) -> tuple[int, int]:
    """Clean the UCI file the documented way with plain pandas and count churners."""
    with gzip.open(path, "rt") as f:
        df = pd.read_csv(f, dtype={"InvoiceNo": str, "StockCode": str})
    df = df.drop_duplicates()
    df = df[df["CustomerID"].notna()]
    df = df[~df["InvoiceNo"].str.startswith("C")]
    df = df[df["Quantity"] * df["UnitPrice"] >= 0]  # free items are purchases, returns are not
    last = pd.to_datetime(df["InvoiceDate"]).dt.normalize().groupby(df["CustomerID"]).max()
    churned = ((pd.Timestamp(as_of) - last).dt.days >= window).sum()
    return len(last), int(churned)


def test_online_retail_cleaning_and_inactivity(tmp_path, retail_csv):
    p = _params("online_retail", tmp_path, retail_csv)
    col = collect(p, tmp_path / "data")
    q = col.quality.set_index("check")["rows"]
    # dataset README: 541,909 lines, 5,268 fully duplicated
    assert q["rows read"] == 541909
    assert q["exact duplicate lines (same invoice or line id)"] == 5268
    n_ref, churned_ref = _uci_reference(retail_csv, "2011-12-09", 90)
    assert col.n_customers == n_ref == 4339  # 4,338 with a paid purchase + 1 with free items only
    assert col.n_churned == churned_ref
    defs = compare_definitions(col, p).set_index("definition")
    assert defs.loc["inactivity", "churned"] == churned_ref
    assert defs.loc["partial", "churned"] >= defs.loc["inactivity", "churned"] * 0.5
    # snapshots exist and carry no customer who had not started yet
    s = col.snapshots
    assert len(s) and s["churn_next"].between(0, 1).all()


def test_telco_definition_table_marks_the_export_flag(tmp_path, telco_csv):
    p = _params("telco_ibm", tmp_path, telco_csv)
    defs = compare_definitions(collect(p, tmp_path / "data"), p)
    assert defs[["definition", "churned", "chosen"]].values.tolist() == [["contractual", 1869, True]]
