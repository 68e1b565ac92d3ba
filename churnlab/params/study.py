"""All parameters of one study, and the rules that tie its sections together."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import ParamsError
from .sections import (CampaignParams, ChurnParams, CostParams, FixParams, KpiParams, Labels, PlaybookParams,
                       ScaleParams, Scenario, SnapshotParams, SparkParams, Strict, SurvivalParams, ValueParams,
                       WarningParams, parse_date)
from .sources import FileSource, Source


class StudyParams(Strict):
    """All parameters of one study (one scenario run). See the module docstring."""

    scenario: Scenario
    seed: int = Field(ge=0, le=2**32 - 1, strict=True)
    as_of: dt.date
    kpi_period: Literal["month", "quarter", "year"] = "month"
    churn: ChurnParams
    snapshots: SnapshotParams = SnapshotParams()
    source: Source
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkParams = SparkParams()
    scale: ScaleParams = ScaleParams()
    playbook: PlaybookParams = PlaybookParams()
    warning: WarningParams = WarningParams()
    survival: SurvivalParams = SurvivalParams()
    value: ValueParams | None = None
    costs: CostParams | None = None
    campaign: CampaignParams | None = None
    fixes: dict[str, FixParams] = Field(default_factory=dict)
    kpi: KpiParams = KpiParams()
    labels: Labels = Field(default_factory=dict)
    lang: Literal["en", "zh"] = "en"
    output_dir: str = ""

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_only(cls, v: Any) -> Any:
        return parse_date(v)

    @model_validator(mode="after")
    def _definition_fits_source(self) -> "StudyParams":
        d = self.churn.definition
        src = self.source
        if isinstance(src, FileSource):
            has_tx = "transactions" in src.tables
            has_subs = "subscriptions" in src.tables
            if src.shape == "customer_table" and d != "contractual":
                raise ValueError(
                    "churn.definition: a customer_table export carries its own churn flag; "
                    "expected 'contractual'"
                )
            if d in ("inactivity", "partial", "category") and not has_tx:
                raise ValueError(f"churn.definition: {d!r} needs a transactions table")
            if d == "contractual" and src.shape != "customer_table" and not has_subs:
                raise ValueError("churn.definition: 'contractual' needs a subscriptions table")
        else:
            contractual = self.scenario in ("telecom", "software")
            if contractual and d != "contractual":
                raise ValueError(
                    f"churn.definition: the simulated {self.scenario} data is contractual; "
                    "expected 'contractual'"
                )
            if not contractual and d == "contractual":
                raise ValueError(
                    "churn.definition: the simulated retail data has no contracts; expected one of "
                    "'inactivity', 'partial', 'category'"
                )
        return self

    def economics(self, source: str = "params") -> tuple[ValueParams, CostParams, CampaignParams]:
        """The value, cost and campaign sections notebook 04 needs; one clear error if absent."""
        from ..config import NOTEBOOK_REQUIRES

        missing = [k for k in NOTEBOOK_REQUIRES["04_cost_of_churn.ipynb"] if getattr(self, k) is None]
        if missing:
            raise ParamsError(f"{source}: {missing[0]}: required for the cost of churn (notebook 04); "
                              "expected a mapping, see params/telecom.yaml")
        return self.value, self.costs, self.campaign

    def to_notebook(self) -> dict[str, Any]:
        """Parameters as papermill injects them: plain JSON-able values."""
        return self.model_dump(mode="json")


