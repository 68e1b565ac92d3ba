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

from .. import i18n, metrics
from ..i18n import Catalogue
from ..metrics import StudyMetrics
from ..economics.campaign import is_mass
from . import facts
from .format import DASH, esc, fmt_int, fmt_money, fmt_num, fmt_pct, na, num, qty, section, tagged
from .page import METRICS_FILE, REPORT_FILE, frame, read_manifest, run_language

INDEX_FILE = "index.html"

Row = Callable[[StudyMetrics, dict, Catalogue], object]
"""One index row: (metrics, manifest, catalogue) -> the cell: text, or (value, label) where the label
says the value's horizon, definition and currency; None or DASH for "not available"."""


def _definition(m: StudyMetrics, t: Catalogue) -> str:
    return t(f"{m.data.definition} churn") if m.data and m.data.definition else t("churn definition not recorded")


def _cur(m: StudyMetrics, t: Catalogue) -> str:
    return facts.currency(m) or t("currency not recorded")


def _churn_rate(m: StudyMetrics, _mf: dict, t: Catalogue):
    d = m.data
    if d is None or num(d.churn_rate) is None:
        return DASH
    return fmt_pct(d.churn_rate), t("{definition}; share of all customers churned by {date}",
                                    definition=_definition(m, t), date=d.as_of or t("the end"))


def _monthly(m: StudyMetrics, _mf: dict, t: Catalogue):
    latest = m.kpi.churn_rate_latest if m.kpi else None
    if latest is None or num(latest.month) is None:
        return DASH
    return fmt_pct(latest.month), t("a month (latest complete month); {definition}", definition=_definition(m, t))


def _annualised(m: StudyMetrics, _mf: dict, t: Catalogue):
    if m.kpi is None or num(m.kpi.annualised_churn) is None:
        return DASH
    return fmt_pct(m.kpi.annualised_churn), t("a year (from the last 12 months); {definition}",
                                              definition=_definition(m, t))


def _km_median(m: StudyMetrics, _mf: dict, t: Catalogue):
    km = m.survival.km if m.survival else None
    if km is None:
        return DASH
    if num(km.median) is None:
        return t("not reached"), _definition(m, t)
    return qty(t, km.median, facts.time_unit(m)), _definition(m, t)


def _concordance(m: StudyMetrics, _mf: dict, t: Catalogue) -> str:
    s = m.survival
    c, held = facts.cox_concordance(s.cox, s.validation) if s else (None, False)
    if c is None:
        return DASH
    how = t("held out" if held else "in sample")
    return f"{c:.2f} ({how})" if t.english else f"{c:.2f}（{how}）"


def _clv(m: StudyMetrics, _mf: dict, t: Catalogue):
    v = m.value
    if v is None or num(v.clv_mean) is None:
        return DASH
    h = num(v.horizon_months)
    horizon = t("{n}-month horizon", n=fmt_num(h)) if h is not None else t("horizon not recorded")
    per = t("{horizon}, per active customer", horizon=horizon)
    method = (("; " if t.english else "；") + t.lookup(v.method)) if v.method else ""
    return fmt_money(v.clv_mean, v.currency or _cur(m, t)), per + method


def _years(window: list[str] | None) -> float | None:
    """The length of a ``[start, end]`` ISO window in 365.25-day years (None if not two dates)."""
    try:
        start, end = (dt.date.fromisoformat(w[:10]) for w in (window or []))
    except (TypeError, ValueError):
        return None
    return (end - start).days / 365.25


def _cost_window(m: StudyMetrics, t: Catalogue) -> str:
    return facts.window_text(m.cost, t) or t("window not recorded")


def _cost(m: StudyMetrics, _mf: dict, t: Catalogue):
    if m.cost is None or num(m.cost.total) is None:
        return DASH
    years = _years(m.cost.window)
    length = ""
    if years and not facts.undated(m.cost):
        n_years = qty(t, 2, "year", fmt_num(years))
        length = f" ({n_years})" if t.english else f"（{n_years}）"
    sep = "; " if t.english else "；"
    return fmt_money(m.cost.total, _cur(m, t)), f"{_cost_window(m, t)}{length}{sep}{_definition(m, t)}"


