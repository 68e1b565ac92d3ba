"""The KPI stage (churnlab.kpi.stage.evaluate) on small simulated studies, and its figures."""

from __future__ import annotations

import dataclasses
import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from churnlab import collect, kpi, metrics
from churnlab import survival as sv
from churnlab.params import validate_params

from .conftest import scenario_params

ALWAYS = {"save_rate", "save_desk_success_rate", "scorecard", "definition_sensitivity", "winback_rate"}
DATED = {"churn_rate", "retention_rate", "churn_rate_latest", "retention_rate_latest", "annualised_churn",
         "growth_rate_latest", "same_period_churn_rule", "lifecycle_latest", "indicators_latest",
         "consistency"}


def _study(scenario: str, folder):
    params = validate_params(scenario_params(scenario, source={"n_customers": 400}))
    col = collect.collect(params, folder / "data", with_snapshots=False)
    prepared = sv.prepare(col.analysis, params.survival, col.ground_truth)
    tables = {n: pd.read_parquet(col.tables[n], columns=c) for n, c in kpi.INPUT_TABLES.items()
              if n in col.tables}
    return params, col, prepared, tables


@pytest.fixture(scope="module", params=["software", "retail"])
def study(request, tmp_path_factory):
    """A contractual study with MRR (software) and a non-contractual one (retail)."""
    params, col, prepared, tables = _study(request.param, tmp_path_factory.mktemp(request.param))
    return params, col, prepared, tables, kpi.evaluate(params, col, prepared, tables=tables)


def test_metrics_section_has_the_notebook_keys(study):
    params, *_, res = study
    m = res.metrics()
    assert set(m) == {"kpi"}
    expected = ALWAYS | DATED | {
        "software": {"churn_by_kind", "grr", "nrr", "quick_ratio", "net_mrr_churn"},
        "retail": set()}[params.scenario]
    got = set(m["kpi"]) - {"cohort_logo_retention_12m"}  # needs a cohort 12 months old
    assert got == expected
    assert json.loads(metrics.dumps(m)) == metrics.clean(m)
    assert [r["kpi"] for r in m["kpi"]["scorecard"]] == res.scorecard["kpi"].tolist()


def test_rates_and_conversions(study):
    params, col, *_, res = study
    assert set(res.rates) == {"month", "quarter", "year"}
    month = res.rates["month"]
    assert month["period"].iloc[0] == str(pd.Period(res.start, "M"))
    assert (month["churn_rate"] + month["retention_rate"]).dropna().eq(1).all()
    pooled = res.monthly.tail(12)
    assert res.pooled_monthly_churn == pytest.approx(pooled["churned"].sum() / pooled["at_start"].sum())
    assert res.conversions["value"].iloc[1] == pytest.approx(1 - (1 - res.pooled_monthly_churn) ** 12)
    assert res.metrics()["kpi"]["annualised_churn"] == res.conversions["value"].iloc[1]
    assert res.segment in col.analysis and res.segment_rates is not None
    assert res.summary.startswith(f"**Scenario:** {params.scenario}")


def test_period_rates_count_the_event_history_under_the_censoring_rule(study):
    """Period rates count every lapse of the event history, dated by the survival models'
    rule: silent churn dated at the last activity and counted up to the observation end;
    the months after it are not reported."""
    params, col, _, tables, res = study
    a, end = col.analysis, res.end
    if params.churn.definition == "inactivity":
        until = pd.Timestamp(params.as_of) - pd.Timedelta(days=params.churn.inactivity_days)
        assert res.rates_end == until
        assert f"known up to {until:%Y-%m-%d}" in res.summary
        last = pd.Period(res.rates["month"]["period"].iloc[-1], "M")
        assert last.end_time <= until < (last + 1).end_time  # the last complete month before it
        spells = kpi.purchase_spells(tables["transactions"], inactivity_days=params.churn.inactivity_days,
                                     end=end)
    else:
        assert res.rates_end == res.end
        spells = kpi.subscription_spells(tables["subscriptions"], gap_days=params.churn.resubscribe_gap_days,
                                         end=end)
    # each customer's last spell is their single status as of `as_of`, dated as the analysis table dates it
    last_spell = spells.groupby("customer_id").tail(1).set_index("customer_id")
    status = a.set_index("customer_id").loc[last_spell.index]
    assert last_spell["churned"].tolist() == status["churned"].astype(bool).tolist()
    assert last_spell["end_date"].equals(status["end_date"].rename("end_date").astype(last_spell["end_date"].dtype))
    expect = kpi.churn_rates(spells, period="month", start=res.start, end=res.rates_end)
    pd.testing.assert_frame_equal(res.rates["month"], expect)
    # every lapse counts: as many as the history holds inside the complete months
    m = res.rates["month"]
    last_day = pd.Period(m["period"].iloc[-1], "M").end_time
    inside = spells["churned"] & (spells["end_date"] >= res.start) & (spells["end_date"] <= last_day)
    assert (m["churned"] + m["new_and_churned"]).sum() == int(inside.sum())
    if params.churn.definition == "inactivity":
        assert m["reactivated"].sum() > 0   # retail customers come back


