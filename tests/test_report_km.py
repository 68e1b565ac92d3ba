"""The Kaplan-Meier step curve the report draws: recorded by the survival stage, drawn by the report."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from churnlab.metrics import load as load_metrics
from churnlab.report import write_report
from churnlab.report.figures import survival_plot
from churnlab.survival.km import CURVE_POINTS, kaplan_meier, km_curve, km_summary

from .test_report import METRICS, make_run


def table(n: int = 600, seed: int = 3, entry: bool = False, scale: float = 30.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"duration": np.ceil(rng.exponential(scale, n)),
                       "event": rng.random(n) < 0.7})
    if entry:
        df["entry"] = np.floor(df["duration"] * rng.random(n) * 0.5)
    return df


@pytest.mark.parametrize("entry", [False, True])
def test_curve_matches_lifelines_and_steps_down(entry: bool):
    df = table(entry=entry)
    curve = km_curve(kaplan_meier(df, entry="entry" if entry else None))
    ref = KaplanMeierFitter().fit(df["duration"], df["event"], entry=df["entry"] if entry else None)
    assert list(curve.columns) == ["time", "survival", "ci_low", "ci_high"]
    assert curve["time"].iloc[0] == 0 and curve["survival"].iloc[0] == 1.0
    assert curve["time"].iloc[-1] == ref.survival_function_.index.max()  # to the end of follow-up
    assert (np.diff(curve["time"]) > 0).all() and (np.diff(curve["survival"]) <= 0).all()
    # each recorded point is lifelines' S(t) and its 95% band at that time
    s = ref.survival_function_at_times(curve["time"]).to_numpy()
    np.testing.assert_allclose(curve["survival"], s, rtol=1e-12)
    band = ref.confidence_interval_survival_function_.loc[curve["time"]].to_numpy()
    np.testing.assert_allclose(curve[["ci_low", "ci_high"]].to_numpy(), band, rtol=1e-12)
    assert (curve["ci_low"] <= curve["survival"] + 1e-12).all()
    assert (curve["survival"] <= curve["ci_high"] + 1e-12).all()
    # every step of lifelines' curve is kept (fewer steps than the limit here)
    steps = ref.survival_function_.iloc[:, 0]
    assert len(curve) <= CURVE_POINTS and set(steps[steps.diff() != 0].index) <= set(curve["time"])


def test_long_curve_is_thinned_to_the_limit_keeping_both_ends():
    df = pd.DataFrame({"duration": np.arange(1, 1001, dtype=float), "event": True})
    full = kaplan_meier(df)
    curve = km_curve(full)
    assert len(curve) == CURVE_POINTS
    assert curve["time"].iloc[0] == 0 and curve["time"].iloc[-1] == 1000
    assert curve["survival"].iloc[-1] == 0.0 and (np.diff(curve["survival"]) <= 0).all()
    np.testing.assert_allclose(curve["survival"], full.survival_function_at_times(curve["time"]).to_numpy())
    assert len(km_curve(full, max_points=10)) == 10


def test_summary_carries_the_curve_and_metrics_validate_it(tmp_path: Path):
    s = km_summary(table(), horizons=(3, 12))
    assert s.curve is not None and s.curve["survival"].iloc[0] == 1.0
    m = copy.deepcopy(METRICS)
    m["survival"]["km"]["curve"] = {c: [float(v) for v in s.curve[c]] for c in s.curve.columns}
    run = make_run(tmp_path, "curve", metrics=m)
    assert load_metrics(run).survival.km.curve.survival[0] == 1.0
    bad = copy.deepcopy(m)
    bad["survival"]["km"]["curve"]["survival"][1] = "x"
    (run / "metrics.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(Exception, match="curve"):
        load_metrics(run)


def _ax():
    return Figure().subplots()


def test_survival_plot_draws_the_step_curve_with_its_band():
    curve = km_curve(kaplan_meier(table()))
    ax = survival_plot({"3": 0.9}, median=20.0, median_ci=[18.0, 23.0],
                       curve={c: list(curve[c]) for c in curve.columns}, ax=_ax())
    steps = [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert len(steps) == 1
    np.testing.assert_allclose(steps[0].get_xdata(), curve["time"])
    np.testing.assert_allclose(steps[0].get_ydata(), curve["survival"])
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the 95% band
    labels = ax.get_legend_handles_labels()[1]
    assert "95% confidence interval" in labels and "median: 20 months" in labels


def test_survival_plot_without_a_curve_joins_the_horizons():
    ax = survival_plot({"3": 0.9, "12": 0.7}, median=None, ax=_ax())
    assert not [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [0.0, 3.0, 12.0] and list(line.get_ydata()) == [1.0, 0.9, 0.7]


def test_report_caption_follows_the_curve(tmp_path: Path):
    old = write_report(make_run(tmp_path, "old")).read_text(encoding="utf-8")
    assert "the line only joins the reported horizons" in old
    m = copy.deepcopy(METRICS)
    curve = km_curve(kaplan_meier(table()))
    m["survival"]["km"]["curve"] = {c: [float(v) for v in curve[c]] for c in curve.columns}
    html = write_report(make_run(tmp_path, "new", metrics=m)).read_text(encoding="utf-8")
    assert "the band is its 95% confidence interval" in html
    assert "the line only joins the reported horizons" not in html
    assert len(re.findall(r"<img ", html)) == len(re.findall(r"<img ", old)) == 3
