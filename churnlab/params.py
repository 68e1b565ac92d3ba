"""Study parameters: one YAML file per study, validated once, early.

A params file is both the input of ``churnlab run`` and a papermill parameters
file (``papermill nb.ipynb out.ipynb -f params/telecom.yaml``): its top-level
keys are the names in each notebook's ``parameters`` cell.

Validation (pydantic) checks types, ranges and required fields, and treats
**unknown keys as errors** (papermill itself only warns). Every failure becomes
one :class:`~churnlab.errors.ParamsError` line that names the file, the key
and what was expected, e.g.::

    params/telecom.yaml: churn.inactivity_days: expected an integer >= 1, got 'six'

Keys (see the README for the full reference):

``scenario``     telecom | retail | software (the industry template).
``seed``         integer seed for every random step.
``as_of``        observation end, ``YYYY-MM-DD``: churn is judged as of this day
                 and no data after it enters a feature.
``kpi_period``   month | quarter | year, the period of KPI tables.
``churn``        the churn definition and its settings (:class:`ChurnParams`).
``snapshots``    point-in-time snapshots for prediction (:class:`SnapshotParams`).
``source``       where the data comes from: the simulator or files
                 (:class:`SimulatedSource`, :class:`FileSource`).
``playbook``     cause -> action overrides (:class:`PlaybookParams`).
``warning``      early-warning risk tiers by rank (:class:`WarningParams`).
``survival``     survival models, sBG and BG/NBD settings (:class:`SurvivalParams`).
``value``, ``costs``, ``campaign``, ``fixes``  customer value, cost of churn, retention
                 campaign and candidate fixes (notebook 04; :class:`ValueParams`,
                 :class:`CostParams`, :class:`CampaignParams`, :class:`FixParams`).
``kpi``          KPI targets and evaluation settings (notebook 05; :class:`KpiParams`).
``output_dir``   where the run writes; empty means ``outputs/<name of the params file>``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config import SCENARIOS
from .errors import ParamsError
from .schema import SHAPE_TABLES, TABLES

Scenario = Literal[SCENARIOS]  # the built-in industries (config.SCENARIOS)

#: The KPIs a scorecard target may name (``kpi.targets``) -> True when higher is better.
HIGHER_IS_BETTER = {"monthly_churn": False, "quarterly_churn": False, "annual_churn": False,
                    "monthly_retention": True, "growth_rate": True, "winback_rate": True,
                    "save_rate": True, "grr": True, "nrr": True, "quick_ratio": True,
                    "complaints_per_100": False, "response_hours": False, "satisfaction": True}


def _parse_date(v: Any) -> Any:
    """A date from YAML: a date, a datetime (its day) or a ``YYYY-MM-DD`` string."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, (int, float)):
        raise ValueError(f"expected a date YYYY-MM-DD, got {v!r}")
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {v!r}") from None
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChurnParams(_Strict):
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


class SnapshotParams(_Strict):
    """Point-in-time snapshots: ``count`` observation dates ``spacing_days`` apart,
    the last one ``lead_days`` before ``as_of``; the label of a snapshot is
    "churned as of ``lead_days`` later" (for contracts, also "left and came
    back within them")."""

    count: int = Field(4, ge=1, le=60)
    spacing_days: int = Field(90, ge=7, le=730)
    lead_days: int = Field(90, ge=7, le=730)


class PlaybookParams(_Strict):
    """Cause -> action playbook overrides (see :mod:`churnlab.playbook`).

    ``families`` maps a feature to a driver family; ``actions`` maps a family
    to the retention action to suggest.
    """

    families: dict[str, Literal["price", "service", "engagement", "contract_end"]] = Field(
        default_factory=dict)
    actions: dict[Literal["price", "service", "engagement", "contract_end"], str] = Field(
        default_factory=dict)


class WarningParams(_Strict):
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


class SurvivalParams(_Strict):
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
        return _parse_date(v)


Money = Annotated[float, Field(ge=0)]
Family = Literal["price", "service", "engagement", "contract_end"]


class ValueParams(_Strict):
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
        from .discount import monthly_rate

        return monthly_rate(self.discount_rate, self.discount_period)


class CostParams(_Strict):
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


class CampaignParams(_Strict):
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


class FixParams(_Strict):
    """A candidate fix for one exit reason: cut its churn by ``reduction`` for ``investment``."""

    reduction: float = Field(gt=0, le=1)
    investment: Money


