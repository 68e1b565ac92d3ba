"""Hazard ratios per SD under readable labels (churnlab.survival.readable, churnlab.features_meta)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import features_meta
from churnlab.survival.cox import cox_model
from churnlab.survival.readable import fmt_sd, hr_per_sd, per_sd, per_text, term_scale
from churnlab.survival.tv_cox import tv_cox


def customers(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    failures = rng.poisson(1.5, n).astype(float)
    plan = rng.choice(["two_year", "month_to_month"], n)
    rate = 0.05 * np.exp(0.4 * failures + 0.9 * (plan == "month_to_month"))
    t = rng.exponential(1 / rate)
    return pd.DataFrame({"duration": np.minimum(t, 24.0), "event": (t < 24).astype(int),
                         "payment_failures_mean": failures, "plan": plan})


def test_hr_per_sd_is_exp_beta_times_sd_of_the_fitted_lifelines_model():
    from lifelines import CoxPHFitter

    df = customers()
    res = cox_model(df, covariates=["payment_failures_mean", "plan"], reference={"plan": "two_year"})
    sd = df["payment_failures_mean"].std(ddof=1)
    assert res.scale == {"payment_failures_mean": pytest.approx(sd)}   # levels have no SD
    X = pd.get_dummies(df, columns=["plan"], dtype=float).drop(columns=["plan_two_year"])
    beta = CoxPHFitter().fit(X, "duration", "event").params_["payment_failures_mean"]   # independent fit
    table = per_sd(res.hazard_ratios, res.scale, reference=res.design.reference).set_index("term")
    row = table.loc["payment_failures_mean"]
    assert row["hr"] == pytest.approx(np.exp(beta * sd), rel=1e-4)
    assert row["hr_per_unit"] == pytest.approx(np.exp(beta), rel=1e-4)
    assert row["ci_low"] < row["hr"] < row["ci_high"]
    assert row["label"] == "Payment failures per month"
    assert row["per"] == f"per 1 SD = {fmt_sd(sd)} failures a month"
    level = table.loc["plan=month_to_month"]
    assert level["hr"] == pytest.approx(level["hr_per_unit"])              # a level is not rescaled
    assert level["label"] == "Contract plan: month to month" and level["per"] == "month to month vs two year"
    assert hr_per_sd(row["hr_per_unit"], sd) == pytest.approx(row["hr"])


def test_label_override_from_the_params_shows_up():
    df = customers()
    res = cox_model(df, covariates=["payment_failures_mean", "plan"], reference={"plan": "two_year"})
    labels = {"payment_failures_mean": "Failed card payments", "plan=month_to_month": "No contract"}
    table = per_sd(res.hazard_ratios, res.scale, labels=labels).set_index("term")
    assert table.loc["payment_failures_mean", "label"] == "Failed card payments"
    assert table.loc["plan=month_to_month", "label"] == "No contract"


def test_time_varying_model_keeps_the_sd_of_its_episodes():
    df = customers(300)
    ep = pd.DataFrame({"customer_id": np.arange(len(df)), "start": 0.0, "stop": df["duration"],
                       "event": df["event"], "complaints_so_far": df["payment_failures_mean"],
                       "plan": df["plan"]})
    res = tv_cox(ep, covariates=["complaints_so_far", "plan"])
    assert res.scale == {"complaints_so_far": pytest.approx(ep["complaints_so_far"].std(ddof=1))}


def test_labels_come_from_metadata_then_the_name():
    assert features_meta.label("dropped_calls_mean") == "Dropped calls per month"
    assert features_meta.label("n_complaints_per_month") == "Complaints per month"
    assert features_meta.label("widget_errors_mean") == "Widget errors (monthly mean)"
    assert features_meta.label("n_tickets") == "Number of tickets"
    assert features_meta.label("TotalCharges") == "Total charges"
    assert features_meta.label("x", {"x": "Mine"}) == "Mine"
    assert features_meta.term_label("region=north_east") == "Region: north east"
    assert features_meta.unit("payment_failures_mean") == "failures a month" and features_meta.unit("zzz") == ""


def test_scale_and_per_text_rules():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 5.0], "plan=x": [0, 1, 0]})
    assert term_scale(X, ["a", "b", "plan=x", "missing"]) == {"a": 1.0}   # constant and levels: none
    assert per_text("a", {"a": 1.0}) == "per 1 SD = 1"
    assert per_text("plan=x", {}, {"plan": "y_z"}) == "x vs y z"
    assert per_text("senior=True", {}, {"senior": "False"}) == "yes vs no"
    assert features_meta.term_label("senior=True") == "Senior customer: yes"
    assert fmt_sd(2.345) == "2.3" and fmt_sd(0.3123) == "0.31" and fmt_sd(1717.7) == "1,718"


def test_report_shows_hazard_ratios_per_sd_under_their_labels(tmp_path):
    import copy

    from churnlab.report import write_report

    from .test_report import METRICS, make_run, text_of

    m = copy.deepcopy(METRICS)
    m["survival"]["cox"].update({
        "hazard_ratios": {"payment_failures_mean": 1.5, "plan=one_year": 0.5},
        "scale": {"payment_failures_mean": 2.0},
        "labels": {"payment_failures_mean": "Failed card payments", "plan=one_year": "Contract plan: one year"},
        "per": {"payment_failures_mean": "per 1 SD = 2 failures a month", "plan=one_year": "one year vs two year"}})
    text = text_of(write_report(make_run(tmp_path, "hr", metrics=m)).read_text(encoding="utf-8"))
    assert "Failed card payments" in text and "per 1 SD = 2 failures a month" in text
    assert "×2.25 hazard" in text                       # 1.5 ** 2: per SD, not per unit
    assert "payment_failures_mean" not in text and "×1.5 hazard" not in text
    assert "one year vs two year" in text and ("×0.5 hazard" in text or "×0.50 hazard" in text)


def test_figure_section_shows_four_figures_each_with_what_to_read(tmp_path):
    import copy
    import re

    from churnlab.report import write_report
    from churnlab.report.figures import profit_curve_plot

    from .test_report import METRICS, images_of, make_run

    m = copy.deepcopy(METRICS)
    policy = next(iter(m["retention"]["policies"]))
    m["retention"]["profit_curves"] = {policy: {"0": 0.0, "0.05": 500.0, "0.5": 200.0, "1": -800.0},
                                       "mass campaign: everyone": {"0": 0.0, "1": -90000.0}}
    m["kpi"]["scorecard"] = [{"kpi": "monthly_churn", "period": "month", "value": 0.012, "target": 0.015,
                              "status": "on track", "unit": "%"}]
    html = write_report(make_run(tmp_path, "figs", metrics=m)).read_text(encoding="utf-8")
    section = html[html.index('id="figures"'):html.index("</section>", html.index('id="figures"'))]
    assert set(images_of(section)) == {"Share of customers still active",
                                       "Expected campaign profit by share of the list contacted",
                                       "Cost of churn by component", "Monthly churn rate against its target"}
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", section, flags=re.S)
    assert len(captions) == 4 and all("Read:" in c for c in captions)
    assert "The scorecard says: on track" in section
    ax = profit_curve_plot(m["retention"]["profit_curves"], recommended=policy, best=(0.05, 500.0))
    assert ax.get_ylim()[0] > -90000 and ax.get_ylim()[1] > 500           # the plan stays in view
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def test_profit_curve_points_for_metrics():
    from churnlab.economics.stage import curve_points

    curve = pd.DataFrame({"share": np.linspace(0, 1, 101), "profit": np.linspace(0, 100, 101)})
    pts = curve_points(curve)
    assert len(pts) == 51 and pts["0"] == 0.0 and pts["0.02"] == pytest.approx(2.0) and pts["1"] == 100.0
