"""Showing results in a notebook: one call per section, so notebooks hold no display logic.

:func:`show` displays its items in order: text as Markdown, a Matplotlib Figure or
Axes as a figure (closed afterwards, so it is shown once), a DataFrame or Styler as a
table, and skips None. Stage packages build their notebook sections from it
(``<stage>/views.py``); it does nothing outside IPython except return.

What it shows is safe whatever the study's data and params hold (:mod:`churnlab.escape`):
text passes :func:`~churnlab.escape.safe_markdown` (no raw HTML, no links) and is kept
away from MathJax, tables are shown with their cells escaped and marked for MathJax
to skip, and figures draw a ``$`` in a label as a ``$`` (no mathtext). Views still pass each value they paste into text through
:func:`~churnlab.escape.md` or :func:`~churnlab.escape.md_code`, so it also *reads* as
the value.
"""

from __future__ import annotations

from typing import Any

from IPython.display import Markdown as _IPythonMarkdown

from . import i18n
from .escape import no_math, safe_markdown


class Markdown(_IPythonMarkdown):
    """IPython's Markdown for text, never for a file or URL, rendered where MathJax does not look.

    ``IPython.display.Markdown(text)`` reads a file when ``text`` names one and downloads
    it when it starts with ``http``; this one only ever shows ``text``. ``data`` is the
    Markdown as given; the rendered form wraps it in a ``tex2jax_ignore`` block
    (:func:`churnlab.escape.no_math`).
    """

    def __init__(self, text: str):
        self.url = self.filename = None
        self.data = text
        self.metadata = {}

    def _repr_markdown_(self):
        return no_math(self.data)


def _figure(item: Any):
    """The Figure behind a Figure, an Axes or an array of Axes (a panel helper's return), else None."""
    import matplotlib.pyplot as plt
    import numpy as np

    if isinstance(item, plt.Figure):
        return item
    if isinstance(item, plt.Axes):
        return item.figure
    if isinstance(item, np.ndarray) and item.size and isinstance(item.flat[0], plt.Axes):
        return item.flat[0].figure
    return None


def figure(fig) -> None:
    """Display a Matplotlib figure with every text shown as written, then close it.

    Matplotlib reads text between two ``$`` as mathtext: a segment level like ``a $x^$ b``
    fails to draw (the figure is replaced by a traceback) and ``$10 to $20`` is typeset.
    churnlab's own labels use no mathtext, so it is turned off for every text of the
    figure, and for the tick labels drawn while displaying it.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from IPython.display import display

    cat = i18n.current()
    untranslated = []
    for text in fig.findobj(matplotlib.text.Text):
        text.set_parse_math(False)
        if not cat.english:
            text.set_fontfamily(i18n.fonts(cat.lang))
        if not cat.english and text.get_text():
            text.set_text(cat.text(text.get_text()))
            untranslated += i18n.english_prose(text.get_text(), min_words=2)
    with matplotlib.rc_context(figure_rc(cat.lang)):
        # a figure's texts are pixels in the page: the English left in them is noted beside it
        if untranslated:
            display(fig, metadata={i18n.UNTRANSLATED: untranslated})
        else:
            display(fig)
    plt.close(fig)


def figure_rc(lang: str) -> dict:
    """Matplotlib settings to draw a figure in ``lang``: no mathtext, and fonts with its glyphs.

    For Chinese the font family lists a CJK font (WenQuanYi Micro Hei, installed by
    ``scripts/ensure_cjk_font.sh``; or Noto Sans CJK) after DejaVu Sans: Matplotlib falls
    back per glyph through the listed families (not through the members of the generic
    ``sans-serif``), so Latin text keeps its look and Chinese glyphs are drawn. A text
    created before (a figure built outside this context) gets the list by
    ``set_fontfamily`` in :func:`figure`.
    """
    rc = {"text.parse_math": False}
    if lang in i18n.FONTS:
        rc.update({"font.family": i18n.fonts(lang), "axes.unicode_minus": False})
    return rc


def translated_table(item: Any, cat: "i18n.Catalogue") -> Any:
    """A DataFrame or Series with its column and index labels and its text cells translated.

    Labels and cells that the catalogue has are translated; others (names, data values)
    stay as they are. A Styler is shown as it is.
    """
    import pandas as pd

    if cat.english or not isinstance(item, (pd.DataFrame, pd.Series)):
        return item

    def label(v):
        return cat.lookup(v) if isinstance(v, str) else v

    item = item.copy(deep=True)
    if isinstance(item, pd.DataFrame):
        item.columns = item.columns.map(label) if not isinstance(item.columns, pd.MultiIndex) else item.columns
        cols = [c for c in item.columns if item[c].dtype == object] if item.columns.is_unique else []
        for c in cols:
            item[c] = item[c].map(label)
    else:
        item.name = label(item.name)
        if item.dtype == object:
            item = item.map(label)
    if not isinstance(item.index, pd.MultiIndex):
        item.index = item.index.map(label)
    if isinstance(item.index.name, str):
        item.index.name = label(item.index.name)
    return item


def table(item: Any) -> None:
    """Display a DataFrame, Series or Styler as a table MathJax leaves alone.

    pandas escapes a DataFrame's cells, index and column names in its HTML; with
    ``display.html.use_mathjax`` / ``styler.html.mathjax`` off (for this call only) the
    table also gets the ``tex2jax_ignore`` class, so a ``$`` in the data is not typeset.
    Text cells are shown in full (``display.max_colwidth`` None: a description is never
    cut with "..."). A Styler must escape its own cells (``format(escape="html")``, see
    :func:`churnlab.kpi.scorecard.style_scorecard`).

    A frame is shown without its ``attrs``: pandas compares them with ``==`` when it
    truncates a wide frame for display, which raises for an attr that is itself a frame
    (pandas-dev/pandas#60455).
    """
    import pandas as pd
    from IPython.display import display

    if isinstance(item, (pd.DataFrame, pd.Series)) and item.attrs:
        item = item.copy(deep=False)
        item.attrs = {}
    item = translated_table(item, i18n.current())
    with pd.option_context("display.html.use_mathjax", False, "styler.html.mathjax", False,
                           "display.max_colwidth", None):  # descriptions in full, never cut with "..."
        display(item)


def show(*items: Any) -> None:
    """Display each item in order (see the module docstring); None items are skipped."""
    from IPython.display import display

    for item in items:
        if item is None:
            continue
        fig = _figure(item)
        if isinstance(item, str):
            display(Markdown(safe_markdown(i18n.current().text(item))))
        elif fig is not None:
            figure(fig)
        else:
            table(item)
