"""The economics stage (notebook 04) on small simulated telecom and retail studies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import clv, collect, survival
from churnlab.causes import warning as ew
from churnlab.causes import warning_list as wl
from churnlab.economics import COMPONENTS, analyse, plots
from churnlab.errors import DataError, ParamsError
from churnlab.params import validate_params
from churnlab.survival.curves import curve_times, survival_curves
from .conftest import scenario_params

VALUE_KEYS = {"currency", "horizon_months", "margin_rate", "discount_rate", "discount_period", "method",
              "clv_mean", "clv_total", "customers", "clv_by_segment", "interval"}
RETENTION_KEYS = {"currency", "optimal_target_share", "optimal_customers", "expected_profit",
                  "profit_uncertainty", "value_basis", "break_even_save_rate", "save_rate", "profit_p05", "profit_p95", "p_loss", "policies",
                  "save_rate_ci", "save_rate_source", "fix_ranking", "fix_horizon_months", "policy",
                  "recommended_policy", "recommendation", "policy_plans", "profit_curves"}


def _inputs(scenario: str, folder) -> dict:
    """What a study hands to the stage: params, collection, prepared and the earlier stages' outputs."""
    params = validate_params(scenario_params(scenario, source={"n_customers": 400}))
    col = collect.collect(params, folder / "data")
    sp = params.survival
    prep = survival.prepare(col.analysis, sp, col.ground_truth)
    aft = survival.aft_models(prep.table, covariates=prep.covariates, entry=prep.entry)
    times = curve_times(unit=sp.unit, horizons=tuple(sp.horizons) + (params.campaign.horizon_months,),
                        cap=sp.remaining_cap, months=params.value.horizon_months)
    curves = survival_curves(aft.best_model, aft.design, prep.table, name=aft.best, unit=sp.unit,
                             times=times, cap=sp.remaining_cap)
    tables = {name: pd.read_parquet(col.tables[name]) for name in ("offers", "exit_reasons")
              if name in col.tables}
    sbg = bg = None
    if params.churn.definition == "contractual":
        cohorts = clv.cohort_table(col.analysis, period=sp.cohort_period, as_of=params.as_of,
                                   observed_from=prep.observed_from)
        sbg = clv.sbg_projection(cohorts, fit_periods=sp.fit_periods)
    else:
        tables["transactions"] = pd.read_parquet(col.tables["transactions"],
                                                 columns=["customer_id", "date", "amount"])
        bg = clv.bgnbd_study(tables["transactions"][["customer_id", "date"]], as_of=params.as_of,
                             unit={"day": "D", "week": "W", "month": "M"}[sp.bgnbd_unit])
    result = ew.validate(col.snapshots, seed=params.seed, lead_days=params.snapshots.lead_days)
    warning_list = wl.early_warning_list(result.models, wl.current_customers(col.analysis),
                                         tier_shares=(0.1, 0.2), which=result.chosen,
                                         calibration=result.calibration)
    return dict(params=params, collection=col, prepared=prep, curves=curves, sbg=sbg, bgnbd=bg,
                warning_list=warning_list, tables=tables)


@pytest.fixture(scope="module")
def telecom(tmp_path_factory):
    return _inputs("telecom", tmp_path_factory.mktemp("telecom"))


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    return _inputs("retail", tmp_path_factory.mktemp("retail"))


def _call(inputs: dict, **changes):
    kw = {**inputs, **changes}
    return analyse(kw.pop("params"), kw.pop("collection"), kw.pop("prepared"), **kw)


