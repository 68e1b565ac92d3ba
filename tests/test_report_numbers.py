"""The report follows from the numbers (issue 13, section 1): fixes that pay, the best campaign
policy, mass campaigns, labelled index cells, and degenerate fits and contradictions in words.

Each test builds a small metrics.json by hand (as tests/test_report.py does) and reads the page.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from churnlab.clv.bgnbd import p_alive_note
from churnlab.clv.sbg import degenerate_note
from churnlab.metrics import parse
from churnlab.report import facts, write_index, write_report
from churnlab.report.index import LABELLED

from .test_report import METRICS, make_run, text_of

POLICIES = {"by risk, differentiated offers": 936.0, "by risk × value, differentiated": 1351.0,
            "by risk, a discount for everyone": 900.0, "mass campaign: everyone": -109600.0}


def _fix(reason, roi, investment=50000.0, saved=None):
    return {"reason": reason, "roi": roi, "investment": investment if roi is not None else None,
            "value_saved_pv": saved if saved is not None else (None if roi is None else investment * (1 + roi)),
            "value_lost_per_year": 10000.0, "share_of_churners": 0.2, "reduction": 0.3}


def _report(tmp_path: Path, name: str, **retention) -> str:
    m = copy.deepcopy(METRICS)
    m["retention"] = {"currency": "EUR", **retention}
    return text_of(write_report(make_run(tmp_path, name, metrics=m)).read_text(encoding="utf-8"))


def _actions(text: str) -> str:
    return text[text.index("Recommended actions"):text.index("Executed notebooks")]


# --------------------------------------------------------------------------- fixes


def test_only_fixes_that_pay_are_recommended_with_their_roi(tmp_path: Path):
    ranking = [_fix("price", 0.06), _fix("service", -0.06), _fix("competitor", -0.61),
               _fix("product", -0.79), _fix("moved", None)]
    text = _actions(_report(tmp_path, "fixes", fix_ranking=ranking, fix_horizon_months=36))
    assert "Fix these causes of churn, in order of return on investment: 1. price (ROI +6%" in text
    for loser in ("service", "competitor", "product"):
        assert f"2. {loser}" not in text and f"3. {loser}" not in text
    assert "not worth fixing at the stated cost: service (ROI -6%), competitor (ROI -61%), product (ROI -79%)" in text
    assert "no fix is costed for moved" in text
    assert "Value saved (present value, 36 months)" in text and "ROI -79%" in text


def test_when_no_fix_pays_the_report_says_so(tmp_path: Path):
    ranking = [_fix("competitor", -0.61), _fix("product", -0.79)]
    text = _actions(_report(tmp_path, "nofix", fix_ranking=ranking, fix_horizon_months=24))
    assert "No costed fix pays back over 24 months" in text
    assert "Fix these causes" not in text and "1. competitor" not in text


def test_a_names_only_fix_ranking_is_listed_but_not_recommended(tmp_path: Path):
    text = _actions(_report(tmp_path, "legacy", fix_ranking=["price", "competitor"]))
    assert "does not record the returns, so no fix is recommended" in text
    assert "Fix these causes" not in text


# --------------------------------------------------------------------------- campaign


def test_the_headline_is_the_recorded_recommended_policy(tmp_path: Path):
    text = _actions(_report(tmp_path, "rec", policies=POLICIES,
                            policy="by risk × value, differentiated",
                            recommended_policy="by risk × value, differentiated",
                            recommendation="the highest expected profit of the 3 targeting policies compared",
                            optimal_target_share=0.03, optimal_customers=117, expected_profit=1351.0,
                            policy_plans={"by risk × value, differentiated": {
                                "share": 0.03, "customers": 117, "expected_profit": 1351.0, "p_loss": 0.02},
                                "by risk, differentiated offers": {"share": 0.02, "customers": 78,
                                                                   "expected_profit": 936.0, "p_loss": 0.04}}))
    assert "Contact the top 3.0% of active customers (117 customers), policy: by risk × value" in text
    assert "by risk × value, differentiated (recommended)" in text
    assert "Contact the top 2.0%" not in text and "mass campaign" not in text.split("Targeting policies")[0]


def test_an_older_file_does_not_headline_a_worse_plan(tmp_path: Path):
    """Before recommendations were recorded, the headline fields held the by-risk plan even when
    another policy earned more: the report now names the best policy instead."""
    text = _actions(_report(tmp_path, "old", policies=POLICIES, optimal_target_share=0.02,
                            optimal_customers=78, expected_profit=936.0, p_loss=0.0))
    assert "Contact the top 2.0%" not in text
    assert ("by risk × value, differentiated earns the most of the 4 targeting policies compared "
            "(1,351 EUR), against 936 EUR for contacting the top 2.0% by risk, differentiated offers") in text
    assert "mass campaign: everyone would lose 109,600 EUR" in text


def test_when_no_policy_pays_no_campaign_is_recommended(tmp_path: Path):
    text = _actions(_report(tmp_path, "none", policies={"by risk, differentiated offers": -5.0,
                                                        "mass campaign: everyone": -900.0},
                            recommended_policy=None, policy="by risk, differentiated offers",
                            recommendation="none of the targeting policies compared is expected to make a profit",
                            optimal_target_share=0.0, optimal_customers=0, expected_profit=0.0))
    assert "Do not run a retention campaign as planned : none of the targeting policies" in text
    assert "Contact the top" not in text and "breaks even" not in text


@pytest.mark.parametrize("share, mass", [(0.89, True), (1.0, True), (0.5, True), (0.3, False)])
def test_a_plan_reaching_most_of_the_list_is_named_a_mass_campaign(tmp_path: Path, share, mass):
    plans = {"by risk, differentiated offers": {"share": share, "customers": int(share * 1000),
                                                "expected_profit": 5000.0, "p_loss": 0.1}}
    text = _actions(_report(tmp_path, f"m{share}", policies={"by risk, differentiated offers": 5000.0,
                                                             "mass campaign: everyone": 4900.0},
                            policy="by risk, differentiated offers",
                            recommended_policy="by risk, differentiated offers",
                            recommendation="the highest expected profit", policy_plans=plans,
                            optimal_target_share=share, expected_profit=5000.0))
    headline = text.split("Targeting policies compared")[0]
    assert ("This is a mass campaign" in headline) is mass
    assert ("a mass campaign —" in headline) is mass
    assert ("contacting everyone, untargeted, would earn 4,900 EUR" in headline) is mass


def test_facts_recommend_the_most_profitable_policy_of_an_older_file():
    m = copy.deepcopy(METRICS)
    m["retention"] = {"policies": POLICIES, "expected_profit": 936.0, "p_loss": 0.0}
    choice = facts.recommended_policy(parse(m))
    assert choice.policy == "by risk × value, differentiated" and not choice.recorded


# --------------------------------------------------------------------------- index


def test_every_index_cell_that_depends_on_horizon_definition_or_currency_is_labelled(tmp_path: Path):
    out = tmp_path / "outputs"
    make_run(out, "telecom")
    m = copy.deepcopy(METRICS)
    m["data"]["definition"] = "inactivity"
    m["value"].update(currency="GBP", horizon_months=12)
    m["cost"].update(currency="GBP", revenue_at_risk_horizon_months=3, window=["2025-07-01", "2025-12-31"])
    m["retention"]["currency"] = "GBP"
    make_run(out, "shop", metrics=m)
    html = write_index(out).read_text(encoding="utf-8")
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html))
    for title in LABELLED:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[title])
        assert len(cells) == 2, title
        for cell in cells:
            assert cell == "—" or '<span class="cell-label">' in cell, f"{title}: unlabelled cell {cell!r}"
    text = text_of(html)
    assert "36-month horizon" in text and "12-month horizon" in text
    assert "next 12 months" in text and "next 3 months" in text
    assert "648 EUR" in text and "648 GBP" in text
    assert "contractual churn" in text and "inactivity churn" in text
    # the cost per year puts a 3-year and a half-year window on the same footing
    assert "411,804 EUR a year" in text and "2,464,076 GBP a year" in text


def test_index_cost_of_undated_data_is_not_put_per_year(tmp_path: Path):
    out = tmp_path / "outputs"
    m = copy.deepcopy(METRICS)
    m["cost"]["window"] = ["2018-01-31", "2018-01-31"]
    make_run(out, "byod", metrics=m)
    text = text_of(write_index(out).read_text(encoding="utf-8"))
    assert "the data carry no dates" in text and "2018-01-31 to 2018-01-31" not in text
    row = re.search(r"Cost of churn per year (\S+)", text)
    assert row and row.group(1) == "—"


# --------------------------------------------------------------------------- degenerate fits, contradictions


def test_an_sbg_without_heterogeneity_is_explained(tmp_path: Path):
    m = copy.deepcopy(METRICS)
    m["survival"]["sbg"].update(alpha=9e12, beta=2.1e14)
    text = text_of(write_report(make_run(tmp_path, "flat", metrics=m)).read_text(encoding="utf-8"))
    assert "no heterogeneity" in text and "renewal rate is constant at 95.9% a quarter" in text
    assert degenerate_note(0.5, 4.5) is None
    assert "no heterogeneity" in degenerate_note(9e12, 2.1e14, "month")


def test_p_alive_beside_the_churn_rate_is_explained(tmp_path: Path):
    m = copy.deepcopy(METRICS)
    m["data"].update(churn_rate=0.33, definition="inactivity")
    del m["survival"]["sbg"]
    m["survival"]["bgnbd"] = {"r": 0.5, "alpha": 4.0, "a": 0.001, "b": 2.0, "time_unit": "week",
                              "mean_p_alive": 0.999}
    text = text_of(write_report(make_run(tmp_path, "shop", metrics=m)).read_text(encoding="utf-8"))
    assert "mean P(alive) 99.9% beside 33% churned is not a contradiction" in text
    assert "drop-out probability per purchase is only 0.05%" in text
    assert p_alive_note(0.7, 0.3) is None and p_alive_note(0.999, None) is None


@pytest.mark.parametrize("cost_extra", [{"window": ["2018-01-31", "2018-01-31"]},
                                        {"window": ["2018-01-31", "2018-01-31"], "dated": False}])
def test_a_cost_window_of_data_without_dates_says_so(tmp_path: Path, cost_extra):
    m = copy.deepcopy(METRICS)
    m["cost"].update(cost_extra)
    text = text_of(write_report(make_run(tmp_path, "undated", metrics=m)).read_text(encoding="utf-8"))
    assert "2018-01-31 to 2018-01-31" not in text
    assert "the data carry no dates: all churners in the export, counted at 2018-01-31" in text
    assert "The data carry no dates, so churn cannot be placed in time" in text


def test_a_dated_window_is_shown_as_a_range(tmp_path: Path):
    text = text_of(write_report(make_run(tmp_path, "dated")).read_text(encoding="utf-8"))
    assert "2023-01-01 to 2025-12-31" in text and "carry no dates" not in text


def _cross(tmp_path: Path, name: str, **consistency) -> str:
    m = copy.deepcopy(METRICS)
    m["kpi"]["consistency"] = {"methods": {"period churn rate": 0.0109, "sBG: expected monthly churn": 0.0045,
                                           "survival: events per customer-month": 0.0117},
                               "tolerance": 0.25, **consistency}
    text = text_of(write_report(make_run(tmp_path, name, metrics=m)).read_text(encoding="utf-8"))
    return text[text.index("Churn rate cross-check"):]


def test_a_crosscheck_that_disagrees_states_the_gap_and_why(tmp_path: Path):
    note = ("sBG: expected monthly churn: 0.0045 a month, -59% against the period rate 0.0109 (more than "
            "the 25% tolerance). The sBG is fitted on cohorts acquired inside the data window only")
    text = _cross(tmp_path, "note", agree=False, note=note)
    assert "They do not agree within 25%: sBG: expected monthly churn: 0.0045 a month, -59%" in text
    assert "fitted on cohorts acquired inside the data window" in text


def test_an_older_crosscheck_without_note_still_states_the_gap(tmp_path: Path):
    text = _cross(tmp_path, "old", agree=False)
    assert "sBG: expected monthly churn is 0.45% a month, -59% against 1.09%" in text
    assert "survival: events per customer-month is" not in text          # within the tolerance
    assert "They agree" in _cross(tmp_path, "agree", agree=True)


def test_index_campaign_cell_names_the_recommended_policy_or_none(tmp_path: Path):
    out = tmp_path / "outputs"
    m = copy.deepcopy(METRICS)
    m["retention"] = {"currency": "EUR", "policies": {"by risk, differentiated offers": -5.0},
                      "recommended_policy": None, "recommendation": "none of the policies pays"}
    make_run(out, "nopay", metrics=m)
    m = copy.deepcopy(METRICS)
    m["retention"] = {"currency": "EUR", "policies": POLICIES, "optimal_target_share": 0.02,
                      "expected_profit": 936.0, "p_loss": 0.0}          # an older file
    make_run(out, "old", metrics=m)
    text = text_of(write_index(out).read_text(encoding="utf-8"))
    row = text[text.index("Recommended campaign"):text.index("Top driver")]
    assert "none pays" in row and "no targeting policy compared is expected to make a profit" in row
    assert "1,351 EUR expected profit, by risk × value, differentiated" in row   # not the 936 EUR plan
    assert "936" not in row


def test_policy_plan_falls_back_to_the_headline_fields_and_the_mass_campaign():
    m = copy.deepcopy(METRICS)
    m["retention"] = {"policies": POLICIES, "optimal_target_share": 0.02, "optimal_customers": 78,
                      "expected_profit": 936.0}
    ret = parse(m).retention
    assert facts.policy_plan(ret, "by risk, differentiated offers") == {
        "share": 0.02, "customers": 78, "expected_profit": 936.0}
    assert facts.policy_plan(ret, "mass campaign: everyone") == {"share": 1.0, "expected_profit": -109600.0}
    assert facts.policy_plan(ret, "by risk × value, differentiated") == {}
    assert facts.policy_plan(ret, None) == {}
