"""Formatting for the report pages: escaped text, numbers in words and small HTML pieces.

Number formats: counts with thousands separators (``5,000``), shares as
percentages with one decimal (``0.1234`` -> ``12.3%``), money as ``1,164,467 EUR``
(two decimals below 100), multipliers as ``×1.80``. In the KPI scorecard,
``unit: "%"`` values are fractions like every rate in ``metrics.json``
(``0.05`` is shown as ``5.0%``). A missing or non-finite value is :data:`DASH`.

Text is escaped with :func:`churnlab.escape.esc` (imported here for the report's modules).
The HTML helpers take text that is already escaped (``value`` of a card, the
cells of a table) unless their docstring says otherwise.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from .. import i18n
from ..escape import esc

DASH = "—"
NA_TEXT = "not available in this run"
#: the English catalogue: the default ``t`` of every function that writes text (English unchanged)
EN = i18n.catalogue(i18n.DEFAULT)

# =========================================================================== values


def num(x: Any) -> float | None:
    """``x`` as a finite float, or None (bools, strings, NaN and None are not numbers)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def fmt_int(x: Any) -> str:
    """A count with thousands separators: ``5000`` -> ``5,000``."""
    n = num(x)
    return DASH if n is None else f"{round(n):,}"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.1234`` -> ``12.3%``."""
    n = num(x)
    return DASH if n is None else f"{n * 100:,.{digits}f}%"


def fmt_num(x: Any) -> str:
    """A readable number: three significant digits, separators from 1,000, e-notation from 1e6."""
    n = num(x)
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
    n = num(x)
    if n is None:
        return DASH
    text = f"{n:,.0f}" if abs(n) >= 100 or n == 0 else f"{n:,.2f}"
    return f"{text} {currency}" if currency else text


def fmt_ratio(x: Any) -> str:
    """A multiplier: ``1.8`` -> ``×1.80``."""
    n = num(x)
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
        n = num(x)
        return DASH if n is None else f"{n:.2f}×"
    return fmt_num(x)


def fmt_date(text: Any) -> str:
    """``2026-11-22T16:05:23+00:00`` -> ``2026-11-22 16:05 UTC``; other text as it is."""
    s = str(text or "")
    m = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]00:00)?$", s)
    if m:
        return f"{m.group(1)} {m.group(2)}" + (" UTC" if m.group(3) else "")
    return s


def words(name: Any) -> str:
    """``no_longer_needed`` -> ``no longer needed``."""
    return str(name).replace("_", " ")


ACRONYMS = {"grr": "GRR", "nrr": "NRR", "clv": "CLV", "auc": "AUC", "mrr": "MRR", "arr": "ARR",
            "arpu": "ARPU", "nps": "NPS", "csat": "CSAT", "cac": "CAC", "ltv": "LTV"}


def label(name: Any) -> str:
    """A KPI key as a label: ``monthly_churn`` -> ``Monthly churn``, ``nrr`` -> ``NRR``."""
    parts = [ACRONYMS.get(w.lower(), w) for w in words(name).split()]
    if parts and parts[0] == parts[0].lower():
        parts[0] = parts[0][:1].upper() + parts[0][1:]
    return " ".join(parts)


def plural(unit: str, n: float | None) -> str:
    """``month`` for one, ``months`` otherwise."""
    return unit if n is not None and abs(n) == 1 else unit + "s"


def qty(t: i18n.Catalogue, n: float | None, unit: str, text: str | None = None) -> str:
    """``24 months`` in the language of ``t``: the number, then the unit's plural translated as an
    exact string (``months`` -> ``个月``; Chinese has no plural). Not a template ``{n} months``: it
    would match any text ending in "months" ("Dropped calls per month").

    ``text`` is the number as shown (default :func:`fmt_num`).
    """
    text = fmt_num(n) if text is None else text
    if t.english:
        return f"{text} {plural(unit, n)}"
    return f"{text} {t(plural(unit, 2))}"


def tagged(t: i18n.Catalogue, tag: str, value: str) -> str:
    """A short tag before a value, ``seed 42``, ``Validation: time-ordered``, with the tag translated
    as an exact string (a template ``seed {seed}`` would match any text that starts with "seed ").
    A Chinese tag ending in a full-width colon takes no space after it."""
    tag_t = t(tag)
    return f"{tag_t}{value}" if tag_t.endswith("：") else f"{tag_t} {value}"


def paren(t: i18n.Catalogue, text: str) -> str:
    """`` (text)`` after a word in English, ``（text）`` in Chinese (full-width, no space)."""
    return f" ({text})" if t.english else f"（{text}）"


def span(t: i18n.Catalogue, low: str, high: str) -> str:
    """A range of two shown values: ``a to b`` in English, ``a–b`` otherwise (no template for it:
    ``{a} to {b}`` would match any sentence with "to" in it)."""
    return f"{low} to {high}" if t.english else f"{low} – {high}"


_SENTENCE = re.compile(r"(?<=[.;:])\s+(?=[A-Z])")


def prose(t: i18n.Catalogue, text: str | None) -> str:
    """A note written in English by a stage (metrics.json) in the language of ``t``, sentence by
    sentence (a sentence ends with ``.``, ``;`` or ``:`` before a capital letter), each by the
    catalogue's exact strings and templates; what has no entry stays English. Sentences first:
    a template for the first sentence alone must not swallow the ones after it."""
    if not text or t.english:
        return text or ""
    return " ".join(t.text(part) for part in _SENTENCE.split(text.strip()))


def lookup(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...`` of a free-form mapping (the manifest); None when a step is missing."""
    cur = mapping
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


# =========================================================================== HTML pieces


def na(what: str, t: i18n.Catalogue = EN) -> str:
    """``<what> not available in this run.`` as a muted paragraph (``what`` is plain text, English:
    translated with the sentence by ``t``)."""
    return f'<p class="na">{esc(t("{what} not available in this run.", what=what))}</p>'


def card(title: str, value: str, sub: str = "", *, small: bool = False) -> str:
    """A fact card; ``title`` is plain text, ``value`` and ``sub`` are already-escaped HTML."""
    cls = "value small" if small else "value"
    sub_html = f'<div class="sub">{sub}</div>' if sub else ""
    return (f'<div class="card"><div class="label">{esc(title)}</div>'
            f'<div class="{cls}">{value}</div>{sub_html}</div>')


def cards(items: Iterable[str]) -> str:
    """A grid of :func:`card` s."""
    return f'<div class="cards">{"".join(items)}</div>'


def section(anchor: str, title: str, inner: str) -> str:
    """A report section with its heading (``anchor`` and ``title`` are plain text)."""
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{inner}\n</section>'


def two_columns(left: Iterable[str], right: Iterable[str]) -> str:
    """Two columns side by side (one below the other on narrow screens)."""
    return f'<div class="two"><div>{"".join(left)}</div><div>{"".join(right)}</div></div>'


def table(head: Iterable[tuple[str, bool]], rows: Iterable[Iterable[tuple[str, bool]]],
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


def bar(share: float) -> str:
    """A horizontal bar filled to ``share`` (0..1) of its width."""
    width = max(0.0, min(1.0, share)) * 100
    return f'<div class="bar"><span style="width:{width:.1f}%"></span></div>'


def bar_table(head: Iterable[tuple[str, bool]], rows: Iterable[Iterable[tuple[str, bool]]]) -> str:
    """A :func:`table` whose :func:`bar` cells get the wide ``barcell`` class."""
    return table(head, rows).replace('<td><div class="bar"', '<td class="barcell"><div class="bar"')
