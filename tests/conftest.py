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
