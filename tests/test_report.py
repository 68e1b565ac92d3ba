"""The study report and the cross-study index (churnlab.report), on fake run folders."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from churnlab import report
from churnlab.metrics import MetricsError
from churnlab.report import check_links, fmt_int, fmt_money, fmt_pct, write_index, write_report
from churnlab.report.figures import churn_rate_plot, cost_plot, survival_plot

EVIL = "<script>alert('x')</script>"

METRICS = {
    "data": {
        "as_of": "2025-12-31", "churn_rate": 0.1234, "definition": "contractual",
        "n_customers": 12345, "n_churned": 1523, "source": "simulate",
        "median_duration_months": 30.5,
        "churned_by_definition": {"contractual": 1523, "contractual: involuntary": 123},
    },
    "kpi": {
        "churn_rate": {"month": {"2025-09": 0.0087, "2025-10": 0.0134, "2025-11": 0.0115, "2025-12": 0.0116}},
        "churn_rate_latest": {"month": 0.0116, "quarter": 0.0362, "year": 0.1203},
        "annualised_churn": 0.1287,
        "retention_rate_latest": {"month": 0.9884},
        "growth_rate_latest": 0.0059,
        "winback_rate": 0.05,
        "save_rate": None,
        "quick_ratio": 1.8,
        "scorecard": [
            {"kpi": "monthly_churn", "value": 0.0116, "target": 0.015, "previous": 0.0114,
             "trend": "up", "status": "on track", "unit": "%"},
            {"kpi": "growth_rate", "value": -0.01, "target": 0.0, "previous": 0.01,
             "trend": "down", "status": "off track", "unit": "%"},
            {"kpi": "quick_ratio", "value": 1.8, "target": 2.0, "previous": None,
             "trend": None, "status": "watch", "unit": "x"},
            {"kpi": "response_hours", "value": 18.7, "target": None, "previous": 19.4,
             "trend": "flat", "status": "no target", "unit": ""},
        ],
    },
    "causes": {
        "top_drivers": ["plan", EVIL, "tenure_months"],
        "exit_reasons": {"price": 0.4, "service": 0.35, "moved": 0.25},
    },
    "warning": {"auc": 0.8123, "auc_ci": [0.78, 0.84], "top_decile_lift": 3.14, "n_high_risk": 391,
                "model": "logistic", "model_choice": "logistic drives the list",
                "models": {"xgboost": {"roc_auc": 0.8}}, "validation": "time-ordered"},
    "survival": {
        "unit": "month",
        "km": {"median": 24.0, "median_ci": [22.0, 26.0], "rmst": 18.2, "rmst_tau": 24.0,
               "survival": {"3": 0.95, "12": 0.8, "24": 0.5}},
        "cox": {"concordance": 0.7123,
                "hazard_ratios": {"plan=month_to_month": 1.8, "senior=True": 1.05,
                                  "billing=annual": 0.5, "tiny": 1.0001,
                                  "region=west": 1.2, "csat_mean": 0.8},
                "ph_violations": ["plan=month_to_month"]},
        "aft": {"best": "Weibull", "aic": {"Weibull": 100.0, "LogNormal": 120.0}},
        "sbg": {"alpha": 0.5, "beta": 4.5, "period": "quarter", "holdout_mape": 0.07,
                "holdout_bias": -0.07, "holdout_error": {"5": -0.03, "6": -0.11}, "derl": 12.3},
    },
    "value": {"clv_mean": 648.3, "currency": "EUR", "horizon_months": 36, "clv_mean_ci": [640.2, 656.9],
              "method": "survival (AFT) expected discounted lifetime"},
    "cost": {"currency": "EUR", "total": 1234567.8, "churners": 1000,
             "components": {"direct": 100000.0, "indirect": 300000.0,
                            "lost_revenue": 800000.0, "opportunity": 34567.8},
             "revenue_at_risk": 244188.0, "revenue_at_risk_horizon_months": 12,
             "window": ["2023-01-01", "2025-12-31"]},
    "retention": {"currency": "EUR", "optimal_target_share": 0.0299795, "optimal_customers": 117,
                  "expected_profit": 1350.57, "break_even_save_rate": 0.3836, "save_rate": 0.5113,
                  "profit_p05": 751.4, "profit_p95": 1916.6, "p_loss": 0.01,
                  "policies": {"by risk, differentiated offers": 935.707,
                               "by risk × value, differentiated": 1350.57,
                               "mass campaign: everyone": -109600.0},
                  "policy": "by risk × value, differentiated",
                  "recommended_policy": "by risk × value, differentiated",
                  "recommendation": "the highest expected profit of the 2 targeting policies compared",
                  "policy_plans": {
                      "by risk, differentiated offers": {"share": 0.0199795, "customers": 78,
                                                         "expected_profit": 935.707, "p_loss": 0.0},
                      "by risk × value, differentiated": {"share": 0.0299795, "customers": 117,
                                                          "expected_profit": 1350.57, "p_loss": 0.01,
                                                          "profit_p05": 751.4, "profit_p95": 1916.6}},
                  "fix_ranking": [
                      {"reason": "price", "roi": 0.45, "investment": 50000.0, "value_saved_pv": 72500.0,
                       "value_lost_per_year": 90000.0, "share_of_churners": 0.4, "reduction": 0.3},
                      {"reason": "service", "roi": -0.61, "investment": 80000.0, "value_saved_pv": 31200.0,
                       "value_lost_per_year": 40000.0, "share_of_churners": 0.35, "reduction": 0.3},
                      {"reason": "moved", "roi": None, "investment": None, "value_saved_pv": None,
                       "value_lost_per_year": 20000.0, "share_of_churners": 0.25, "reduction": None}],
                  "fix_horizon_months": 36},
}

MANIFEST = {
    "study": "alpha", "scenario": "telecom", "seed": 42,
    "git": {"commit": "3061d42506f47bd07a916a326226fd7b8d043a5a", "dirty": False},
    "finished": "2026-11-22T16:05:23+00:00", "command": "churnlab run",
    "params": {"seed": 42, "fixes": {"price": {}, "service": {}}},
    "notebooks": [
        {"notebook": "01_data_collection.ipynb", "status": "ok", "seconds": 4.7},
        {"notebook": "02_cause_analysis.ipynb", "status": "ok", "seconds": 7.0},
        {"notebook": "04_cost_of_churn.ipynb", "status": "skipped",
         "reason": "the params have no value section"},
    ],
}


def make_run(root: Path, name: str, *, metrics: dict | None = None, manifest: dict | None | bool = True) -> Path:
    """A fake study folder: metrics.json, manifest.json and the HTML of the ok notebooks."""
    run = root / name
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps(METRICS if metrics is None else metrics), encoding="utf-8")
    if manifest:
        mf = copy.deepcopy(MANIFEST) if manifest is True else manifest
        if manifest is True:
            mf["study"] = name
        (run / "manifest.json").write_text(json.dumps(mf), encoding="utf-8")
        for rec in mf.get("notebooks", []):
            if rec["status"] == "ok":
                (run / rec["notebook"]).with_suffix(".html").write_text(
                    f"<html><body>{rec['notebook']}</body></html>", encoding="utf-8")
    return run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "outputs", "alpha")


def text_of(html: str) -> str:
    """Visible text, tags dropped, whitespace collapsed (entities kept)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def images_of(html: str) -> dict[str, Image.Image]:
    """The embedded PNG figures of a page, by alt text."""
    found = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', html)
    return {alt: Image.open(io.BytesIO(base64.b64decode(data))) for data, alt in found}


