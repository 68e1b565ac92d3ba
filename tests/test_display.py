"""churnlab.display.show: text as Markdown, figures shown once, tables as they are, None skipped."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from churnlab import display as d


def test_show_renders_each_kind_once(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda x: shown.append(x))
    fig, ax = plt.subplots()
    table = pd.DataFrame({"a": [1]})
    d.show("**text**", None, ax, table)
    assert type(shown[0]).__name__ == "Markdown" and shown[0].data == "**text**"
    assert shown[1] is fig and shown[2] is table and len(shown) == 3
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend will not show it again
