"""The study report and the cross-scenario index: self-contained HTML from a run's results.

- :func:`write_report` writes ``<run_dir>/report.html``, a one-page summary of
  one study, generated only from ``<run_dir>/metrics.json`` and (if present)
  ``manifest.json``, with links to the executed notebooks' HTML and the PNGs in
  ``<run_dir>/figures/``. Every section is rendered only when its metrics
  exist; otherwise it says "not available in this run".
- :func:`write_index` writes ``<out_root>/index.html``: one column per study
  folder under ``out_root`` (with a ``metrics.json``), the same headline rows
  for each, and a link to each study's ``report.html`` when it exists.
- :func:`check_links` lists the relative ``href``/``src`` targets of an HTML
  file that do not exist on disk.

The pages are plain HTML with inline CSS and no external resources. The only
script, at the end of ``<body>``, counts images that failed to load and sets
``document.body.dataset.brokenImages`` (``data-broken-images`` on ``<body>``),
a hook for the browser test.

Number formats: counts with thousands separators (``5,000``), shares as
percentages with one decimal (``0.1234`` -> ``12.3%``), money as ``1,164,467 EUR``
(two decimals below 100). In the KPI scorecard, ``unit: "%"`` values are
fractions like every rate in ``metrics.json`` (``0.05`` is shown as ``5.0%``).
No timestamps of their own: the same results give the same pages.
"""

from __future__ import annotations

import html
import json
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlsplit

REPORT_FILE = "report.html"
INDEX_FILE = "index.html"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "manifest.json"
FIGURES_DIR = "figures"

DASH = "—"
NA_TEXT = "not available in this run"

# =========================================================================== formatting


def esc(value: Any) -> str:
    """``value`` as escaped HTML text (quotes too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(x: Any) -> float | None:
    """``x`` as a finite float, or None (bools, strings, NaN and None are not numbers)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def fmt_int(x: Any) -> str:
    """A count with thousands separators: ``5000`` -> ``5,000``."""
    n = _num(x)
    return DASH if n is None else f"{round(n):,}"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.1234`` -> ``12.3%``."""
    n = _num(x)
    return DASH if n is None else f"{n * 100:,.{digits}f}%"


def fmt_num(x: Any) -> str:
    """A readable number: three significant digits, separators from 1,000, e-notation from 1e6."""
    n = _num(x)
    if n is None:
        return DASH
    a = abs(n)
    if a >= 1e6:
        return f"{n:.3g}"
    if a >= 1000:
        return f"{n:,.0f}"
    if a == 0:
        return "0"
    return f"{n:.3g}"


def fmt_money(x: Any, currency: str | None = None) -> str:
    """Money: ``1164466.8`` -> ``1,164,467 EUR``; two decimals below 100."""
    n = _num(x)
    if n is None:
        return DASH
    text = f"{n:,.0f}" if abs(n) >= 100 or n == 0 else f"{n:,.2f}"
    return f"{text} {currency}" if currency else text


def fmt_ratio(x: Any) -> str:
    """A multiplier: ``1.8`` -> ``×1.80``."""
    n = _num(x)
    if n is None:
        return DASH
    if abs(n) >= 1000:
        return f"×{n:,.0f}"
    if abs(n) >= 10:
        return f"×{n:.1f}"
    return f"×{n:.2f}"


def fmt_unit(x: Any, unit: str | None) -> str:
    """A scorecard value in its unit: ``%`` (a fraction), ``x`` (a ratio) or plain."""
    if unit == "%":
        return fmt_pct(x)
    if unit == "x":
        n = _num(x)
        return DASH if n is None else f"{n:.2f}×"
    return fmt_num(x)


def _get(data: Any, path: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``path="a.b"``; ``default`` when any step is missing."""
    cur = data
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return default if cur is None else cur


def _words(name: str) -> str:
    """``no_longer_needed`` -> ``no longer needed``."""
    return str(name).replace("_", " ")


_ACRONYMS = {"grr": "GRR", "nrr": "NRR", "clv": "CLV", "auc": "AUC", "mrr": "MRR", "arr": "ARR",
             "arpu": "ARPU", "nps": "NPS", "csat": "CSAT", "cac": "CAC", "ltv": "LTV"}


def _label(name: str) -> str:
    """A KPI key as a label: ``monthly_churn`` -> ``Monthly churn``, ``nrr`` -> ``NRR``."""
    words = [_ACRONYMS.get(w.lower(), w) for w in _words(name).split()]
    if words and words[0] == words[0].lower():
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def _na(what: str) -> str:
    return f'<p class="na">{esc(what)} {NA_TEXT}.</p>'


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


# =========================================================================== page frame

CSS = """
:root { --ink:#1d2330; --muted:#5b6475; --line:#e3e6ec; --bg:#f4f5f8; --panel:#fff;
        --accent:#2f5fb3; --good:#1e7b45; --warn:#a86400; --bad:#b42318; --grey:#667085; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
             "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
header.top { margin-bottom: 18px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted);
           margin: 0 0 4px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; color: var(--ink); }
p { margin: 6px 0; }
.lede { color: var(--muted); margin: 0 0 14px; font-size: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
          padding: 18px 22px 20px; margin: 16px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 10px;
         margin: 10px 0 6px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
section .card { background: #f9fafc; }
.card .label { font-size: 12px; color: var(--muted); }
.card .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px;
               overflow-wrap: anywhere; }
.card .value.small { font-size: 16px; font-weight: 600; }
.card .sub { font-size: 12px; color: var(--muted); }
.prov { color: var(--muted); font-size: 13px; margin-top: 10px; overflow-wrap: anywhere; }
.note { color: var(--muted); font-size: 13px; }
.na { color: var(--grey); font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
     font-weight: 600; background: #f9fafc; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.best td { background: #eef6f0; font-weight: 600; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
         white-space: nowrap; border: 1px solid transparent; }
.badge.on-track { background: #e6f4ea; color: var(--good); border-color: #b7dfc3; }
.badge.watch { background: #fff4e0; color: var(--warn); border-color: #f3d39b; }
.badge.off-track { background: #fdecea; color: var(--bad); border-color: #f5c2bd; }
.badge.no-target, .badge.unknown { background: #eef0f3; color: var(--grey); border-color: #d9dde3; }
.badge.ok { background: #e6f4ea; color: var(--good); }
.badge.skipped { background: #eef0f3; color: var(--grey); }
.badge.failed { background: #fdecea; color: var(--bad); }
.bar { background: #eef1f6; border-radius: 4px; height: 14px; min-width: 120px; position: relative; }
.bar > span { display: block; height: 100%; border-radius: 4px; background: var(--accent); }
td.barcell { width: 45%; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
@media (max-width: 820px) { .two { grid-template-columns: 1fr; } }
ol.chips { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px;
           counter-reset: chip; }
ol.chips li { counter-increment: chip; background: #eef3fb; border: 1px solid #d6e2f5; border-radius: 6px;
              padding: 2px 9px; font-size: 13px; }
ol.chips li::before { content: counter(chip) ". "; color: var(--muted); }
ul.actions { padding-left: 20px; margin: 6px 0; }
ul.actions li { margin: 6px 0; }
figure { margin: 14px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
             background: #fff; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
a { color: var(--accent); }
code { font-size: 13px; background: #f1f3f6; padding: 0 4px; border-radius: 4px; }
table.index th[scope=row] { text-transform: none; letter-spacing: 0; font-size: 13px; color: var(--ink);
                            background: #f9fafc; white-space: nowrap; }
table.index td { font-size: 14px; }
table.index thead th { font-size: 14px; text-transform: none; color: var(--ink); }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
"""

