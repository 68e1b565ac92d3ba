"""Shared fixtures: Agg backend, closed figures, paths to the real datasets."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CHURNLAB_SHARED", ROOT.parent / "shared"))
TELCO = SHARED / "datasets" / "telco" / "Telco-Customer-Churn.csv"
RETAIL = SHARED / "datasets" / "retail" / "online_retail.csv.gz"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def telco_csv() -> Path:
    if not TELCO.exists():
        pytest.skip(f"{TELCO} not available")
    return TELCO


@pytest.fixture
def retail_csv() -> Path:
    if not RETAIL.exists():
        pytest.skip(f"{RETAIL} not available")
    return RETAIL


def scenario_params(name: str, /, **overrides) -> dict:
    """The built-in params of scenario ``name`` with nested overrides (``source={"n_customers": 300}``)."""
    data = yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text())
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def write_params(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


class FakeRunner:
    """Stands in for papermill, nbconvert and the report in ``churnlab.study.runner``: a study "runs"
    in milliseconds and writes a marker per notebook plus ``metrics.json``, so publishing, the lock,
    signals and the output root can be tested through the real CLI without kernels.

    ``hook(notebook, run_dir, kernel_log)`` is called before each notebook "runs" (to block, raise
    or send a signal); ``calls`` lists the notebooks run.
    """

    def __init__(self) -> None:
        self.hook = None
        self.calls: list[str] = []

    def execute(self, src, out, parameters, kernel_log, launched, attempts=3):
        run_dir = Path(parameters["output_dir"])
        if self.hook is not None:
            self.hook(Path(src).name, run_dir, Path(kernel_log))
        self.calls.append(Path(src).name)
        Path(out).write_text('{"cells": []}\n', encoding="utf-8")
        (run_dir / "metrics.json").write_text('{"fake": true}\n', encoding="utf-8")

    @staticmethod
    def to_html(notebook, shown_dir=None, lang="en"):
        out = Path(notebook).with_suffix(".html")
        out.write_text("<html></html>\n", encoding="utf-8")
        return out

    @staticmethod
    def write_report(run_dir):
        out = Path(run_dir) / "report.html"
        out.write_text("<html>report</html>\n", encoding="utf-8")
        return out


@pytest.fixture
def fake_runner(monkeypatch) -> FakeRunner:
    """``churnlab run`` without kernels (see :class:`FakeRunner`); in-process (``--jobs 1``) only."""
    import churnlab.report
    import churnlab.study.runner as runner

    fake = FakeRunner()
    monkeypatch.setattr(runner, "_execute", fake.execute)
    monkeypatch.setattr(runner, "to_html", fake.to_html)
    monkeypatch.setattr(runner, "notebook_parameters", lambda src: {"params_file", "output_dir"})
    monkeypatch.setattr(churnlab.report, "write_report", fake.write_report)
    return fake
