"""The cross-study index: ``<out_root>/index.html``, every study folder side by side.

One column per study folder under ``out_root`` that has a ``metrics.json``
(hidden folders, e.g. a runner's temporary folder, are skipped), the same
headline rows for each, and a link to each study's ``report.html`` when it
exists. A study whose ``metrics.json`` does not match the current definition
gets a column that says so instead of numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from .. import metrics
from ..metrics import StudyMetrics
from ..economics.campaign import is_mass
from . import facts
from .format import DASH, NA_TEXT, esc, fmt_int, fmt_money, fmt_num, fmt_pct, na, num, plural, section
from .page import METRICS_FILE, REPORT_FILE, frame, read_manifest

INDEX_FILE = "index.html"

Row = Callable[[StudyMetrics, dict], object]
"""One index row: (metrics, manifest) -> the cell: text, or (value, label) where the label says
the value's horizon, definition and currency; None or DASH for "not available"."""


def _definition(m: StudyMetrics) -> str:
    return f"{m.data.definition} churn" if m.data and m.data.definition else "churn definition not recorded"


def _cur(m: StudyMetrics) -> str:
    return facts.currency(m) or "currency not recorded"


def _churn_rate(m: StudyMetrics, _mf: dict):
    d = m.data
    if d is None or num(d.churn_rate) is None:
        return DASH
    return fmt_pct(d.churn_rate), f"{_definition(m)}; share of all customers churned by {d.as_of or 'the end'}"


def _monthly(m: StudyMetrics, _mf: dict):
    latest = m.kpi.churn_rate_latest if m.kpi else None
    if latest is None or num(latest.month) is None:
        return DASH
    return fmt_pct(latest.month), f"a month (latest complete month); {_definition(m)}"


def _annualised(m: StudyMetrics, _mf: dict):
    if m.kpi is None or num(m.kpi.annualised_churn) is None:
        return DASH
    return fmt_pct(m.kpi.annualised_churn), f"a year (from the last 12 months); {_definition(m)}"


def _km_median(m: StudyMetrics, _mf: dict):
    km = m.survival.km if m.survival else None
    if km is None:
        return DASH
    if num(km.median) is None:
        return "not reached", _definition(m)
    return f"{fmt_num(km.median)} {plural(facts.time_unit(m), km.median)}", _definition(m)


def _concordance(m: StudyMetrics, _mf: dict) -> str:
    s = m.survival
    c, held = facts.cox_concordance(s.cox, s.validation) if s else (None, False)
    return DASH if c is None else f"{c:.2f} ({'held out' if held else 'in sample'})"


def _clv(m: StudyMetrics, _mf: dict):
    v = m.value
    if v is None or num(v.clv_mean) is None:
        return DASH
    h = num(v.horizon_months)
    horizon = f"{fmt_num(h)}-month horizon" if h is not None else "horizon not recorded"
    method = f"; {v.method}" if v.method else ""
    return fmt_money(v.clv_mean, v.currency or _cur(m)), f"{horizon}, per active customer{method}"


def _years(window: list[str] | None) -> float | None:
    """The length of a ``[start, end]`` ISO window in 365.25-day years (None if not two dates)."""
    try:
        start, end = (dt.date.fromisoformat(w[:10]) for w in (window or []))
    except (TypeError, ValueError):
        return None
    return (end - start).days / 365.25


def _cost_window(m: StudyMetrics) -> str:
    return facts.window_text(m.cost) or "window not recorded"


def _cost(m: StudyMetrics, _mf: dict):
    if m.cost is None or num(m.cost.total) is None:
        return DASH
    years = _years(m.cost.window)
    length = f" ({fmt_num(years)} years)" if years and not facts.undated(m.cost) else ""
    return fmt_money(m.cost.total, _cur(m)), f"{_cost_window(m)}{length}; {_definition(m)}"


def _cost_per_year(m: StudyMetrics, _mf: dict):
    """The cost of churn divided by the window's length in years: comparable across windows of
    different lengths (the cost is a sum over the window); none for data without dates."""
    if m.cost is None or num(m.cost.total) is None or facts.undated(m.cost):
        return DASH
    years = _years(m.cost.window)
    if not years or years < 1 / 12:
        return DASH
    return (fmt_money(m.cost.total / years, _cur(m)) + " a year",
            f"the total over the {fmt_num(years)}-year window, per year; {_definition(m)}")


def _per_churner(m: StudyMetrics, _mf: dict):
    value = facts.cost_per_churner(m)
    if value is None:
        return DASH
    return fmt_money(value, _cur(m)), f"per churner, {_cost_window(m)}; {_definition(m)}"


def _at_risk(m: StudyMetrics, _mf: dict):
    c = m.cost
    if c is None or num(c.revenue_at_risk) is None:
        return DASH
    h = num(c.revenue_at_risk_horizon_months)
    horizon = f"next {fmt_num(h)} months" if h is not None else "horizon not recorded"
    return (fmt_money(c.revenue_at_risk, _cur(m)),
            f"{horizon}: active customers' CLV × P(churn within it); {_definition(m)}")


def _campaign(m: StudyMetrics, _mf: dict):
    rec = facts.recommended_policy(m)
    if rec.policy is None:
        return ("none pays", "no targeting policy compared is expected to make a profit") if rec.reason else DASH
    plan = facts.policy_plan(m.retention, rec.policy)
    profit = num(plan.get("expected_profit", (m.retention.policies or {}).get(rec.policy)))
    if profit is None:
        return DASH
    share = num(plan.get("share"))
    who = f", top {fmt_pct(share)}" + (" (a mass campaign)" if is_mass(share) else "") if share is not None else ""
    return fmt_money(profit, _cur(m)), f"expected profit, {rec.policy}{who}"


