"""The study report: a self-contained HTML page from a run's ``metrics.json`` and ``manifest.json``.

:func:`write_report` writes ``<run_dir>/report.html``, a one-page summary of
one study, generated only from ``<run_dir>/metrics.json`` (read through
:class:`~churnlab.metrics.StudyMetrics`, so a file that does not match the
definition raises :class:`~churnlab.metrics.MetricsError`) and, if present,
``manifest.json``, with links to the executed notebooks' HTML. Its figures are
drawn from the metrics and embedded (:mod:`.figures`). Every section is
rendered only when its metrics exist; otherwise it says "not available in this
run".

The page is plain HTML with inline CSS and no external resources
(:func:`frame`, shared with the index). The only script, at the end of
``<body>``, counts images that failed to load and sets
``document.body.dataset.brokenImages`` (``data-broken-images`` on ``<body>``),
a hook for the browser test. No timestamps of its own: the same results give
the same page.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import i18n, metrics
from . import facts, sections
from .format import esc

REPORT_FILE = "report.html"
METRICS_FILE = metrics.FILENAME
MANIFEST_FILE = "manifest.json"

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
.figs { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 18px; }
.figs figure { margin: 8px 0; min-width: 0; }
a { color: var(--accent); }
code { font-size: 13px; background: #f1f3f6; padding: 0 4px; border-radius: 4px; }
table.index th[scope=row] { text-transform: none; letter-spacing: 0; font-size: 13px; color: var(--ink);
                            background: #f9fafc; white-space: nowrap; }
table.index td { font-size: 14px; }
table.index .cell-label { display: block; font-size: 12px; color: var(--muted); line-height: 1.35; }
table.index thead th { font-size: 14px; text-transform: none; color: var(--ink); }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
"""

#: CSS added for a language: fonts with its glyphs first (the browser falls back per glyph)
LANG_CSS = {"zh": """
body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei",
       "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
.eyebrow, th { letter-spacing: 0; }
"""}

BROKEN_IMAGES_SCRIPT = """<script>
window.addEventListener("load", function () {
  var n = 0;
  document.querySelectorAll("img").forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) { n += 1; }
  });
  document.body.dataset.brokenImages = String(n);
});
</script>"""


def frame(title: str, body: str, lang: str = i18n.DEFAULT) -> str:
    """The whole HTML document around ``body`` (already HTML); ``title`` is plain text.

    ``<html lang>`` is the language's tag (:data:`churnlab.i18n.HTML_LANG`, ``zh-CN`` for
    Chinese); the CSS then chooses fonts with Chinese glyphs (``:lang(zh)``).
    """
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{i18n.HTML_LANG.get(lang, lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}{LANG_CSS.get(lang, '')}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n{BROKEN_IMAGES_SCRIPT}\n</body>\n</html>\n"
    )


def read_manifest(run_dir: Path) -> dict:
    """``<run_dir>/manifest.json`` as a mapping (empty if missing or not an object)."""
    path = Path(run_dir) / MANIFEST_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def run_language(manifest: dict) -> str:
    """The language of a run: ``params.lang`` of its manifest (written by the runner), else English.

    A language churnlab does not have raises ValueError (from :func:`churnlab.i18n.catalogue`).
    """
    params = manifest.get("params") if isinstance(manifest.get("params"), dict) else {}
    lang = params.get("lang") or i18n.DEFAULT
    i18n.catalogue(lang)
    return lang


def render_report(run_dir: str | Path, lang: str | None = None) -> str:
    """The HTML text of the report of ``run_dir`` in ``lang`` (None: the run's, :func:`run_language`)."""
    run_dir = Path(run_dir)
    if not (run_dir / METRICS_FILE).is_file():
        raise FileNotFoundError(f"{run_dir / METRICS_FILE}: no metrics.json, nothing to report")
    m = metrics.load(run_dir)
    manifest = read_manifest(run_dir)
    lang = run_language(manifest) if lang is None else lang
    t = i18n.catalogue(lang)
    footer = (t("Generated by churnlab.report from metrics.json and manifest.json of this run; figures drawn "
                "from metrics.json.") if manifest else
              t("Generated by churnlab.report from metrics.json of this run; figures drawn from metrics.json."))
    parts = [
        sections.header(run_dir, m, manifest, t),
        sections.kpis(m, t),
        sections.figures(m, t),
        sections.causes(m, t),
        sections.survival(m, t),
        sections.cost(m, t),
        sections.actions(m, manifest, t),
        sections.notebooks(run_dir, manifest, t),
        f"<footer>{esc(footer)}</footer>",
    ]
    return frame(t("Churn study: {name}", name=facts.study_name(run_dir, manifest)), "\n".join(parts), lang)


def write_report(run_dir: str | Path, lang: str | None = None) -> Path:
    """Write ``<run_dir>/report.html``, the one-page summary of the study in ``run_dir``; return its path.

    Generated from ``metrics.json`` (required, validated) and ``manifest.json``
    (optional): header and provenance, headline KPIs with the monthly churn
    figure and the scorecard, why customers leave, the survival picture with
    the Kaplan–Meier figure, the cost of churn with its breakdown figure,
    recommended actions, and links to the executed notebooks' HTML. Sections
    whose metrics are missing say "not available in this run".

    ``lang``: the language of the page; None (the default) is the run's own,
    ``params.lang`` of its manifest (English for a run without a manifest).
    """
    run_dir = Path(run_dir)
    path = run_dir / REPORT_FILE
    path.write_text(render_report(run_dir, lang), encoding="utf-8")
    return path
