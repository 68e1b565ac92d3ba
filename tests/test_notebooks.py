"""Slower tier: notebook 01 for all three scenarios on small sizes, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from churnlab.config import NOTEBOOKS, SCENARIOS

from .conftest import scenario_params, write_params

pytestmark = pytest.mark.notebooks
CLI = str(Path(sys.executable).with_name("churnlab"))


def _small_params(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_params(folder / f"{s}.yaml", scenario_params(s, source={"n_customers": 400}))
            for s in SCENARIOS]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "run", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three scenarios run twice with the same params and seed."""
    base = tmp_path_factory.mktemp("study")
    files = _small_params(base / "params")
    outs = []
    for i in range(2):
        out = base / f"out{i}"
        args = [a for f in files for a in ("--params", str(f))]
        res = _cli(*args, "--out", str(out), "--jobs", "2")
        assert res.returncode == 0, res.stderr
        outs.append(out)
    return outs


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_run_folder_is_complete(runs, scenario):
    run = runs[0] / scenario
    for nb in NOTEBOOKS:
        executed = nbformat.read(run / nb, as_version=4)
        assert executed.metadata.papermill.parameters["params_file"].endswith(f"{scenario}.yaml")
        assert (run / nb).with_suffix(".html").stat().st_size > 50_000  # figures are embedded
        errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors
    for table in ("analysis", "snapshots", "quality", "customers"):
        assert (run / "data" / f"{table}.parquet").exists()
    assert not list(runs[0].glob(".*"))  # no temp folders left behind


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_metrics_are_consistent_with_the_tables(runs, scenario):
    run = runs[0] / scenario
    m = json.loads((run / "metrics.json").read_text())["data"]
    a = pd.read_parquet(run / "data" / "analysis.parquet")
    assert m["n_customers"] == len(a) == a["customer_id"].nunique()
    assert m["n_churned"] == int(a["churned"].sum())
    assert m["churn_rate"] == pytest.approx(a["churned"].mean(), rel=1e-9)
    assert 0.05 < m["churn_rate"] < 0.6
    assert "seconds" not in json.dumps(m)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_manifest_records_what_produced_the_run(runs, scenario):
    man = json.loads((runs[0] / scenario / "manifest.json").read_text())
    assert man["seed"] == 42 and man["params"]["scenario"] == scenario
    assert man["inputs"]["params_file"]["sha256"]
    assert man["packages"]["pandas"].startswith("2.")
    assert [n["status"] for n in man["notebooks"]] == ["ok"] * len(NOTEBOOKS)
    assert all(n["seconds"] > 0 for n in man["notebooks"])
    assert "commit" in man["git"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_params_and_seed_give_identical_results(runs, scenario):
    first, second = (r / scenario for r in runs)
    assert (first / "metrics.json").read_bytes() == (second / "metrics.json").read_bytes()
    for table in sorted(p.name for p in (first / "data").glob("*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(first / "data" / table),
                                      pd.read_parquet(second / "data" / table))
    assert (first / "data" / "ground_truth.json").read_text() == \
        (second / "data" / "ground_truth.json").read_text()


def test_a_different_seed_gives_different_data(runs, tmp_path):
    data = scenario_params("retail", seed=7, source={"n_customers": 400})
    f = write_params(tmp_path / "retail.yaml", data)
    res = _cli("--params", str(f), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    m7 = json.loads((tmp_path / "out" / "retail" / "metrics.json").read_text())
    m42 = json.loads((runs[0] / "retail" / "metrics.json").read_text())
    assert m7 != m42


def test_failed_run_keeps_the_earlier_output(runs, tmp_path):
    out = runs[1]
    before = {p: p.read_bytes() for p in (out / "telecom").rglob("*") if p.is_file()}
    data = scenario_params("telecom", source={"n_customers": 400})
    data["source"] = {"kind": "files", "shape": "subscriptions",
                      "tables": {"subscriptions": {"path": str(tmp_path / "missing.csv")}}}
    f = write_params(tmp_path / "telecom.yaml", data)
    res = _cli("--params", str(f), "--out", str(out))
    assert res.returncode != 0
    lines = [line for line in res.stderr.splitlines() if line.startswith("churnlab:")]
    assert len(lines) == 1, res.stderr
    assert "telecom: 01_data_collection.ipynb failed in cell" in lines[0]
    assert "missing.csv: file not found" in lines[0]
    after = {p: p.read_bytes() for p in (out / "telecom").rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_survival_metrics_are_recorded(runs, scenario):
    m = json.loads((runs[0] / scenario / "metrics.json").read_text())["survival"]
    assert m["km"]["survival"]["12"] is not None and 0 < m["km"]["survival"]["12"] < 1
    assert m["cox"]["hazard_ratios"] and 0.5 < m["cox"]["concordance"] <= 1
    assert m["aft"]["best"] in ("Weibull", "LogNormal", "LogLogistic")
    if scenario == "retail":
        assert {"r", "alpha", "a", "b"} <= set(m["bgnbd"]) and m["bgnbd"]["time_unit"] == "week"
        assert m["bgnbd"]["holdout"]["actual"] > 0
    else:
        assert m["sbg"]["alpha"] > 0 and m["sbg"]["beta"] > 0
    assert (runs[0] / scenario / "survival_predictions.csv").exists()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cost_metrics_add_up(runs, scenario):
    m = json.loads((runs[0] / scenario / "metrics.json").read_text())
    cost = m["cost"]
    assert set(cost["components"]) == {"direct", "indirect", "lost_revenue", "opportunity"}
    assert sum(cost["components"].values()) == pytest.approx(cost["total"], rel=1e-9)
    assert cost["total"] > 0 and cost["revenue_at_risk"] > 0
    assert m["value"]["clv_mean"] > 0 and m["value"]["clv_by_segment"]
    for seg in m["value"]["clv_by_segment"].values():
        assert seg["ci_low"] <= seg["mean"] <= seg["ci_high"]
    r = m["retention"]
    assert 0 <= r["optimal_target_share"] <= 1 and r["expected_profit"] >= 0
    assert 0 < r["save_rate_ci"][0] < r["save_rate_ci"][1] < 1
    truth = json.loads((runs[0] / scenario / "data" / "ground_truth.json").read_text())
    assert r["save_rate_ci"][0] <= truth["save_rate"] <= r["save_rate_ci"][1]  # planted rate recovered
    if scenario == "retail":
        assert {"p", "q", "gamma"} <= set(m["value"]["gamma_gamma"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kpi_metrics_and_the_monthly_churn_recomputed_independently(runs, scenario):
    run = runs[0] / scenario
    k = json.loads((run / "metrics.json").read_text())["kpi"]
    assert set(k["churn_rate"]) == {"month", "quarter", "year"}
    for per, rates in k["retention_rate"].items():
        for p, r in rates.items():
            if r is not None:
                assert r == pytest.approx(1 - k["churn_rate"][per][p])
    assert k["scorecard"] and {"kpi", "value", "status"} <= set(k["scorecard"][0])
    if scenario == "software":
        assert 0.5 < k["grr"] <= 1 and k["nrr"] > 0.5
    # the monthly churn rate straight from the canonical tables, with plain pandas
    months = ("2024-06", "2025-11")
    if scenario == "retail":  # spells of buying split by silences over 180 days, each lapse dated
        as_of = pd.Timestamp("2025-12-31")  # at its last purchase once 180 days have passed
        tx = pd.read_parquet(run / "data" / "transactions.parquet")
        d = (tx.loc[tx["date"] <= as_of, ["customer_id"]].assign(day=tx["date"].dt.normalize())
             .drop_duplicates().sort_values(["customer_id", "day"]))
        gap = d.groupby("customer_id")["day"].diff().dt.days
        d["spell"] = (gap.isna() | (gap > 180)).astype(int).groupby(d["customer_id"]).cumsum()
        spells = d.groupby(["customer_id", "spell"])["day"].agg(["min", "max"])
        start = spells["min"]
        churn_day = spells["max"].where(spells["max"] + pd.Timedelta(days=180) <= as_of)
        months = ("2024-06", "2025-06")  # rates stop at as_of - 180 days (2025-07-04)
        assert "2025-07" not in k["churn_rate"]["month"]
    else:
        subs = pd.read_parquet(run / "data" / "subscriptions.parquet")
        start, churn_day = subs.set_index("customer_id")["start_date"], subs.set_index("customer_id")["end_date"]
    for month in months:
        a = pd.Period(month, "M").start_time
        b = pd.Period(month, "M").end_time
        at_start = (start < a) & ~(churn_day < a)
        lost = at_start & (churn_day >= a) & (churn_day <= b)
        assert k["churn_rate"]["month"][month] == pytest.approx(lost.sum() / at_start.sum(), rel=1e-12)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_report_and_index_link_what_exists(runs, scenario):
    from churnlab.report import check_links

    report = runs[0] / scenario / "report.html"
    text = report.read_text()
    assert "05_kpi_evaluation.html" in text and "data:image/png;base64," in text  # figures embedded
    assert check_links(report) == []
    index = runs[0] / "index.html"
    assert f"{scenario}/report.html" in index.read_text() and check_links(index) == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_notebook_pages_for_managers_and_analysts(runs, scenario):
    """Each notebook's NAME.html hides its code and keeps its outputs, NAME.code.html has the code,
    the report links both; no page shows the runner's temporary folder or a raw dict dump."""
    import re

    run = runs[0] / scenario
    report = (run / "report.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        stem = Path(nb).stem
        manager = (run / f"{stem}.html").read_text(encoding="utf-8")
        code = (run / f"{stem}.code.html").read_text(encoding="utf-8")
        assert "hl-ipython3" not in manager and "hl-ipython3" in code, stem     # inputs hidden / shown
        assert manager.count("<img") == code.count("<img") > 0, stem            # outputs kept
        assert f'href="{stem}.code.html"' in manager and f'href="{stem}.code.html"' in report
        for page in (manager, code):
            assert ".tmp-" not in page, stem
            if stem.startswith(("02", "03")):
                text = re.sub(r"<[^>]+>", "\n", page)
                assert not [line for line in text.splitlines() if line.strip().startswith("{")
                            and len(line.strip()) > 200], f"{stem}: a raw dict dump"


def test_real_report_and_index_render_in_chromium(runs, tmp_path):
    from .test_browser import broken_images, chromium as _chromium_fixture, dump_dom  # noqa: F401

    chromium = _chromium_fixture.__wrapped__()
    for page in (runs[0] / "telecom" / "report.html", runs[0] / "index.html"):
        dom = dump_dom(chromium, tmp_path, page)
        assert broken_images(dom) == "0", page
        assert "<h1" in dom