# --------------------------------------------------------------------------- formatting


def test_formatting_helpers():
    assert fmt_pct(0.1234) == "12.3%"
    assert fmt_pct(None) == "—" and fmt_pct(float("nan")) == "—" and fmt_pct("x") == "—"
    assert fmt_int(12345) == "12,345"
    assert fmt_money(1234567.8, "EUR") == "1,234,568 EUR"
    assert fmt_money(12.5, "EUR") == "12.50 EUR"
    assert fmt_money(0.0, "EUR") == "0 EUR"
    assert fmt_money(-109600, "EUR") == "-109,600 EUR"
    assert report.fmt_ratio(1.8) == "×1.80"


# --------------------------------------------------------------------------- the report


def test_report_is_written_with_formatted_numbers(run_dir: Path):
    path = write_report(run_dir)
    assert path == run_dir / "report.html" and path.exists()
    html = path.read_text(encoding="utf-8")
    text = text_of(html)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Churn study: alpha</title>" in html
    # header
    assert "12.3%" in text                      # churn rate 0.1234
    assert "12,345" in text and "1,523" in text
    assert "as of 2025-12-31" in text and "contractual churn" in text
    assert ("(MAPE) 7.0%, bias (actual − projected, share of actual) -7.0%, the same sign at every "
            "held-out age") in text
    assert "residual lifetime of a customer who has renewed once 12.3 quarters" in text
    assert "seed 42" in text and "3061d42506" in text and "2026-11-22 16:05 UTC" in text
    # KPIs and scorecard
    assert "1.2%" in text and "12.9%" in text   # latest monthly churn, annualised
    assert "1.80×" in text                      # quick ratio, unit x
    for cls, label in [("on-track", "on track"), ("off-track", "off track"),
                       ("watch", "watch"), ("no-target", "no target")]:
        assert f'<span class="badge {cls}">{label}</span>' in html
    assert "-1.0%" in text                      # a negative % scorecard value
    # causes
    assert "price" in text and "40.0%" in text
    assert "AUC" in text and "0.81" in text and "3.1 times as often" in text
    # survival
    assert "by month 24" in text and "(95% CI 22–26)" in text
    assert "×1.80 hazard" in text and "×0.50 hazard" in text and "50% lower risk" in text
    assert "tiny" not in text                   # only the 5 largest |log HR| of 6 terms
    assert "Weibull" in text and "α/(α+β) = 10.0%" in text
    # cost
    assert "1,234,568 EUR" in text and "1,235 EUR" in text  # total and per churner
    assert "244,188 EUR" in text and "648 EUR" in text
    assert "95% interval 640 EUR to 657 EUR" in text
    assert "64.8%" in text                      # lost revenue share of the total
    # actions
    assert ("Contact the top 3.0% of active customers (117 customers), policy: by risk × value, "
            "differentiated — expected profit 1,351 EUR") in text
    assert "Why this policy: the highest expected profit" in text
    assert "break even if at least 38.4%" in text.replace("breaks even", "break even")
    assert "936 EUR" in text and "-109,600 EUR" in text          # the policies compared
    assert "1. price (ROI +45%: saves 72,500 EUR over 36 months for 50,000 EUR invested)" in text
    assert "not worth fixing at the stated cost: service (ROI -61%)" in text
    assert "2. service" not in text and "no fix is costed for moved" in text