BROKEN_IMAGES_SCRIPT = """<script>
window.addEventListener("load", function () {
  var n = 0;
  document.querySelectorAll("img").forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) { n += 1; }
  });
  document.body.dataset.brokenImages = String(n);
});
</script>"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n{BROKEN_IMAGES_SCRIPT}\n</body>\n</html>\n"
    )


def _card(label: str, value: str, sub: str = "", *, small: bool = False) -> str:
    """A fact card; ``value`` and ``sub`` are already-escaped HTML."""
    cls = "value small" if small else "value"
    sub_html = f'<div class="sub">{sub}</div>' if sub else ""
    return (f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="{cls}">{value}</div>{sub_html}</div>')


def _section(anchor: str, title: str, inner: str) -> str:
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{inner}\n</section>'


def _table(head: Iterable[tuple[str, bool]], rows: Iterable[Iterable[tuple[str, bool]]],
           *, row_classes: Iterable[str] | None = None) -> str:
    """A table from already-escaped cells; each cell is (html, numeric)."""
    hs = "".join(f'<th class="num">{h}</th>' if n else f"<th>{h}</th>" for h, n in head)
    body = []
    classes = list(row_classes) if row_classes is not None else None
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        tds = "".join(f'<td class="num">{c}</td>' if n else f"<td>{c}</td>" for c, n in row)
        body.append(f"<tr{cls}>{tds}</tr>")
    return f"<table><thead><tr>{hs}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _bar(share: float) -> str:
    width = max(0.0, min(1.0, share)) * 100
    return f'<div class="bar"><span style="width:{width:.1f}%"></span></div>'


# =========================================================================== study facts


def _study_name(run_dir: Path, manifest: dict) -> str:
    return str(manifest.get("study") or run_dir.name)


def _currency(metrics: dict) -> str:
    return str(_get(metrics, "cost.currency") or _get(metrics, "value.currency")
               or _get(metrics, "retention.currency") or "")


def _source_text(metrics: dict, manifest: dict) -> str:
    source = _get(metrics, "data.source")
    inputs = {k: v for k, v in (manifest.get("inputs") or {}).items()
              if k not in ("params_file", "simulator") and isinstance(v, dict)}
    if source == "simulate":
        return "simulated data"
    if source == "files":
        names = [Path(str(v.get("path", ""))).name for v in inputs.values() if v.get("path")]
        return "your files" + (f": {', '.join(names)}" if names else "")
    return str(source) if source else DASH


def _time_unit(metrics: dict) -> str:
    return str(_get(metrics, "survival.unit") or "month")


def _plural(unit: str, n: float | None) -> str:
    return unit if n is not None and abs(n) == 1 else unit + "s"


def _date(text: Any) -> str:
    """``2026-11-22T16:05:23+00:00`` -> ``2026-11-22 16:05 UTC``."""
    s = str(text or "")
    m = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]00:00)?$", s)
    if m:
        return f"{m.group(1)} {m.group(2)}" + (" UTC" if m.group(3) else "")
    return s


def _best_policy(metrics: dict) -> tuple[str | None, float | None]:
    """The campaign policy with the highest expected profit (else the recommended plan's profit)."""
    policies = _get(metrics, "retention.policies")
    if isinstance(policies, dict):
        nums = {k: _num(v) for k, v in policies.items() if _num(v) is not None}
        if nums:
            name = max(nums, key=lambda k: nums[k])
            return name, nums[name]
    return None, _num(_get(metrics, "retention.expected_profit"))


def _exit_reason_shares(metrics: dict) -> dict[str, float]:
    """Stated exit reasons as shares (normalised if the file holds counts), largest first."""
    reasons = _get(metrics, "causes.exit_reasons")
    if not isinstance(reasons, dict):
        return {}
    nums = {str(k): _num(v) for k, v in reasons.items() if _num(v) is not None}
    total = sum(nums.values())
    if total > 1.0001:  # counts rather than shares
        nums = {k: v / total for k, v in nums.items()}
    return dict(sorted(nums.items(), key=lambda kv: (-kv[1], kv[0])))


def _ranked_names(items: Any) -> list[str]:
    """Names from a list of strings or of dicts with a name-like key."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            name = item.get("reason") or item.get("name") or item.get("feature") or item.get("fix")
            if name is not None:
                out.append(str(name))
        elif item is not None:
            out.append(str(item))
    return out


# =========================================================================== report sections


def _header(run_dir: Path, metrics: dict, manifest: dict) -> str:
    study = _study_name(run_dir, manifest)
    scenario = manifest.get("scenario") or _get(manifest, "params.scenario")
    data = metrics.get("data") if isinstance(metrics.get("data"), dict) else None
    lede = []
    if scenario:
        lede.append(f"scenario {esc(scenario)}")
    if data:
        if data.get("as_of"):
            lede.append(f"as of {esc(data['as_of'])}")
        if data.get("definition"):
            lede.append(f"{esc(data['definition'])} churn")
        lede.append(esc(_source_text(metrics, manifest)))
    out = ['<header class="top">', '<p class="eyebrow">Churn study report</p>',
           f"<h1>{esc(study)}</h1>"]
    if lede:
        out.append(f'<p class="lede">{" · ".join(lede)}</p>')
    if data:
        unit = "months"
        cards = [
            _card("Customers", esc(fmt_int(data.get("n_customers")))),
            _card("Churned", esc(fmt_int(data.get("n_churned")))),
            _card("Churn rate", esc(fmt_pct(data.get("churn_rate"))),
                  esc(f"by {data['as_of']}") if data.get("as_of") else ""),
            _card("Churn definition", esc(data.get("definition") or DASH), small=True),
            _card("Data source", esc(_source_text(metrics, manifest)), small=True),
            _card("Median duration", esc(fmt_num(data.get("median_duration_months"))),
                  esc(f"{unit}, censored included")),
        ]
        out.append(f'<div class="cards">{"".join(cards)}</div>')
        others = {k: v for k, v in (data.get("churned_by_definition") or {}).items()
                  if k != data.get("definition")}
        if others:
            parts = ", ".join(f"{esc(k)} {esc(fmt_int(v))}" for k, v in others.items())
            out.append(f'<p class="note">Churners under other definitions / by end reason: {parts}.</p>')
    else:
        out.append(_na("The data summary (metrics.json section data) is"))
    out.append(_provenance(manifest))
    out.append("</header>")
    return "\n".join(out)


def _provenance(manifest: dict) -> str:
    if not manifest:
        return f'<p class="prov">What produced it: {NA_TEXT} (no manifest.json).</p>'
    parts = []
    seed = manifest.get("seed", _get(manifest, "params.seed"))
    if seed is not None:
        parts.append(f"seed {esc(seed)}")
    commit = _get(manifest, "git.commit")
    if commit:
        dirty = " (with uncommitted changes)" if _get(manifest, "git.dirty") else ""
        parts.append(f"git commit <code>{esc(str(commit)[:10])}</code>{esc(dirty)}")
    if manifest.get("finished") or manifest.get("started"):
        parts.append(f"finished {esc(_date(manifest.get('finished') or manifest.get('started')))}")
    version = _get(manifest, "packages.churnlab")
    if version:
        parts.append(f"churnlab {esc(version)}")
    if manifest.get("command"):
        parts.append(f"command <code>{esc(manifest['command'])}</code>")
    text = " · ".join(parts) if parts else NA_TEXT
    return f'<p class="prov">What produced it: {text}.</p>'


_KPI_CARDS = [
    # (key, sub-key or None, label, kind)
    ("churn_rate_latest", "month", "Churn, latest month", "pct"),
    ("churn_rate_latest", "quarter", "Churn, latest quarter", "pct"),
    ("churn_rate_latest", "year", "Churn, latest year", "pct"),
    ("annualised_churn", None, "Annualised churn", "pct"),
    ("retention_rate_latest", "month", "Retention, latest month", "pct"),
    ("retention_rate_latest", "quarter", "Retention, latest quarter", "pct"),
    ("retention_rate_latest", "year", "Retention, latest year", "pct"),
    ("growth_rate_latest", None, "Customer growth, latest", "pct"),
    ("winback_rate", None, "Win-back rate", "pct"),
    ("save_rate", None, "Save rate", "pct"),
    ("grr", None, "Gross revenue retention", "pct"),
    ("nrr", None, "Net revenue retention", "pct"),
    ("quick_ratio", None, "Quick ratio", "x"),
]

_STATUS_CLASS = {"on track": "on-track", "watch": "watch", "off track": "off-track", "no target": "no-target"}
_TREND = {"up": "↑ up", "down": "↓ down", "flat": "→ flat"}


def _kpi_section(metrics: dict) -> str:
    kpi = metrics.get("kpi")
    if not isinstance(kpi, dict) or not kpi:
        return _section("kpis", "Headline KPIs", _na("KPIs (metrics.json section kpi) are"))
    cards = []
    for key, sub, label, kind in _KPI_CARDS:
        value = kpi.get(key)
        if sub is not None:
            if isinstance(value, dict):
                value = value.get(sub)
            elif sub == "month":  # a single number stands for the latest period: show it once
                label = label.replace("latest month", "latest period")
            else:
                value = None
        n = _num(value)
        if n is None:
            continue
        text = fmt_pct(n) if kind == "pct" else f"{n:.2f}×"
        cards.append(_card(label, esc(text)))
    inner = [f'<div class="cards">{"".join(cards)}</div>' if cards
             else _na("Headline KPI values are")]
    inner.append("<h3>Scorecard</h3>")
    scorecard = kpi.get("scorecard")
    rows, classes = [], []
    if isinstance(scorecard, list):
        for item in scorecard:
            if not isinstance(item, dict):
                continue
            unit = item.get("unit")
            status = str(item.get("status") or "unknown")
            badge = f'<span class="badge {_STATUS_CLASS.get(status, "unknown")}">{esc(status)}</span>'
            trend = _TREND.get(item.get("trend"), DASH) if item.get("trend") else DASH
            rows.append([(esc(_label(item.get("kpi") or DASH)), False),
                         (esc(fmt_unit(item.get("value"), unit)), True),
                         (esc(fmt_unit(item.get("target"), unit)), True),
                         (esc(fmt_unit(item.get("previous"), unit)), True),
                         (esc(trend), False), (badge, False)])
            classes.append("")
    if rows:
        inner.append(_table([("KPI", False), ("Value", True), ("Target", True), ("Previous", True),
                             ("Trend", False), ("Status", False)], rows, row_classes=classes))
    else:
        inner.append(_na("The KPI scorecard is"))
    methods = _get(kpi, "consistency.methods")
    if isinstance(methods, dict) and methods:
        vals = "; ".join(f"{k}: {fmt_pct(v, 2)}" for k, v in methods.items() if _num(v) is not None)
        agree = _get(kpi, "consistency.agree")
        tol = _num(_get(kpi, "consistency.tolerance"))
        verdict = ""
        if isinstance(agree, bool):
            verdict = (" They agree" if agree else " They do not agree") + (
                f" within {fmt_pct(tol, 0)}." if tol is not None else ".")
        inner.append(f'<p class="note">Churn rate cross-check — {esc(vals)}.{esc(verdict)}</p>')
    return _section("kpis", "Headline KPIs", "\n".join(inner))


def _causes_section(metrics: dict) -> str:
    causes = metrics.get("causes") if isinstance(metrics.get("causes"), dict) else {}
    warning = metrics.get("warning") if isinstance(metrics.get("warning"), dict) else {}
    if not causes and not warning:
        return _section("causes", "Why customers leave",
                        _na("Cause analysis (metrics.json sections causes, warning) is"))
    left, right = [], []

    left.append("<h3>What churners say: stated exit reasons</h3>")
    shares = _exit_reason_shares(metrics)
    if shares:
        top = max(shares.values())
        rows = [[(esc(_words(k)), False), (_bar(v / top if top > 0 else 0), False), (esc(fmt_pct(v)), True)]
                for k, v in shares.items()]
        left.append(_table([("Reason", False), ("", False), ("Share", True)], rows)
                    .replace("<td><div class=\"bar\"", "<td class=\"barcell\"><div class=\"bar\""))
    else:
        left.append(_na("Stated exit reasons are"))

    left.append("<h3>What the data reveal: top drivers</h3>")
    drivers = _ranked_names(causes.get("top_drivers"))
    if drivers:
        chips = "".join(f"<li>{esc(_words(d))}</li>" for d in drivers[:10])
        left.append('<p class="note">Features the early-warning model relies on most '
                    '(mean absolute SHAP value), strongest first.</p>'
                    f'<ol class="chips">{chips}</ol>')
    else:
        left.append(_na("Revealed drivers are"))

    right.append("<h3>Early-warning model quality</h3>")
    auc, lift = _num(warning.get("auc")), _num(warning.get("top_decile_lift"))
    if auc is not None or lift is not None:
        cards = []
        if auc is not None:
            base = _num(_get(warning, "baseline.roc_auc"))
            cards.append(_card("AUC (held out)", esc(f"{auc:.2f}"),
                               esc(f"logistic baseline {base:.2f}") if base is not None else "0.5 = random"))
        if lift is not None:
            cards.append(_card("Top-decile lift", esc(f"{lift:.1f}×"), "riskiest 10% vs average"))
        if _num(warning.get("n_high_risk")) is not None:
            cards.append(_card("Flagged high risk", esc(fmt_int(warning["n_high_risk"])), "active customers"))
        right.append(f'<div class="cards">{"".join(cards)}</div>')
        sentence = []
        if lift is not None:
            sentence.append(f"The 10% of customers the model rates riskiest go on to churn {lift:.1f} times "
                            "as often as the average customer")
        if auc is not None:
            sentence.append(f"it ranks a random churner above a random stayer {auc:.0%} of the time")
        right.append(f"<p>{esc('; '.join(sentence))}.</p>")
        if warning.get("validation"):
            right.append(f'<p class="note">Validation: {esc(warning["validation"])}.</p>')
    else:
        right.append(_na("Early-warning model metrics are"))

    seg = causes.get("segment_churn")
    overall = _num(_get(metrics, "data.churn_rate"))
    if isinstance(seg, dict) and seg:
        levels = []
        for col, by in seg.items():
            if not isinstance(by, dict):
                continue
            for level, st in by.items():
                if isinstance(st, dict) and _num(st.get("rate")) is not None and (_num(st.get("customers")) or 0) >= 30:
                    levels.append((float(st["rate"]), col, level, st))
        levels.sort(key=lambda t: (-t[0], str(t[1]), str(t[2])))
        if levels:
            right.append("<h3>Segments with the highest churn</h3>")
            rows = []
            for rate, col, level, st in levels[:4]:
                ci = ""
                if _num(st.get("ci_low")) is not None and _num(st.get("ci_high")) is not None:
                    ci = f"{fmt_pct(st['ci_low'])} – {fmt_pct(st['ci_high'])}"
                rows.append([(esc(f"{_words(col)} = {_words(level)}"), False), (esc(fmt_pct(rate)), True),
                             (esc(ci or DASH), True), (esc(fmt_int(st.get("customers"))), True)])
            right.append(_table([("Segment", False), ("Churn", True), ("95% CI", True), ("Customers", True)], rows))
            if overall is not None:
                right.append(f'<p class="note">Overall churn rate: {esc(fmt_pct(overall))}.</p>')

    inner = f'<div class="two"><div>{"".join(left)}</div><div>{"".join(right)}</div></div>'
    return _section("causes", "Why customers leave", inner)


def _hr_words(hr: float) -> str:
    """``3.56`` -> ``×3.56 hazard``; the direction in words."""
    if hr >= 1:
        return f"{(hr - 1):.0%} higher risk" if hr < 2 else f"{fmt_ratio(hr)[1:]} times the risk"
    return f"{(1 - hr):.0%} lower risk"


def _survival_section(metrics: dict) -> str:
    surv = metrics.get("survival")
    if not isinstance(surv, dict) or not surv:
        return _section("survival", "Survival picture", _na("Survival results (metrics.json section survival) are"))
    unit = _time_unit(metrics)
    left, right = [], []

    left.append("<h3>How long customers stay (Kaplan–Meier)</h3>")
    km = surv.get("km") if isinstance(surv.get("km"), dict) else None
    if km:
        median = _num(km.get("median"))
        ci = km.get("median_ci") if isinstance(km.get("median_ci"), list) else []
        if median is not None:
            ci_txt = ""
            if len(ci) == 2 and all(_num(c) is not None for c in ci):
                ci_txt = f" (95% CI {fmt_num(ci[0])}–{fmt_num(ci[1])})"
            left.append(f"<p>Half of the customers have churned by {esc(unit)} "
                        f"<strong>{esc(fmt_num(median))}</strong>{esc(ci_txt)}.</p>")
        else:
            left.append("<p>Median lifetime <strong>not reached</strong>: more than half of the customers "
                        "are still active at the end of follow-up.</p>")
        horizons = km.get("survival") if isinstance(km.get("survival"), dict) else {}
        items = sorted(((float(h), v) for h, v in horizons.items()
                        if _num(v) is not None and re.fullmatch(r"\d+(\.\d+)?", str(h))), key=lambda t: t[0])
        if items:
            rows = [[(esc(f"{fmt_num(h)} {_plural(unit, h)}"), False), (esc(fmt_pct(s)), True),
                     (esc(fmt_pct(1 - s)), True)] for h, s in items]
            left.append(_table([("After", False), ("Still active", True), ("Churned", True)], rows))
        if _num(km.get("rmst")) is not None and _num(km.get("rmst_tau")) is not None:
            left.append(f'<p class="note">Restricted mean: a customer stays on average '
                        f"{esc(fmt_num(km['rmst']))} of the first {esc(fmt_num(km['rmst_tau']))} "
                        f"{esc(_plural(unit, 2))}.</p>")
    else:
        left.append(_na("Kaplan–Meier estimates are"))

    right.append("<h3>What changes the hazard (Cox model)</h3>")
    cox = surv.get("cox") if isinstance(surv.get("cox"), dict) else None
    hrs = cox.get("hazard_ratios") if cox and isinstance(cox.get("hazard_ratios"), dict) else {}
    hrs = {k: float(v) for k, v in hrs.items() if _num(v) is not None and v > 0}
    if cox and (hrs or _num(cox.get("concordance")) is not None):
        if _num(cox.get("concordance")) is not None:
            right.append(f"<p>Concordance <strong>{cox['concordance']:.2f}</strong> "
                         "(0.5 = random ordering, 1 = perfect).</p>")
        if hrs:
            top = sorted(hrs.items(), key=lambda kv: (-abs(math.log(kv[1])), kv[0]))[:5]
            violations = set(cox.get("ph_violations") or [])
            rows = []
            for term, hr in top:
                mark = " †" if term in violations else ""
                rows.append([(esc(term) + mark, False), (esc(fmt_ratio(hr) + " hazard"), True),
                             (esc(_hr_words(hr)), True)])
            right.append(_table([("Term", False), ("Hazard ratio", True), ("In words", True)], rows))
            note = ("Largest effects by |log hazard ratio|; per unit of a numeric covariate, "
                    "or against the reference level of a category.")
            if any(t in violations for t, _ in top):
                note += (" † the effect changes over time (Schoenfeld test); notebook 03 refits "
                         "it with strata or time interactions.")
            right.append(f'<p class="note">{esc(note)}</p>')
    else:
        right.append(_na("The Cox model is"))

    left.append("<h3>Lifetime models</h3>")
    facts = []
    best = _get(surv, "aft.best")
    if best:
        aic = _get(surv, "aft.aic") or {}
        others = sorted(((k, v) for k, v in aic.items() if _num(v) is not None), key=lambda kv: kv[1])
        aic_txt = "; ".join(f"{k} {fmt_num(v)}" for k, v in others)
        facts.append(f"Best parametric (AFT) model by AIC: <strong>{esc(best)}</strong>"
                     + (f" (AIC {esc(aic_txt)})" if aic_txt else "") + ".")
    sbg = surv.get("sbg") if isinstance(surv.get("sbg"), dict) else None
    if sbg and _num(sbg.get("alpha")) is not None and _num(sbg.get("beta")) is not None:
        a, b = float(sbg["alpha"]), float(sbg["beta"])
        period = str(sbg.get("period") or "period")
        txt = (f"sBG on acquisition cohorts (by {period}): α = {fmt_num(a)}, β = {fmt_num(b)}; "
               f"mean churn probability per {period} α/(α+β) = {fmt_pct(a / (a + b))}")
        if a + b > 1e4:
            txt += " (α and β this large: practically the same churn probability for every customer)"
        if _num(sbg.get("holdout_mape")) is not None:
            txt += f"; projection error on held-out periods (MAPE) {fmt_pct(sbg['holdout_mape'])}"
        if _num(sbg.get("derl")) is not None:
            txt += f"; discounted expected residual lifetime {fmt_num(sbg['derl'])} {_plural(period, 2)}"
        facts.append(esc(txt) + ".")
    bg = surv.get("bgnbd") if isinstance(surv.get("bgnbd"), dict) else None
    if bg and all(_num(bg.get(k)) is not None for k in ("r", "alpha", "a", "b")):
        tu = bg.get("time_unit") or "period"
        txt = (f"BG/NBD (per {tu}): r = {fmt_num(bg['r'])}, α = {fmt_num(bg['alpha'])}, "
               f"a = {fmt_num(bg['a'])}, b = {fmt_num(bg['b'])}")
        if _num(bg.get("mean_p_alive")) is not None:
            txt += f"; mean P(alive) {fmt_pct(bg['mean_p_alive'])}"
        ho = bg.get("holdout") if isinstance(bg.get("holdout"), dict) else None
        if ho and _num(ho.get("predicted")) is not None and _num(ho.get("actual")) is not None:
            days = f" over {fmt_int(ho['days'])} days" if _num(ho.get("days")) is not None else ""
            diff = ""
            if ho["actual"]:
                diff = f" ({(ho['predicted'] / ho['actual'] - 1) * 100:+.1f}%)"
            txt += (f"; holdout{days}: predicted {fmt_int(ho['predicted'])} purchases vs "
                    f"{fmt_int(ho['actual'])} actual{diff}")
        facts.append(esc(txt) + ".")
    if facts:
        left.append("".join(f"<p>{f}</p>" for f in facts))
    else:
        left.append(_na("Parametric lifetime models are"))

    inner = f'<div class="two"><div>{"".join(left)}</div><div>{"".join(right)}</div></div>'
    return _section("survival", "Survival picture", inner)


def _cost_section(metrics: dict) -> str:
    cost = metrics.get("cost") if isinstance(metrics.get("cost"), dict) else None
    value = metrics.get("value") if isinstance(metrics.get("value"), dict) else None
    if not cost and not value:
        return _section("cost", "Cost of churn", _na("Cost of churn (metrics.json sections cost, value) is"))
    cur = _currency(metrics)
    inner = []
    cards = []
    if cost and _num(cost.get("total")) is not None:
        window = cost.get("window") if isinstance(cost.get("window"), list) else []
        sub = f"{window[0]} to {window[1]}" if len(window) == 2 else ""
        cards.append(_card("Cost of churn", esc(fmt_money(cost["total"], cur)), esc(sub)))
        churners = _num(cost.get("churners"))
        if churners:
            cards.append(_card("Per churner", esc(fmt_money(cost["total"] / churners, cur)),
                               esc(f"{fmt_int(churners)} churners")))
    if cost and _num(cost.get("revenue_at_risk")) is not None:
        h = _num(cost.get("revenue_at_risk_horizon_months"))
        cards.append(_card("Revenue at risk", esc(fmt_money(cost["revenue_at_risk"], cur)),
                           esc(f"next {fmt_num(h)} months, active customers") if h else "active customers"))
    if value and _num(value.get("clv_mean")) is not None:
        h = _num(value.get("horizon_months"))
        cards.append(_card("Mean CLV", esc(fmt_money(value["clv_mean"], value.get("currency") or cur)),
                           esc(f"active customers, {fmt_num(h)}-month horizon") if h else "active customers"))
    if cards:
        inner.append(f'<div class="cards">{"".join(cards)}</div>')
    comps = cost.get("components") if cost and isinstance(cost.get("components"), dict) else {}
    comps = {k: float(v) for k, v in comps.items() if _num(v) is not None}
    if comps:
        inner.append("<h3>Where the cost comes from</h3>")
        total = _num(cost.get("total")) or sum(comps.values())
        top = max(comps.values()) if comps else 0
        rows = []
        for k, v in sorted(comps.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append([(esc(_words(k)), False), (_bar(v / top if top > 0 else 0), False),
                         (esc(fmt_money(v, cur)), True), (esc(fmt_pct(v / total) if total else DASH), True)])
        inner.append(_table([("Component", False), ("", False), ("Amount", True), ("Share", True)], rows)
                     .replace("<td><div class=\"bar\"", "<td class=\"barcell\"><div class=\"bar\""))
    else:
        inner.append(_na("The cost breakdown is"))
    if value and value.get("method"):
        inner.append(f'<p class="note">CLV method: {esc(value["method"])}'
                     + (f"; margin {esc(fmt_pct(value['margin_rate']))}" if _num(value.get("margin_rate")) is not None else "")
                     + (f"; discount {esc(fmt_pct(value['discount_rate']))} a {esc(value.get('discount_period') or 'year')}"
                        if _num(value.get("discount_rate")) is not None else "")
                     + ".</p>")
    return _section("cost", "Cost of churn", "\n".join(inner))


def _actions_section(metrics: dict, manifest: dict) -> str:
    ret = metrics.get("retention") if isinstance(metrics.get("retention"), dict) else None
    if not ret:
        return _section("actions", "Recommended actions",
                        _na("Retention recommendations (metrics.json section retention) are"))
    cur = str(ret.get("currency") or _currency(metrics))
    items = []
    share, customers, profit = (_num(ret.get("optimal_target_share")), _num(ret.get("optimal_customers")),
                                _num(ret.get("expected_profit")))
    if share is not None and profit is not None:
        who = f" ({fmt_int(customers)} customers)" if customers is not None else ""
        text = (f"<strong>Contact the top {esc(fmt_pct(share))} of active customers by churn risk{esc(who)}</strong>: "
                f"expected profit {esc(fmt_money(profit, cur))}")
        lo, hi = _num(ret.get("profit_p05")), _num(ret.get("profit_p95"))
        extra = []
        if lo is not None and hi is not None:
            extra.append(f"90% of simulated outcomes between {fmt_money(lo, cur)} and {fmt_money(hi, cur)}")
        if _num(ret.get("p_loss")) is not None:
            extra.append(f"chance of a loss {fmt_pct(ret['p_loss'])}")
        if extra:
            text += f" ({esc('; '.join(extra))})"
        items.append(text + ".")
    be = _num(ret.get("break_even_accept_rate"))
    if be is not None:
        text = (f"The campaign breaks even if at least {fmt_pct(be)} of the would-be churners it "
                "contacts accept the offer and stay (the break-even save rate)")
        sr = _num(ret.get("save_rate"))
        if sr is not None:
            text += f"; the save rate used is {fmt_pct(sr)}"
            ci = ret.get("save_rate_ci")
            if isinstance(ci, list) and len(ci) == 2 and all(_num(c) is not None for c in ci):
                text += f" (95% interval {fmt_pct(ci[0])} – {fmt_pct(ci[1])})"
            if ret.get("save_rate_source"):
                text += f", {ret['save_rate_source']}"
            text += ", " + ("comfortably above break-even" if sr >= 1.25 * be
                            else "above break-even" if sr >= be else "below break-even: do not run it as is")
        items.append(esc(text) + ".")
    name, best = _best_policy(metrics)
    policies = ret.get("policies") if isinstance(ret.get("policies"), dict) else {}
    policies = {k: float(v) for k, v in policies.items() if _num(v) is not None}
    if name is not None and best is not None:
        plan = [k for k, v in policies.items() if profit is not None and math.isclose(v, profit, rel_tol=1e-9, abs_tol=1e-6)]
        if plan and name in plan:
            text = (f"This plan (<strong>{esc(name)}</strong>) is the most profitable of the "
                    f"{len(policies)} targeting policies compared")
        elif profit is not None:
            text = (f"Targeting <strong>{esc(name)}</strong> would earn more: {esc(fmt_money(best, cur))} "
                    f"against {esc(fmt_money(profit, cur))}"
                    + (f" for the plan above ({esc(plan[0])})" if plan else " for the plan above"))
        else:
            text = (f"Of the targeting policies compared, <strong>{esc(name)}</strong> earns the most "
                    f"({esc(fmt_money(best, cur))})")
        worst = min(policies, key=lambda k: policies[k])
        if worst != name and policies[worst] < 0:
            text += f"; {esc(worst)} would lose {esc(fmt_money(-policies[worst], cur))}"
        items.append(text + ".")
    fixes = _ranked_names(ret.get("fix_ranking"))
    if fixes:
        planned = _get(manifest, "params.fixes")
        if isinstance(planned, dict) and planned:
            with_fix = [f for f in fixes if f in planned]
            without = [f for f in fixes if f not in planned]
        else:
            with_fix, without = fixes, []
        text = ""
        if with_fix:
            text = ("Fix the causes of churn in this order (by return on investment): "
                    + ", ".join(f"{i}. {_words(f)}" for i, f in enumerate(with_fix, 1)))
        if without:
            text += ("; " if text else "") + "no fix is costed for " + ", ".join(_words(f) for f in without)
        items.append(esc(text) + ".")
    inner = [f'<ul class="actions">{"".join(f"<li>{i}</li>" for i in items)}</ul>' if items
             else _na("A recommended campaign is")]
    if policies:
        inner.append("<h3>Targeting policies compared</h3>")
        ordered = sorted(policies.items(), key=lambda kv: (-kv[1], kv[0]))
        rows = [[(esc(k), False), (esc(fmt_money(v, cur)), True)] for k, v in ordered]
        inner.append(_table([("Policy", False), ("Expected profit", True)], rows,
                            row_classes=["best" if k == name else "" for k, _ in ordered]))
    return _section("actions", "Recommended actions", "\n".join(inner))


def _notebooks_section(run_dir: Path, manifest: dict) -> str:
    records = manifest.get("notebooks") if isinstance(manifest.get("notebooks"), list) else None
    if records is None:
        found = sorted(p.name for p in run_dir.glob("[0-9][0-9]_*.html"))
        if not found:
            return _section("notebooks", "Executed notebooks", _na("The list of executed notebooks is"))
        lis = "".join(f'<li><a href="{esc(n)}">{esc(Path(n).stem)}</a></li>' for n in found)
        return _section("notebooks", "Executed notebooks",
                        f'<p class="note">No manifest.json: notebooks found in the folder.</p><ul>{lis}</ul>')
    rows = []
    for rec in records:
        if not isinstance(rec, dict) or not rec.get("notebook"):
            continue
        nb = str(rec["notebook"])
        status = str(rec.get("status") or "unknown")
        html_name = Path(nb).with_suffix(".html").name
        stem = esc(Path(nb).stem)
        if status == "ok" and (run_dir / html_name).exists():
            cell = f'<a href="{esc(html_name)}">{stem}</a>'
        elif status == "ok":
            cell = f"{stem} <span class=\"note\">(HTML not found)</span>"
        else:
            cell = stem
        note = esc(rec.get("reason") or rec.get("message") or "")
        secs = _num(rec.get("seconds"))
        badge = f'<span class="badge {esc(status if status in ("ok", "skipped", "failed") else "unknown")}">{esc(status)}</span>'
        rows.append([(cell, False), (badge, False), (esc(f"{secs:.1f} s") if secs is not None else DASH, True),
                     (note, False)])
    if not rows:
        return _section("notebooks", "Executed notebooks", _na("The list of executed notebooks is"))
    return _section("notebooks", "Executed notebooks",
                    _table([("Notebook", False), ("Status", False), ("Time", True), ("Note", False)], rows))


def _figures_section(run_dir: Path) -> str:
    figs = sorted((run_dir / FIGURES_DIR).glob("*.png")) if (run_dir / FIGURES_DIR).is_dir() else []
    if not figs:
        return _section("figures", "Figures", _na("Figures are"))
    out = []
    for f in figs:
        caption = _words(f.stem).strip().capitalize()
        out.append(f'<figure><img src="{esc(FIGURES_DIR + "/" + f.name)}" alt="{esc(caption)}">'
                   f"<figcaption>{esc(caption)}</figcaption></figure>")
    return _section("figures", "Figures", "\n".join(out))


def render_report(run_dir: str | Path) -> str:
    """The HTML text of the report of ``run_dir`` (see :func:`write_report`)."""
    run_dir = Path(run_dir)
    if not (run_dir / METRICS_FILE).is_file():
        raise FileNotFoundError(f"{run_dir / METRICS_FILE}: no metrics.json, nothing to report")
    metrics = _read_json(run_dir / METRICS_FILE)
    manifest = _read_json(run_dir / MANIFEST_FILE)
    study = _study_name(run_dir, manifest)
    parts = [
        _header(run_dir, metrics, manifest),
        _kpi_section(metrics),
        _causes_section(metrics),
        _survival_section(metrics),
        _cost_section(metrics),
        _actions_section(metrics, manifest),
        _notebooks_section(run_dir, manifest),
        _figures_section(run_dir),
        '<footer>Generated by churnlab.report from metrics.json'
        + (" and manifest.json" if manifest else "") + " of this run.</footer>",
    ]
    return _page(f"Churn study: {study}", "\n".join(parts))


def write_report(run_dir: str | Path) -> Path:
    """Write ``<run_dir>/report.html``, the one-page summary of the study in ``run_dir``; return its path.

    Generated from ``metrics.json`` (required) and ``manifest.json`` (optional):
    header and provenance, headline KPIs and scorecard, why customers leave,
    survival, cost of churn, recommended actions, links to the executed
    notebooks' HTML and the figures in ``figures/*.png``. Sections whose metrics
    are missing say "not available in this run".
    """
    run_dir = Path(run_dir)
    path = run_dir / REPORT_FILE
    path.write_text(render_report(run_dir), encoding="utf-8")
    return path


# =========================================================================== index

def _index_rows() -> list[tuple[str, Any]]:
    def churn_latest(m, _):
        v = _get(m, "kpi.churn_rate_latest")
        return fmt_pct(v.get("month") if isinstance(v, dict) else v)

    def km_median(m, _):
        med = _num(_get(m, "survival.km.median"))
        if med is None:
            return "not reached" if isinstance(_get(m, "survival.km"), dict) else DASH
        return f"{fmt_num(med)} {_plural(_time_unit(m), med)}"

    def concordance(m, _):
        c = _num(_get(m, "survival.cox.concordance"))
        return DASH if c is None else f"{c:.2f}"

    def money(path):
        return lambda m, _: fmt_money(_get(m, path), _currency(m))

    def per_churner(m, _):
        total, n = _num(_get(m, "cost.total")), _num(_get(m, "cost.churners"))
        return fmt_money(total / n, _currency(m)) if total is not None and n else DASH

    def best_profit(m, _):
        name, v = _best_policy(m)
        if v is None:
            return DASH
        return fmt_money(v, str(_get(m, "retention.currency") or _currency(m))) + (f" ({name})" if name else "")

    def top_driver(m, _):
        d = _ranked_names(_get(m, "causes.top_drivers"))
        return _words(d[0]) if d else DASH

    def top_reason(m, _):
        s = _exit_reason_shares(m)
        if not s:
            return DASH
        k = next(iter(s))
        return f"{_words(k)} ({fmt_pct(s[k])})"

    return [
        ("Scenario", lambda m, mf: str(mf.get("scenario") or _get(mf, "params.scenario") or DASH)),
        ("As of", lambda m, _: str(_get(m, "data.as_of") or DASH)),
        ("Data source", lambda m, mf: _source_text(m, mf)),
        ("Customers", lambda m, _: fmt_int(_get(m, "data.n_customers"))),
        ("Churn definition", lambda m, _: str(_get(m, "data.definition") or DASH)),
        ("Churn rate", lambda m, _: fmt_pct(_get(m, "data.churn_rate"))),
        ("Latest monthly churn", churn_latest),
        ("Annualised churn", lambda m, _: fmt_pct(_get(m, "kpi.annualised_churn"))),
        ("KM median lifetime", km_median),
        ("Cox concordance", concordance),
        ("Mean CLV", lambda m, _: fmt_money(_get(m, "value.clv_mean"), str(_get(m, "value.currency") or _currency(m)))),
        ("Cost of churn", money("cost.total")),
        ("Cost per churner", per_churner),
        ("Revenue at risk", money("cost.revenue_at_risk")),
        ("Best campaign profit", best_profit),
        ("Top driver", top_driver),
        ("Top stated reason", top_reason),
    ]


def _studies(out_root: Path) -> list[Path]:
    return sorted(p for p in out_root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / METRICS_FILE).is_file())


def render_index(out_root: str | Path) -> str:
    """The HTML text of the cross-study index of ``out_root`` (see :func:`write_index`)."""
    out_root = Path(out_root)
    studies = _studies(out_root)
    body = ['<header class="top"><p class="eyebrow">Churn studies</p>',
            f"<h1>Studies compared ({len(studies)})</h1>",
            '<p class="lede">Headline results of every study in this folder, side by side, '
            "from each study's metrics.json.</p></header>"]
    if not studies:
        body.append(_section("compare", "Comparison", _na("Study results are")))
        return _page("Churn studies compared", "\n".join(body))
    loaded = [(p, _read_json(p / METRICS_FILE), _read_json(p / MANIFEST_FILE)) for p in studies]
    head = '<th scope="col"></th>' + "".join(
        f'<th scope="col">{esc(_study_name(p, mf))}</th>' for p, _, mf in loaded)
    rows = []
    link_cells = []
    for p, _, _mf in loaded:
        if (p / REPORT_FILE).exists():
            link_cells.append(f'<td><a href="{esc(p.name + "/" + REPORT_FILE)}">report</a></td>')
        else:
            link_cells.append('<td class="na">no report yet</td>')
    rows.append(f'<tr><th scope="row">Report</th>{"".join(link_cells)}</tr>')
    for label, fn in _index_rows():
        cells = []
        for _p, m, mf in loaded:
            try:
                text = fn(m, mf)
            except (TypeError, ValueError, ZeroDivisionError, AttributeError):
                text = DASH
            cells.append(f'<td title="{NA_TEXT}">{DASH}</td>' if text == DASH else f"<td>{esc(text)}</td>")
        rows.append(f'<tr><th scope="row">{esc(label)}</th>{"".join(cells)}</tr>')
    table = (f'<div style="overflow-x:auto"><table class="index"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    note = (f'<p class="note">{DASH} = {NA_TEXT}. Money is in each study\'s own currency. '
            "Latest monthly and annualised churn come from the KPI notebook.</p>")
    body.append(_section("compare", "Comparison", table + note))
    return _page("Churn studies compared", "\n".join(body))


def write_index(out_root: str | Path) -> Path:
    """Write ``<out_root>/index.html`` comparing every study folder with a metrics.json; return its path.

    One column per study (hidden folders skipped), the same headline rows for
    each, and a link to each study's ``report.html`` where it exists.
    """
    out_root = Path(out_root)
    path = out_root / INDEX_FILE
    path.write_text(render_index(out_root), encoding="utf-8")
    return path


# =========================================================================== link check

_IGNORED_SCHEMES = ("http", "https", "mailto", "data", "javascript", "tel")
_LINK_ATTRS = {"href", "src"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _LINK_ATTRS and value is not None:
                self.targets.append(value.strip())

    handle_startendtag = handle_starttag


def check_links(html_path: str | Path) -> list[str]:
    """Relative ``href``/``src`` targets in ``html_path`` that do not exist on disk (in page order, once each).

    Ignored: ``http(s):``, ``mailto:``, ``data:``, ``javascript:`` and ``tel:``
    URLs, fragments (``#anchor``) and empty links. Targets resolve against the
    file's folder; a query string or fragment after a path is dropped and
    ``%xx`` escapes are decoded.
    """
    html_path = Path(html_path)
    parser = _Links()
    parser.feed(html_path.read_text(encoding="utf-8"))
    parser.close()
    missing: list[str] = []
    for target in parser.targets:
        if not target or target.startswith("#"):
            continue
        parts = urlsplit(target)
        if parts.scheme.lower() in _IGNORED_SCHEMES or parts.netloc:
            continue
        if not parts.path:
            continue
        path = Path(unquote(parts.path))
        resolved = path if path.is_absolute() else html_path.parent / path
        if not resolved.exists() and target not in missing:
            missing.append(target)
    return missing


def main(argv: list[str] | None = None) -> int:
    """``python -m churnlab.report DIR ...``: a study folder gets report.html, any other folder index.html."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m churnlab.report RUN_DIR|OUT_ROOT ...", file=sys.stderr)
        return 2
    for arg in args:
        d = Path(arg)
        path = write_report(d) if (d / METRICS_FILE).is_file() else write_index(d)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
