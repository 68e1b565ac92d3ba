"""The report and the index in the run's language (lang: zh), on fake run folders."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from churnlab import i18n
from churnlab.i18n.leaks import page_leaks
from churnlab.report import render_report, write_index, write_report
from churnlab.report.format import EN, prose, qty, span, tagged
from churnlab.report.index import index_language
from churnlab.report.page import run_language

from .test_report import MANIFEST, METRICS, images_of, make_run

ZH = i18n.catalogue("zh")

#: metrics.json as the stages write it (their notes in their own words), with every section filled
#: so that every sentence of the report is rendered
REAL = copy.deepcopy(METRICS)
REAL["causes"]["top_drivers"] = ["plan", "monthly_charge_change", "n_complaints", "tenure_months"]
REAL["causes"]["exit_reasons"] = {"price": 0.4, "service": 0.3, "competitor": 0.2, "no_longer_needed": 0.1}
REAL["causes"]["segment_churn"] = {"plan": {
    "month_to_month": {"rate": 0.3, "customers": 900, "ci_low": 0.27, "ci_high": 0.33},
    "one_year": {"rate": 0.1, "customers": 500, "ci_low": 0.08, "ci_high": 0.13}}}
REAL["warning"]["model_choice"] = "logistic drives the list: higher held-out ROC AUC (0.812 vs 0.800 for xgboost)"
REAL["warning"]["validation"] = ("time-ordered: trained on 10,931 rows from 2025-01-05, 2025-04-05; "
                                 "tested on 3,811 rows from 2025-10-02")
REAL["kpi"]["consistency"] = {
    "agree": False, "tolerance": 0.25,
    "methods": {"period churn rate (customers at the start of each month)": 0.0109,
                "sBG: expected monthly churn of the current base": 0.0045},
    "note": ("sBG: expected monthly churn of the current base: 0.0045 a month, -59% against the period rate "
             "0.0109 (more than the 25% tolerance). The sBG is fitted on cohorts acquired inside the data "
             "window only (young customers) and assumes each customer's churn probability never changes; "
             "where risk rises with tenure or contract ends bunch churn, its extrapolation to older "
             "customers drifts.")}
REAL["kpi"]["scorecard"] = [{"kpi": "monthly_churn", "value": 0.0116, "target": 0.015, "previous": 0.0114,
                             "trend": "up", "status": "on track", "unit": "%"}]
REAL["survival"]["cox"] = {
    "concordance": 0.71, "hazard_ratios": {"plan=month_to_month": 3.2, "region=west": 1.2, "senior=True": 0.8},
    "ph_violations": ["plan=month_to_month"], "scale": {},
    "labels": {"plan=month_to_month": "Contract plan: month to month", "region=west": "Region: west",
               "senior=True": "Senior customer: yes"},
    "per": {"plan=month_to_month": "month to month vs two year", "region=west": "west vs north",
            "senior=True": "yes vs no"}}
REAL["survival"]["sbg"]["alpha"], REAL["survival"]["sbg"]["beta"] = 9e12, 1e14  # degenerate: its note
REAL["survival"]["bgnbd"] = {"r": 1.2, "alpha": 2.4, "a": 0.01, "b": 40.6, "time_unit": "week",
                             "mean_p_alive": 0.4, "holdout": {"days": 181, "predicted": 28829.6, "actual": 27540.0}}
REAL["retention"]["save_rate_source"] = (
    "save rate from 1,062 offers of the save desk (a reactive rate: customers who asked to leave; assumed to "
    "hold for proactive offers to customers who have not)")
REAL["retention"]["recommendation"] = ("the highest expected profit of the 2 targeting policies compared, "
                                       "with a 1% chance of a loss")
REAL["retention"]["profit_curves"] = {"by risk × value, differentiated": {"0.02": 900.0, "0.04": 1300.0},
                                      "by risk, differentiated offers": {"0.02": 700.0, "0.04": 800.0}}
ZH_MANIFEST = copy.deepcopy(MANIFEST) | {"params": {"seed": 42, "lang": "zh"}}


def zh_run(root: Path, name: str = "alpha-zh", metrics: dict | None = None) -> Path:
    return make_run(root, name, metrics=REAL if metrics is None else metrics,
                    manifest=copy.deepcopy(ZH_MANIFEST) | {"study": name})


def test_language_of_a_run_is_its_manifests(tmp_path: Path):
    assert run_language({}) == "en" and run_language({"params": {"seed": 1}}) == "en"
    assert run_language({"params": {"lang": "zh"}}) == "zh"
    with pytest.raises(ValueError, match="lang"):
        run_language({"params": {"lang": "fr"}})
    en = write_report(make_run(tmp_path, "en")).read_text(encoding="utf-8")
    zh = write_report(zh_run(tmp_path)).read_text(encoding="utf-8")
    assert en.startswith('<!DOCTYPE html>\n<html lang="en">') and "WenQuanYi" not in en
    assert '<html lang="zh-CN">' in zh and "流失研究报告" in zh and "Churn study report" not in zh
    assert '"Noto Sans CJK SC"' in zh and '"WenQuanYi Micro Hei"' in zh  # CJK fonts in the CSS
    # the language can be chosen: the zh run's report in English is the English report of the same files
    assert render_report(tmp_path / "alpha-zh", "en").startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<html lang="zh-CN">' in render_report(tmp_path / "en", "zh")


def test_zh_report_has_no_english_prose(tmp_path: Path):
    path = write_report(zh_run(tmp_path))
    html = path.read_text(encoding="utf-8")
    assert page_leaks(path) == []
    for zh in ("核心 KPI", "客户为什么流失", "生存分析概览", "流失成本", "建议的行动", "已执行的笔记本",
               "四张图看懂本研究", "按风险 × 价值排序，差异化优惠", "价格", "合同类型：按月",
               "sBG 只用数据窗口内获取的客户队列",  # the KPI stage's note, translated
               "没有异质性",  # the sBG degenerate note
               "两者并不矛盾",  # the P(alive) note
               "挽留成功率来自挽留专席的 1,062 次优惠",  # the economics stage's save-rate source
               "预警名单由 logistic 模型生成"):  # the early-warning stage's model choice
        assert zh in html, zh
    assert len(images_of(html)) == 4


def test_zh_report_without_manifest_or_sections_has_no_english(tmp_path: Path):
    """The "not available" sentences, an older file's recommendation and the folder's notebooks."""
    bare = make_run(tmp_path, "bare", metrics={"data": METRICS["data"]}, manifest=False)
    (bare / "01_data_collection.html").write_text("<html></html>", encoding="utf-8")
    write_report(bare, "zh")
    assert page_leaks(bare / "report.html") == []
    html = (bare / "report.html").read_text(encoding="utf-8")
    assert "在本次运行中不可用" in html and "没有 manifest.json" in html
    older = copy.deepcopy(REAL)
    for key in ("recommendation", "recommended_policy", "policy_plans", "profit_curves"):
        older["retention"].pop(key)
    older["retention"]["fix_ranking"] = ["price", "service"]
    older["cost"]["dated"] = False
    run = zh_run(tmp_path, "older", metrics=older)
    write_report(run)
    assert page_leaks(run / "report.html") == []


def test_english_report_of_a_zh_capable_build_is_unchanged(tmp_path: Path):
    """English reads as it always did: no Chinese, the English CSS only, the same bytes twice."""
    run = make_run(tmp_path, "en", metrics=REAL)
    html = write_report(run).read_text(encoding="utf-8")
    assert html == render_report(run, "en")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in html)
    assert "Churn rate cross-check — period churn rate (customers at the start of each month): 1.09%" in html
    assert "logistic drives the list: higher held-out ROC AUC (0.812 vs 0.800 for xgboost)." in html
    assert "<td>plan = month to month</td>" in html  # segment words as before (no labels in English)


def test_index_takes_the_language_its_studies_share(tmp_path: Path):
    out = tmp_path / "out"
    zh_run(out, "a")
    zh_run(out, "b")
    assert index_language(out) == "zh"
    path = write_index(out)
    html = path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "研究对比（2 项）" in html
    assert '<a href="a/report.html">报告</a>' not in html  # no report written yet
    write_report(out / "a")
    html = write_index(out).read_text(encoding="utf-8")
    assert '<a href="a/report.html">报告</a>' in html and "尚无报告" in html
    assert page_leaks(path) == []
    make_run(out, "c")  # an English study: the index is English
    assert index_language(out) == "en"
    assert '<html lang="en">' in write_index(out).read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in write_index(out, "zh").read_text(encoding="utf-8")
    assert index_language(tmp_path / "out" / "a") == "en"  # no study in it


def test_zh_figures_are_drawn_with_a_cjk_font(tmp_path: Path, monkeypatch):
    from churnlab.report import figures

    seen = []
    real = figures.embed

    def spy(draw, **kw):
        def drawing(ax):
            out = draw(ax)
            seen.append((ax.get_title(), [t.get_fontfamily() for t in [ax.title]][0]))
            return out
        return real(drawing, **kw)

    monkeypatch.setattr("churnlab.report.sections.embed", spy)
    html = write_report(zh_run(tmp_path)).read_text(encoding="utf-8")
    titles = [t for t, _ in seen]
    assert "仍活跃的客户" in titles and "挽留活动预期利润" in titles and "流失成本从何而来" in titles
    cjk = i18n.fonts("zh")[1:]
    if cjk:  # a CJK font is installed (CI without one draws boxes, and says so elsewhere)
        assert all(cjk[0] in family for _, family in seen)
    assert 'alt="仍活跃客户的比例"' in html


def test_text_helpers():
    assert qty(EN, 1, "month") == "1 month" and qty(EN, 24, "month") == "24 months"
    assert qty(ZH, 24, "month") == "24 个月" and qty(ZH, 1, "week") == "1 周"
    assert qty(ZH, 2, "day", "3.5") == "3.5 天"
    assert span(EN, "a", "b") == "a to b" and span(ZH, "a", "b") == "a – b"
    assert tagged(EN, "seed", 42) == "seed 42" and tagged(ZH, "seed", 42) == "随机种子 42"
    assert tagged(ZH, "Validation:", "x") == "验证方式：x"  # no space after a full-width colon
    note = REAL["kpi"]["consistency"]["note"]
    assert prose(EN, note) == note
    zh = prose(ZH, note)
    assert "sBG：现有客户群的预期月流失率为每月 0.0045" in zh and i18n.english_prose(zh) == []
    assert prose(ZH, "Some sentence nobody translated. Another one here.") == \
        "Some sentence nobody translated. Another one here."


def test_catalogue_has_no_generic_template():
    """A template with little fixed text matches any sentence (``by {date}`` would turn every line
    starting with "by" into 截至 …); the report's templates each carry enough words of their own."""
    import yaml

    data = yaml.safe_load((Path(i18n.__file__).parent / "zh" / "report.yaml").read_text(encoding="utf-8"))
    short = [k for k in data if i18n.FIELD.search(k) and len(i18n.FIELD.sub("", k).strip()) < 9]
    assert short == []
    # and the labels a template could swallow are left alone
    assert ZH.lookup("Dropped calls per month") == "每月掉话次数"
    assert ZH.lookup("by risk, differentiated offers") == "按风险排序，差异化优惠"


def test_report_yaml_loads_without_conflicts():
    cat = i18n.Catalogue.load("zh")
    data = json.loads(json.dumps(cat.exact))
    assert data["Headline KPIs"] == "核心 KPI"