def _check_common(res, n_active: int):
    m = res.metrics()
    assert set(m) == {"value", "cost", "retention"}
    assert VALUE_KEYS <= set(m["value"]) and RETENTION_KEYS == set(m["retention"])
    # the components add up, in the totals, the table and by segment
    cost = m["cost"]
    assert sum(cost["components"].values()) == pytest.approx(cost["total"], rel=1e-12)
    assert res.churn_cost.table["total"].sum() == pytest.approx(cost["total"])
    assert res.cost_by_segment["total"].sum() == pytest.approx(cost["total"])
    assert cost["churners"] == len(res.churn_cost.per_churner) > 0
    assert set(cost["components"]) == set(COMPONENTS)
    # value: every active customer valued, segments partition them
    assert 0 < len(res.clv) <= n_active and (res.clv >= 0).all()
    assert sum(v["customers"] for v in m["value"]["clv_by_segment"].values()) == len(res.clv)
    assert m["value"]["clv_total"] == pytest.approx(res.clv.sum())
    # revenue at risk: below the total value at stake
    assert 0 < cost["revenue_at_risk"] < res.clv.sum()
    # campaign: the plan is the recommended policy's, its profit that policy's curve maximum, the
    # highest of the policies compared (none of them risky in these studies)
    r = m["retention"]
    assert r["policy"] == r["recommended_policy"] == res.policies.policy
    curve = res.policies.curves[r["policy"]]
    assert r["expected_profit"] == pytest.approx(curve["profit"].max())
    assert r["expected_profit"] == pytest.approx(max(p["expected_profit"] for p in r["policy_plans"].values()))
    assert r["p_loss"] == r["policy_plans"][r["policy"]]["p_loss"] and r["recommendation"]
    assert 0 <= r["optimal_target_share"] <= 1 and r["profit_p05"] <= r["profit_p95"]
    assert set(r["policies"]) == set(res.policies.table["policy"]) and len(r["policies"]) == 4
    # sensitivity: both results, each assumption once, base values agree with the result
    sens = res.sensitivity
    assert set(sens["result"]) == {"total cost of churn", "campaign profit"}
    base = sens.groupby("result")["base_value"].first()
    assert base["total cost of churn"] == pytest.approx(cost["total"])
    assert base["campaign profit"] == pytest.approx(r["expected_profit"])
    assert res.fix_roi is not None and [f["reason"] for f in r["fix_ranking"]] == res.fix_roi["reason"].tolist()
    rois = [f["roi"] for f in r["fix_ranking"] if f["roi"] is not None]
    assert rois == sorted(rois, reverse=True) and r["fix_horizon_months"] == m["value"]["horizon_months"]
    assert m["cost"]["dated"] is True
    return m


# One test per study (each builds its study once, also under pytest-xdist).


def test_telecom_stage(telecom):
    res = _call(telecom)
    n_active = int((~telecom["collection"].analysis["churned"].astype(bool)).sum())
    m = _check_common(res, n_active)
    assert res.contractual and res.survival_model and res.revenue_column
    assert m["value"]["method"].startswith("survival") and "gamma_gamma" not in m["value"]
    assert len(m["value"]["sbg_check"]) == 2 and res.skipped == {}
    # contractual CLV: margin x revenue x discounted months
    t = res.value.table
    assert np.allclose(t["clv"], res.margin_rate * t["revenue"] * t["expected_months"])
    assert res.window[1] == pd.Timestamp(telecom["params"].as_of) and res.years > 1
    # the plot helpers draw the result
    for ax in (plots.clv_histogram(res.clv, currency="EUR", horizon_months=36),
               plots.clv_plot(res.clv, res.clv_by_segment, currency="EUR", horizon_months=36),
               plots.waterfall(res.churn_cost), plots.cost_by_period_plot(res.churn_cost, period="month"),
               plots.cost_by_segment_plot(res.churn_cost, segment=res.segment),
               plots.profit_curve_plot(res.policies.curves, currency="EUR", plan=res.plan),
               plots.profit_distribution_plot(res.profit, currency="EUR"),
               plots.fix_roi_plot(res.fix_roi, currency="EUR"),
               plots.tornado_plot(res.sensitivity, result="total cost of churn", currency="EUR")):
        assert ax.get_title() or ax.get_xlabel()
    # missing inputs: a one-line error, or the section skipped with its reason
    with pytest.raises(DataError, match="no survival model converged"):
        _call(telecom, curves=None)
    res = _call(telecom, warning_list=None, sbg=None)
    assert set(res.skipped) == {"campaign", "sBG cross-check"} and res.plan is None
    assert set(res.metrics()["retention"]) == {"currency", "fix_ranking", "fix_horizon_months"}
    assert set(res.sensitivity["result"]) == {"total cost of churn"}
    res = _call(telecom, tables={"exit_reasons": telecom["tables"]["exit_reasons"]})
    assert "campaign" in res.skipped and res.churn_cost.totals["opportunity"] == 0


def test_retail_stage(retail):
    res = _call(retail)
    n_active = int((~retail["collection"].analysis["churned"].astype(bool)).sum())
    m = _check_common(res, n_active)
    assert not res.contractual and res.revenue_column is None and res.sbg_check is None
    assert m["value"]["method"] == "BG/NBD x Gamma-Gamma" and m["value"]["gamma_gamma"]["p"] > 0
    res = _call(retail, curves=None)
    assert "revenue at risk" in res.skipped and "revenue_at_risk" not in res.metrics()["cost"]
    with pytest.raises(DataError, match="BG/NBD"):
        _call(retail, bgnbd=None)


def test_params_without_economics_sections():
    params = validate_params(scenario_params("telecom", costs=None))
    with pytest.raises(ParamsError, match="costs"):
        analyse(params, None, None, curves=None)
