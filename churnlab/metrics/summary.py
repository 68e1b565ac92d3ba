"""The recorded headline numbers as a short table for a notebook, instead of a raw dict dump.

A section of ``metrics.json`` nests maps several levels deep (segment churn per
column and level, hazard ratios per term): printed as a dict it runs to
thousands of pixels of numbers. :func:`recorded` flattens it into one row per
key with a readable value; a long list or map is summarised by its size and
first entries, and the file keeps everything.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from .. import i18n

#: Words of the summary table (one place, so they can later come from a catalogue).
TEXT = {
    "key": "key",
    "value": "recorded value",
    "more": "{n} entries: {first}, and {rest} more (all in metrics.json)",
    "list": "{n} values: {first}, and {rest} more (all in metrics.json)",
    "empty": "(none)",
}


def _scalar(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def recorded(values: Mapping[str, Any], *, max_items: int = 8, max_depth: int = 3,
             cat: "i18n.Catalogue | None" = None) -> pd.DataFrame:
    """One row per recorded key (dotted path) and its value as text.

    Maps are walked into up to ``max_depth`` levels while they hold at most
    ``max_items`` entries (the first two levels, a file section and its keys, always); a map of at most ``max_items``
    scalars is one row of ``key: value`` pairs; any other longer map or list becomes
    one row saying how many entries it holds and naming the first three. Scalars are
    formatted (4 significant digits, thousands separated); lists of at most
    ``max_items`` scalars are joined with commas.

    Words are written in ``cat``'s language (default: the session's, :func:`churnlab.i18n.current`):
    the headings and summaries, and each key and text value with a space in it (words, not
    an identifier) that the catalogue has (a policy name, a method), one by one before they
    are joined; others (identifiers, names, data) stay.
    """
    cat = cat or i18n.current()
    rows: list[tuple[str, str]] = []

    def tr(v: Any) -> Any:
        return cat.lookup(v) if isinstance(v, str) and " " in v.strip() else v

    def summary(kind: str, items: list[str]) -> str:
        if len(items) <= 3:
            return ", ".join(items)
        return cat(TEXT[kind], n=len(items), first=", ".join(items[:3]), rest=len(items) - 3)

    def walk(prefix: str, v: Any, depth: int) -> None:
        if _is_scalar(v):
            rows.append((prefix, _scalar(tr(v))))
        elif isinstance(v, Mapping):
            if not v:
                rows.append((prefix, cat(TEXT["empty"])))
            elif depth <= 1 or (len(v) <= max_items and depth < max_depth
                                and not all(_is_scalar(x) for x in v.values())):
                for k, sub in v.items():
                    walk(f"{prefix}.{tr(k)}" if prefix else str(tr(k)), sub, depth + 1)
            elif len(v) <= max_items and all(_is_scalar(x) for x in v.values()):
                rows.append((prefix, "; ".join(f"{tr(k)}: {_scalar(tr(x))}" for k, x in v.items())))
            else:
                rows.append((prefix, summary("more", [str(tr(k)) for k in v])))
        elif isinstance(v, (list, tuple)):
            if not v:
                rows.append((prefix, cat(TEXT["empty"])))
            elif len(v) <= max_items and all(_is_scalar(x) for x in v):
                rows.append((prefix, ", ".join(_scalar(tr(x)) for x in v)))
            else:
                rows.append((prefix, summary("list", [_scalar(tr(x)) if _is_scalar(x) else f"({type(x).__name__})"
                                                      for x in v])))
        else:
            rows.append((prefix, str(v)))

    walk("", dict(values), 0)
    return pd.DataFrame(rows, columns=[cat(TEXT["key"]), cat(TEXT["value"])])
