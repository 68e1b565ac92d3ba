"""Plot helpers draw on the given axes and their tables add up."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from churnlab.collect import plots


def _df():
    return pd.DataFrame({
        "customer_id": list("abcdef"),
        "plan": ["m", "m", "m", "y", "y", "y"],
        "churned": [True, True, False, False, False, True],
        "duration": [1.0, 2, 3, 4, 5, 6],
        "start_date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-01", "2024-02-02",
                                      "2024-03-01", "2024-03-02"]),
        "end_date": pd.to_datetime(["2024-02-10", "2024-03-01", None, None, None, "2024-03-20"]),
        "n_complaints": [2, 1, 0, 0, 1, 3],
    })


def test_segment_table_and_columns():
    t = plots.segment_table(_df(), "plan")
    assert t.loc["m", "churn_rate"] == 2 / 3 and t["customers"].sum() == 6
    assert plots.segment_columns(_df()) == ["plan"]


def test_flow_table_counts_starts_and_churns():
    t = plots.flow_table(_df())
    assert t["new"].tolist() == [2, 2, 2] and t["churned"].tolist() == [0, 1, 2]


def test_helpers_draw_on_given_axes():
    df = _df()
    for fn, kw in [(plots.churn_by_segment, {"column": "plan"}), (plots.duration_by_status, {}),
                   (plots.customer_flow, {}), (plots.metric_by_status, {"column": "n_complaints"})]:
        fig, ax = plt.subplots()
        assert fn(df, ax=ax, **kw) is ax
        assert ax.has_data()


def test_metric_differences_ranks_by_standardised_difference():
    df = _df().assign(const=1.0)
    d = plots.metric_differences(df).set_index("metric")
    assert "const" not in d.index and "duration" not in d.index
    c, r = [2, 1, 3], [0, 0, 1]  # complaints of the churned and the retained customers
    sd = np.sqrt((np.var(c, ddof=1) + np.var(r, ddof=1)) / 2)
    assert d.loc["n_complaints", "smd"] == pytest.approx((np.mean(c) - np.mean(r)) / sd)


def test_metric_by_status_interval_is_the_t_interval_of_statsmodels():
    from statsmodels.stats.weightstats import DescrStatsW

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"churned": rng.random(300) < 0.3, "x": rng.gamma(2.0, 3.0, 300)})
    df.loc[::17, "x"] = np.nan  # missing values are left out
    fig, ax = plt.subplots()
    plots.metric_by_status(df, column="x", ax=ax)
    segs = ax.collections[0].get_segments()  # the error bars, retained then churned
    for seg, churned in zip(segs, [False, True]):
        lo, hi = DescrStatsW(df.loc[df["churned"] == churned, "x"].dropna()).tconfint_mean()
        assert sorted(seg[:, 1]) == pytest.approx([lo, hi], rel=1e-10)
    plt.close(fig)


def test_segment_panels_leave_out_columns_whose_levels_were_all_too_small():
    """A categorical column whose every level has fewer than min_count customers has no row
    in the segment table: it gets no panel (an empty panel had NaN axis limits)."""
    from churnlab.causes import plots as cplots
    from churnlab.causes.drivers import segment_churn

    df = pd.DataFrame({"churned": [True, False] * 40, "big": list("ab") * 40,
                       "tiny": [f"l{i % 8}" for i in range(80)]})
    seg = segment_churn(df, columns=["tiny", "big"], min_count=30)
    assert set(seg.table["column"]) == {"big"} and set(seg.skipped["column"]) == {"tiny"}
    fig = cplots.segment_panels(seg.table, columns=["tiny", "big"], overall=0.5)
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "Churn rate by big"
    assert cplots.segment_panels(seg.table, columns=["tiny"], overall=0.5) is None
    assert cplots.segment_panels(seg.table.iloc[:0], columns=["big"], overall=0.5) is None
