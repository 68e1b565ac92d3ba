"""The sections of a params file other than the data source: one pydantic model each."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..config import SCENARIOS
from ..errors import shown

Scenario = Literal[SCENARIOS]  # the built-in industries (config.SCENARIOS)

#: The KPIs a scorecard target may name (``kpi.targets``) -> True when higher is better.
HIGHER_IS_BETTER = {"monthly_churn": False, "quarterly_churn": False, "annual_churn": False,
                    "monthly_retention": True, "growth_rate": True, "winback_rate": True,
                    "save_rate": True, "grr": True, "nrr": True, "quick_ratio": True,
                    "complaints_per_100": False, "response_hours": False, "satisfaction": True}

#: How a KPI converts between periods (:func:`churnlab.kpi.scorecard.convert_rate`): ``churn``
#: compounds as 1 - (1 - c)^n, ``retention`` (GRR, NRR) as r^n, ``growth`` as (1 + g)^n - 1,
#: ``count`` (events per 100 customers and period) scales with the period's length. KPIs not
#: listed are not per-period rates (win-back within a window, save rate per offer, ratios, hours,
#: scores): their targets take no period.
KPI_KINDS = {"monthly_churn": "churn", "quarterly_churn": "churn", "annual_churn": "churn",
             "monthly_retention": "retention", "grr": "retention", "nrr": "retention",
             "growth_rate": "growth", "complaints_per_100": "count"}
#: KPIs whose name states their period: a bare number is a target for that period.
NAMED_PERIODS = {"monthly_churn": "month", "quarterly_churn": "quarter", "annual_churn": "year",
                 "monthly_retention": "month"}

#: ``labels:`` feature (or model term ``column=level``) -> readable label, overriding the
#: defaults of :mod:`churnlab.features_meta` in every table and figure that names a feature.
Labels = dict[Annotated[str, Field(min_length=1, max_length=100)],
              Annotated[str, Field(min_length=1, max_length=100)]]


def parse_date(v: Any) -> Any:
    """A date from YAML: a date, a datetime (its day) or a ``YYYY-MM-DD`` string."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, (int, float)):
        raise ValueError(f"expected a date YYYY-MM-DD, got {shown(v)}")
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {shown(v)}") from None
    return v