class KpiParams(_Strict):
    """KPI evaluation (notebook 05, :mod:`churnlab.kpi`).

    ``targets``      KPI -> target, e.g. ``monthly_churn: 0.015`` (see
                     :data:`HIGHER_IS_BETTER` for the names).
    ``tolerance``    a KPI missing its target by at most this share of the target is
                     "watch", by more "off track".
    ``winback_days`` a churned customer who comes back within this many days is won back.
    ``sensitivity_days`` inactivity windows (shops) or re-subscription gaps (contracts)
                     to recompute churn for.
    ``consistency_tolerance`` relative difference between churn measured three ways
                     that is flagged.
    """

    targets: dict[str, float] = Field(default_factory=dict)
    tolerance: float = Field(0.1, ge=0, le=1)
    winback_days: int = Field(180, ge=1, le=3650)
    sensitivity_days: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: [30, 60, 90, 120, 180, 270, 365], min_length=2)
    consistency_tolerance: float = Field(0.25, gt=0, le=5)

    @field_validator("targets")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(HIGHER_IS_BETTER))
        if unknown:
            raise ValueError(f"unknown KPI {unknown[0]!r}; expected one of "
                             f"{', '.join(sorted(HIGHER_IS_BETTER))}")
        return v


class SimulatedSource(_Strict):
    """The built-in simulator of the scenario's industry."""

    kind: Literal["simulate"]
    n_customers: int = Field(5000, ge=50, le=5_000_000)
    history_months: int = Field(36, ge=6, le=120)
    months_after_as_of: int = Field(0, ge=0, le=36)


class TableSource(_Strict):
    """One exported file and how its columns map onto a canonical table.

    ``columns`` maps canonical name -> the file's column name; unmapped
    canonical names are looked up under their own name. ``values`` maps, per
    canonical column, the file's values to canonical ones (e.g.
    ``churned: {"Yes": true, "No": false}``; quote Yes/No in YAML). For the
    customers table, ``attributes`` lists the other columns to keep as
    covariates (default: all of them).
    """

    path: str = Field(min_length=1)
    format: Literal["auto", "csv", "parquet"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    attributes: list[str] | None = None
    date_format: str | None = None
    cancel_prefix: str | None = None
    delimiter: str = ","


class FileSource(_Strict):
    """Bring your own data: CSV or Parquet exports in one of three shapes.

    - ``customer_table`` (a): one row per customer with a duration and a churn flag;
    - ``subscriptions`` (b): contract spells with start and end dates;
    - ``transactions`` (c): purchase lines with customer, date and amount.
    """

    kind: Literal["files"]
    shape: Literal["customer_table", "subscriptions", "transactions"]
    duration_unit: Literal["day", "week", "month", "year"] = "month"
    tables: dict[str, TableSource]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableSource]) -> dict[str, TableSource]:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table {unknown[0]!r}: expected one of {sorted(TABLES)}")
        kinds = {"bool": (bool,), "number": (int, float), "text": (str,), "id": (str,),
                 "date": (str,)}
        for name, spec in v.items():
            canon = {c.name: c for c in TABLES[name].columns}
            for part in ("columns", "values"):
                bad = sorted(set(getattr(spec, part)) - set(canon))
                if bad and not (TABLES[name].extra == "numeric" and part == "columns"):
                    raise ValueError(
                        f"{name}.{part}.{bad[0]}: unknown canonical column: expected one of {list(canon)}")
            for col, mapping in spec.values.items():
                want = kinds[canon[col].kind]
                for target in mapping.values():
                    if target is not None and (not isinstance(target, want)
                                               or (bool not in want and isinstance(target, bool))):
                        what = {"bool": "true or false", "number": "numbers"}.get(canon[col].kind, "text")
                        raise ValueError(f"{name}.values.{col}: mapped values must be {what} (or null), "
                                         f"got {target!r}")
        return v

    @model_validator(mode="after")
    def _shape_tables(self) -> "FileSource":
        for needed in SHAPE_TABLES[self.shape]:
            if needed not in self.tables:
                raise ValueError(f"shape {self.shape!r} needs a {needed!r} table under source.tables")
        return self


Source = Annotated[Union[SimulatedSource, FileSource], Field(discriminator="kind")]