def _cost_per_year(m: StudyMetrics, _mf: dict, t: Catalogue):
    """The cost of churn divided by the window's length in years: comparable across windows of
    different lengths (the cost is a sum over the window); none for data without dates."""
    if m.cost is None or num(m.cost.total) is None or facts.undated(m.cost):
        return DASH
    years = _years(m.cost.window)
    if not years or years < 1 / 12:
        return DASH
    money = fmt_money(m.cost.total / years, _cur(m, t))
    return (f"{money} a year" if t.english else tagged(t, "a year", money),
            t("the total over the {n}-year window, per year; {definition}", n=fmt_num(years),
              definition=_definition(m, t)))


def _per_churner(m: StudyMetrics, _mf: dict, t: Catalogue):
    value = facts.cost_per_churner(m)
    if value is None:
        return DASH
    return fmt_money(value, _cur(m, t)), t("per churner, {window}; {definition}", window=_cost_window(m, t),
                                          definition=_definition(m, t))


def _at_risk(m: StudyMetrics, _mf: dict, t: Catalogue):
    c = m.cost
    if c is None or num(c.revenue_at_risk) is None:
        return DASH
    h = num(c.revenue_at_risk_horizon_months)
    horizon = t("next {n} months", n=fmt_num(h)) if h is not None else t("horizon not recorded")
    return (fmt_money(c.revenue_at_risk, _cur(m, t)),
            t("{horizon}: active customers' CLV × P(churn within it); {definition}", horizon=horizon,
              definition=_definition(m, t)))


def _campaign(m: StudyMetrics, _mf: dict, t: Catalogue):
    rec = facts.recommended_policy(m)
    if rec.policy is None:
        return ((t("none pays"), t("no targeting policy compared is expected to make a profit"))
                if rec.reason else DASH)
    plan = facts.policy_plan(m.retention, rec.policy)
    profit = num(plan.get("expected_profit", (m.retention.policies or {}).get(rec.policy)))
    if profit is None:
        return DASH
    share = num(plan.get("share"))
    who = ""
    if share is not None:
        who = ((", " if t.english else "，") + tagged(t, "top", fmt_pct(share))
               + ((" " if t.english else "") + t("(a mass campaign)") if is_mass(share) else ""))
    return fmt_money(profit, _cur(m, t)), t("expected profit, {policy}", policy=t.lookup(rec.policy)) + who


def _top_reason(m: StudyMetrics, _mf: dict, t: Catalogue) -> str:
    shares = facts.exit_reason_shares(m)
    if not shares:
        return DASH
    key = next(iter(shares))
    name = t.lookup(key.replace("_", " "))
    return f"{name} ({fmt_pct(shares[key])})" if t.english else f"{name}（{fmt_pct(shares[key])}）"


def _top_driver(m: StudyMetrics, t: Catalogue) -> str | None:
    from .sections import feature_words

    drivers = m.causes.top_drivers if m.causes else None
    return feature_words(t, drivers[0]) if drivers else None


def _words(text: str | None, t: Catalogue) -> str | None:
    return t.lookup(text) if text else text


