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


def test_a_wide_frame_holding_a_frame_in_its_attrs_is_shown(monkeypatch):
    """pandas raises 'truth value of a DataFrame is ambiguous' when it truncates a wide frame
    whose attrs hold a frame (pandas-dev/pandas#60455); table() shows it without its attrs."""
    import pandas as pd

    from churnlab import display as d

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda item: shown.append(repr(item)))
    wide = pd.DataFrame({f"c{i}": range(3) for i in range(40)})
    wide.attrs["skipped"] = pd.DataFrame({"a": [1]})
    with pd.option_context("display.max_columns", 5):
        d.table(wide)
        d.table(wide.iloc[:, 0])
    assert len(shown) == 2 and "c0" in shown[0]
    assert isinstance(wide.attrs["skipped"], pd.DataFrame)  # the caller's frame is unchanged
