"""The survival stage (notebook 03 as one function) on small simulated studies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from churnlab import collect, survival
from churnlab.params import validate_params
from churnlab.survival import stage
from churnlab.units import MONTHS_PER_UNIT

from .conftest import scenario_params

BASE_KEYS = {"unit", "customers", "left_truncated", "dropped_no_time_at_risk"}
#: metrics.json key -> the part whose skip leaves it out
PARTS = {"km": "Kaplan-Meier", "cox": "Cox model", "aft": "Parametric models",
         "validation": "Validation", "sbg": "sBG", "bgnbd": "BG/NBD"}


@pytest.fixture(scope="module", params=["telecom", "retail"])
def study(request, tmp_path_factory):
    p = validate_params(scenario_params(request.param, source={"n_customers": 400}))
    col = collect.collect(p, tmp_path_factory.mktemp(request.param) / "data", with_snapshots=False)
    tx = (pd.read_parquet(col.tables["transactions"], columns=["customer_id", "date"])
          if "transactions" in col.tables else None)
    prep = survival.prepare(col.analysis, p.survival, col.ground_truth)
    return p, col, prep, tx, survival.analyse(p, col, prep, transactions=tx)


def test_metrics_hold_every_part_that_ran(study):
    p, col, prep, tx, res = study
    m = res.metrics()
    assert list(m) == ["survival"]
    s = m["survival"]
    assert BASE_KEYS <= set(s) and s["customers"] == len(prep.table) and s["unit"] == "month"
    for key, part in PARTS.items():
        assert (key in s) == (part not in res.skipped), (key, res.skipped)
    if p.churn.definition == "contractual":
        assert "sbg" in s and "bgnbd" not in s and res.alive_vs_inactivity is None
        assert s["sbg"]["cohorts"] == len(collect_cohorts(p, col, prep))
        assert set(s["sbg"]) == {"alpha", "beta", "period", "fit_periods", "cohorts", "holdout_mape",
                                 "holdout_bias", "holdout_error", "derl", "converged"}
        errors = res.sbg.holdout_errors
        assert s["sbg"]["holdout_error"] == {f"{k:g}": v for k, v in errors.items()}
        assert abs(s["sbg"]["holdout_bias"]) <= s["sbg"]["holdout_mape"] + 1e-12
        sbg_note = res.note("sBG")
        assert f"MAPE {res.sbg.mape:.1%}" in sbg_note and f"{res.sbg.bias:+.1%}" in sbg_note
        # the note says when the error is one-signed and growing, and only then
        assert ("one-signed and growing" in sbg_note) == (res.sbg.drift is not None)
        assert ("change sign" in sbg_note) == ((errors > 0).any() and (errors < 0).any())
        assert s["sbg"]["derl"] == pytest.approx(res.sbg.fit.discounted_expected_residual_lifetime(
            res.sbg.discount_rate(p.survival.annual_discount_rate), 1))
    else:
        assert "bgnbd" in s and "sbg" not in s and "sBG" in res.skipped
        assert set(s["bgnbd"]) >= {"r", "alpha", "a", "b", "time_unit", "converged", "horizon",
                                   "mean_p_alive"}
        assert res.alive_vs_inactivity is not None
    assert set(s["km"]) == {"median", "median_ci", "rmst", "rmst_tau", "survival", "curve"}
    curve = s["km"]["curve"]  # the step curve the report draws (churnlab.survival.km.km_curve)
    assert set(curve) == {"time", "survival", "ci_low", "ci_high"} and 2 <= len(curve["time"]) <= 100
    assert np.all(np.diff(curve["survival"]) <= 0) and curve["survival"][0] == 1.0
    assert set(s["km"]["survival"]) == {f"{h:g}" for h in p.survival.horizons}
    assert set(s["cox"]) == {"hazard_ratios", "concordance", "ph_violations", "remedy", "scale", "labels", "per"}
    assert set(s["cox"]["labels"]) == set(s["cox"]["per"]) == set(s["cox"]["hazard_ratios"])
    assert set(s["cox"]["scale"]) == {t for t in s["cox"]["hazard_ratios"] if "=" not in t}
    assert set(s["logrank"]) == set(res.logrank["column"])
    assert s["aft"]["best"] == res.aft.best and set(s["aft"]["aic"]) == set(survival.AFT_MODELS)


def collect_cohorts(p, col, prep):
    from churnlab import clv

    return clv.cohort_table(col.analysis, period=p.survival.cohort_period, as_of=p.as_of,
                            observed_from=prep.observed_from)


def test_each_fit_is_the_one_later_stages_get(study):
    p, col, prep, tx, res = study
    aft, curves = survival.fit_curves(p, prep)
    assert aft.table.equals(res.aft.table) and curves.model == res.curves.model == aft.best
    np.testing.assert_array_equal(curves.S, res.curves.S)
    # the curves give exactly current_predictions of the best model
    horizons = tuple(p.survival.horizons)
    direct = survival.current_predictions(aft.best_model, aft.design, prep.table, horizons=horizons,
                                          cap=p.survival.remaining_cap,
                                          lag=stage.unobserved_lag(prep.table, p.as_of, p.survival.unit))
    pd.testing.assert_frame_equal(curves.predictions(horizons), direct)
    pd.testing.assert_frame_equal(res.predictions, direct.sort_values("p_churn_3", ascending=False))
    sbg = stage.fit_sbg(p, col, prep)
    bg = stage.fit_bgnbd(p, col, tx)
    assert (sbg is None) == (res.sbg is None) and (bg is None) == (res.bgnbd is None)
    if sbg is not None:
        assert sbg.fit == res.sbg.fit and sbg.table.equals(res.sbg.table)
    if bg is not None:
        assert bg.fit == res.bgnbd.fit


def test_curve_times_cover_every_horizon_later_stages_read(study):
    p = study[0]
    t = survival.curve_times_for(p)
    months = np.arange(1, p.value.horizon_months + 1) / MONTHS_PER_UNIT[p.survival.unit]
    for needed in (list(p.survival.horizons), [p.campaign.horizon_months], months):
        assert np.isin(np.asarray(needed, float), t).all()
    assert t[0] == 0 and t.max() >= p.survival.remaining_cap
    assert np.isin(np.arange(0, p.survival.remaining_cap + 0.1, 0.25), t).all()


def test_notebook_choices(study):
    p, col, prep, tx, res = study
    st = prep.table
    assert res.segment_columns == [c for c in prep.categorical if 2 <= st[c].nunique() <= 8][:6]
    assert res.hazard_marks == ((13, 25, 37) if p.churn.definition == "contractual" else ())
    if res.hazard_column is None:
        assert list(res.hazard) == ["all customers"]
    else:
        assert all(k.startswith(f"{res.hazard_column}=") for k in res.hazard)
    assert res.focus_column == "p_churn_12"
    assert res.riskiest(5)[res.focus_column].is_monotonic_decreasing
    assert res.predictions["p_churn_3"].is_monotonic_decreasing
    assert res.remedied == (res.remedy.final is not res.remedy.first)


def test_every_note_renders(study):
    res = study[-1]
    for part in survival.notes.NOTES:
        assert isinstance(res.note(part), str)
    assert res.note("Kaplan-Meier").startswith("**Median lifetime:**")
    assert str(len(res.table)) in res.note("table").replace(",", "")
    if "sBG" in res.skipped:
        assert res.note("sBG") == f"**sBG skipped:** {res.skipped['sBG']}"
    with pytest.raises(KeyError):
        res.note("no such part")


def test_plots_of_the_result(study):
    res = study[-1]
    unit = res.unit_label
    survival.km_plot(res.table, entry=res.prepared.entry, unit=unit, unadjusted=True)
    panels = survival.period_hazard_panels(res.hazard, marks=res.hazard_marks)
    assert len(panels) == len(res.hazard)
    survival.aft_fit_plot(res.aft, res.table, entry=res.prepared.entry, unit=unit)
    ax = survival.prediction_hist(res.predictions, column="expected_remaining", unit=unit)
    assert "capped at 60" in ax.get_xlabel()


def test_parts_that_cannot_run_are_skipped_not_raised(study):
    p, col, prep, tx, res = study
    quiet = dataclasses.replace(prep, table=prep.table.assign(event=0))
    res = survival.analyse(p, col, quiet, transactions=tx)
    for part in ("Kaplan-Meier", "Hazard", "Cox model", "Parametric models", "Validation"):
        assert "churn events" in res.skipped[part]
        assert res.note(part).startswith(f"**{part} skipped:**")
    assert res.km_all is None and res.remedy is None and res.aft is None and res.curves is None
    s = res.metrics()["survival"]
    assert not {"km", "cox", "aft", "validation", "logrank"} & set(s)
