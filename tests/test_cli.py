"""Bad input through the real CLI: one line, non-zero exit, nothing written, old output intact."""

from __future__ import annotations

import json

import pytest
import yaml

from churnlab.study.cli import main

from .test_sources import TX_CSV, flag_params, sub_params, tx_params


def _run(capsys, *argv) -> tuple[int, list[str]]:
    code = main(["run", *argv])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("churnlab:")]
    return code, err


@pytest.fixture
def out(tmp_path):
    """An output root that already holds a good earlier run of 'study'."""
    root = tmp_path / "outputs"
    (root / "study").mkdir(parents=True)
    (root / "study" / "metrics.json").write_text('{"earlier": true}\n')
    return root


def _assert_untouched(out):
    assert (out / "study" / "metrics.json").read_text() == '{"earlier": true}\n'
    assert sorted(p.name for p in out.iterdir()) == ["study"]  # no temp folders left


def test_unknown_scenario(capsys, out):
    code, err = _run(capsys, "airline", "--out", str(out))
    assert code != 0
    assert err == ["churnlab: error: unknown scenario 'airline': expected one of telecom, retail, "
                   "software (or give your own file with --params FILE)"]
    _assert_untouched(out)


@pytest.mark.parametrize("text, expected", [
    (None, "params file not found"),
    ("scenario: telecom\nseed: [1,\n", "YAML syntax error at line"),
    ("scenario: telecom\nseed: 1\nas_of: '2025-01-01'\nchurn: {definition: contractual}\n"
     "source: {kind: simulate}\nwhatever: 3\n", "whatever: unknown key"),
    ("scenario: telecom\nseed: one\nas_of: '2025-01-01'\nchurn: {definition: contractual}\n"
     "source: {kind: simulate}\n", "seed: expected an integer, got 'one'"),
])
def test_bad_params_file(capsys, out, text, expected):
    path = out.parent / "study.yaml"
    if text is not None:
        path.write_text(text)
    code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code != 0 and len(err) == 1
    assert str(path) in err[0] and expected in err[0]
    _assert_untouched(out)


def _csv_case(tmp_path, kind: str):
    if kind in ("as_of", "column", "amount", "date", "empty"):
        text = {"as_of": TX_CSV, "column": TX_CSV.replace("Qty", "Count"),
                "amount": TX_CSV.replace("2,5.0,toys\n1", "2,5.O,toys\n1", 1),
                "date": TX_CSV.replace("2024-02-10 12:00:00", "2024-02-30"), "empty": ""}[kind]
        (tmp_path / "data.csv").write_text(text)
        data = tx_params(tmp_path / "data.csv")
        if kind == "as_of":
            data["as_of"] = "2020-06-30"
        return data
    if kind == "end_before_start":
        (tmp_path / "data.csv").write_text("id,start_date,end_date\na,2024-03-01,2024-01-01\n")
        return sub_params(tmp_path / "data.csv")
    text = {"duplicate": "id,tenure,Churn\na,1,Yes\na,2,No\n",
            "flag": "id,tenure,Churn\na,1,Yes\nb,2,Unknown\n"}[kind]
    (tmp_path / "data.csv").write_text(text)
    return flag_params(tmp_path / "data.csv")


@pytest.mark.parametrize("kind, expected", [
    ("as_of", "as_of 2020-06-30 is before all data"),
    ("column", "column 'Qty' (mapped to transactions.quantity) is not in the file"),
    ("amount", "column 'Price' (transactions.unit_price) has 1 row(s) with values that are not numbers"),
    ("date", "column 'When' (transactions.date) has 1 row(s) with dates that cannot be parsed"),
    ("empty", "the file is empty"),
    ("end_before_start", "1 row(s) have end date before start date"),
    ("duplicate", "column 'id' (customers.customer_id) has 2 row(s) with duplicate keys"),
    ("flag", "column 'Churn' (customers.churned) has 1 row(s) with values not in the mapping"),
])
def test_bad_data_through_the_cli(capsys, tmp_path, out, kind, expected):
    path = out.parent / "study.yaml"
    path.write_text(yaml.safe_dump(_csv_case(tmp_path, kind)))
    code, err = _run(capsys, "--params", str(path), "--out", str(out))
    assert code != 0
    assert len(err) == 1, err
    assert err[0].startswith("churnlab: error: study: 01_data_collection.ipynb failed in cell ")
    assert "DataError: " in err[0] and "data.csv" in err[0] and expected in err[0]
    _assert_untouched(out)


def test_one_bad_study_does_not_stop_the_others(capsys, tmp_path, out):
    good = tmp_path / "good.yaml"
    (tmp_path / "data.csv").write_text("id,tenure,Churn\na,1,Yes\nb,2,No\nc,5,No\n")
    good.write_text(yaml.safe_dump(flag_params(tmp_path / "data.csv")))
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: telecom\n")
    code, err = _run(capsys, "--params", str(bad), "--params", str(good), "--out", str(out))
    assert code != 0 and len(err) == 1 and "bad.yaml" in err[0]
    assert (out / "good" / "metrics.json").exists()
    assert (out / "good" / "01_data_collection.html").exists()
    # no value/costs/campaign sections: the cost-of-churn notebook is skipped, and said so
    man = json.loads((out / "good" / "manifest.json").read_text())
    assert man["notebooks"][3] == {"notebook": "04_cost_of_churn.ipynb", "status": "skipped",
                                   "reason": "the params have no value, costs, campaign section"}
    assert man["notebooks"][4]["status"] == "ok"  # the KPIs still run (data without dates)
    assert (out / "good" / "report.html").exists() and (out.parent / out.name / "index.html").exists()
    assert not (out / "good" / "04_cost_of_churn.html").exists()


def test_validate_command(capsys):
    from .conftest import ROOT

    assert main(["validate", str(ROOT / "params" / "telecom.yaml")]) == 0
    assert "ok" in capsys.readouterr().out
