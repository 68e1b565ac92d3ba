"""Bring-your-own-data loading: mapping, cleaning, and one-line errors for bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab.collect import collect
from churnlab.errors import DataError
from churnlab.params import validate_params

TX_CSV = """InvoiceNo,Cust,When,Qty,Price,Cat
1,A,2024-01-05 10:00:00,2,5.0,toys
1,A,2024-01-05 10:00:00,2,5.0,toys
2,A,2024-06-01 09:00:00,1,20.0,food
C3,A,2024-06-02 09:00:00,-1,20.0,food
4,,2024-06-03 09:00:00,1,3.0,food
5,B,2024-02-10 12:00:00,3,2.5,food
6,B,2024-02-11 12:00:00,1,0.0,food
7,C,2024-11-20 12:00:00,1,9.0,toys
"""


def tx_params(path, **table) -> dict:
    spec = {"path": str(path),
            "columns": {"customer_id": "Cust", "date": "When", "quantity": "Qty",
                        "unit_price": "Price", "invoice_id": "InvoiceNo", "category": "Cat"},
            "cancel_prefix": "C"} | table
    return {"scenario": "retail", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "inactivity", "inactivity_days": 180},
            "source": {"kind": "files", "shape": "transactions", "tables": {"transactions": spec}}}


def run(tmp_path, data: dict):
    return collect(validate_params(data), tmp_path / "out" / "data")


def test_transactions_are_cleaned_and_reported(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV)
    col = run(tmp_path, tx_params(f))
    q = col.quality.set_index("check")["rows"]
    assert q["rows read"] == 8
    assert q["exact duplicate lines"] == 1
    assert q["missing customer_id"] == 1
    assert q["cancellations (invoice starts with 'C')"] == 1
    assert q["amount <= 0 (returns, free items)"] == 1
    tx = pd.read_parquet(col.tables["transactions"])
    assert len(tx) == 4 and set(tx["customer_id"]) == {"A", "B", "C"}
    assert tx.loc[tx["customer_id"] == "A", "amount"].sum() == pytest.approx(10.0 + 20.0)
    a = col.analysis.set_index("customer_id")
    # inactivity 180 days as of 2024-12-31: A last bought 2024-06-01 (213 days) -> churned
    assert a["churned"].to_dict() == {"A": True, "B": True, "C": False}
    assert col.n_customers == 3 and col.churn_rate == pytest.approx(2 / 3)


def _bad(tmp_path, text: str, **table) -> str:
    f = tmp_path / "tx.csv"
    f.write_text(text)
    with pytest.raises(DataError) as exc:
        run(tmp_path, tx_params(f, **table))
    msg = str(exc.value)
    assert "\n" not in msg and "tx.csv" in msg
    assert not (tmp_path / "out" / "data" / "analysis.parquet").exists()
    return msg


def test_missing_mapped_column(tmp_path):
    msg = _bad(tmp_path, TX_CSV.replace("Price", "Cost"))
    assert "'Price'" in msg and "transactions.unit_price" in msg and "not in the file" in msg


def test_non_numeric_amount(tmp_path):
    msg = _bad(tmp_path, TX_CSV.replace("2,5.0,toys\n1", "2,five,toys\n1", 1))
    assert "'Price'" in msg and "1 row(s)" in msg and "not numbers" in msg and "five" in msg


def test_unparseable_date(tmp_path):
    msg = _bad(tmp_path, TX_CSV.replace("2024-02-10 12:00:00", "10/02/2024 noon"))
    assert "'When'" in msg and "cannot be parsed" in msg and "10/02/2024 noon" in msg


def test_date_format_option_parses_other_layouts(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV.replace("2024-01-05 10:00:00", "05/01/2024 10:00").replace(
        "2024-06-01 09:00:00", "01/06/2024 09:00").replace("2024-06-02 09:00:00", "02/06/2024 09:00")
        .replace("2024-06-03 09:00:00", "03/06/2024 09:00").replace("2024-02-10 12:00:00", "10/02/2024 12:00")
        .replace("2024-02-11 12:00:00", "11/02/2024 12:00").replace("2024-11-20 12:00:00", "20/11/2024 12:00"))
    col = run(tmp_path, tx_params(f, date_format="%d/%m/%Y %H:%M"))
    assert col.n_customers == 3


def test_empty_file(tmp_path):
    assert "empty" in _bad(tmp_path, "")


def test_header_only_file(tmp_path):
    assert "no data rows" in _bad(tmp_path, TX_CSV.splitlines()[0] + "\n")


def test_as_of_before_all_data(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV)
    data = tx_params(f)
    data["as_of"] = "2023-01-01"
    with pytest.raises(DataError, match="as_of 2023-01-01 is before all data .first date is 2024-01-05"):
        run(tmp_path, data)


def sub_params(path) -> dict:
    return {"scenario": "software", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "contractual"},
            "source": {"kind": "files", "shape": "subscriptions",
                       "tables": {"subscriptions": {"path": str(path),
                                                    "columns": {"customer_id": "id"}}}}}


def test_end_date_before_start_date(tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("id,start_date,end_date\na,2024-01-01,2024-05-01\nb,2024-03-01,2024-02-01\n")
    with pytest.raises(DataError, match=r"subs.csv: 1 row\(s\) have end date before start date "
                                        r"\(e.g. customer b"):
        run(tmp_path, sub_params(f))


def test_subscriptions_shape_runs(tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("id,start_date,end_date,plan\na,2024-01-01,2024-05-01,basic\nb,2024-03-01,,pro\n"
                 "c,2023-03-01,2024-02-01,pro\n")
    col = run(tmp_path, sub_params(f))
    assert col.n_churned == 2 and col.n_customers == 3
    assert col.analysis.set_index("customer_id").loc["b", "duration_days"] == 305


def flag_params(path, values=None) -> dict:
    return {"scenario": "telecom", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "contractual"},
            "source": {"kind": "files", "shape": "customer_table",
                       "tables": {"customers": {
                           "path": str(path),
                           "columns": {"customer_id": "id", "duration": "tenure", "churned": "Churn"},
                           "values": {"churned": values or {"Yes": True, "No": False}}}}}}


def test_duplicate_customer_ids(tmp_path):
    f = tmp_path / "cust.csv"
    f.write_text("id,tenure,Churn\na,3,Yes\nb,4,No\na,5,No\n")
    with pytest.raises(DataError, match=r"cust.csv: column 'customer_id' .* 2 row\(s\) with duplicate"):
        run(tmp_path, flag_params(f))


def test_churn_flag_value_not_in_mapping(tmp_path):
    f = tmp_path / "cust.csv"
    f.write_text("id,tenure,Churn\na,3,Yes\nb,4,Maybe\nc,4,maybe\n")
    with pytest.raises(DataError, match=r"column 'Churn' \(customers.churned\) has 2 row\(s\) with "
                                        r"values not in the mapping \['No', 'Yes'\] \(e.g. 'Maybe'\)"):
        run(tmp_path, flag_params(f))


def test_unquoted_yes_no_hint(tmp_path):
    f = tmp_path / "cust.csv"
    f.write_text("id,tenure,Churn\na,3,Yes\nb,4,No\n")
    with pytest.raises(DataError, match="quote them"):
        run(tmp_path, flag_params(f, values={True: True, False: False}))


def test_negative_duration(tmp_path):
    f = tmp_path / "cust.csv"
    f.write_text("id,tenure,Churn\na,3,Yes\nb,-4,No\n")
    with pytest.raises(DataError, match=r"column 'duration' .* 1 row\(s\) with a value below 0"):
        run(tmp_path, flag_params(f))


def test_parquet_source(tmp_path):
    f = tmp_path / "cust.parquet"
    pd.DataFrame({"id": ["a", "b", "c"], "tenure": [1, 5, 7], "Churn": ["Yes", "No", "No"],
                  "plan": ["x", "y", "y"]}).to_parquet(f)
    col = run(tmp_path, flag_params(f))
    assert col.n_churned == 1 and "plan" in col.analysis
