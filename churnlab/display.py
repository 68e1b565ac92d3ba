"""Showing results in a notebook: one call per section, so notebooks hold no display logic.

:func:`show` displays its items in order: text as Markdown, a Matplotlib Figure or
Axes as a figure (closed afterwards, so it is shown once), a DataFrame or Styler as a
table, and skips None. Stage packages build their notebook sections from it
(``<stage>/views.py``); it does nothing outside IPython except return.
"""

from __future__ import annotations

from typing import Any


def show(*items: Any) -> None:
    """Display each item in order (see the module docstring); None items are skipped."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            display(Markdown(item))
        elif isinstance(item, (plt.Figure, plt.Axes)) or hasattr(item, "figure") and \
                isinstance(getattr(item, "figure", None), plt.Figure) and not hasattr(item, "columns"):
            fig = item if isinstance(item, plt.Figure) else item.figure
            display(fig)
            plt.close(fig)
        else:
            display(item)