ROWS: list[tuple[str, Row]] = [
    ("Scenario", lambda m, mf, t: _words(facts.scenario(mf), t)),
    ("As of", lambda m, mf, t: m.data and m.data.as_of),
    ("Data source", facts.source_text),
    ("Customers", lambda m, mf, t: fmt_int(m.data and m.data.n_customers)),
    ("Churn definition", lambda m, mf, t: _words(m.data and m.data.definition, t)),
    ("Currency", lambda m, mf, t: facts.currency(m)),
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
    ("Top driver", lambda m, mf, t: _top_driver(m, t)),
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


def _cell(text: object, t: Catalogue) -> str:
    """A table cell: the value, and under it its label (horizon, definition, currency) when the
    row gives ``(value, label)``."""
    value, lab = text if isinstance(text, tuple) else (text, None)
    if value is None or value == "" or value == DASH:
        return f'<td title="{esc(t("not available in this run"))}">{DASH}</td>'
    if lab:
        return f'<td>{esc(value)}<br><span class="cell-label">{esc(lab)}</span></td>'
    return f"<td>{esc(value)}</td>"


def index_language(out_root: str | Path) -> str:
    """The language of the index of ``out_root``: the one every study listed shares (each from its
    manifest, :func:`.page.run_language`), else English (no study, or studies in different languages)."""
    langs = set()
    for p in studies(Path(out_root)):
        try:
            langs.add(run_language(read_manifest(p)))
        except ValueError:  # a language this churnlab does not have
            langs.add(None)
    return langs.pop() if len(langs) == 1 and None not in langs else i18n.DEFAULT


LEDE = "Headline results of every study in this folder, side by side, from each study's metrics.json."
NOTE = ("{dash} = not available in this run. The studies differ in horizon, churn definition and currency, so "
        "every figure that depends on them carries its own label under it: compare cells side by side only "
        "where the labels match. Figures are not converted between currencies. Two are normalised: the latest "
        "monthly and the annualised churn (per month and per year, from the KPI notebook) and the cost of churn "
        "per year (the total over the study window divided by its length in years). CLV and revenue at risk "
        "are not: a CLV over 36 months is not three times one over 12 (later months are discounted and fewer "
        "customers last), and a probability of churning within 12 months is not twice the 6-month one.")


def render_index(out_root: str | Path, lang: str | None = None) -> str:
    """The HTML text of the cross-study index of ``out_root`` in ``lang`` (see :func:`write_index`)."""
    out_root = Path(out_root)
    found = studies(out_root)
    lang = index_language(out_root) if lang is None else lang
    t = i18n.catalogue(lang)
    body = [f'<header class="top"><p class="eyebrow">{esc(t("Churn studies"))}</p>',
            f"<h1>{esc(t('Studies compared ({n})', n=len(found)))}</h1>",
            f'<p class="lede">{t(LEDE)}</p></header>']
    if not found:
        body.append(section("compare", t("Comparison"), na("Study results are", t)))
        return frame(t("Churn studies compared"), "\n".join(body), lang)
    loaded = [(p, *_load(p), read_manifest(p)) for p in found]
    head = '<th scope="col"></th>' + "".join(
        f'<th scope="col">{esc(facts.study_name(p, mf))}</th>' for p, _, _, mf in loaded)
    links = []
    for p, m, problem, _mf in loaded:
        if m is None:
            links.append(f'<td class="na" title="{esc(problem)}">{esc(t("metrics.json does not match this churnlab version"))}</td>')
        elif (p / REPORT_FILE).exists():
            links.append(f'<td><a href="{esc(p.name + "/" + REPORT_FILE)}">{esc(t("report"))}</a></td>')
        else:
            links.append(f'<td class="na">{esc(t("no report yet"))}</td>')
    rows = [f'<tr><th scope="row">{esc(t("Report"))}</th>{"".join(links)}</tr>']
    for title, fn in ROWS:
        cells = "".join(_cell(fn(m, mf, t) if m is not None else None, t) for _p, m, _, mf in loaded)
        rows.append(f'<tr><th scope="row">{esc(t(title))}</th>{cells}</tr>')
    table = (f'<div style="overflow-x:auto"><table class="index"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    note = f'<p class="note">{esc(t(NOTE, dash=DASH))}</p>'
    body.append(section("compare", t("Comparison"), table + note))
    return frame(t("Churn studies compared"), "\n".join(body), lang)


def write_index(out_root: str | Path, lang: str | None = None) -> Path:
    """Write ``<out_root>/index.html`` comparing every study folder with a metrics.json; return its path.

    One column per study (hidden folders skipped), the same headline rows for
    each, and a link to each study's ``report.html`` where it exists. ``lang``: the
    language of the page; None (the default) is the language all the studies share
    (:func:`index_language`), else English.
    """
    out_root = Path(out_root)
    path = out_root / INDEX_FILE
    path.write_text(render_index(out_root, lang), encoding="utf-8")
    return path