def test_sections_by_kind_of_data(study):
    params, *_, res = study
    if params.scenario == "software":
        assert res.mrr is not None and res.mrr_trailing is not None and "mrr" in res.notes
        assert res.end_reasons is not None and res.churn_by_kind.sum() == pytest.approx(1)
        assert "gap_days" in res.sensitivity and res.save_desk["offers"] > 0
        assert len(res.consistency.table) == 3  # period, survival and sBG
    else:
        assert res.mrr is None and "mrr" in res.skipped and "end_reasons" in res.skipped
        assert "window_days" in res.sensitivity and res.notes["sensitivity"].startswith("Evaluated on")
        assert len(res.consistency.table) == 2  # no sBG for silent churn
    assert res.revenue_cohorts is not None and res.logo_retention.iloc[:, 0].eq(1).all()
    assert res.lifecycle_counts.columns.tolist() == list(kpi.STAGES)
    assert {"kpi", "value", "based on"} <= set(res.winback_table.columns)
    assert res.notes["consistency"]


def test_scorecard_inputs_in_notebook_order(study):
    *_, res = study
    current, previous = kpi.latest_kpis(res)
    order = ["monthly_churn", "monthly_retention", "growth_rate", "grr", "nrr", "quick_ratio",
             "winback_rate", "save_rate", "complaints_per_100", "response_hours", "satisfaction"]
    assert list(current) == [k for k in order if k in current]
    assert set(previous) <= set(current) and "winback_rate" not in previous
    assert current["monthly_churn"] == res.monthly["churn_rate"].iloc[-1]
    assert previous["monthly_churn"] == res.monthly["churn_rate"].iloc[-2]


def test_every_figure_draws(study):
    *_, res = study
    assert isinstance(kpi.rate_panels(res.monthly), plt.Figure)
    assert isinstance(kpi.segment_rates_plot(res.segment_rates, segment=res.segment), plt.Axes)
    kpi.cohort_panels(res.logo_retention, res.revenue_cohorts)
    kpi.lifecycle_panels(res.lifecycle_counts, res.lifecycle_transitions)
    assert len(kpi.indicator_panels(res.indicators).axes) == min(6, res.indicators.shape[1])
    assert isinstance(kpi.sensitivity_plot(res.sensitivity), plt.Axes)
    if res.mrr is not None:
        assert isinstance(kpi.mrr_movements_plot(res.mrr), plt.Axes)
    if res.end_reasons is not None:
        assert isinstance(kpi.end_reasons_plot(res.end_reasons), plt.Axes)
    _, ax = plt.subplots()
    assert kpi.churn_rate_plot(res.monthly, ax=ax) is ax


def test_data_without_dates_is_skipped_not_raised(study):
    params, col, prepared, tables, _ = study
    # like a customer-table export: no dates, no data window
    undated = dataclasses.replace(col, analysis=col.analysis.drop(columns=["start_date", "end_date"]))
    res = kpi.evaluate(params, undated, dataclasses.replace(prepared, observed_from=None),
                       tables={"offers": tables["offers"]})
    assert res.start is None and res.summary == "This data has no dates."
    why = res.skipped["rates"]
    assert "overall churn share" in why and f"{res.overall_churn:.1%}" in why
    assert set(res.metrics()["kpi"]) == {"save_rate", "save_desk_success_rate", "scorecard"}
    assert res.consistency is None and res.rates == {}


def test_a_segment_that_is_also_a_covariate_is_kept_once(tmp_path):
    """value.segment naming a categorical covariate: the event history keeps the column once
    (it used to be merged twice, and the rates by segment crashed on a two-column segment)."""
    params, col, prepared, tables = _study("software", tmp_path)
    segment = prepared.categorical[0]
    params = validate_params(scenario_params("software", source={"n_customers": 400},
                                             value={"segment": segment}))
    res = kpi.evaluate(params, col, prepared, tables=tables)
    assert res.segment == segment and "segment" not in res.skipped
    assert list(res.spells.columns).count(segment) == 1 and res.segment_yearly is not None
