"""Params validation: every problem is one line naming the file, the key and what was expected."""

from __future__ import annotations

import datetime as dt

import pytest

from churnlab.errors import ParamsError
from churnlab.params import load_params, scenario_params_path, validate_params

from .conftest import ROOT, scenario_params, write_params


@pytest.mark.parametrize("scenario", ["telecom", "retail", "software"])
def test_builtin_scenarios_validate(scenario):
    p = load_params(ROOT / "params" / f"{scenario}.yaml")
    assert p.scenario == scenario
    assert p.as_of == dt.date(2025, 12, 31)
    assert p.source.kind == "simulate"


@pytest.mark.parametrize("name", ["telco_ibm", "online_retail"])
def test_example_byod_params_validate(name):
    p = load_params(ROOT / "params" / "examples" / f"{name}.yaml")
    assert p.source.kind == "files"


def _error(tmp_path, data=None, text=None) -> str:
    path = tmp_path / "study.yaml"
    if text is not None:
        path.write_text(text)
    else:
        write_params(path, data)
    with pytest.raises(ParamsError) as exc:
        load_params(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(path) in msg
    return msg


def test_unknown_key_is_an_error(tmp_path):
    msg = _error(tmp_path, scenario_params("telecom", churn={"inactivty_days": 90}))
    assert "churn.inactivty_days" in msg and "unknown key" in msg


def test_unknown_top_level_key(tmp_path):
    msg = _error(tmp_path, scenario_params("telecom", colour="red"))
    assert "colour: unknown key" in msg


def test_wrong_type_names_key_and_expectation(tmp_path):
    msg = _error(tmp_path, scenario_params("telecom", seed="forty-two"))
    assert "seed: expected an integer" in msg and "forty-two" in msg


def test_out_of_range(tmp_path):
    msg = _error(tmp_path, scenario_params("retail", churn={"partial_drop": 1.5}))
    assert "churn.partial_drop" in msg and "<= 1" in msg


def test_bad_as_of_date(tmp_path):
    msg = _error(tmp_path, scenario_params("telecom", as_of="2025-13-45"))
    assert "as_of" in msg and "YYYY-MM-DD" in msg


def test_unknown_scenario_value(tmp_path):
    msg = _error(tmp_path, scenario_params("telecom", scenario="airline"))
    assert "scenario" in msg and "'telecom'" in msg and "airline" in msg


def test_missing_required_key(tmp_path):
    data = scenario_params("telecom")
    del data["seed"]
    assert "seed: required key is missing" in _error(tmp_path, data)


def test_yaml_syntax_error_gives_line(tmp_path):
    msg = _error(tmp_path, text="scenario: telecom\nseed: [1, 2\nas_of: x\n")
    assert "YAML syntax error" in msg and "line" in msg


def test_empty_params_file(tmp_path):
    assert "empty" in _error(tmp_path, text="")


def test_missing_params_file(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_definition_must_fit_the_data(tmp_path):
    msg = _error(tmp_path, scenario_params("retail", churn={"definition": "contractual"}))
    assert "churn.definition" in msg


def test_unknown_scenario_name():
    with pytest.raises(ParamsError, match="unknown scenario 'airline': expected one of telecom"):
        scenario_params_path("airline")


def test_byod_unknown_canonical_column():
    data = {"scenario": "retail", "seed": 1, "as_of": "2020-01-01",
            "churn": {"definition": "inactivity"},
            "source": {"kind": "files", "shape": "transactions",
                       "tables": {"transactions": {"path": "x.csv", "columns": {"amout": "A"}}}}}
    with pytest.raises(ParamsError, match=r"x.yaml: source.tables.transactions.columns.amout: "
                                          r"unknown canonical column: expected one of \['customer_id'"):
        validate_params(data, source="x.yaml")


def test_byod_shape_needs_its_table():
    data = {"scenario": "retail", "seed": 1, "as_of": "2020-01-01",
            "churn": {"definition": "inactivity"},
            "source": {"kind": "files", "shape": "transactions",
                       "tables": {"customers": {"path": "x.csv"}}}}
    with pytest.raises(ParamsError, match="needs a 'transactions' table"):
        validate_params(data, source="x.yaml")


def _flag_source(values: dict) -> dict:
    return {"scenario": "telecom", "seed": 1, "as_of": "2020-01-01",
            "churn": {"definition": "contractual"},
            "source": {"kind": "files", "shape": "customer_table",
                       "tables": {"customers": {"path": "x.csv", "values": values}}}}


def test_value_mapping_targets_must_fit_the_column():
    with pytest.raises(ParamsError, match=r"source.tables.customers.values.churned: mapped values "
                                          r"must be true or false \(or null\), got 'gone'"):
        validate_params(_flag_source({"churned": {"Yes": "gone", "No": False}}), source="x.yaml")


def test_value_mapping_of_an_unknown_column():
    with pytest.raises(ParamsError, match=r"source.tables.customers.values.churn: unknown canonical"):
        validate_params(_flag_source({"churn": {"Yes": True}}), source="x.yaml")


def test_numbers_are_not_dates_and_booleans_are_not_seeds(tmp_path):
    assert "as_of: expected a date YYYY-MM-DD, got 20251231" in _error(
        tmp_path, scenario_params("telecom", as_of=20251231))
    assert "seed: expected an integer, got True" in _error(tmp_path, scenario_params("telecom", seed=True))


def test_unquoted_impossible_date(tmp_path):
    text = (ROOT / "params" / "telecom.yaml").read_text().replace('"2025-12-31"', "2025-13-01")
    assert "as_of: expected a date YYYY-MM-DD, got '2025-13-01'" in _error(tmp_path, text=text)


def test_a_key_given_twice(tmp_path):
    text = (ROOT / "params" / "telecom.yaml").read_text() + "seed: 7\n"
    msg = _error(tmp_path, text=text)
    assert "key 'seed' is given twice" in msg and "line" in msg


@pytest.mark.parametrize("section, key, bad, expected", [
    ("value", "margin_rate", -0.1, "value.margin_rate: expected a value > 0, got -0.1"),
    ("value", "discount_rate", 1.0, "value.discount_rate: expected a value < 1, got 1.0"),
    ("value", "horizon_months", 0, "value.horizon_months: expected a value > 0, got 0"),
    ("costs", "acquisition_cost", -5, "costs.acquisition_cost: expected a value >= 0, got -5"),
    ("campaign", "contact_cost", "five", "campaign.contact_cost: expected a number, got 'five'"),
])
def test_economics_errors_name_the_key(tmp_path, section, key, bad, expected):
    data = scenario_params("telecom")
    data[section] = {**data[section], key: bad}
    msg = _error(tmp_path, data)
    assert expected in msg and msg.count("\n") == 0


def test_missing_cost_parameter_names_the_key(tmp_path):
    data = scenario_params("telecom")
    del data["costs"]["acquisition_cost"]
    assert "costs.acquisition_cost: required key is missing" in _error(tmp_path, data)
    data = scenario_params("telecom")
    data["costs"]["offer_cost"] = {"discount": 40}
    assert "costs.offer_cost: expected a 'default' cost" in _error(tmp_path, data)


def test_economics_sections_are_required_by_notebook_04():
    data = scenario_params("telecom")
    del data["campaign"]
    p = validate_params(data, source="study.yaml")  # notebooks 01-03 do not need it
    with pytest.raises(ParamsError, match="study.yaml: campaign: required for the cost of churn"):
        p.economics("study.yaml")
    full = validate_params(scenario_params("telecom"))
    v, c, k = full.economics()
    assert v.monthly_discount() == pytest.approx(1.1 ** (1 / 12) - 1)