class StudyParams(_Strict):
    """All parameters of one study (one scenario run). See the module docstring."""

    scenario: Scenario
    seed: int = Field(ge=0, le=2**32 - 1, strict=True)
    as_of: dt.date
    kpi_period: Literal["month", "quarter", "year"] = "month"
    churn: ChurnParams
    snapshots: SnapshotParams = SnapshotParams()
    source: Source
    playbook: PlaybookParams = PlaybookParams()
    warning: WarningParams = WarningParams()
    survival: SurvivalParams = SurvivalParams()
    value: ValueParams | None = None
    costs: CostParams | None = None
    campaign: CampaignParams | None = None
    fixes: dict[str, FixParams] = Field(default_factory=dict)
    kpi: KpiParams = KpiParams()
    output_dir: str = ""

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_only(cls, v: Any) -> Any:
        return _parse_date(v)

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
        from .config import NOTEBOOK_REQUIRES

        missing = [k for k in NOTEBOOK_REQUIRES["04_cost_of_churn.ipynb"] if getattr(self, k) is None]
        if missing:
            raise ParamsError(f"{source}: {missing[0]}: required for the cost of churn (notebook 04); "
                              "expected a mapping, see params/telecom.yaml")
        return self.value, self.costs, self.campaign

    def run_dir(self) -> Path:
        """Where this run writes: ``output_dir``, or ``outputs/<scenario>`` when empty."""
        from .config import OUTPUTS_DIR, resolve_path

        return resolve_path(self.output_dir) if self.output_dir else OUTPUTS_DIR / self.scenario

    def to_notebook(self) -> dict[str, Any]:
        """Parameters as papermill injects them: plain JSON-able values."""
        return self.model_dump(mode="json")


_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping (key: value lines)",
    "list_type": "a list",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (key path, what was expected)."""
    loc = [str(p) for p in err["loc"] if p not in ("simulate", "files", "function-after[_known_tables(), dict[str,TableSource]]")]
    # discriminated unions put the tag in the path; drop pydantic's internal labels
    loc = [p for p in loc if not p.startswith("function-")]
    key = ".".join(loc) or "(top level)"
    typ = err["type"]
    got = err.get("input")
    if typ == "extra_forbidden":
        return key, "unknown key (not a churnlab parameter; check the spelling)"
    if typ == "missing":
        return key, "required key is missing"
    if typ == "literal_error":
        exp = err.get("ctx", {}).get("expected", "")
        return key, f"expected one of {exp}, got {got!r}"
    if typ == "union_tag_invalid" or typ == "union_tag_not_found":
        return key + ".kind" if not key.endswith("kind") else key, "expected kind 'simulate' or 'files'"
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
              "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        return key, f"expected a value {op} {bound}, got {got!r}"
    if typ in _TYPE_WORDS:
        return key, f"expected {_TYPE_WORDS[typ]}, got {got!r}"
    if typ == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        k, _, rest = msg.partition(": ")
        if rest and " " not in k:  # the message starts with a sub-key: join it to the path
            return (f"{key}.{k}" if loc else k), rest
        return key, msg
    if typ == "int_type" and isinstance(got, bool):
        return key, f"expected an integer, got {got!r}"
    return key, err["msg"]


def validate_params(data: Any, *, source: str = "params") -> StudyParams:
    """Validate a parameters mapping; raise one :class:`ParamsError` line on failure."""
    if not isinstance(data, dict):
        raise ParamsError(f"{source}: expected a mapping of key: value lines at the top level, "
                          f"got {type(data).__name__}")
    try:
        return StudyParams.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        key, what = _describe(errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ParamsError(f"{source}: {key}: {what}{more}") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice is an error (not last-one-wins)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML params file as a dict; one-line :class:`ParamsError` if it can't be."""
    p = Path(path)
    if not p.exists():
        raise ParamsError(f"{p}: params file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{p}: cannot read params file ({exc.__class__.__name__}: {exc})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParamsError(f"{p}: YAML syntax error{where}: {problem}") from None
    except ValueError as exc:  # e.g. an unquoted date that does not exist: 2025-13-01
        raise ParamsError(f"{p}: a value cannot be read ({exc}); write dates as quoted "
                          "YYYY-MM-DD strings") from None
    if data is None:
        raise ParamsError(f"{p}: params file is empty; expected keys scenario, seed, as_of, churn, source")
    return data


def load_params(path: str | Path) -> StudyParams:
    """Read and validate a params file: the one early check before any notebook runs."""
    return validate_params(read_params_file(path), source=str(path))


def scenario_params_path(name: str) -> Path:
    """The params file of a built-in scenario; :class:`ParamsError` for an unknown name."""
    from .config import PARAMS_DIR

    if name not in SCENARIOS:
        raise ParamsError(
            f"unknown scenario {name!r}: expected one of {', '.join(SCENARIOS)} "
            "(or give your own file with --params FILE)"
        )
    return PARAMS_DIR / f"{name}.yaml"
