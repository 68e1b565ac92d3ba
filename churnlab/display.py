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

    for text in fig.findobj(matplotlib.text.Text):
        text.set_parse_math(False)
    with matplotlib.rc_context({"text.parse_math": False}):
        display(fig)
    plt.close(fig)


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
            display(Markdown(safe_markdown(item)))
        elif fig is not None:
            figure(fig)
        else:
            table(item)
