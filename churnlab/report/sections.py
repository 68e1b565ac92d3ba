"""The sections of the study report, one function each, from the validated metrics.

Every function takes the run's :class:`~churnlab.metrics.StudyMetrics` (plus
the manifest or the run folder where it needs them) and returns the HTML of
its ``<section>``; a section whose metrics are missing says "… not available
in this run". All text from the files is escaped.

Every function also takes ``t``, the :class:`~churnlab.i18n.Catalogue` of the
report's language (English by default): each sentence is written as an English
template filled by ``t(template, **fields)``, the notes that the stages wrote in
English into metrics.json are translated by :func:`.format.prose`, and data values
(policy, reason and model names) by ``t.lookup`` when the catalogue has them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..clv.bgnbd import p_alive_note
from ..config import CODE_HTML_SUFFIX
from ..clv.sbg import degenerate_note
from ..economics.campaign import MASS_SHARE, PLANNED, is_mass
from ..features_meta import label as feature_label, level_text, term_label
from ..metrics import StudyMetrics
from ..i18n import Catalogue
from ..survival.readable import hr_per_sd
from . import facts
from .figures import churn_rate_plot, cost_plot, embed, profit_curve_plot, survival_plot
from .format import (
    DASH, EN, bar, bar_table, card, cards, esc, fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct,
    fmt_ratio, fmt_unit, label, lookup, na, num, paren, plural, prose, qty, section, span, table, tagged, two_columns,
    words,
)

# =========================================================================== header


def feature_words(t: Catalogue, name: str) -> str:
    """A feature or model term (``tenure_months``, ``plan=month_to_month``) for the reader.

    In English the column's own words (``tenure months``), as the report always showed.
    In another language its readable label (:func:`churnlab.features_meta.term_label`)
    translated when the catalogue has it, else the words translated, else the words.
    """
    if t.english:
        return words(name)
    found = t.lookup(term_label(name))
    return found if found != term_label(name) else t.lookup(words(name))


def segment_words(t: Catalogue, column: str, level: str) -> str:
    """A segment, ``plan = month to month`` (another language: the column's label and the level, translated)."""
    if t.english:
        return f"{words(column)} = {words(level)}"
    col = t.lookup(feature_label(column))
    col = col if col != feature_label(column) else t.lookup(words(column))
    return f"{col} = {t.lookup(words(level_text(level)))}"


def header(run_dir: Path, m: StudyMetrics, manifest: dict, t: Catalogue = EN) -> str:
    """Study name, scenario, date, definition and source; the data cards; provenance."""
    data = m.data
    lede = []
    if facts.scenario(manifest):
        lede.append(esc(tagged(t, "scenario", t.lookup(facts.scenario(manifest)))))
    if data:
        if data.as_of:
            lede.append(esc(tagged(t, "as of", data.as_of)))
        if data.definition:
            lede.append(esc(t(f"{data.definition} churn")))
        lede.append(esc(facts.source_text(m, manifest, t)))
    out = ['<header class="top">', f'<p class="eyebrow">{esc(t("Churn study report"))}</p>',
           f"<h1>{esc(facts.study_name(run_dir, manifest))}</h1>"]
    if lede:
        out.append(f'<p class="lede">{" · ".join(lede)}</p>')
    if data:
        out.append(cards([
            card(t("Customers"), esc(fmt_int(data.n_customers))),
            card(t("Churned"), esc(fmt_int(data.n_churned))),
            card(t("Churn rate"), esc(fmt_pct(data.churn_rate)),
                 esc(tagged(t, "by", data.as_of)) if data.as_of else ""),
            card(t("Churn definition"), esc(t.lookup(data.definition or DASH)), small=True),
            card(t("Data source"), esc(facts.source_text(m, manifest, t)), small=True),
            _lifetime_card(m, data, t),
        ]))
        others = {k: v for k, v in (data.churned_by_definition or {}).items() if k != data.definition}
        if others:
            parts = (", " if t.english else "，").join(f"{esc(t.lookup(k))} {esc(fmt_int(v))}"
                                                       for k, v in others.items())
            out.append(f'<p class="note">{esc(t("Churners under other definitions / by end reason:"))} '
                       f'{parts}{"." if t.english else "。"}</p>')
    else:
        out.append(na("The data summary (metrics.json section data) is", t))
    out.append(provenance(manifest, t))
    out.append("</header>")
    return "\n".join(out)


def provenance(manifest: dict, t: Catalogue = EN) -> str:
    """What produced the run: seed, git commit, finish time, churnlab version, command."""
    produced = esc(t("What produced it:"))
    if not manifest:
        return f'<p class="prov">{produced} {esc(t("not available in this run (no manifest.json)."))}</p>'
    parts = []
    seed = manifest.get("seed", lookup(manifest, "params", "seed"))
    if seed is not None:
        parts.append(esc(tagged(t, "seed", seed)))
    commit = lookup(manifest, "git", "commit")
    if commit:
        dirty = t(" (with uncommitted changes)") if lookup(manifest, "git", "dirty") else ""
        parts.append(f"git commit <code>{esc(str(commit)[:10])}</code>{esc(dirty)}")
    if manifest.get("finished") or manifest.get("started"):
        parts.append(esc(tagged(t, "finished", fmt_date(manifest.get("finished") or manifest.get("started")))))
    version = lookup(manifest, "packages", "churnlab")
    if version:
        parts.append(f"churnlab {esc(version)}")
    if manifest.get("command"):
        parts.append(f"{esc(t('command'))} <code>{esc(manifest['command'])}</code>")
    text = " · ".join(parts) if parts else esc(t("not available in this run"))
    return f'<p class="prov">{produced} {text}{"." if t.english else "。"}</p>'


# =========================================================================== KPIs

STATUS_CLASS = {"on track": "on-track", "watch": "watch", "off track": "off-track", "no target": "no-target"}
TREND = {"up": "↑ up", "down": "↓ down", "flat": "→ flat"}


def kpis(m: StudyMetrics, t: Catalogue = EN) -> str:
    """Headline KPI cards, the monthly churn figure, the scorecard and the cross-check."""
    kpi = m.kpi
    if kpi is None:
        return section("kpis", t("Headline KPIs"), na("KPIs (metrics.json section kpi) are", t))
    churn, keep = kpi.churn_rate_latest, kpi.retention_rate_latest
    values = [
        ("Churn, latest month", churn and churn.month), ("Churn, latest quarter", churn and churn.quarter),
        ("Churn, latest year", churn and churn.year), ("Annualised churn", kpi.annualised_churn),
        ("Retention, latest month", keep and keep.month), ("Retention, latest quarter", keep and keep.quarter),
        ("Retention, latest year", keep and keep.year), ("Customer growth, latest month", kpi.growth_rate_latest),
        ("Win-back rate", kpi.winback_rate), ("Save rate", kpi.save_rate),
        ("Gross revenue retention, per month (last 12 months)", kpi.grr),
        ("Net revenue retention, per month (last 12 months)", kpi.nrr),
    ]
    items = [card(t(title), esc(fmt_pct(v))) for title, v in values if num(v) is not None]
    if num(kpi.quick_ratio) is not None:
        items.append(card(t("Quick ratio"), esc(fmt_unit(kpi.quick_ratio, "x"))))
    inner = [cards(items) if items else na("Headline KPI values are", t)]
    inner.append(f"<h3>{esc(t('Scorecard'))}</h3>")
    rows = []
    for item in kpi.scorecard or []:
        status = item.status or "unknown"
        badge = f'<span class="badge {STATUS_CLASS.get(status, "unknown")}">{esc(t.lookup(status))}</span>'
        rows.append([(esc(t.lookup(label(item.kpi or DASH))), False), (esc(t.lookup(item.period or DASH)), False),
                     (esc(fmt_unit(item.value, item.unit)), True), (esc(fmt_unit(item.target, item.unit)), True),
                     (esc(fmt_unit(item.previous, item.unit)), True),
                     (esc(t.lookup(TREND.get(item.trend or "", DASH))), False), (badge, False)])
    if rows:
        inner.append(table([(esc(t(h)), n) for h, n in (
            ("KPI", False), ("Per", False), ("Value", True), ("Target", True), ("Previous", True),
            ("Trend", False), ("Status", False))], rows))
    else:
        inner.append(na("The KPI scorecard is", t))
    if kpi.consistency and kpi.consistency.methods:
        inner.append(f'<p class="note">{esc(crosscheck_text(kpi.consistency, t))}</p>')
    return section("kpis", t("Headline KPIs"), "\n".join(inner))


def crosscheck_text(cons, t: Catalogue = EN) -> str:
    """The monthly churn cross-check in words: each method's rate and, when they do not agree,
    each differing method's gap to the first (the period rate) in numbers and why it can differ
    (``kpi.consistency.note``, written by notebook 05; older files: the gap only)."""
    found = {k: float(v) for k, v in (cons.methods or {}).items() if num(v) is not None}
    vals = "; ".join(f"{t.lookup(k)}: {fmt_pct(v, 2)}" for k, v in found.items())
    text = t("Churn rate cross-check — {values}.", values=vals)
    tol = fmt_pct(cons.tolerance, 0) if num(cons.tolerance) is not None else None
    if cons.agree:
        return text + " " + (t("They agree within {tol}.", tol=tol) if tol else t("They agree."))
    if cons.agree is None:
        return text
    text += " " + (t("They do not agree within {tol}:", tol=tol) if tol else t("They do not agree:"))
    if cons.note:
        return f"{text} {prose(t, cons.note)}"
    names = list(found)
    if not names or not found[names[0]]:
        return text[:-1] + ("." if t.english else "。")
    base = found[names[0]]
    gaps = [t("{method} is {rate} a month, {diff} against {base}", method=t.lookup(k), rate=fmt_pct(v, 2),
              diff=f"{(v / base - 1) * 100:+.0f}%", base=fmt_pct(base, 2))
            for k, v in found.items() if k != names[0]
            and (num(cons.tolerance) is None or abs(v / base - 1) > cons.tolerance)]
    return (f"{text} " + ("; " if t.english else "；").join(gaps) + ("." if t.english else "。")
            + " " + t("The methods count churn over different customers and months."))


# =========================================================================== figures

#: Titles, alt texts and captions of the figure section: each caption says what to read in it
#: (one place, so they can later come from a catalogue).
FIGURES = {
    "title": "The study in four figures",
    "lede": "What a manager needs to see, drawn from this run's metrics.json.",
    "survival": ("Share of customers still active",
                 "Survival curve. Read: the share of customers still active after each horizon "
                 "(Kaplan–Meier, entry times respected); where the line crosses 50% is the median "
                 "lifetime (red diamond, with its 95% interval). A steep early drop means customers "
                 "leave in their first {units}; the line only joins the reported horizons."),
    "survival_curve": ("Share of customers still active",
                       "Survival curve. Read: the share of customers still active after each time "
                       "(Kaplan–Meier, entry times respected; the band is its 95% confidence interval); "
                       "where the curve crosses 50% is the median lifetime (red diamond, with its 95% "
                       "interval). A steep early drop means customers leave in their first {units}."),
    "profit": ("Expected campaign profit by share of the list contacted",
               "Profit curve. Read: how the expected profit of a retention campaign changes as it "
               "reaches further down the early-warning list, riskiest first. The peak (red diamond) "
               "is the share worth contacting; past it each extra contact costs more than it saves, "
               "and below the dashed line the campaign loses money. Bold: {policy}; grey: the other "
               "targeting policies."),
    "cost": ("Cost of churn by component",
             "Cost waterfall. Read: which part of the cost of churn is largest. Each red bar starts "
             "where the previous one ends and the dark bar is the total{window}: direct costs, "
             "replacing customers (indirect), the revenue the churners would have brought, and "
             "offers that changed nothing."),
    "trend": ("Monthly churn rate against its target",
              "Scorecard trend. Read: whether the monthly churn rate (red) stays under its target "
              "(dotted) and where the 3-month average (dashed) is heading.{status} Churn is lapses "
              "in the month of customers active at its start."),
    "no_target": "No monthly churn target is set in the params (kpi.targets.monthly_churn).",
    "status": "The scorecard says: {status}.",
}


def _churn_target(m: StudyMetrics) -> tuple[float | None, str | None]:
    """The scorecard's monthly churn target and status, when the target is set for a month."""
    for row in (m.kpi.scorecard or []) if m.kpi else []:
        if row.kpi == "monthly_churn" and num(row.target) is not None and (row.period or "month") == "month":
            return float(row.target), row.status
    return None, None


def figures(m: StudyMetrics, t: Catalogue = EN) -> str:
    """The figure section: the survival curve, the profit curve, the cost waterfall and the
    scorecard trend (monthly churn against its target), each with a caption saying what to read
    in it (:data:`FIGURES`); a figure whose metrics are missing is left out, and the section says
    so when none can be drawn."""
    out = []
    lang = t.lang
    km = m.survival.km if m.survival else None
    if km and (km.curve or any(num(v) is not None for v in (km.survival or {}).values())):
        unit = facts.time_unit(m)
        curve = km.curve.model_dump() if km.curve else None
        alt, cap = FIGURES["survival_curve" if curve else "survival"]
        out.append(embed(lambda ax: survival_plot(km.survival or {}, median=km.median, median_ci=km.median_ci,
                                                  unit=unit, curve=curve, t=t, ax=ax),
                         alt=t(alt), caption=t(cap, units=plural(unit, 2)), lang=lang))
    ret = m.retention
    if ret and ret.profit_curves:
        rec = facts.recommended_policy(m)
        policy = rec.policy if rec.policy in ret.profit_curves else (ret.policy or next(iter(ret.profit_curves)))
        plan = facts.policy_plan(m_ret=ret, policy=policy)
        best = (num(plan.get("share")), num(plan.get("expected_profit")))
        cur = ret.currency or facts.currency(m)
        alt, cap = FIGURES["profit"]
        out.append(embed(lambda ax: profit_curve_plot(ret.profit_curves, recommended=policy,
                                                      best=None if None in best else best,
                                                      currency=cur, t=t, ax=ax),
                         alt=t(alt), caption=t(cap, policy=t.lookup(policy)), lang=lang))
    comps = m.cost.components.model_dump() if m.cost and m.cost.components else {}
    comps = {k: float(v) for k, v in comps.items() if num(v) is not None}
    if comps:
        window = facts.window_text(m.cost, t)
        alt, cap = FIGURES["cost"]
        out.append(embed(lambda ax: cost_plot(comps, currency=facts.currency(m), t=t, ax=ax),
                         alt=t(alt), caption=t(cap, window=paren(t, window) if window else ""), lang=lang))
    monthly = m.kpi.churn_rate.month if m.kpi and m.kpi.churn_rate else None
    if monthly and sum(num(v) is not None for v in monthly.values()) >= 2:
        target, status = _churn_target(m)
        alt, cap = FIGURES["trend"]
        note = (" " + t(FIGURES["status"], status=t.lookup(status)) if status
                else " " + t(FIGURES["no_target"]))
        out.append(embed(lambda ax: churn_rate_plot(monthly, target=target, t=t, ax=ax), size=(10.4, 3.0),
                         alt=t(alt), caption=t(cap, status=note), lang=lang))
    if not out:
        return section("figures", t(FIGURES["title"]), na("The figures are", t))
    small = [f for f in out[:-1]] if len(out) > 1 and monthly else out
    body = [f'<p class="note">{esc(t(FIGURES["lede"]))}</p>', '<div class="figs">' + "".join(small) + "</div>"]
    if small is not out:
        body.append(out[-1])
    return section("figures", t(FIGURES["title"]), "\n".join(body))


# =========================================================================== causes


def causes(m: StudyMetrics, t: Catalogue = EN) -> str:
    """Stated exit reasons, revealed drivers, the early-warning model and the riskiest segments."""
    if m.causes is None and m.warning is None:
        return section("causes", t("Why customers leave"),
                       na("Cause analysis (metrics.json sections causes, warning) is", t))
    left = [f"<h3>{esc(t('What churners say: stated exit reasons'))}</h3>"]
    shares = facts.exit_reason_shares(m)
    if shares:
        top = max(shares.values())
        rows = [[(esc(t.lookup(words(k))), False), (bar(v / top if top > 0 else 0), False),
                 (esc(fmt_pct(v)), True)] for k, v in shares.items()]
        left.append(bar_table([(esc(t("Reason")), False), ("", False), (esc(t("Share")), True)], rows))
    else:
        left.append(na("Stated exit reasons are", t))
    left.append(f"<h3>{esc(t('What the data reveal: top drivers'))}</h3>")
    drivers = (m.causes.top_drivers if m.causes else None) or []
    if drivers:
        chips = "".join(f"<li>{esc(feature_words(t, d))}</li>" for d in drivers[:10])
        left.append('<p class="note">' + esc(t("Features the early-warning model relies on most "
                                              "(mean absolute SHAP value), strongest first: predictive "
                                              "attributions, not causes.")) + '</p>'
                    f'<ol class="chips">{chips}</ol>')
    else:
        left.append(na("Revealed drivers are", t))
    right = [f"<h3>{esc(t('Early-warning model quality'))}</h3>", *_warning(m, t), *_risky_segments(m, t=t)]
    return section("causes", t("Why customers leave"), two_columns(left, right))


def _warning(m: StudyMetrics, t: Catalogue = EN) -> list[str]:
    w = m.warning
    auc, lift = (num(w.auc), num(w.top_decile_lift)) if w else (None, None)
    if auc is None and lift is None:
        return [na("Early-warning model metrics are", t)]
    items = []
    ci = lambda v, f: (f"95% CI {v[0]:{f}}–{v[1]:{f}}"  # noqa: E731
                       if v and None not in v else "")
    if auc is not None:
        items.append(card(t("AUC (held out, {model})", model=w.model or t("model")), esc(f"{auc:.2f}"),
                          esc(ci(w.auc_ci, ".2f") or t("0.5 = random"))))
    if lift is not None:
        items.append(card(t("Top-decile lift"), esc(f"{lift:.1f}×"),
                          esc(ci(w.top_decile_lift_ci, ".1f") or t("riskiest 10% vs average"))))
    if w.n_high_risk is not None:
        items.append(card(t("Flagged high risk"), esc(fmt_int(w.n_high_risk)), esc(t("active customers"))))
    sentence = []
    if lift is not None:
        sentence.append(t("The 10% of customers the model rates riskiest go on to churn {lift} times "
                          "as often as the average customer", lift=f"{lift:.1f}"))
    if auc is not None:
        sentence.append(t("it ranks a random churner above a random stayer {auc} of the time", auc=f"{auc:.0%}"))
    end = "." if t.english else "。"
    out = [cards(items), f"<p>{esc(('; ' if t.english else '；').join(sentence))}{end}</p>"]
    if w.model_choice:
        out.append(f'<p class="note">{esc(prose(t, w.model_choice))}{end}</p>')
    if w.validation:
        out.append(f'<p class="note">{esc(tagged(t, "Validation:", prose(t, w.validation)))}{end}</p>')
    return out


def _risky_segments(m: StudyMetrics, n: int = 4, min_customers: int = 30, t: Catalogue = EN) -> list[str]:
    seg = m.causes.segment_churn if m.causes else None
    levels = [(float(st.rate), col, level, st) for col, by in (seg or {}).items() for level, st in by.items()
              if num(st.rate) is not None and (st.customers or 0) >= min_customers]
    if not levels:
        return []
    levels.sort(key=lambda t: (-t[0], t[1], t[2]))
    rows = []
    for rate, col, level, st in levels[:n]:
        ci = DASH
        if num(st.ci_low) is not None and num(st.ci_high) is not None:
            ci = f"{fmt_pct(st.ci_low)} – {fmt_pct(st.ci_high)}"
        rows.append([(esc(segment_words(t, col, level)), False),
                     (esc(fmt_pct(rate)), True), (esc(ci), True), (esc(fmt_int(st.customers)), True)])
    out = [f"<h3>{esc(t('Segments with the highest churn'))}</h3>",
           table([(esc(t(h)), n) for h, n in (("Segment", False), ("Churn", True), ("95% CI", True),
                                              ("Customers", True))], rows)]
    overall = num(m.data.churn_rate) if m.data else None
    if overall is not None:
        out.append(f'<p class="note">{esc(t("Overall churn rate: {rate}.", rate=fmt_pct(overall)))}</p>')
    return out


# =========================================================================== survival


def hr_words(hr: float, t: Catalogue = EN) -> str:
    """A hazard ratio in words: ``1.3`` -> ``30% higher risk``, ``3.56`` -> ``3.56 times the risk``."""
    if hr >= 1:
        return (t("{pct} higher risk", pct=f"{(hr - 1):.0%}") if hr < 2
                else t("{ratio} times the risk", ratio=fmt_ratio(hr)[1:]))
    return t("{pct} lower risk", pct=f"{(1 - hr):.0%}")


def survival(m: StudyMetrics, t: Catalogue = EN) -> str:
    """Kaplan–Meier (figure and table), the Cox model's largest effects, the lifetime models."""
    surv = m.survival
    if surv is None:
        return section("survival", t("Survival picture"),
                       na("Survival results (metrics.json section survival) are", t))
    unit = facts.time_unit(m)
    left = [f"<h3>{esc(t('How long customers stay (Kaplan–Meier)'))}</h3>", *_km(surv.km, unit, t),
            f"<h3>{esc(t('Lifetime models'))}</h3>"]
    churn_rate = num(m.data.churn_rate) if m.data else None
    lifetime = [f for f in (_aft(surv.aft, t), _sbg(surv.sbg, t), _bgnbd(surv.bgnbd, churn_rate, t)) if f]
    left.append("".join(f"<p>{f}</p>" for f in lifetime) if lifetime
                else na("Parametric lifetime models are", t))
    right = [f"<h3>{esc(t('What changes the hazard (Cox model)'))}</h3>", *_cox(surv.cox, surv.validation, t)]
    return section("survival", t("Survival picture"), two_columns(left, right))


def _lifetime_card(m: StudyMetrics, data, t: Catalogue = EN) -> str:
    """The header's lifetime card: the Kaplan–Meier median with its 95% CI when the survival
    stage ran. The median of the observed durations (censored ones as they are) is biased
    low, since a censored customer's lifetime is longer than its duration so far; it is
    shown, labelled so, only when no Kaplan–Meier estimate exists."""
    surv = m.survival
    km = surv.km if surv else None
    if km is not None:
        unit = surv.unit or "month"
        median = num(km.median)
        if median is None:
            return card(t("Median lifetime"), esc(t("not reached")), esc(t("Kaplan–Meier: over half still active")))
        ci = [num(c) for c in (km.median_ci or [])]
        ci_txt = f", 95% CI {fmt_num(ci[0])}–{fmt_num(ci[1])}" if len(ci) == 2 and None not in ci else ""
        return card(t("Median lifetime"), esc(fmt_num(median)),
                    esc(t(f"{plural(unit, 2)} (Kaplan–Meier{{ci}})", ci=ci_txt)))
    return card(t("Median duration"), esc(fmt_num(data.median_duration_months)),
                esc(t("months so far, censored included (biased low)")))


def _km(km, unit: str, t: Catalogue = EN) -> list[str]:
    if km is None:
        return [na("Kaplan–Meier estimates are", t)]
    out = []
    median = num(km.median)
    if median is not None:
        ci = [num(c) for c in (km.median_ci or [])]
        ci_txt = paren(t, f"95% CI {fmt_num(ci[0])}–{fmt_num(ci[1])}") if len(ci) == 2 and None not in ci else ""
        out.append("<p>" + t(f"Half of the customers have churned by {unit} <strong>{{median}}</strong>{{ci}}.",
                             median=esc(fmt_num(median)), ci=esc(ci_txt)) + "</p>")
    else:
        out.append("<p>" + t("Median lifetime <strong>not reached</strong>: more than half of the customers "
                             "are still active at the end of follow-up.") + "</p>")
    items = sorted((float(h), float(v)) for h, v in (km.survival or {}).items()
                   if num(v) is not None and re.fullmatch(r"\d+(\.\d+)?", h))
    if items:
        rows = [[(esc(qty(t, h, unit)), False), (esc(fmt_pct(s)), True),
                 (esc(fmt_pct(1 - s)), True)] for h, s in items]
        out.append(table([(esc(t(h)), n) for h, n in (("After", False), ("Still active", True),
                                                      ("Churned", True))], rows))
    if num(km.rmst) is not None and num(km.rmst_tau) is not None:
        out.append('<p class="note">' + esc(t(f"Restricted mean: a customer stays on average {{rmst}} of the first "
                                              f"{{tau}} {plural(unit, 2)}.", rmst=fmt_num(km.rmst),
                                              tau=fmt_num(km.rmst_tau))) + "</p>")
    return out


def _cox(cox, validation=None, t: Catalogue = EN) -> list[str]:
    hrs = {k: float(v) for k, v in ((cox.hazard_ratios if cox else None) or {}).items()
           if num(v) is not None and v > 0}
    concordance, held = facts.cox_concordance(cox, validation)
    which = t("held-out customers, pairs seen at risk together" if held
              else "in sample, on the customers the model was fitted to")
    if not hrs and concordance is None:
        return [na("The Cox model is", t)]
    out = []
    if concordance is not None:
        out.append("<p>" + t("Concordance <strong>{c}</strong> ({which}; 0.5 = random ordering, 1 = perfect).",
                             c=f"{concordance:.2f}", which=esc(which)) + "</p>")
    if hrs:
        scale, labels, per = (cox.scale or {}), (cox.labels or {}), (cox.per or {})
        hrs = {t: hr_per_sd(hr, num(scale.get(t))) for t, hr in hrs.items()}
        top = sorted(hrs.items(), key=lambda kv: (-abs(math.log(kv[1])), kv[0]))[:5]
        violations = set(cox.ph_violations or [])
        rows = [[(esc(t.lookup(labels.get(term) or words(term))) + (" †" if term in violations else ""), False),
                 (esc(t.lookup(per.get(term) or "")), False),
                 (esc(fmt_ratio(hr) + " hazard" if t.english else fmt_ratio(hr)), True), (esc(hr_words(hr, t)), True)]
                for term, hr in top]
        out.append(table([(esc(t(h)), n) for h, n in (("Feature", False), ("Per", False), ("Hazard ratio", True),
                                                      ("In words", True))], rows))
        note = t(COX_NOTE if scale else COX_NOTE_PER_UNIT)
        if any(term in violations for term, _ in top):
            note += " " + t("† the effect changes over time (Schoenfeld test); notebook 03 refits "
                            "it with strata or time interactions.")
        out.append(f'<p class="note">{esc(note)}</p>')
    return out


COX_NOTE = ("Largest effects by |log hazard ratio|. A numeric feature's ratio is per 1 standard deviation "
            "(SD) of it among the customers fitted, so sizes compare (the SD is given in units); a category "
            "level is compared with its reference level.")
COX_NOTE_PER_UNIT = ("Largest effects by |log hazard ratio|; per unit of a numeric covariate, "
                     "or against the reference level of a category (this run's metrics.json records no "
                     "SDs: re-run notebook 03 for ratios per SD).")


def _aft(aft, t: Catalogue = EN) -> str:
    if aft is None or not aft.best:
        return ""
    others = sorted(((k, v) for k, v in (aft.aic or {}).items() if num(v) is not None), key=lambda kv: kv[1])
    aic_txt = "; ".join(f"{k} {fmt_num(v)}" for k, v in others)
    return (t("Best parametric (AFT) model by AIC: <strong>{best}</strong>", best=esc(aft.best))
            + (esc(paren(t, f"AIC {aic_txt}")) if aic_txt else "") + ("." if t.english else "。"))


def _sbg(sbg, t: Catalogue = EN) -> str:
    if sbg is None or num(sbg.alpha) is None or num(sbg.beta) is None:
        return ""
    a, b = float(sbg.alpha), float(sbg.beta)
    period = sbg.period or "period"
    sep = "; " if t.english else "；"
    txt = (t(f"sBG on acquisition cohorts (by {period}): α = {{a}}, β = {{b}}", a=fmt_num(a), b=fmt_num(b)) + sep
           + t(f"mean churn probability per {period} α/(α+β) = {{p}}", p=fmt_pct(a / (a + b))))
    note = degenerate_note(a, b, period)
    if note:
        txt += f" ({prose(t, note)})" if t.english else f"（{prose(t, note)}）"
    if num(sbg.holdout_mape) is not None:
        txt += sep + t("projection error on held-out periods (MAPE) {mape}", mape=fmt_pct(sbg.holdout_mape))
    if num(sbg.holdout_bias) is not None:
        txt += (", " if t.english else "，") + t("bias (actual − projected, share of actual) {bias}",
                                                 bias=fmt_pct(sbg.holdout_bias))
        if _one_signed(sbg.holdout_error):
            txt += (", " if t.english else "，") + t("the same sign at every held-out age")
    if num(sbg.derl) is not None:
        txt += sep + t("discounted expected residual lifetime of a customer who has renewed once {derl}",
                       derl=qty(t, 2, period, fmt_num(sbg.derl)))
    return esc(txt) + ("." if t.english else "。")


def _one_signed(errors) -> bool:
    """Whether the sBG's held-out errors (age -> error) all have the same sign (two or more)."""
    vals = [float(v) for v in (errors or {}).values() if num(v) is not None]
    return len(vals) >= 2 and (all(v > 0 for v in vals) or all(v < 0 for v in vals))


def _bgnbd(bg, churn_rate: float | None = None, t: Catalogue = EN) -> str:
    if bg is None or any(num(v) is None for v in (bg.r, bg.alpha, bg.a, bg.b)):
        return ""
    sep, end = ("; ", ".") if t.english else ("；", "。")
    txt = t(f"BG/NBD (per {bg.time_unit or 'period'}): r = {{r}}, α = {{alpha}}, a = {{a}}, b = {{b}}",
            r=fmt_num(bg.r), alpha=fmt_num(bg.alpha), a=fmt_num(bg.a), b=fmt_num(bg.b))
    if num(bg.mean_p_alive) is not None:
        txt += sep + tagged(t, "mean P(alive)", fmt_pct(bg.mean_p_alive))
    ho = bg.holdout
    if ho and num(ho.predicted) is not None and num(ho.actual) is not None:
        diff = f" ({(ho.predicted / ho.actual - 1) * 100:+.1f}%)" if ho.actual else ""
        fields = dict(predicted=fmt_int(ho.predicted), actual=fmt_int(ho.actual), diff=diff)
        txt += sep + (t("holdout over {days} days: predicted {predicted} purchases vs {actual} actual{diff}",
                        days=fmt_int(ho.days), **fields) if ho.days is not None
                      else t("holdout: predicted {predicted} purchases vs {actual} actual{diff}", **fields))
    note = p_alive_note(num(bg.mean_p_alive), churn_rate, a=num(bg.a), b=num(bg.b))
    return esc(txt) + end + (f'</p><p class="note">{esc(prose(t, note))}{end}' if note else "")


# =========================================================================== cost of churn


def cost(m: StudyMetrics, t: Catalogue = EN) -> str:
    """Cost of churn, per churner, revenue at risk, mean CLV; the breakdown (figure and table)."""
    cost_m, value = m.cost, m.value
    if cost_m is None and value is None:
        return section("cost", t("Cost of churn"), na("Cost of churn (metrics.json sections cost, value) is", t))
    cur = facts.currency(m)
    items = []
    if cost_m and num(cost_m.total) is not None:
        items.append(card(t("Cost of churn"), esc(fmt_money(cost_m.total, cur)), esc(facts.window_text(cost_m, t))))
        if cost_m.churners:
            items.append(card(t("Per churner"), esc(fmt_money(facts.cost_per_churner(m), cur)),
                              esc(f"{fmt_int(cost_m.churners)} {t('churners')}")))
    if cost_m and num(cost_m.revenue_at_risk) is not None:
        h = num(cost_m.revenue_at_risk_horizon_months)
        items.append(card(t("Revenue at risk"), esc(fmt_money(cost_m.revenue_at_risk, cur)),
                          esc(t("next {n} months, active customers", n=fmt_num(h)) if h
                              else t("active customers"))))
    if value and num(value.clv_mean) is not None:
        h = num(value.horizon_months)
        ci = value.clv_mean_ci or []
        ci_text = (t("95% interval {range}; ", range=span(t, fmt_money(ci[0], value.currency or cur),
                                                         fmt_money(ci[1], value.currency or cur)))
                   if len(ci) == 2 else "")
        items.append(card(t("Mean CLV"), esc(fmt_money(value.clv_mean, value.currency or cur)),
                          esc(ci_text + (t("active customers, {n}-month horizon", n=fmt_num(h)) if h
                                         else t("active customers")))))
    inner = [cards(items)] if items else []
    if facts.undated(cost_m):
        inner.append('<p class="note">' + esc(t(
            "The data carry no dates, so churn cannot be placed in time: the cost of churn covers every "
            "churner in the export, not a period, and no per-year figure is given.")) + "</p>")
    comps = cost_m.components.model_dump() if cost_m and cost_m.components else {}
    comps = {k: float(v) for k, v in comps.items() if num(v) is not None}
    if comps:
        inner.append(f"<h3>{esc(t('Where the cost comes from'))}</h3>")
        total = num(cost_m.total) or sum(comps.values())
        rows = [[(esc(t.lookup(words(k))), False), (esc(fmt_money(v, cur)), True),
                 (esc(fmt_pct(v / total) if total else DASH), True)]
                for k, v in sorted(comps.items(), key=lambda kv: (-kv[1], kv[0]))]
        inner.append(table([(esc(t(h)), n) for h, n in (("Component", False), ("Amount", True),
                                                        ("Share", True))], rows))
        inner.append('<p class="note">' + esc(t(
            "Direct: termination, equipment recovery and compensation; indirect: acquiring replacements and "
            "extra service; lost revenue: the value the churners would have brought (CLV of retained "
            "customers of the same tenure); opportunity: retention offers that changed nothing. The "
            "waterfall is in the figures above.")) + "</p>")
    else:
        inner.append(na("The cost breakdown is", t))
    if value and value.method:
        sep = "; " if t.english else "；"
        extra = ""
        if num(value.margin_rate) is not None:
            extra += sep + tagged(t, "margin", fmt_pct(value.margin_rate))
        if num(value.discount_rate) is not None:
            extra += sep + t(f"discount {{rate}} a {value.discount_period or 'year'}",
                             rate=fmt_pct(value.discount_rate))
        inner.append('<p class="note">' + esc(t("CLV method: {method}", method=t.lookup(value.method)) + extra)
                     + ("." if t.english else "。") + "</p>")
    return section("cost", t("Cost of churn"), "\n".join(inner))


# =========================================================================== actions


def actions(m: StudyMetrics, manifest: dict, t: Catalogue = EN) -> str:
    """The recommended campaign (the best policy, or why not), its break-even save rate, the
    targeting policies compared and the fixes that pay (with each fix's ROI)."""
    ret = m.retention
    if ret is None:
        return section("actions", t("Recommended actions"),
                       na("Retention recommendations (metrics.json section retention) are", t))
    cur = ret.currency or facts.currency(m)
    rec = facts.recommended_policy(m)
    items = [x for x in (_campaign(ret, rec, cur, t), _break_even(ret, t) if rec.policy else "") if x]
    found = facts.policies(m)
    if not rec.recorded and rec.policy is not None:
        items.append(_policy_sentence(rec.policy, found, cur, ret, t))
    if ret.fix_ranking:
        items.append(_fixes(facts.fixes(m), cur, ret.fix_horizon_months, t))
    inner = [f'<ul class="actions">{"".join(f"<li>{i}</li>" for i in items)}</ul>' if items
             else na("A recommended campaign is", t)]
    if found:
        inner.append(f"<h3>{esc(t('Targeting policies compared'))}</h3>")
        inner.append(_policy_table(ret, found, rec.policy, cur, t))
    fix_rows = [f for f in facts.fixes(m) if f.roi is not None or f.value_lost_per_year is not None]
    if fix_rows:
        inner.append(f"<h3>{esc(t('What fixing each cause of churn would return'))}</h3>")
        inner.append(_fix_table(fix_rows, cur, ret.fix_horizon_months, t))
    return section("actions", t("Recommended actions"), "\n".join(inner))


def _end(t: Catalogue) -> str:
    """The full stop of a sentence in the language of ``t``."""
    return "." if t.english else "。"


def _campaign(ret, rec, cur: str, t: Catalogue = EN) -> str:
    """The headline: the recommended plan (contact whom, profit, risk, why), a mass campaign named
    as one, or that no policy pays."""
    if rec.policy is None:
        if not rec.reason:
            return ""
        return t("<strong>Do not run a retention campaign as planned</strong>: {reason}. "
                 "Revisit the offer costs or the save rate before contacting anyone.",
                 reason=esc(prose(t, rec.reason)))
    plan = facts.policy_plan(m_ret=ret, policy=rec.policy)
    share, profit = num(plan.get("share")), num(plan.get("expected_profit"))
    if share is None or profit is None:
        return ""
    customers = plan.get("customers")
    who = t(" ({n} customers)", n=fmt_int(customers)) if customers is not None else ""
    mass = is_mass(share)
    how = t("a mass campaign") if mass else tagged(t, "policy:", t.lookup(rec.policy))
    text = t("<strong>Contact the top {share} of active customers{who}, {how}</strong> — expected profit {profit}",
             share=esc(fmt_pct(share)), who=esc(who), how=esc(how), profit=esc(fmt_money(profit, cur)))
    extra = []
    if num(plan.get("profit_p05")) is not None and num(plan.get("profit_p95")) is not None:
        extra.append(t("90% of simulated outcomes between {low} and {high}",
                       low=fmt_money(plan["profit_p05"], cur), high=fmt_money(plan["profit_p95"], cur)))
    if num(plan.get("p_loss")) is not None:
        extra.append(t("chance of a loss {p}", p=fmt_pct(plan["p_loss"])))
    if extra:
        text += f" ({esc('; '.join(extra))})" if t.english else f"（{esc('；'.join(extra))}）"
    text += _end(t)
    if rec.recorded and rec.reason:
        text += " " + t("Why this policy: {reason}.", reason=esc(prose(t, rec.reason)))
    if mass:
        everyone = next((num(v) for k, v in (ret.policies or {}).items() if k.startswith("mass campaign")), None)
        untargeted = ("" if everyone is None else
                      t("; contacting everyone, untargeted, would earn {profit}",
                        profit=esc(fmt_money(everyone, cur))))
        text += " " + t("<strong>This is a mass campaign</strong>: it contacts {share} of the active customers on "
                        "the list (a plan that reaches {mass} or more is one), so the ranking barely selects "
                        "anyone{untargeted}; it rests on the assumed save rate holding for almost every customer.",
                        share=esc(fmt_pct(share, 0)), mass=esc(fmt_pct(MASS_SHARE, 0)), untargeted=untargeted)
    return text


def _break_even(ret, t: Catalogue = EN) -> str:
    be = num(ret.break_even_save_rate)
    if be is None:
        return ""
    text = t("The campaign breaks even if at least {be} of the would-be churners it contacts accept the "
             "offer and stay (the break-even save rate)", be=fmt_pct(be))
    sr = num(ret.save_rate)
    if sr is not None:
        sep = ", " if t.english else "，"
        text += ("; " if t.english else "；") + t("the save rate used is {sr}", sr=fmt_pct(sr))
        ci = [num(c) for c in (ret.save_rate_ci or [])]
        if len(ci) == 2 and None not in ci:
            text += " " + t("(95% interval {low} – {high})", low=fmt_pct(ci[0]), high=fmt_pct(ci[1]))
        if ret.save_rate_source:
            text += sep + prose(t, ret.save_rate_source)
        text += sep + t("comfortably above break-even" if sr >= 1.25 * be
                        else "above break-even" if sr >= be else "below break-even: do not run it as is")
    return esc(text) + _end(t)


def _policy_sentence(best: str, found: dict[str, float], cur: str, ret, t: Catalogue = EN) -> str:
    """Older files (no recorded recommendation): the most profitable policy compared, against the
    plan the file records when that is another one, and the policy that would lose most."""
    if best not in found:
        return ""
    text = t("<strong>{best}</strong> earns the most of the {n} targeting policies compared ({profit})",
             best=esc(t.lookup(best)), n=len(found), profit=esc(fmt_money(found[best], cur)))
    sep = "; " if t.english else "；"
    if not facts.policy_plan(ret, best).get("share"):
        planned, share = ret.policy or PLANNED, num(ret.optimal_target_share)
        if planned in found and share is not None:
            text += t(", against {profit} for contacting the top {share} {planned}",
                      profit=esc(fmt_money(found[planned], cur)), share=esc(fmt_pct(share)),
                      planned=esc(t.lookup(planned)))
        text += sep + t("this run's metrics.json does not record whom it contacts (re-run notebook 04)")
    worst = min(found, key=lambda k: found[k])
    if worst != best and found[worst] < 0:
        text += sep + t("{worst} would lose {loss}", worst=esc(t.lookup(worst)),
                        loss=esc(fmt_money(-found[worst], cur)))
    return text + _end(t)


def _policy_table(ret, found: dict[str, float], recommended: str | None, cur: str, t: Catalogue = EN) -> str:
    """The policies by expected profit, with each one's share, customers and chance of a loss
    where recorded; the recommended one highlighted and marked."""
    plans = ret.policy_plans or {}
    ordered = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = []
    for k, v in ordered:
        p = plans.get(k)
        share = num(p.share) if p else (1.0 if k.startswith("mass campaign") else None)
        name = esc(t.lookup(k)) + (f" <strong>{esc(t('(recommended)'))}</strong>" if k == recommended else "")
        if share is not None and is_mass(share) and not k.startswith("mass campaign"):
            name += (" " if t.english else "") + esc(t("(a mass campaign)"))
        rows.append([(name, False), (esc(fmt_pct(share) if share is not None else DASH), True),
                     (esc(fmt_int(p.customers) if p else DASH), True), (esc(fmt_money(v, cur)), True),
                     (esc(fmt_pct(p.p_loss) if p else DASH), True)])
    return table([(esc(t(h)), n) for h, n in (("Policy", False), ("Contacts", True), ("Customers", True),
                                              ("Expected profit", True), ("Chance of a loss", True))], rows,
                 row_classes=["best" if k == recommended else "" for k, _ in ordered])


def _roi_text(f) -> str:
    return f"ROI {f.roi * 100:+,.0f}%"


def _fixes(fixes: list, cur: str, horizon, t: Catalogue = EN) -> str:
    """The fixes that pay (ROI > 0) in order, each with its ROI and basis; those that do not pay
    and the reasons without a costed fix, named as such; plainly when none pays. Older files
    (names only) are listed without a recommendation."""
    comma = ", " if t.english else "、"
    reason = lambda f: t.lookup(words(f.reason))  # noqa: E731
    if fixes and all(f.roi is None and f.investment is None and f.value_saved_pv is None for f in fixes):
        if any(f.legacy for f in fixes):
            return esc(t("Exit reasons by return on investment of fixing them: {reasons} (this run's metrics.json "
                         "does not record the returns, so no fix is recommended; re-run notebook 04)",
                         reasons=comma.join(reason(f) for f in fixes))) + _end(t)
    h = num(horizon) is not None
    pays = [f for f in fixes if f.roi is not None and f.roi > 0]
    loses = [f for f in fixes if f.roi is not None and f.roi <= 0]
    uncosted = [f for f in fixes if f.roi is None]
    parts = []
    if pays:
        fields = lambda f: dict(reason=reason(f), roi=_roi_text(f), saved=fmt_money(f.value_saved_pv, cur),  # noqa: E731
                                invested=fmt_money(f.investment, cur))
        one = [f"{i}. " + (t("{reason} ({roi}: saves {saved} over {months} months for {invested} invested)",
                             months=fmt_num(horizon), **fields(f)) if h
                           else t("{reason} ({roi}: saves {saved} for {invested} invested)", **fields(f)))
               for i, f in enumerate(pays, 1)]
        parts.append(t("Fix these causes of churn, in order of return on investment: {fixes}",
                       fixes=comma.join(one)))
    elif loses:
        parts.append(t("No costed fix pays back over {months} months: fixing none of the causes is worth its "
                       "investment at the stated costs and reductions", months=fmt_num(horizon)) if h
                     else t("No costed fix pays back: fixing none of the causes is worth its investment at the "
                            "stated costs and reductions"))
    if loses:
        listed = comma.join(f"{reason(f)} ({_roi_text(f)})" if t.english else f"{reason(f)}（{_roi_text(f)}）"
                            for f in loses)
        parts.append(t("not worth fixing at the stated cost: {fixes}" if pays else "their returns: {fixes}",
                       fixes=listed))
    if uncosted:
        parts.append(t("no fix is costed for {reasons}", reasons=comma.join(reason(f) for f in uncosted)))
    return esc(("; " if t.english else "；").join(parts)) + _end(t)


def _fix_table(fixes: list, cur: str, horizon, t: Catalogue = EN) -> str:
    h = num(horizon) is not None
    rows = [[(esc(t.lookup(words(f.reason))), False), (esc(fmt_pct(f.share_of_churners)), True),
             (esc(fmt_money(f.value_lost_per_year, cur)), True), (esc(fmt_money(f.value_saved_pv, cur)), True),
             (esc(fmt_money(f.investment, cur)), True),
             (esc(_roi_text(f) if f.roi is not None else t("no fix costed")), True)] for f in fixes]
    note = ('<p class="note">' + esc(t(
        "A fix pays when its ROI is above 0: the value it saves (the share of these churners it keeps × the "
        "value they would have brought, each month discounted, {months} months) is more than the investment, "
        "paid today. Only fixes that pay are recommended." if h else
        "A fix pays when its ROI is above 0: the value it saves (the share of these churners it keeps × the "
        "value they would have brought, each month discounted) is more than the investment, paid today. "
        "Only fixes that pay are recommended.", months=fmt_num(horizon))) + "</p>")
    saved = (t("Value saved (present value, {months} months)", months=fmt_num(horizon)) if h
             else t("Value saved (present value)"))
    return table([(esc(t("Exit reason")), False), (esc(t("Share of churners")), True),
                  (esc(t("Value lost a year")), True), (esc(saved), True), (esc(t("Investment")), True),
                  (esc(t("ROI")), True)],
                 rows, row_classes=["best" if f.roi is not None and f.roi > 0 else "" for f in fixes]) + note


# =========================================================================== notebooks


def notebooks(run_dir: Path, manifest: dict, t: Catalogue = EN) -> str:
    """The executed notebooks with their status and time, linked to their HTML where it exists:
    the page without code (for managers) and, beside it, the page with code (for analysts)."""
    records = manifest.get("notebooks") if isinstance(manifest.get("notebooks"), list) else None
    if records is None:
        found = sorted(p.name for p in run_dir.glob("[0-9][0-9]_*.html") if not p.name.endswith(CODE_HTML_SUFFIX))
        if not found:
            return section("notebooks", t("Executed notebooks"), na("The list of executed notebooks is", t))
        lis = "".join(f'<li><a href="{esc(n)}">{esc(Path(n).stem)}</a></li>' for n in found)
        return section("notebooks", t("Executed notebooks"),
                       f'<p class="note">{esc(t("No manifest.json: notebooks found in the folder."))}</p>'
                       f'<ul>{lis}</ul>')
    rows = []
    for rec in records:
        if not isinstance(rec, dict) or not rec.get("notebook"):
            continue
        nb = str(rec["notebook"])
        status = str(rec.get("status") or "unknown")
        html_name = Path(nb).with_suffix(".html").name
        stem = esc(Path(nb).stem)
        code_name = Path(nb).with_suffix("").name + CODE_HTML_SUFFIX
        if status == "ok" and (run_dir / html_name).exists():
            cell = f'<a href="{esc(html_name)}">{stem}</a>'
            if (run_dir / code_name).exists():  # the analysts' version, with the code
                cell += (f' <span class="note">{"(" if t.english else "（"}<a href="{esc(code_name)}">'
                         f'{esc(t("with code"))}</a>{")" if t.english else "）"}</span>')
        elif status == "ok":
            cell = f'{stem} <span class="note">{esc(t("(HTML not found)"))}</span>'
        else:
            cell = stem
        note = esc(prose(t, rec.get("reason") or rec.get("message") or ""))
        secs = num(rec.get("seconds"))
        cls = status if status in ("ok", "skipped", "failed") else "unknown"
        badge = f'<span class="badge {esc(cls)}">{esc(t.lookup(status))}</span>'
        rows.append([(cell, False), (badge, False), (esc(f"{secs:.1f} s") if secs is not None else DASH, True),
                     (note, False)])
    if not rows:
        return section("notebooks", t("Executed notebooks"), na("The list of executed notebooks is", t))
    return section("notebooks", t("Executed notebooks"),
                   table([(esc(t(h)), n) for h, n in (("Notebook", False), ("Status", False), ("Time", True),
                                                      ("Note", False))], rows))