def test_report_has_only_the_hook_script(run_dir: Path):
    html = write_report(run_dir).read_text(encoding="utf-8")
    assert html.count("<script") == 1
    assert "document.body.dataset.brokenImages = String(n)" in html
    assert html.index("<script>") > html.index("</main>") and html.index("</script>") < html.index("</body>")
    assert "http://" not in html and "https://" not in html   # self-contained


def test_report_links_resolve(run_dir: Path):
    path = write_report(run_dir)
    html = path.read_text(encoding="utf-8")
    assert 'href="01_data_collection.html"' in html and 'href="02_cause_analysis.html"' in html
    assert "04_cost_of_churn.html" not in html      # skipped: listed, not linked
    assert "skipped" in html and "the params have no value section" in html
    assert check_links(path) == []


def test_report_embeds_its_figures_drawn_from_metrics(run_dir: Path):
    (run_dir / "figures").mkdir()                      # a leftover figures/ folder is not read
    (run_dir / "figures" / "churn_rate.png").write_bytes(b"not a png")
    html = write_report(run_dir).read_text(encoding="utf-8")
    assert "figures/" not in html
    images = images_of(html)
    assert set(images) == {"Monthly churn rate against its target", "Share of customers still active",
                           "Cost of churn by component"}   # no profit_curves in this file: no profit curve
    for alt, im in images.items():
        assert im.format == "PNG" and im.width > 500 and im.height > 300, alt
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 20, f"{alt}: almost blank"
    assert html.count('src="data:image/png;base64,') == 3


def test_figures_need_their_metrics(tmp_path: Path):
    m = copy.deepcopy(METRICS)
    m["kpi"]["churn_rate"] = {"month": {"2025-12": 0.0116}}   # one month: no line to draw
    del m["survival"]["km"]["survival"]
    m["cost"]["components"] = {"direct": None}
    html = write_report(make_run(tmp_path, "few", metrics=m)).read_text(encoding="utf-8")
    assert "<img" not in html
    assert "The cost breakdown is not available in this run" in text_of(html)


