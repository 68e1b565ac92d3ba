"""The README is true: its tables render, its column lists match the schema, its examples run.

* Every Markdown table renders whole: no blank line between its rows, and every row
  outside code blocks becomes a table row (an unescaped ``|`` in a cell drops the table).
* The canonical-columns table lists exactly the required and optional columns of each
  table in ``churnlab/schema.py``, with their allowed values.
* Each "one complete example per shape" (a CSV excerpt and its params) is collected by
  stage 1 as it is written, and so is the optional-table snippet.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import mistune
import pandas as pd
import pytest
import yaml

from churnlab.collect import collect
from churnlab.params import validate_params
from churnlab.schema import SHAPE_TABLES, TABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SEPARATOR = re.compile(r"^\s*\|(\s*:?-+:?\s*\|)+\s*$")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    out, fence = [], False
    for no, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if not fence:
            out.append((no, line))
    return out


def blank_lines_inside_tables(text: str) -> list[int]:
    """Line numbers of blank lines that split a table (a table row before and after them)."""
    lines = _prose_lines(text)
    bad = []
    for i, (no, line) in enumerate(lines):
        if line.strip() or i == 0 or not lines[i - 1][1].lstrip().startswith("|"):
            continue
        rest = next((ln for _, ln in lines[i + 1:] if ln.strip()), "")
        if rest.lstrip().startswith("|") and not SEPARATOR.match(
                next((ln for _, ln in lines[i + 2:] if ln.strip()), "")):
            bad.append(no)
    return bad


def unrendered_rows(text: str) -> int:
    """Table rows outside code blocks minus the rows the Markdown renderer makes of them."""
    rows = sum(1 for _, ln in _prose_lines(text) if ln.lstrip().startswith("|") and not SEPARATOR.match(ln))
    html = mistune.create_markdown(plugins=["table"])(text)
    return rows - html.count("<tr")


def test_a_table_with_a_blank_line_or_a_bare_pipe_is_caught():
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert blank_lines_inside_tables(table) == [] and unrendered_rows(table) == 0
    assert blank_lines_inside_tables(table + "\n| 3 | 4 |\n") == [4]
    assert unrendered_rows(table + "\n| 3 | 4 |\n") == 1
    assert unrendered_rows(table + "| x | |y| >= 1 |\n") > 0  # an unescaped | in a cell
    assert unrendered_rows(table + "| x | \\|y\\| >= 1 |\n") == 0
    assert blank_lines_inside_tables("```\n| a |\n\n| b |\n```\n") == []  # code is not a table


def test_readme_tables_have_no_blank_lines_between_rows_and_render_whole():
    assert blank_lines_inside_tables(README) == []
    assert unrendered_rows(README) == 0


# ---------------------------------------------------------------- bring your own data
def _section(title: str) -> str:
    start = README.index(f"\n### {title}\n")
    end = README.find("\n### ", start + 1)
    return README[start:end]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def canonical_rows() -> dict[str, tuple[str, str]]:
    """README table -> (required cell, optional cell) of the canonical-columns table."""
    rows = [ln for ln in _section("Canonical columns").splitlines()
            if ln.startswith("| `") and not SEPARATOR.match(ln)]
    return {_cells(r)[0].strip("`"): (_cells(r)[2], _cells(r)[3]) for r in rows}


def _code_names(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def test_readme_lists_exactly_the_canonical_columns_of_every_table():
    rows = canonical_rows()
    assert set(rows) == set(TABLES)
    for name, table in TABLES.items():
        required, optional = rows[name]
        assert _code_names(required) == {c.name for c in table.columns if c.required}, name
        assert _code_names(optional) - {"duration_unit"} == {c.name for c in table.columns if not c.required}, name
        for col in table.columns:
            for value in col.allowed or ():
                assert value in required + optional, f"{name}.{col.name}: allowed value {value!r} not listed"


def examples() -> dict[str, tuple[str, dict]]:
    """Shape -> (CSV text, params) of the README's complete examples, in order."""
    text = _section("One complete example per shape")
    blocks = re.findall(r"```(csv|yaml)\n(.*?)```", text, flags=re.S)
    out = {}
    for (k1, csv), (k2, yml) in zip(blocks[0::2], blocks[1::2]):
        if (k1, k2) != ("csv", "yaml"):
            break
        params = yaml.safe_load(yml)
        out[params["source"]["shape"]] = (csv, params)
    return out


def test_there_is_one_complete_example_per_shape():
    assert set(examples()) == set(SHAPE_TABLES)


def _enlarged(csv: str, id_column: str, copies: int = 20) -> str:
    """The excerpt repeated ``copies`` times under new customer ids (a study needs 50+ customers)."""
    df = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    parts = [df.assign(**{id_column: df[id_column] + f"_{k}"}) for k in range(copies)]
    return pd.concat(parts).to_csv(index=False)


@pytest.mark.parametrize("shape", sorted(SHAPE_TABLES))
def test_each_readme_example_is_collected_as_written(shape, tmp_path):
    csv, params = examples()[shape]
    (table,) = SHAPE_TABLES[shape]
    spec = params["source"]["tables"][table]
    assert spec["path"].startswith("data/")
    f = tmp_path / Path(spec["path"]).name
    f.write_text(_enlarged(csv, spec["columns"]["customer_id"]), encoding="utf-8")
    spec["path"] = str(f)
    col = collect(validate_params(params), tmp_path / "run" / "data", with_snapshots=False)
    written = pd.read_parquet(col.tables[table])
    ids = set(pd.read_csv(f, dtype=str)[spec["columns"]["customer_id"]])
    assert len(ids) >= 50
    assert set(written["customer_id"]) == ids
    assert len(col.analysis) == len(ids)  # every customer of the excerpt reaches the analysis table


def test_the_optional_table_snippet_maps_exit_reasons(tmp_path):
    csv, params = examples()["subscriptions"]
    sub = params["source"]["tables"]["subscriptions"]
    (tmp_path / "subscriptions.csv").write_text(_enlarged(csv, "account"), encoding="utf-8")
    sub["path"] = str(tmp_path / "subscriptions.csv")
    snippet = re.findall(r"```yaml\n(    exit_reasons:.*?)```", README, flags=re.S)
    assert len(snippet) == 1
    extra = yaml.safe_load(snippet[0])["exit_reasons"]
    (tmp_path / "exit_survey.csv").write_text("account,answered,why\na2_0,2024-02-28,Too expensive\na4_0,2024-12-01,Moved away\n", encoding="utf-8")
    extra["path"] = str(tmp_path / "exit_survey.csv")
    params["source"]["tables"]["exit_reasons"] = extra
    col = collect(validate_params(params), tmp_path / "run" / "data", with_snapshots=False)
    reasons = pd.read_parquet(col.tables["exit_reasons"]).set_index("customer_id")["reason"]
    assert reasons.to_dict() == {"a2_0": "price", "a4_0": "moved"}
