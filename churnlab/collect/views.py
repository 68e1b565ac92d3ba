"""Notebook 01's sections: each function shows one section's text, figures and tables.

The notebook calls one function per code cell (``views.definitions(res)``); the display
logic lives here, the figures in :mod:`.plots`, the numbers in :class:`.stage.CollectResult`.
"""

from __future__ import annotations

from .. import i18n
from ..display import show
from ..escape import md
from . import plots
from .summary import date_range, truth_table
from .stage import CollectResult


def header(study) -> None:
    """The study line: name, scenario, data source, as-of date, churn definition and seed."""
    p = study.params
    show(f"**Study:** {md(study.name)} · **scenario:** {md(p.scenario)} · **data:** {md(p.source.kind)} · "
         f"**as of:** {p.as_of} · **churn definition:** {p.churn.definition} · **seed:** {p.seed}")


def overview(res: CollectResult) -> None:
    """The canonical tables read: rows, columns and source per table."""
    show(res.overview)


def quality(res: CollectResult) -> None:
    """The data-quality report: what was read, missing, impossible, and what was done."""
    q, cat = res.collection.quality, i18n.current()
    show(q if cat.english else q.assign(detail=q["detail"].map(lambda d: date_range(d, cat))))


def definitions(res: CollectResult) -> None:
    """Churners under each applicable definition: bars, then the table."""
    show(plots.definition_bars(res.definitions), res.definitions)


def churn_summary(res: CollectResult) -> None:
    """Churned customers and churn rate under the chosen definition, and the median duration."""
    col, p = res.collection, res.params
    show(f"Under the **{p.churn.definition}** definition, **{col.n_churned:,}** of "
         f"**{col.n_customers:,}** customers had churned by {p.as_of}: "
         f"a churn rate of **{col.churn_rate:.1%}**. Median time as a customer: "
         f"{col.analysis['duration'].median():.1f} months.")


def segments(res: CollectResult) -> None:
    """Churn rate by categorical segment, or a note when the data has none."""
    fig = plots.segment_panels(res.collection.analysis, columns=res.segments)
    show(fig if fig is not None else "No categorical segment columns in this data.")


def durations(res: CollectResult) -> None:
    """Time as a customer, churned against retained (so far, for the retained)."""
    show(plots.duration_by_status(res.collection.analysis))


def flow(res: CollectResult) -> None:
    """Monthly customer flow with the not-yet-observable band, or a note for data without dates."""
    if res.flow is None:
        show("This export has no dates (a single customer table): no monthly flow to show.")
    else:
        show(plots.customer_flow(res.collection.analysis, **res.flow))


def differences(res: CollectResult) -> None:
    """The metrics that differ most between churned and retained: panels, then the top-10 table."""
    show(plots.metric_panels(res.collection.analysis, columns=res.top_metrics),
         res.differences.head(10))


def truth(res: CollectResult) -> None:
    """The planted drivers and rates of simulated data, or a note for real data."""
    if res.truth is None:
        show("Real data: no planted truth to compare with.")
    else:
        show(truth_table(res.truth), ", ".join(f"**{md(k)}** = {md(v)}" for k, v in res.truth_rates.items()))


def snapshots(res: CollectResult) -> None:
    """Customers and share churning next per snapshot date, or a note when there are none."""
    if len(res.snapshots):
        show(res.snapshots)
    else:
        show("No dates in this data, so no snapshots: notebook 02 uses cross-validation.")