class Strict(BaseModel):
    """Base of every params section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ChurnParams(Strict):
    """How churn is defined (see :mod:`churnlab.definitions` for the formulas).

    - ``contractual``: the customer's last contract ended on or before ``as_of``
      and no new one started within ``resubscribe_gap_days``.
    - ``inactivity``: no purchase in the last ``inactivity_days`` before ``as_of``
      (the seeds' example is 6 months).
    - ``partial``: spend in the last ``window_days`` fell by at least
      ``partial_drop`` (0.8 = 80%) against the ``window_days`` before.
    - ``category``: a category bought at least ``category_min_purchases`` times
      in the earlier window was not bought at all in the last window, while the
      customer still bought something else.
    """

    definition: Literal["contractual", "inactivity", "partial", "category"]
    inactivity_days: int = Field(180, ge=1, le=3650)
    window_days: int = Field(180, ge=7, le=1825)
    partial_drop: float = Field(0.8, gt=0, le=1)
    category_min_purchases: int = Field(2, ge=1, le=1000)
    resubscribe_gap_days: int = Field(30, ge=0, le=3650)


class SnapshotParams(Strict):
    """Point-in-time snapshots: ``count`` observation dates ``spacing_days`` apart,
    the last one ``lead_days`` before ``as_of``; the label of a snapshot is
    "churned as of ``lead_days`` later" (for contracts, also "left and came
    back within them")."""

    count: int = Field(4, ge=1, le=60)
    spacing_days: int = Field(90, ge=7, le=730)
    lead_days: int = Field(90, ge=7, le=730)


class PlaybookParams(Strict):
    """Cause -> action playbook overrides (see :mod:`churnlab.playbook`).

    ``families`` maps a feature to a driver family; ``actions`` maps a family
    to the retention action to suggest.
    """

    families: dict[str, Literal["price", "service", "engagement", "contract_end"]] = Field(
        default_factory=dict)
    actions: dict[Literal["price", "service", "engagement", "contract_end"], str] = Field(
        default_factory=dict)


class WarningParams(Strict):
    """Early-warning risk tiers, by rank: the ``high_share`` of active customers
    with the highest churn probability are "high", the next ``medium_share``
    "medium", the rest "low"."""

    high_share: float = Field(0.1, gt=0, lt=1)
    medium_share: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _fits(self) -> "WarningParams":
        if self.high_share + self.medium_share >= 1:
            raise ValueError("medium_share: expected high_share + medium_share below 1")
        return self


class SurvivalParams(Strict):
    """Survival modelling and retention projection (notebook 03, :mod:`churnlab.survival`).

    ``unit``               time unit of durations (calendar periods when start dates exist).
    ``horizons``           horizons, in ``unit``, for S(h) and P(churn within h).
    ``observed_from``      first day of the data window: customers who joined earlier are
                           left-truncated (in the data only because they survived until
                           then). Simulated data set it themselves; for files leave it empty
                           if the export also holds customers who left long ago.
    ``test_share``         share of customers held out to validate the models.
    ``calibration_horizon`` horizon, in ``unit``, of the held-out calibration check.
    ``remaining_cap``      expected remaining lifetime is restricted to this many periods.
    ``cohort_period``      period of the sBG acquisition cohorts: month | quarter | year.
    ``fit_periods``        the sBG is fitted on each cohort's first ``fit_periods`` periods
                           and projects the rest.
    ``annual_discount_rate`` for the discounted expected residual lifetime (DERL).
    ``bgnbd_unit``         time unit of the BG/NBD model: day | week | month.
    ``bgnbd_horizon``      horizon, in ``bgnbd_unit``, of expected purchases; empty means
                           the holdout length when data extend past ``as_of``, else 26 weeks.
    """

    unit: Literal["day", "week", "month", "quarter", "year"] = "month"
    horizons: list[Annotated[float, Field(gt=0)]] = Field(default_factory=lambda: [3, 6, 12, 24],
                                                          min_length=1)
    observed_from: dt.date | None = None
    test_share: float = Field(0.25, ge=0.05, le=0.5)
    calibration_horizon: float = Field(12, gt=0)
    remaining_cap: float = Field(60, gt=0, le=1200)
    cohort_period: Literal["month", "quarter", "year"] = "month"
    fit_periods: int = Field(12, ge=1)
    annual_discount_rate: float = Field(0.10, gt=0, lt=1)
    bgnbd_unit: Literal["day", "week", "month"] = "week"
    bgnbd_horizon: float | None = Field(None, gt=0)

    @field_validator("observed_from", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return parse_date(v)


Money = Annotated[float, Field(ge=0)]
Family = Literal["price", "service", "engagement", "contract_end"]


class ValueParams(Strict):
    """Customer value (notebook 04, :mod:`churnlab.value`). Money is in ``currency``.

    ``margin_rate``     share of revenue that is margin (0 < m <= 1).
    ``discount_rate``   discount rate per ``discount_period`` (0 <= d < 1, i.e. below 100%).
    ``horizon_months``  months of future value counted in CLV (>= 1).
    ``revenue_column``  per-customer revenue per month in the analysis table; empty means
                        the first of ``monthly_charge_mean``, ``mrr_mean``, ``MonthlyCharges``
                        (contractual) -- retail value comes from the transactions.
    ``segment``         column to break value and cost down by; empty: the first category.
    ``bootstrap``       bootstrap resamples for the CLV intervals.
    """

    currency: str = Field("EUR", min_length=1)
    margin_rate: float = Field(gt=0, le=1)
    discount_rate: float = Field(ge=0, lt=1)
    discount_period: Literal["month", "quarter", "year"] = "year"
    horizon_months: int = Field(gt=0, le=600)
    revenue_column: str = ""
    segment: str = ""
    bootstrap: int = Field(200, ge=20, le=10_000)

    def monthly_discount(self) -> float:
        """The discount rate per month equivalent to ``discount_rate`` per ``discount_period``."""
        from ..discount import monthly_rate

        return monthly_rate(self.discount_rate, self.discount_period)


class CostParams(Strict):
    """What a churner costs beyond lost revenue (all required, in the value currency).

    Direct, per churner: ``termination`` (processing a cancellation),
    ``equipment_recovery``, ``compensation``. Indirect, per churner:
    ``acquisition_cost`` (CAC of a replacement customer) and ``extra_service_cost``.
    Retention spend: ``offer_cost`` per retention offer made (by offer type, or
    ``default``); ``stay_anyway_share``: the share of customers kept by an offer who
    would have stayed without it (not estimable without a control group: an assumption).
    """

    termination: Money
    equipment_recovery: Money
    compensation: Money
    acquisition_cost: Money
    extra_service_cost: Money
    offer_cost: dict[str, Money]
    stay_anyway_share: float = Field(ge=0, le=1)

    @field_validator("offer_cost")
    @classmethod
    def _has_default(cls, v: dict[str, float]) -> dict[str, float]:
        if "default" not in v:
            raise ValueError("expected a 'default' cost (and optionally one per offer type)")
        return v


class CampaignParams(Strict):
    """A proactive retention campaign on the early-warning list (:mod:`churnlab.cost`).

    ``contact_cost``    per contacted customer.
    ``incentive_cost``  per accepted offer, by driver family (price -> discount,
                        service -> service recovery, engagement -> loyalty,
                        contract_end -> renewal).
    ``accept_rate``     P(a contacted at-risk customer accepts and stays); empty means
                        estimated from the offers table (the save desk's record).
    ``accept_uncertainty`` Beta prior strength (alpha + beta) around ``accept_rate`` for
                        the profit distribution when the rate is given, not estimated.
    ``horizon_months``  horizon of the revenue at risk (P(churn within it) x value).
    """

    contact_cost: Money
    incentive_cost: dict[Family, Money]
    accept_rate: float | None = Field(None, gt=0, le=1)
    accept_uncertainty: float = Field(50, gt=2)
    horizon_months: int = Field(12, ge=1, le=120)


class FixParams(Strict):
    """A candidate fix for one exit reason: cut its churn by ``reduction`` for ``investment``."""

    reduction: float = Field(gt=0, le=1)
    investment: Money


class Target(Strict):
    """A scorecard target and the period it is set for (``month``, ``quarter``, ``year``;
    None for KPIs that are not per-period rates)."""

    value: float
    period: Literal["month", "quarter", "year"] | None = None


class KpiParams(Strict):
    """KPI evaluation (notebook 05, :mod:`churnlab.kpi`).

    ``targets``      KPI -> target (see :data:`HIGHER_IS_BETTER` for the names). A
                     per-period rate (:data:`KPI_KINDS`) states its period:
                     ``grr: {value: 0.9, period: year}``; a bare number is accepted only
                     where the name says the period (``monthly_churn: 0.015`` is monthly)
                     and for KPIs that are not per-period rates (``save_rate: 0.45``).
                     The scorecard converts the measured value to the target's period.
    ``tolerance``    a KPI missing its target by at most this share of the target is
                     "watch", by more "off track".
    ``winback_days`` a churned customer who comes back within this many days is won back.
    ``sensitivity_days`` inactivity windows (shops) or re-subscription gaps (contracts)
                     to recompute churn for.
    ``consistency_tolerance`` relative difference between churn measured three ways
                     that is flagged.
    """

    targets: dict[str, Target] = Field(default_factory=dict)
    tolerance: float = Field(0.1, ge=0, le=1)
    winback_days: int = Field(180, ge=1, le=3650)
    sensitivity_days: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: [30, 60, 90, 120, 180, 270, 365], min_length=2)
    consistency_tolerance: float = Field(0.25, gt=0, le=5)

    @field_validator("targets", mode="before")
    @classmethod
    def _known(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        unknown = sorted(set(v) - set(HIGHER_IS_BETTER))
        if unknown:
            raise ValueError(f"unknown KPI {shown(unknown[0])}; expected one of "
                             f"{', '.join(sorted(HIGHER_IS_BETTER))}")
        out = {}
        for kpi, t in v.items():
            spec = dict(t) if isinstance(t, dict) else {"value": t}
            named, rate = NAMED_PERIODS.get(kpi), kpi in KPI_KINDS
            period = spec.get("period")
            if period is None and named:
                spec["period"] = named
            elif period is None and rate:
                raise ValueError(f"{kpi}: a per-period rate needs the target's period, e.g. "
                                 f"{{value: {spec.get('value')}, period: year}} (month, quarter or year)")
            elif period is not None and named and period != named:
                raise ValueError(f"{kpi}: the name says the target is per {named}, got period {shown(period)}")
            elif period is not None and not rate:
                raise ValueError(f"{kpi}: not a per-period rate, its target takes no period")
            out[kpi] = spec
        return out




class SparkParams(Strict):
    """Where ``engine: spark`` runs the collection.

    ``master``: a Spark master URL -- ``local[*]`` (every core of this machine, the
    default), ``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``.
    ``config``: Spark settings passed as they are to the session builder
    (``spark.executor.memory: 8g``, ``spark.sql.shuffle.partitions: 64``...).
    """

    master: str = Field("local[*]", min_length=1, max_length=500)
    config: dict[Annotated[str, Field(min_length=1, max_length=200, pattern=r"^spark\.")],
                 str | int | float | bool] = Field(default_factory=dict)


class ScaleParams(Strict):
    """How a large customer base is handled.

    ``sample_size``: the models (cause analysis, early warning, survival) are
    fitted on a stratified random sample of at most this many customers, each
    weighted by the inverse of its stratum's sampling fraction
    (:func:`churnlab.sampling.fit_sample`); every customer is still scored with
    the fitted models. ``null`` fits on every customer whatever the size.
    ``memory_gb``: the memory a run may use; a table that would not fit stops the
    run with one line naming it. ``null``: 80% of the memory available when the
    run starts.
    """

    sample_size: int | None = Field(200_000, ge=1_000)
    memory_gb: float | None = Field(None, gt=0)