def test_plot_helpers_draw_on_given_or_new_axes():
    fig, ax = plt.subplots()
    assert churn_rate_plot({"2025-01": 0.01, "2025-02": None, "2025-03": 0.02}, ax=ax) is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-01", "2025-03"]
    plt.close(fig)
    ax = survival_plot({"12": 0.8, "3": 0.95}, median=30.0, median_ci=[25.0, None])
    assert list(ax.lines[0].get_xdata()) == [0.0, 3.0, 12.0]
    plt.close(ax.figure)
    ax = cost_plot({"direct": 1.0, "indirect": 2.0, "lost_revenue": 3.0, "opportunity": 0.0}, currency="EUR")
    assert [p.get_width() for p in ax.patches] == [1.0, 2.0, 3.0, 0.0, 6.0]   # the last bar is the total
    plt.close(ax.figure)


def test_report_rejects_metrics_that_do_not_match_the_definition(tmp_path: Path):
    m = copy.deepcopy(METRICS)
    m["retention"]["break_even_accept_rate"] = m["retention"].pop("break_even_save_rate")
    run = make_run(tmp_path, "old", metrics=m)
    with pytest.raises(MetricsError, match=r"retention\.break_even_accept_rate: unknown key "
                                           r"\(renamed to retention\.break_even_save_rate\)"):
        write_report(run)
    m = copy.deepcopy(METRICS)
    m["survival"]["km"]["medain"] = m["survival"]["km"].pop("median")
    m["kpi"]["grr"] = "n/a"
    (run / "metrics.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(MetricsError) as err:
        write_report(run)
    assert "survival.km.medain: unknown key" in str(err.value) and "kpi.grr" in str(err.value)


def test_report_ok_notebook_without_html_is_not_linked(run_dir: Path):
    (run_dir / "02_cause_analysis.html").unlink()
    path = write_report(run_dir)
    assert 'href="02_cause_analysis.html"' not in path.read_text(encoding="utf-8")
    assert check_links(path) == []


def test_missing_sections_say_not_available(tmp_path: Path):
    run = make_run(tmp_path, "bare", metrics={"data": METRICS["data"]}, manifest=False)
    html = write_report(run).read_text(encoding="utf-8")
    text = text_of(html)
    assert "12.3%" in text and "<img" not in html
    for what in ["KPIs (metrics.json section kpi) are not available in this run",
                 "Cause analysis (metrics.json sections causes, warning) is not available in this run",
                 "Survival results (metrics.json section survival) are not available in this run",
                 "Cost of churn (metrics.json sections cost, value) is not available in this run",
                 "Retention recommendations (metrics.json section retention) are not available in this run",
                 "The list of executed notebooks is not available in this run",
                 "What produced it: not available in this run (no manifest.json)"]:
        assert what in text


def test_partial_sections_are_tolerated(tmp_path: Path):
    m = copy.deepcopy(METRICS)
    m["kpi"] = {"churn_rate_latest": {"quarter": 0.02}, "scorecard": [], "grr": None}
    del m["causes"]["exit_reasons"]
    m["survival"]["km"]["median"] = None
    m["survival"]["cox"]["hazard_ratios"] = {}
    m["retention"] = {"currency": "EUR"}
    run = make_run(tmp_path, "partial", metrics=m)
    text = text_of(write_report(run).read_text(encoding="utf-8"))
    assert "Churn, latest quarter 2.0%" in text and "Churn, latest month" not in text
    assert "The KPI scorecard is not available in this run" in text
    assert "Stated exit reasons are not available in this run" in text
    assert "Median lifetime not reached" in text
    assert "A recommended campaign is not available in this run" in text


def test_text_is_escaped(tmp_path: Path):
    mf = copy.deepcopy(MANIFEST)
    mf["study"] = EVIL
    mf["notebooks"].append({"notebook": "05_<b>kpi</b>.ipynb", "status": "skipped", "reason": EVIL})
    run = make_run(tmp_path, "evil", manifest=mf)
    html = write_report(run).read_text(encoding="utf-8")
    assert EVIL not in html and "<b>kpi</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html   # study name and driver
    assert "<title>Churn study: &lt;script&gt;" in html
    assert html.count("<script") == 1


def test_report_is_deterministic(run_dir: Path):
    first = write_report(run_dir).read_bytes()
    assert write_report(run_dir).read_bytes() == first


def test_report_needs_metrics(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        write_report(tmp_path)


# --------------------------------------------------------------------------- the index


def test_index_lists_studies_and_links_reports(tmp_path: Path):
    out = tmp_path / "outputs"
    a = make_run(out, "alpha")
    m = copy.deepcopy(METRICS)
    m["data"]["churn_rate"] = 0.3812
    m["cost"]["currency"] = "GBP"
    m["causes"]["exit_reasons"] = {"service": 12, "price": 4}   # counts are normalised
    b = make_run(out, "beta", metrics=m)
    make_run(out, ".alpha.tmp-1234abcd")                        # a runner's temp folder: skipped
    (out / "notes").mkdir()                                       # no metrics.json: skipped
    write_report(a)
    write_report(b)
    path = write_index(out)
    assert path == out / "index.html"
    html = path.read_text(encoding="utf-8")
    text = text_of(html)
    assert "Studies compared (2)" in text
    assert '<th scope="col">alpha</th><th scope="col">beta</th>' in html
    assert 'href="alpha/report.html"' in html and 'href="beta/report.html"' in html
    assert "tmp-1234abcd" not in html and "notes" not in html
    assert "12.3%" in text and "38.1%" in text
    assert "1.2%" in text and "12.9%" in text                   # latest monthly / annualised churn
    assert "24 months" in text and "0.71" in text
    assert "1,234,568 EUR" in text and "1,234,568 GBP" in text and "1,235 EUR" in text
    assert "1,351 EUR" in text and "expected profit, by risk × value, differentiated, top 3.0%" in text
    assert "price (40.0%)" in text and "service (75.0%)" in text
    assert html.count("<script") == 1 and "brokenImages" in html
    assert check_links(path) == []


def test_index_without_reports_does_not_link(tmp_path: Path):
    out = tmp_path / "outputs"
    make_run(out, "alpha")
    make_run(out, "bare", metrics={"data": METRICS["data"]}, manifest=False)
    path = write_index(out)
    html = path.read_text(encoding="utf-8")
    assert "report.html" not in html and html.count("no report yet") == 2
    assert '<td title="not available in this run">—</td>' in html   # bare has no cost etc.
    assert check_links(path) == []


def test_index_shows_a_study_whose_metrics_do_not_match(tmp_path: Path):
    out = tmp_path / "outputs"
    make_run(out, "alpha")
    m = copy.deepcopy(METRICS)
    m["data"]["n_customer"] = 3
    make_run(out, "broken", metrics=m)
    html = write_index(out).read_text(encoding="utf-8")
    assert "metrics.json does not match this churnlab version" in html
    assert "data.n_customer: unknown key" in html                  # the reason, as a tooltip
    assert "12,345" in html                                        # alpha is still shown


def test_index_of_empty_folder(tmp_path: Path):
    text = text_of(write_index(tmp_path).read_text(encoding="utf-8"))
    assert "Studies compared (0)" in text and "not available in this run" in text


# --------------------------------------------------------------------------- link check


def test_check_links_reports_missing_relative_targets(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "here.html").write_text("x")
    (tmp_path / "a b.png").write_bytes(b"")
    page = tmp_path / "page.html"
    page.write_text(
        '<a href="sub/here.html#part">ok</a><a href="sub/here.html?x=1">ok</a>'
        '<img src="a%20b.png"><a href="missing.html">x</a><img src="figures/none.png" />'
        '<a href="http://example.com/x">x</a><a href="https://example.com">x</a>'
        '<a href="mailto:a@b.c">x</a><a href="#top">x</a><img src="data:image/png;base64,AAAA">'
        '<a href="missing.html">again</a><a>no href</a><link href="style.css">',
        encoding="utf-8")
    assert check_links(page) == ["missing.html", "figures/none.png", "style.css"]


def test_header_lifetime_is_the_kaplan_meier_median_not_the_naive_one(run_dir: Path, tmp_path: Path):
    """The header shows the KM median (24, CI 22–26), never the median of observed durations
    (30.5 here), which treats censored customers' durations so far as lifetimes; without a
    survival section the naive median is shown, labelled biased low."""
    header = text_of(write_report(run_dir).read_text(encoding="utf-8")).split("Headline KPIs")[0]
    assert "Median lifetime 24 months (Kaplan–Meier, 95% CI 22–26)" in header and "30.5" not in header
    bare = make_run(tmp_path, "bare", metrics={"data": METRICS["data"]}, manifest=False)
    header = text_of(write_report(bare).read_text(encoding="utf-8")).split("KPIs")[0]
    assert "Median duration 30.5 months so far, censored included (biased low)" in header
    unreached = copy.deepcopy(METRICS)
    unreached["survival"]["km"]["median"] = None
    run = make_run(tmp_path, "unreached", metrics=unreached, manifest=False)
    assert "Median lifetime not reached" in text_of(write_report(run).read_text(encoding="utf-8"))
