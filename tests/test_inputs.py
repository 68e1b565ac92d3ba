"""Issue 12, inputs: every bad params document or data file gives one clear line.

Each test puts one hostile or broken input through the real loader (params) or the real
collection (data) and checks the one line: the file, the key, the cause, short.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from churnlab.collect import collect
from churnlab.collect.quality import Minimum
from churnlab.collect.sources import check_files, literal_path
from churnlab.config import PROJECT_ROOT
from churnlab.errors import ChurnlabError, DataError, ParamsError, shown
from churnlab.params import load_params, validate_params
from churnlab.study.cli import main

from .conftest import ROOT

TINY = Minimum(customers=1, churned=0, stayed=0)
TELECOM = (ROOT / "params" / "telecom.yaml").read_text()

TX = ("Cust,When,Amt,Region\n"
      "A,2024-01-05,10,north\nA,2024-06-01,20,south\nA,2025-01-10,5,east\n"
      "B,2024-02-10,7.5,west\nB,2024-11-20,3,west\nC,2024-03-01,9,north\n")


def tx_params(path, as_of="2024-12-31", **table) -> dict:
    spec = {"path": str(path), "columns": {"customer_id": "Cust", "date": "When", "amount": "Amt"}}
    return {"scenario": "retail", "seed": 1, "as_of": as_of,
            "churn": {"definition": "inactivity", "inactivity_days": 180},
            "source": {"kind": "files", "shape": "transactions",
                       "tables": {"transactions": spec | table}}}


def collect_error(tmp_path, data, minimum=TINY) -> str:
    with pytest.raises(DataError) as exc:
        collect(validate_params(data), tmp_path / "out" / "data", minimum=minimum)
    return one_line(exc.value)


def one_line(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg and len(msg) < 300, msg
    return msg


def params_error(tmp_path, text: str) -> str:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError) as exc:
        load_params(path)
    msg = one_line(exc.value)
    assert str(path) in msg
    return msg


# --------------------------------------------------------------------------- messages

def test_shown_cuts_long_values_with_an_ellipsis():
    assert shown("abc") == "'abc'"
    long = shown("x" * 500)
    assert len(long) == 80 and long.endswith("…") and long.startswith("'xxx")
    assert "\n" not in shown("a\nb")
    assert len(shown(list(range(10_000)), 120)) == 120


def test_a_huge_value_in_params_gives_a_short_line(tmp_path):
    msg = params_error(tmp_path, TELECOM.replace("seed: 42", "seed: " + "'" + "y" * 5000 + "'"))
    assert "seed: expected an integer" in msg and "…" in msg


def test_a_huge_key_gives_a_short_line(tmp_path):
    msg = params_error(tmp_path, TELECOM + "k" * 1000 + ": 1\n")  # YAML's longest plain key
    assert "unknown key" in msg


# --------------------------------------------------------------------------- YAML

def test_alias_bomb_is_refused_in_one_short_line(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = TELECOM + "\n".join(lines) + "\n"
    assert len(text) < 5000
    msg = params_error(tmp_path, text)
    assert "expands to more than 100,000 values" in msg


def test_a_document_that_contains_itself_is_refused(tmp_path):
    assert "expands to more than" in params_error(tmp_path, TELECOM + "loop: &x [*x]\n")


def test_moderate_aliases_still_work(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(TELECOM + "x-extra: &big [" + ",".join(["1"] * 50) + "]\n")
    with pytest.raises(ParamsError, match="x-extra: unknown key"):  # read, then validated
        load_params(path)


def test_complex_key_names_the_line(tmp_path):
    msg = params_error(tmp_path, TELECOM + "? [a, b]\n: 1\n")
    assert "a key must be a plain name, got a list" in msg and "line" in msg


def test_merge_keys_are_accepted(tmp_path):
    import yaml

    data = yaml.safe_load(TELECOM)
    del data["churn"]
    head = yaml.safe_dump(data)
    path = tmp_path / "study.yaml"
    path.write_text(head + "churn:\n  <<: {resubscribe_gap_days: 45, definition: inactivity}\n"
                           "  definition: contractual\n")
    churn = load_params(path).churn
    # merged keys are read; an explicit key overrides a merged one (YAML's rule), not "given twice"
    assert churn.resubscribe_gap_days == 45 and churn.definition == "contractual"
    path.write_text(head + "churn:\n  <<: [{resubscribe_gap_days: 45}, {inactivity_days: 90}]\n"
                           "  definition: contractual\n")
    assert load_params(path).churn.inactivity_days == 90


def test_impossible_unquoted_date_names_the_key(tmp_path):
    msg = params_error(tmp_path, TELECOM.replace('"2025-12-31"', "2024-02-30"))
    assert "as_of: expected a date YYYY-MM-DD, got '2024-02-30'" in msg


def test_a_key_given_twice_is_still_an_error(tmp_path):
    assert "given twice" in params_error(tmp_path, TELECOM + "seed: 3\n")


# --------------------------------------------------------------------------- table options

@pytest.mark.parametrize("option, value, expected", [
    ("delimiter", ";;", "delimiter: expected one character"),
    ("delimiter", "", "delimiter: expected one character"),
    ("encoding", "klingon", "encoding: expected a text encoding"),
    ("date_format", "%d/%m", "date_format: expected a strptime format with a year"),
    ("date_format", "%Q/%Y", "date_format: expected a strptime format with a year"),
])
def test_table_options_are_checked_at_load(tmp_path, option, value, expected):
    data = tx_params(tmp_path / "tx.csv", **{option: value})
    with pytest.raises(ParamsError) as exc:
        validate_params(data, source="s.yaml")
    msg = one_line(exc.value)
    assert f"source.tables.transactions.{expected}" in msg


# --------------------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_encoding_option_reads_the_file(tmp_path, encoding):
    f = tmp_path / "tx.csv"
    text = TX.replace("north", "Zürich").replace("south", "€uro" if encoding != "latin-1" else "Málaga")
    f.write_bytes(text.encode(encoding))
    col = collect(validate_params(tx_params(f, encoding=encoding, attributes=["Region"])),
                  tmp_path / "out" / "data", minimum=TINY)
    cust = pd.read_parquet(col.tables["customers"]).set_index("customer_id")
    assert cust.loc["C", "Region"] == "Zürich"
    assert not list((tmp_path / "out" / "data").glob(".churnlab-utf8-*"))  # the copy is gone


def test_gzipped_file_in_another_encoding(tmp_path):
    f = tmp_path / "tx.csv.gz"
    f.write_bytes(gzip.compress(TX.replace("north", "Zürich").encode("cp1252")))
    col = collect(validate_params(tx_params(f, encoding="cp1252")), tmp_path / "o", minimum=TINY)
    assert col.n_customers == 3


def test_not_utf8_names_the_encoding_option(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_bytes(TX.replace("north", "Zürich").encode("latin-1"))
    msg = collect_error(tmp_path, tx_params(f))
    assert "not UTF-8" in msg and "source.tables.transactions.encoding" in msg


def test_wrong_encoding_for_a_copy_names_the_line(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_bytes(b"Cust,When,Amt\nA,2024-06-01,1\n\x81\x8d,2024-06-01,1\n")
    msg = collect_error(tmp_path, tx_params(f, encoding="cp1252"))
    assert "cannot be read as 'cp1252'" in msg and "encoding" in msg


# --------------------------------------------------------------------------- DuckDB read errors

def test_line_too_long(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text("Cust,When,Amt\nA,2024-06-01," + "9" * 2_100_000 + "\n")
    msg = collect_error(tmp_path, tx_params(f))
    assert "is longer than 2,000,000 bytes" in msg and "source.tables.transactions" in msg


def test_field_count_mismatch_names_the_line(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text("Cust,When,Amt\nA,2024-06-01,1\nB,2024-06-02,2,extra,more\nC,2024-06-03,3\n")
    msg = collect_error(tmp_path, tx_params(f))
    assert "line 3 has 5 field(s) where the header has 3" in msg and "delimiter" in msg


def test_binary_file_says_the_layout_cannot_be_detected(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_bytes(bytes(range(256)) * 40)
    msg = collect_error(tmp_path, tx_params(f))
    assert str(f) in msg and ("not UTF-8" in msg or "CSV layout" in msg or "cannot read" in msg)


def test_random_bytes_are_called_binary_not_a_delimiter_problem(tmp_path):
    import numpy as np

    f = tmp_path / "tx.csv"
    f.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    msg = collect_error(tmp_path, tx_params(f))
    assert str(f) in msg and "looks binary, not CSV text" in msg, msg


def test_binary_share_counts_control_and_undecodable_characters():
    from churnlab.collect.sources import binary_share

    assert binary_share("") == 0.0
    assert binary_share("id,name\t\r\n1,é\n") == 0.0
    assert binary_share("ab\x00\ufffd") == 0.5


def test_other_delimiter_is_named(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX.replace(",", ";"))
    msg = collect_error(tmp_path, tx_params(f))
    assert "the header has one column 'Cust;When;Amt;Region'" in msg
    assert "separated by ';': set source.tables.transactions.delimiter" in msg
    assert collect(validate_params(tx_params(f, delimiter=";")), tmp_path / "o", minimum=TINY).n_customers == 3


def test_date_format_mismatch_names_the_format(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    msg = collect_error(tmp_path, tx_params(f, date_format="%d/%m/%Y"))
    assert "dates that cannot be parsed with format '%d/%m/%Y'" in msg and "'When'" in msg


def test_not_a_parquet_file(tmp_path):
    f = tmp_path / "tx.parquet"
    f.write_text(TX)
    msg = collect_error(tmp_path, tx_params(f))
    assert "not a Parquet file" in msg and "format: csv" in msg


def test_a_huge_bad_value_is_cut_in_the_message(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX + "D,2024-06-01," + "n/a" * 3000 + ",x\n")
    msg = collect_error(tmp_path, tx_params(f))
    assert "values that are not numbers" in msg and "…" in msg


# --------------------------------------------------------------------------- paths

def test_glob_characters_are_literal(tmp_path):
    (tmp_path / "t1.csv").write_text(TX)
    (tmp_path / "t2.csv").write_text(TX.replace("A,", "Z,"))
    star = tmp_path / "t*.csv"
    star.write_text(TX.replace("A,", "S,"))
    col = collect(validate_params(tx_params(star)), tmp_path / "o", minimum=TINY)
    assert sorted(col.analysis["customer_id"]) == ["B", "C", "S"]  # only the file named t*.csv
    assert literal_path("/d/t*[1]?.csv") == "/d/t[*][[]1][?].csv"


def test_glob_path_without_such_a_file_is_not_found(tmp_path):
    (tmp_path / "t1.csv").write_text(TX)
    msg = collect_error(tmp_path, tx_params(tmp_path / "t*.csv"))
    assert "file not found" in msg


def test_relative_path_shows_where_it_was_looked_for(tmp_path):
    msg = collect_error(tmp_path, tx_params("data/no-such-export.csv"))
    assert "data/no-such-export.csv: file not found (source.tables.transactions.path" in msg
    assert str(PROJECT_ROOT / "data" / "no-such-export.csv") in msg
    assert f"project folder {PROJECT_ROOT}" in msg


def test_a_folder_is_not_a_file(tmp_path):
    assert "is not a file" in collect_error(tmp_path, tx_params(tmp_path))


# --------------------------------------------------------------------------- name the cause

def test_as_of_after_all_data(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    msg = collect_error(tmp_path, tx_params(f, as_of="2027-01-01"))
    assert "as_of 2027-01-01 is after all data (the last date is 2025-01-10" in msg
    assert "churn.inactivity_days = 180" in msg


def test_window_longer_than_the_history(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    data = tx_params(f)
    data["churn"] = {"definition": "partial", "window_days": 300}
    msg = collect_error(tmp_path, data)
    assert "churn.window_days = 300 needs 600 days of history" in msg and "2024-01-05" in msg
    data["churn"] = {"definition": "inactivity", "inactivity_days": 400}
    assert "churn.inactivity_days = 400 needs 400 days" in collect_error(tmp_path, data)


def test_too_few_customers_or_churners_is_said_at_collection(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    msg = collect_error(tmp_path, tx_params(f), minimum=Minimum())
    assert "3 customers as of 2024-12-31, 2 churned and 1 stayed" in msg
    assert "at least 50 customers, 10 churned and 10 stayed" in msg


def test_minimum_applies_to_churned_and_stayed(tmp_path):
    rows = "".join(f"C{i},2024-0{1 + i % 6}-01,{i}\n" for i in range(60))  # all buy before July
    rows += "".join(f"D{i},2024-12-01,1\n" for i in range(5))
    f = tmp_path / "tx.csv"
    f.write_text("Cust,When,Amt\n" + rows)
    msg = collect_error(tmp_path, tx_params(f), minimum=Minimum())
    assert "60 churned and 5 stayed" in msg


# --------------------------------------------------------------------------- attributes

def test_transaction_attributes_become_customer_attributes(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    col = collect(validate_params(tx_params(f, attributes=["Region"])), tmp_path / "o", minimum=TINY)
    region = col.analysis.set_index("customer_id")["Region"].to_dict()
    assert region == {"A": "south", "B": "west", "C": "north"}  # A's 2025 row is after as_of
    q = col.quality.set_index("check")
    assert q.loc["attributes from transactions", "rows"] == 3
    assert "Region" not in pd.read_parquet(col.tables["transactions"])


def test_subscription_attributes_become_customer_attributes(tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("id,start,end,Channel\nA,2023-01-01,2023-12-31,web\nA,2024-01-15,,shop\n"
                 "B,2023-05-01,2024-03-01,phone\nC,2026-01-01,,late\n")
    data = {"scenario": "telecom", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "contractual"},
            "source": {"kind": "files", "shape": "subscriptions", "tables": {"subscriptions": {
                "path": str(f), "attributes": ["Channel"],
                "columns": {"customer_id": "id", "start_date": "start", "end_date": "end"}}}}}
    col = collect(validate_params(data), tmp_path / "o", minimum=TINY)
    a = col.analysis.set_index("customer_id")
    assert a["Channel"].to_dict() == {"A": "shop", "B": "phone"}
    assert "Channel" not in pd.read_parquet(col.tables["subscriptions"])


def test_attribute_listed_twice_or_missing(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    cust = tmp_path / "cust.csv"
    cust.write_text("customer_id,Region\nA,x\nB,y\nC,z\n")
    data = tx_params(f, attributes=["Region"])
    data["source"]["tables"]["customers"] = {"path": str(cust)}
    msg = collect_error(tmp_path, data)
    assert "attribute 'Region' (source.tables.transactions.attributes) is also a column of" in msg
    data = tx_params(f, attributes=["Regoin"])
    msg = collect_error(tmp_path, data)
    assert "attribute column 'Regoin' (source.tables.transactions.attributes) is not in the file" in msg


def test_customers_keep_only_listed_attributes(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    cust = tmp_path / "cust.csv"
    cust.write_text("customer_id,Region,Secret\nA,x,1\nB,y,2\nC,z,3\n")
    data = tx_params(f)
    data["source"]["tables"]["customers"] = {"path": str(cust), "attributes": ["Region"]}
    col = collect(validate_params(data), tmp_path / "o", minimum=TINY)
    assert list(pd.read_parquet(col.tables["customers"]).columns) == ["customer_id", "Region"]


# --------------------------------------------------------------------------- validate

def _write_params(tmp_path: Path, data: dict) -> Path:
    import yaml

    p = tmp_path / "study.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_validate_checks_the_data_files(tmp_path, capsys):
    f = tmp_path / "tx.csv"
    f.write_text(TX)
    assert main(["validate", str(_write_params(tmp_path, tx_params(f)))]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")
    f.unlink()
    assert main(["validate", str(_write_params(tmp_path, tx_params(f)))]) == 1
    out = capsys.readouterr()
    assert "ok" not in out.out and "file not found" in out.err
    f.write_text(TX.replace("Amt", "Amount"))
    assert main(["validate", str(_write_params(tmp_path, tx_params(f)))]) == 1
    assert "column 'Amt' (mapped to transactions.amount) is not in the file" in capsys.readouterr().err
    f.write_text(TX)
    bad = tx_params(f, attributes=["Nope"])
    assert main(["validate", str(_write_params(tmp_path, bad))]) == 1
    assert "'Nope'" in capsys.readouterr().err
    f.write_text(TX.replace("7.5", "seven"))
    assert main(["validate", str(_write_params(tmp_path, tx_params(f)))]) == 1
    assert "not numbers" in capsys.readouterr().err


def test_validate_reads_only_a_sample(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_text(TX + "".join(f"X{i},2024-06-01,1,n\n" for i in range(3000)) + "Y,2024-06-01,oops,n\n")
    check_files(validate_params(tx_params(f)).source)  # the bad line is past the sample
    with pytest.raises(ChurnlabError, match="not numbers"):
        check_files(validate_params(tx_params(f)).source, sample=10_000)


def test_validate_customer_table_needs_duration_and_flag(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,Churn\na,Yes\nb,No\n")
    data = {"scenario": "telecom", "seed": 1, "as_of": "2024-12-31",
            "churn": {"definition": "contractual"},
            "source": {"kind": "files", "shape": "customer_table", "tables": {"customers": {
                "path": str(f), "columns": {"customer_id": "id", "churned": "Churn"},
                "values": {"churned": {"Yes": True, "No": False}}}}}}
    with pytest.raises(DataError, match="needs a 'duration' column"):
        check_files(validate_params(data).source)


def test_attributes_on_other_tables_say_why_not():
    data = tx_params("tx.csv")
    data["source"]["tables"]["offers"] = {"path": "o.csv", "attributes": ["channel"]}
    with pytest.raises(ParamsError) as exc:
        validate_params(data, source="s.yaml")
    assert "source.tables.offers.attributes: not used on the offers table; customer attributes are " \
           "listed on customers, usage, subscriptions, transactions" in one_line(exc.value)


@pytest.mark.parametrize("bad, expected", [
    ("x: !!bool maybe\n", "'maybe' cannot be read as bool"),
    ("x: !!int seven\n", "'seven' cannot be read as int"),
    ("x: !!timestamp soon\n", "x: unknown key"),  # read as text, then validated
    ("x: \x00\n", "YAML syntax error"),
    ("x: !!python/object:os.system ls\n", "YAML error"),
])
def test_tagged_and_control_values_give_one_line(tmp_path, bad, expected):
    assert expected in params_error(tmp_path, TELECOM + bad)


def test_mutated_params_files_never_give_a_traceback(tmp_path):
    """A seeded mini-fuzz: telecom.yaml with YAML junk spliced in, 400 times."""
    import random

    junk = ["? [a, b]\n: 1", "<<: *x", "&x", "*x", "2024-02-30", "{", "[", ":", "- ", "'", "\t",
            ".inf", "1e999", "!!binary aGVsbG8=", "!!set {a, b}", "<<: [1]", "<<: 3", "!!bool x",
            "{? {a: 1}: 2}", "&y [*y]", "!!map [1]", "\x00", "%YAML 1.1", "---"]
    lines = TELECOM.splitlines()
    rnd = random.Random(12)
    path = tmp_path / "s.yaml"
    for _ in range(400):
        ls = list(lines)
        for _ in range(rnd.randint(1, 3)):
            j = rnd.randrange(len(ls))
            k = rnd.randrange(len(ls[j]) + 1)
            ls[j] = ls[j][:k] + rnd.choice(junk) + ls[j][k:]
        path.write_text("\n".join(ls))
        try:
            load_params(path)
        except ChurnlabError as exc:
            one_line(exc)


def test_mutated_exports_never_give_a_traceback(tmp_path):
    """A seeded mini-fuzz of small exports: every outcome is a collection or one short line."""
    import random

    rows = "".join(f"C{i % 40},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 17},r{i % 3}\n"
                   for i in range(200))
    text = "Cust,When,Amt,Region\n" + rows
    junk = ["", ",", ";", '"', "\n", "\t", "\x00", "é", "NaN", "-1", "1e400", "2024-13-45",
            "9999-12-31", " ", "x" * 3000, "null", "\ufeff", "2024-02-30"]
    rnd = random.Random(3)
    for i in range(30):
        s = text
        for _ in range(rnd.randint(1, 4)):
            k = rnd.randrange(len(s))
            s = s[:k] + rnd.choice(junk) + s[k + rnd.randint(0, 5):]
        f = tmp_path / f"t{i}.csv"
        f.write_bytes(s.encode("utf-8") if i % 3 else s.encode("latin-1", "replace"))
        data = tx_params(f, attributes=["Region"])
        data["churn"]["inactivity_days"] = 90
        try:
            collect(validate_params(data), tmp_path / f"o{i}", minimum=TINY, with_snapshots=False)
        except ChurnlabError as exc:
            one_line(exc)


def test_validate_reads_a_sample_of_a_file_in_another_encoding(tmp_path):
    f = tmp_path / "tx.csv"
    f.write_bytes((TX.replace("north", "Zürich") + "".join(f"X{i},2024-06-01,1,€\n" for i in range(2000))
                   + "Y,2024-06-01,oops,n\n").encode("cp1252"))
    check_files(validate_params(tx_params(f, encoding="cp1252")).source)  # the bad line is past the sample
    with pytest.raises(DataError, match="not UTF-8"):
        check_files(validate_params(tx_params(f)).source)
