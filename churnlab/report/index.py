"""The cross-study index: ``<out_root>/index.html``, every study folder side by side.

One column per study folder under ``out_root`` that has a ``metrics.json``
(hidden folders, e.g. a runner's temporary folder, are skipped), the same
headline rows for each, and a link to each study's ``report.html`` when it
exists. A study whose ``metrics.json`` does not match the current definition
gets a column that says so instead of numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .. import metrics
from ..metrics import StudyMetrics
from . import facts
from .format import DASH, NA_TEXT, esc, fmt_int, fmt_money, fmt_num, fmt_pct, na, num, plural, section
from .page import METRICS_FILE, REPORT_FILE, frame, read_manifest

INDEX_FILE = "index.html"

Row = Callable[[StudyMetrics, dict], object]
"""One index row: (metrics, manifest) -> the cell text (None or DASH for "not available")."""


def _km_median(m: StudyMetrics, _mf: dict) -> str:
    km = m.survival.km if m.survival else None
    if km is None:
        return DASH
    if num(km.median) is None:
        return "not reached"
    return f"{fmt_num(km.median)} {plural(facts.time_unit(m), km.median)}"


def _concordance(m: StudyMetrics, _mf: dict) -> str:
    s = m.survival
    c, held = facts.cox_concordance(s.cox, s.validation) if s else (None, False)
    return DASH if c is None else f"{c:.2f} ({'held out' if held else 'in sample'})"


def _best_profit(m: StudyMetrics, _mf: dict) -> str:
    name, value = facts.best_policy(m)
    if value is None:
        return DASH
    return fmt_money(value, facts.currency(m)) + (f" ({name})" if name else "")


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
    ("Churn rate", lambda m, mf: fmt_pct(m.data and m.data.churn_rate)),
    ("Latest monthly churn", lambda m, mf: fmt_pct(m.kpi and m.kpi.churn_rate_latest
                                                   and m.kpi.churn_rate_latest.month)),
    ("Annualised churn", lambda m, mf: fmt_pct(m.kpi and m.kpi.annualised_churn)),
    ("KM median lifetime", _km_median),
    ("Cox concordance", _concordance),
    ("Mean CLV", lambda m, mf: fmt_money(m.value and m.value.clv_mean, facts.currency(m))),
    ("Cost of churn", lambda m, mf: fmt_money(m.cost and m.cost.total, facts.currency(m))),
    ("Cost per churner", lambda m, mf: fmt_money(facts.cost_per_churner(m), facts.currency(m))),
    ("Revenue at risk", lambda m, mf: fmt_money(m.cost and m.cost.revenue_at_risk, facts.currency(m))),
    ("Best campaign profit", _best_profit),
    ("Top driver", lambda m, mf: facts.top_driver(m)),
    ("Top stated reason", _top_reason),
]


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
    if text is None or text == "" or text == DASH:
        return f'<td title="{NA_TEXT}">{DASH}</td>'
    return f"<td>{esc(text)}</td>"


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
    note = (f'<p class="note">{DASH} = {NA_TEXT}. Money is in each study\'s own currency. '
            "Latest monthly and annualised churn come from the KPI notebook.</p>")
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