def _top_reason(m: StudyMetrics, _mf: dict) -> str:
    shares = facts.exit_reason_shares(m)
    if not shares:
        return DASH
    key = next(iter(shares))
    return f"{key.replace('_', ' ')} ({fmt_pct(shares[key])})"


ROWS: list[tuple[str, Row]] = [
    ("Scenario", lambda m, mf: facts.scenario(mf)),
    ("As of", lambda m, mf: m.data and m.data.as_of),
    ("Data source", facts.source_text),
    ("Customers", lambda m, mf: fmt_int(m.data and m.data.n_customers)),
    ("Churn definition", lambda m, mf: m.data and m.data.definition),
    ("Currency", lambda m, mf: facts.currency(m)),
    ("Churn rate", _churn_rate),
    ("Latest monthly churn", _monthly),
    ("Annualised churn", _annualised),
    ("KM median lifetime", _km_median),
    ("Cox concordance", _concordance),
    ("Mean CLV", _clv),
    ("Cost of churn", _cost),
    ("Cost of churn per year", _cost_per_year),
    ("Cost per churner", _per_churner),
    ("Revenue at risk", _at_risk),
    ("Recommended campaign", _campaign),
    ("Top driver", lambda m, mf: facts.top_driver(m)),
    ("Top stated reason", _top_reason),
]
#: Rows whose figures depend on a horizon, a churn definition or a currency: every cell is labelled.
LABELLED = ("Churn rate", "Latest monthly churn", "Annualised churn", "KM median lifetime", "Mean CLV",
            "Cost of churn", "Cost of churn per year", "Cost per churner", "Revenue at risk",
            "Recommended campaign")


def studies(out_root: Path) -> list[Path]:
    """The study folders of ``out_root``: not hidden, with a ``metrics.json``."""
    return sorted(p for p in out_root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / METRICS_FILE).is_file())


def _load(run_dir: Path) -> tuple[StudyMetrics | None, str]:
    """The study's metrics, or None and why they cannot be read."""
    try:
        return metrics.load(run_dir), ""
    except (metrics.MetricsError, ValueError) as exc:
        return None, str(exc)


def _cell(text: object) -> str:
    """A table cell: the value, and under it its label (horizon, definition, currency) when the
    row gives ``(value, label)``."""
    value, lab = text if isinstance(text, tuple) else (text, None)
    if value is None or value == "" or value == DASH:
        return f'<td title="{NA_TEXT}">{DASH}</td>'
    if lab:
        return f'<td>{esc(value)}<br><span class="cell-label">{esc(lab)}</span></td>'
    return f"<td>{esc(value)}</td>"


def render_index(out_root: str | Path) -> str:
    """The HTML text of the cross-study index of ``out_root`` (see :func:`write_index`)."""
    out_root = Path(out_root)
    found = studies(out_root)
    body = ['<header class="top"><p class="eyebrow">Churn studies</p>',
            f"<h1>Studies compared ({len(found)})</h1>",
            '<p class="lede">Headline results of every study in this folder, side by side, '
            "from each study's metrics.json.</p></header>"]
    if not found:
        body.append(section("compare", "Comparison", na("Study results are")))
        return frame("Churn studies compared", "\n".join(body))
    loaded = [(p, *_load(p), read_manifest(p)) for p in found]
    head = '<th scope="col"></th>' + "".join(
        f'<th scope="col">{esc(facts.study_name(p, mf))}</th>' for p, _, _, mf in loaded)
    links = []
    for p, m, problem, _mf in loaded:
        if m is None:
            links.append(f'<td class="na" title="{esc(problem)}">metrics.json does not match this '
                         "churnlab version</td>")
        elif (p / REPORT_FILE).exists():
            links.append(f'<td><a href="{esc(p.name + "/" + REPORT_FILE)}">report</a></td>')
        else:
            links.append('<td class="na">no report yet</td>')
    rows = [f'<tr><th scope="row">Report</th>{"".join(links)}</tr>']
    for title, fn in ROWS:
        cells = "".join(_cell(fn(m, mf) if m is not None else None) for _p, m, _, mf in loaded)
        rows.append(f'<tr><th scope="row">{esc(title)}</th>{cells}</tr>')
    table = (f'<div style="overflow-x:auto"><table class="index"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    note = (f'<p class="note">{DASH} = {NA_TEXT}. The studies differ in horizon, churn definition and '
            "currency, so every figure that depends on them carries its own label under it: compare "
            "cells side by side only where the labels match. Figures are not converted between "
            "currencies. Two are normalised: the latest monthly and the annualised churn (per month and "
            "per year, from the KPI notebook) and the cost of churn per year (the total over the study "
            "window divided by its length in years). CLV and revenue at risk are not: a CLV over 36 "
            "months is not three times one over 12 (later months are discounted and fewer customers "
            "last), and a probability of churning within 12 months is not twice the 6-month one.</p>")
    body.append(section("compare", "Comparison", table + note))
    return frame("Churn studies compared", "\n".join(body))


def write_index(out_root: str | Path) -> Path:
    """Write ``<out_root>/index.html`` comparing every study folder with a metrics.json; return its path.

    One column per study (hidden folders skipped), the same headline rows for
    each, and a link to each study's ``report.html`` where it exists.
    """
    out_root = Path(out_root)
    path = out_root / INDEX_FILE
    path.write_text(render_index(out_root), encoding="utf-8")
    return path

