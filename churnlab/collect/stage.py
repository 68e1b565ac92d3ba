"""Stage 1 as one result: what notebook 01 shows and the ``data`` section of ``metrics.json``.

:func:`describe` takes a finished :class:`~churnlab.collect.pipeline.Collection` and
the params and derives every table the notebook displays; it reads no files of its
own except the canonical tables the definition comparison needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..params import StudyParams
from ..schema import DEFINING_FEATURES
from . import plots
from .pipeline import Collection
from .summary import compare_definitions, summary_metrics, table_overview


@dataclass
class CollectResult:
    """Notebook 01's content.

    ``definitions``  churners under each applicable definition (:func:`compare_definitions`);
    ``segments``     up to 4 categorical columns for "churn by segment";
    ``differences``  numeric metrics ranked by standardised mean difference, churned vs retained
                     (features that define churn left out);
    ``flow``         arguments of :func:`plots.customer_flow` (``since``, the not-yet-observable
                     band), or None for data without dates;
    ``truth``        planted drivers (simulated data) and the other planted rates;
    ``snapshots``    customers and the share labelled ``churn_next`` per snapshot date.
    """

    params: StudyParams
    collection: Collection
    overview: pd.DataFrame
    definitions: pd.DataFrame
    segments: list[str]
    differences: pd.DataFrame
    flow: dict | None
    truth: pd.DataFrame | None
    truth_rates: dict = field(default_factory=dict)
    snapshots: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def top_metrics(self) -> list[str]:
        """The four metrics that differ most between churned and retained customers."""
        return self.differences["metric"].head(4).tolist()

    def metrics(self) -> dict[str, dict]:
        return {"data": summary_metrics(self.collection, self.params, self.definitions)}


def blind_window(params: StudyParams) -> int | None:
    """Days before ``as_of`` in which churn under the chosen definition cannot be seen yet
    (the inactivity window, or the partial/category window W); None for contracts."""
    c = params.churn
    return {"inactivity": c.inactivity_days, "partial": c.window_days,
            "category": c.window_days}.get(c.definition)


def describe(params: StudyParams, collection: Collection) -> CollectResult:
    """Everything notebook 01 shows about a finished collection."""
    a = collection.analysis
    flow = None
    if "start_date" in a and a["start_date"].notna().any():
        t0 = pd.Timestamp(params.as_of)
        blind = blind_window(params)
        flow = {"since": t0 - pd.DateOffset(years=3),
                "blind_from": t0 - pd.Timedelta(days=blind) if blind else None, "blind_to": t0}
    truth = collection.ground_truth or {}
    s = collection.snapshots
    snaps = (s.groupby("snapshot_date").agg(customers=("customer_id", "size"),
                                           churn_next=("churn_next", "mean"))
             if len(s) else pd.DataFrame())
    return CollectResult(
        params, collection, table_overview(collection), compare_definitions(collection, params),
        plots.segment_columns(a)[:4], plots.metric_differences(a, exclude=DEFINING_FEATURES), flow,
        pd.DataFrame(truth["drivers"]) if truth.get("drivers") else None,
        {k: v for k, v in truth.items() if k in ("save_rate", "exit_survey_response_rate")}, snaps)
