"""metrics.json: deterministic text, sections merged, numpy and NaN handled."""

from __future__ import annotations

import datetime as dt

import numpy as np

from churnlab import metrics


def test_record_merges_sections_and_is_canonical(tmp_path):
    metrics.record(tmp_path, "data", {"n": np.int64(3), "rate": np.float64(1 / 3), "z": float("nan"),
                                      "as_of": dt.date(2025, 1, 31), "flags": [np.bool_(True)]})
    metrics.record(tmp_path, "causes", {"b": 1, "a": 2})
    text = (tmp_path / "metrics.json").read_text()
    data = metrics.read(tmp_path)
    assert data["data"] == {"n": 3, "rate": 0.333333333333, "z": None, "as_of": "2025-01-31",
                            "flags": [True]}
    assert list(data) == ["causes", "data"]  # sorted keys
    assert text == metrics.dumps(data)
    assert not list(tmp_path.glob("*.tmp"))


def test_rounding_hides_last_bit_noise():
    a, b = 0.1 + 0.2, 0.3
    assert metrics.dumps({"x": a}) == metrics.dumps({"x": b})
