"""Bring-your-own-data loading: mapping, cleaning, and one-line errors for bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab.collect import collect
from churnlab.collect.quality import Minimum
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


TINY = Minimum(customers=1, churned=0, stayed=0)  # these files hold a handful of customers


def tx_params(path, **table) -> dict:
    spec = {"path": str(path),
            "columns": {"customer_id": "Cust", "date": "When", "quantity": "Qty",
                        "unit_price": "Price", "invoice_id": "InvoiceNo", "category": "Cat"},
            "cancel_prefix": "C"} | table
    return {"scenario": "retail", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "inactivity", "inactivity_days": 180},
            "source": {"kind": "files", "shape": "transactions", "tables": {"transactions": spec}}}


def run(tmp_path, data: dict):
    return collect(validate_params(data), tmp_path / "out" / "data", minimum=TINY)


def test_transactions_are_cleaned_and_reported(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV)
    col = run(tmp_path, tx_params(f))
    q = col.quality.set_index("check")["rows"]
    assert q["rows read"] == 8
    assert q["exact duplicate lines (same invoice or line id)"] == 1
    assert q["missing customer_id"] == 1
    assert q["cancellations (invoice starts with 'C')"] == 1
    assert q["amount = 0 (free items: purchases without spend)"] == 1
    assert q["amount < 0 (returns: not purchases)"] == 0  # the one negative line is a cancellation
    tx = pd.read_parquet(col.tables["transactions"])
    assert len(tx) == 5 and set(tx["customer_id"]) == {"A", "B", "C"}
    assert tx.loc[tx["customer_id"] == "A", "amount"].sum() == pytest.approx(10.0 + 20.0)
    assert (tx["customer_id"] == "B").sum() == 2  # the free item is a purchase
    a = col.analysis.set_index("customer_id")
    # inactivity 180 days as of 2024-12-31: A last bought 2024-06-01 (213 days) -> churned
    assert a["churned"].to_dict() == {"A": True, "B": True, "C": False}
    assert col.n_customers == 3 and col.churn_rate == pytest.approx(2 / 3)


def test_identical_lines_are_kept_without_a_line_identifier(tmp_path):
    """No invoice or line id: two identical lines may be two orders (kept, reported)."""
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV.replace("InvoiceNo,", "Ref,").replace("C3,", "3,"))
    data = tx_params(f, cancel_prefix=None)
    del data["source"]["tables"]["transactions"]["columns"]["invoice_id"]
    col = run(tmp_path, data)
    q = col.quality.set_index("check")
    row = q.loc["identical lines without an invoice or line id (possibly two orders)"]
    assert row["rows"] == 1 and row["action"] == "kept"
    returns = q.loc["amount < 0 (returns: not purchases)"]
    assert returns["rows"] == 1 and returns["detail"] == "20.00 returned"
    tx = pd.read_parquet(col.tables["transactions"])
    assert tx.loc[tx["customer_id"] == "A", "amount"].tolist() == [10.0, 10.0, 20.0]


def test_line_id_makes_identical_lines_duplicates(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV.replace("InvoiceNo,", "Line,"))
    data = tx_params(f, cancel_prefix=None)
    cols = data["source"]["tables"]["transactions"]["columns"]
    del cols["invoice_id"]
    cols["line_id"] = "Line"
    q = run(tmp_path, data).quality.set_index("check")["rows"]
    assert q["exact duplicate lines (same invoice or line id)"] == 1


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
    with pytest.raises(DataError, match=r"cust.csv: column 'id' \(customers.customer_id\) has 2 row\(s\) with duplicate keys"):
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
    with pytest.raises(DataError, match=r"column 'tenure' \(customers.duration\) has 1 row\(s\) "
                                        r"with a value below 0 \(e.g. -4.0\)"):
        run(tmp_path, flag_params(f))


def test_parquet_source(tmp_path):
    f = tmp_path / "cust.parquet"
    pd.DataFrame({"id": ["a", "b", "c"], "tenure": [1, 5, 7], "Churn": ["Yes", "No", "No"],
                  "plan": ["x", "y", "y"]}).to_parquet(f)
    col = run(tmp_path, flag_params(f))
    assert col.n_churned == 1 and "plan" in col.analysis


def test_time_zones_become_utc(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text("Cust,When,Amt\nA,2024-02-03T23:30:00-05:00,5\nA,2024-02-01 10:00:00,5\n"
                 "B,2024-12-30,3\n")
    data = tx_params(f)
    data["source"]["tables"]["transactions"] = {
        "path": str(f), "columns": {"customer_id": "Cust", "date": "When", "amount": "Amt"}}
    col = run(tmp_path, data)
    tx = pd.read_parquet(col.tables["transactions"])
    assert tx["date"].tolist()[:2] == [pd.Timestamp("2024-02-01 10:00"), pd.Timestamp("2024-02-04 04:30")]
    # a Parquet file with time-zone-aware stamps, and a %z date_format (as_of within the data)
    data["as_of"] = "2024-07-15"
    pq = tmp_path / "tz.parquet"
    pd.DataFrame({"customer_id": ["A", "B"], "amount": [1.0, 2.0],
                  "date": pd.to_datetime(["2024-01-03 09:00", "2024-05-01 12:00"]).tz_localize("Europe/Berlin")}
                 ).to_parquet(pq)
    data["source"]["tables"]["transactions"] = {"path": str(pq)}
    tx = pd.read_parquet(run(tmp_path, data).tables["transactions"])
    assert tx["date"].tolist() == [pd.Timestamp("2024-01-03 08:00"), pd.Timestamp("2024-05-01 10:00")]
    f.write_text("Cust,When,Amt\nA,2024-01-03T10:00:00+0200,5\nB,2024-05-01T10:00:00+0200,5\n")
    data["source"]["tables"]["transactions"] = {
        "path": str(f), "date_format": "%Y-%m-%dT%H:%M:%S%z",
        "columns": {"customer_id": "Cust", "date": "When", "amount": "Amt"}}
    tx = pd.read_parquet(run(tmp_path, data).tables["transactions"])
    assert tx["date"].tolist()[0] == pd.Timestamp("2024-01-03 08:00")


def test_blank_amounts_are_dropped_and_reported(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX_CSV.replace("5,B,2024-02-10 12:00:00,3,2.5,food", "5,B,2024-02-10 12:00:00,,2.5,food"))
    col = run(tmp_path, tx_params(f))
    assert col.quality.set_index("check").loc["missing amount", "rows"] == 1


def _usage_params(tmp_path, usage_text: str) -> dict:
    (tmp_path / "subs.csv").write_text("id,start_date,end_date\na,2024-01-01,\nb,2024-01-01,2024-06-01\n")
    (tmp_path / "usage.csv").write_text(usage_text)
    data = sub_params(tmp_path / "subs.csv")
    data["source"]["tables"]["usage"] = {"path": str(tmp_path / "usage.csv"),
                                         "columns": {"customer_id": "id"}}
    return data


def test_usage_metrics_must_be_numbers(tmp_path):
    data = _usage_params(tmp_path, "id,period,minutes,plan_name\na,2024-01-01,10,gold\n"
                                   "b,2024-01-01,n/a,basic\n")
    with pytest.raises(DataError, match=r"usage.csv: column 'minutes' \(usage.minutes\) has 1 row\(s\) "
                                        r"with values that are not numbers .*attributes"):
        run(tmp_path, data)
    data["source"]["tables"]["usage"]["attributes"] = ["minutes"]
    (tmp_path / "usage.csv").write_text("id,period,minutes,plan_name\na,2024-01-01,10,gold\n"
                                        "b,2024-01-01,4,basic\n")
    a = run(tmp_path, data).analysis
    assert "minutes_mean" in a and "plan_name_mean" not in a


def test_fractional_ids_and_mismatched_ids(tmp_path):
    pq = tmp_path / "tx.parquet"
    pd.DataFrame({"customer_id": [1.0, 1.5], "amount": [1.0, 2.0],
                  "date": pd.to_datetime(["2024-01-03", "2024-05-01"])}).to_parquet(pq)
    data = tx_params(pq)
    data["source"]["tables"]["transactions"] = {"path": str(pq)}
    with pytest.raises(DataError, match=r"column 'customer_id' \(transactions.customer_id\) has 1 row\(s\) "
                                        r"with IDs that are not whole numbers \(e.g. '1.5'\)"):
        run(tmp_path, data)
    pd.DataFrame({"customer_id": [1, 2], "amount": [1.0, 2.0],
                  "date": pd.to_datetime(["2024-01-03", "2024-09-01"])}).to_parquet(pq)
    (tmp_path / "cust.csv").write_text("customer_id,segment\n001,a\n002,b\n")
    data["source"]["tables"]["customers"] = {"path": str(tmp_path / "cust.csv")}
    with pytest.raises(DataError, match=r"cust.csv: none of its customer IDs matches a customer of the "
                                        r"study \(e.g. '001' here, '1' there\)"):
        run(tmp_path, data)


def test_codes_with_leading_zeros_stay_text(tmp_path):
    f = tmp_path / "cust.csv"
    f.write_text("id,tenure,Churn,zip,age\na,3,Yes,0123,40\nb,4,No,4567,51\n")
    a = run(tmp_path, flag_params(f)).analysis.set_index("customer_id")
    assert a.loc["a", "zip"] == "0123" and a.loc["b", "age"] == 51


def test_contract_ending_during_the_as_of_day_counts(tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("id,start_date,end_date\na,2024-01-01 08:00,2024-12-31 17:00\n"
                 "b,2024-12-31 09:00,\nc,2024-03-01 10:00,\n")
    a = run(tmp_path, sub_params(f)).analysis.set_index("customer_id")
    assert a.loc["a", "churned"] and a.loc["a", "duration_days"] == 365
    assert not a.loc["b", "churned"] and a.loc["b", "duration_days"] == 0
    assert a.loc["c", "duration_days"] == 305  # calendar days: the 10:00 start does not cut a day


def test_snapshot_label_counts_leaving_and_coming_back(tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("id,start_date,end_date\nr,2024-01-01,2025-10-11\nr,2025-11-30,\n"
                 "s,2024-01-01,\nt,2024-01-01,2025-12-01\n")
    data = sub_params(f) | {"as_of": "2025-12-31",
                            "snapshots": {"count": 1, "spacing_days": 90, "lead_days": 90}}
    snap = run(tmp_path, data).snapshots.set_index("customer_id")
    assert snap["snapshot_date"].unique().tolist() == [pd.Timestamp("2025-10-02")]
    # r left on 2025-10-11 and came back on 2025-11-30: churned within the lead time
    assert snap["churn_next"].to_dict() == {"r": True, "s": False, "t": True}
