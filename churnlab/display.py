"""Showing results in a notebook: one call per section, so notebooks hold no display logic.

:func:`show` displays its items in order: text as Markdown, a Matplotlib Figure or
Axes as a figure (closed afterwards, so it is shown once), a DataFrame or Styler as a
table, and skips None. Stage packages build their notebook sections from it
(``<stage>/views.py``); it does nothing outside IPython except return.
"""

from __future__ import annotations

from typing import Any


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


def show(*items: Any) -> None:
    """Display each item in order (see the module docstring); None items are skipped."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    for item in items:
        if item is None:
            continue
        fig = _figure(item)
        if isinstance(item, str):
            display(Markdown(item))
        elif fig is not None:
            display(fig)
            plt.close(fig)
        else:
            display(item)
