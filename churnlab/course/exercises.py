"""The exercises of the course kit, each checked against the run's own ``metrics.json``.

An exercise knows where its truth is (``needs``: a dotted path in ``metrics.json``),
how to compute it from the metrics (``truth``), the typical mistakes as the
numbers (or names) they would give (``mistakes``), and the solution code the
instructor edition holds. :func:`check` compares an answer with the truth and
with each anticipated mistake, and says ``correct``, ``close: <which mistake>`` or
``not yet: <hint>``. Every sentence comes from :mod:`.text`.

Every line is in the display language: the ``lang`` argument when given, else the
session's (:func:`churnlab.i18n.current`, set by ``open_study`` from the params). A
translation is a catalogue entry (``churnlab/i18n/<lang>/course.yaml``) whose English
side is the template of :mod:`.text`; the names a line quotes (columns, terms, metrics
paths, reasons, answers) are kept as they are (:class:`Verbatim`), and the time units
(``month``, ``year``) are translated (:data:`.text.TIME_UNITS`).

Numbers match within ``rtol`` (relative) or ``atol`` (absolute), whichever is
larger, so an answer read off a table rounded to 3 or 4 digits is accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import i18n
from ..escape import md
from ..errors import ChurnlabError
from .text import (BAD_ANSWER, BAD_NAME, FEEDBACK, NO_ANSWER, PROMPTS, TIME_UNITS, UNAVAILABLE,
                   UNKNOWN)

Metrics = dict[str, Any]

#: Contact cost and churn probability of exercise 04.2 (the offer is worth OFFER_SHARE of the
#: mean CLV, rounded); price and retention of 04.1.
CONTACT, OFFER_SHARE, CHURN_P = 10.0, 0.5, 0.3
PRICE, RETENTION = 50.0, 0.9
#: The MRR movements of exercise 05.3 (start, new, expansion, contraction, churned).
MRR = {"start": 100.0, "new": 20.0, "expansion": 10.0, "contraction": 5.0, "churned": 15.0}
DAYS_PER_MONTH = 30.44
#: Exercise 03.2 prefers terms with a hazard ratio within [1/5, 5].
READABLE_HR = 5.0


class Verbatim:
    """A value pasted into a course line as it is: never looked up in the catalogue.

    :meth:`churnlab.i18n.Catalogue.__call__` translates a text field when the catalogue
    has it; a column, a model term or a reason is a name, so it is wrapped in this
    (formatting, ``str`` and ``repr`` are the value's own).
    """

    def __init__(self, value: Any):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


#: The prompt fields that are words of the sentence, not names: translated (see :data:`.text.TIME_UNITS`).
WORD_FIELDS = ("unit", "period")


def catalogue(lang: str | None = None) -> "i18n.Catalogue":
    """The catalogue of ``lang``, else of the session's display language."""
    return i18n.catalogue(lang) if lang else i18n.current()


def render(template: str, lang: str | None = None, /, **fields) -> str:
    """``template`` (a line of :mod:`.text`) in ``lang`` filled with ``fields``.

    In English it is ``template.format(**fields)``. In another language the catalogue's
    translation is filled; a field named in :data:`WORD_FIELDS` is translated through
    :data:`.text.TIME_UNITS`, every other field is pasted as it is (:class:`Verbatim`).
    """
    cat = catalogue(lang)
    if cat.english:
        return template.format(**fields) if fields else template
    filled = {}
    for k, v in fields.items():
        if k in WORD_FIELDS and isinstance(v, str) and v in TIME_UNITS:
            filled[k] = cat(TIME_UNITS[v])
        elif isinstance(v, Verbatim):
            filled[k] = v
        else:
            filled[k] = Verbatim(v)
    return cat(template, **filled)


class CourseError(ChurnlabError):
    """An unknown exercise id or an answer of the wrong kind (one line)."""


class Unavailable(Exception):
    """The run's metrics lack what an exercise needs."""


def get(m: Metrics, path: str) -> Any:
    """``m["a"]["b"]`` for ``"a.b"``; :class:`Unavailable` when a part is missing or None."""
    cur: Any = m
    for part in path.split("."):
        if not isinstance(cur, dict) or cur.get(part) is None:
            raise Unavailable(path)
        cur = cur[part]
    return cur


# ---------------------------------------------------------------------------- the truths


def segment_column(m: Metrics) -> str:
    """The column of exercise 02.1: the first (sorted) whose highest rate and most churners differ, else the first."""
    seg = get(m, "causes.segment_churn")
    cols = sorted(c for c, levels in seg.items() if len(levels) >= 2)
    if not cols:
        raise Unavailable("causes.segment_churn")
    for c in cols:
        if top_level(seg[c], "rate") != top_level(seg[c], "churned"):
            return c
    return cols[0]


def top_level(levels: dict, key: str) -> str:
    """The level with the largest ``key`` (ties: the first name)."""
    return max(sorted(levels), key=lambda k: levels[k].get(key) or 0)


def driver_term(m: Metrics) -> str:
    """The term of exercise 03.2: the drivers model's term with the smallest p-value (ties: the first name).

    Terms whose hazard ratio is between 1/5 and 5 and at least 5% away from 1 come first, so
    the answer reads as a change ("+40%") and differs from the log hazard ratio.
    """
    hr = get(m, "survival.drivers.hazard_ratios")
    p = get(m, "survival.drivers.p_value")
    terms = sorted(t for t in hr if hr[t] is not None and p.get(t) is not None and hr[t] > 0)
    readable = [t for t in terms if 1 / READABLE_HR <= hr[t] <= READABLE_HR and abs(hr[t] - 1) >= 0.05]
    if not terms:
        raise Unavailable("survival.drivers.p_value")
    return min(readable or terms, key=lambda t: (p[t], t))


def largest(mapping: dict, key: str) -> str:
    """The name whose ``key`` is largest in absolute value (ties: the first name)."""
    named = sorted(k for k, v in mapping.items() if v.get(key) is not None)
    if not named:
        raise Unavailable(key)
    return max(named, key=lambda k: abs(mapping[k][key]))


def monthly_discount(m: Metrics) -> float:
    """The study's discount rate per month: ``(1 + annual)^(1/12) − 1`` when the params give it per year."""
    d = float(get(m, "value.discount_rate"))
    return (1 + d) ** (1 / 12) - 1 if m["value"].get("discount_period", "year") == "year" else d


def clv(margin: float, monthly_rate: float, horizon: int, *, first_paid_today: bool = True) -> float:
    """Σ_{t=0}^{H−1} price × margin × r^t / (1 + d)^t (or ^(t+1) when the first payment is a month away)."""
    shift = 0 if first_paid_today else 1
    return sum(PRICE * margin * RETENTION ** t / (1 + monthly_rate) ** (t + shift) for t in range(horizon))


def clv_inputs(m: Metrics) -> tuple[float, float, int]:
    """Margin, monthly discount rate and horizon (whole months) of exercise 04.1."""
    return float(get(m, "value.margin_rate")), monthly_discount(m), int(round(get(m, "value.horizon_months")))


def fix(m: Metrics) -> dict:
    """The fix of exercise 04.3: the first of ``retention.fix_ranking`` with an ROI and an investment."""
    for f in get(m, "retention.fix_ranking"):
        if isinstance(f, dict) and f.get("roi") is not None and f.get("investment"):
            return f
    raise Unavailable("retention.fix_ranking")


def ex01_1(m):
    d = get(m, "data")
    share = get(m, "data.n_churned") / get(m, "data.n_customers")
    return share, {"stayers": d["n_churned"] / max(d["n_customers"] - d["n_churned"], 1), "retained": 1 - share}


def ex01_2(m):
    return get(m, "data.snapshot_positive_rate"), {"overall": get(m, "data.churn_rate")}


def ex01_3(m):
    med = get(m, "data.median_duration_months")
    return med, {"days": med * DAYS_PER_MONTH}


def ex02_1(m):
    levels = get(m, "causes.segment_churn")[segment_column(m)]
    return top_level(levels, "rate"), {"count": top_level(levels, "churned")}


def ex02_2(m):
    lift, rate = get(m, "warning.top_decile_lift"), get(m, "warning.calibration.event_rate")
    return lift * rate, {"lift": lift, "divided": rate / lift}


def ex02_3(m):
    reasons = get(m, "causes.exit_reasons")
    truth = max(sorted(reasons), key=lambda k: reasons[k])
    return truth, {"driver": [t for t in (m.get("causes", {}).get("top_drivers") or []) if t != truth]}


def ex03_1(m):
    med = get(m, "survival.km.median")
    naive = m.get("data", {}).get("median_duration_months") if m["survival"].get("unit") == "month" else None
    return med, ({"naive": naive} if naive is not None else {})


def ex03_2(m):
    hr = get(m, "survival.drivers.hazard_ratios")[driver_term(m)]
    return hr - 1, {"ratio": hr, "log": math.log(hr)}


def ex03_3(m):
    planted = get(m, "survival.planted")
    return largest(planted, "planted_log_hr"), {"estimated": largest(planted, "log_hr")}


def ex04_1(m):
    margin, d, h = clv_inputs(m)
    annual = float(get(m, "value.discount_rate"))
    return clv(margin, d, h), {"revenue": clv(1.0, d, h), "undiscounted": clv(margin, 0.0, h),
                               "annual_as_monthly": clv(margin, annual, h),
                               "end_of_month": clv(margin, d, h, first_paid_today=False)}


def offer_value(m: Metrics) -> tuple[float, float]:
    """The mean CLV and the offer of exercise 04.2 (half the mean CLV, rounded to a whole amount)."""
    v = float(get(m, "value.clv_mean"))
    if v <= 2 * CONTACT:
        raise Unavailable("value.clv_mean")
    return v, float(round(v * OFFER_SHARE))


def ex04_2(m):
    v, offer = offer_value(m)
    return CONTACT / (CHURN_P * (v - offer)), {"no_offer": CONTACT / (CHURN_P * v),
                                               "no_probability": CONTACT / (v - offer)}


def ex04_3(m):
    f = fix(m)
    return f["roi"], {"multiple": f["value_saved_pv"] / f["investment"],
                      "net": f["value_saved_pv"] - f["investment"]}


def ex05_1(m):
    c, g = get(m, "kpi.churn_rate_latest.month"), get(m, "kpi.growth_rate_latest")
    return c, {"end": c / (1 + g), "average": c / (1 + g / 2)}


def ex05_2(m):
    c = get(m, "kpi.churn_rate_latest.month")
    return 1 - (1 - c) ** 12, {"linear": 12 * c, "retention": (1 - c) ** 12}


def ex05_3(m):
    s = MRR
    return ((s["start"] + s["expansion"] - s["contraction"] - s["churned"]) / s["start"],
            {"with_new": (s["start"] + s["new"] + s["expansion"] - s["contraction"] - s["churned"]) / s["start"],
             "grr": (s["start"] - s["contraction"] - s["churned"]) / s["start"]})


# ---------------------------------------------------------------------------- prompt fields
# What a prompt shows and a solution computes from; on a run without them, Exercise.defaults.

NAN = float("nan")


def fields_01_1(m):
    return {"n_churned": get(m, "data.n_churned"), "n_customers": get(m, "data.n_customers")}


def fields_01_2(m):
    return {"snapshot_positive_rate": get(m, "data.snapshot_positive_rate")}


def fields_02_1(m):
    column = segment_column(m)
    levels = get(m, "causes.segment_churn")[column]
    return {"column": column, "churned": {k: v.get("churned") or 0 for k, v in levels.items()},
            "customers": {k: v.get("customers") or 1 for k, v in levels.items()}}


def fields_02_2(m):
    return {"lift": get(m, "warning.top_decile_lift"), "event_rate": get(m, "warning.calibration.event_rate")}


def fields_02_3(m):
    return {"shares": dict(get(m, "causes.exit_reasons"))}


def fields_03_1(m):
    return {"unit": get(m, "survival.unit"), "km_median": get(m, "survival.km.median")}


def fields_03_2(m):
    term = driver_term(m)
    return {"term": term, "hazard_ratio": get(m, "survival.drivers.hazard_ratios")[term]}


def fields_03_3(m):
    return {"planted": {k: v["planted_log_hr"] for k, v in get(m, "survival.planted").items()
                        if v.get("planted_log_hr") is not None}}


def fields_04_1(m):
    margin, d, h = clv_inputs(m)
    return {"currency": m["value"].get("currency") or "", "margin": margin, "monthly_discount": d,
            "discount": float(m["value"]["discount_rate"]), "period": m["value"].get("discount_period", "year"),
            "horizon": h}


def fields_04_2(m):
    v, offer = offer_value(m)
    return {"currency": m["value"].get("currency") or "", "clv": v, "offer": offer,
            "contact": CONTACT, "p": CHURN_P}


def fields_04_3(m):
    f = fix(m)
    return {"reason": f.get("reason"), "investment": f["investment"], "saved": f["value_saved_pv"],
            "currency": m["retention"].get("currency") or ""}


def fields_05_2(m):
    return {"c": get(m, "kpi.churn_rate_latest.month")}


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"02.1"``), the answer's kind, where its truth lives and how to check it.

    ``truth(metrics)`` returns ``(truth, mistakes)``: mistakes map a key of
    :data:`.text.FEEDBACK` (``<id>.<key>``) to the value (or names) that mistake
    gives. ``fraction``: the answer is a share, so 100× the truth is read as a
    percentage. ``solution``: the code the instructor edition holds; it computes from the
    prompt's ``fields`` (``defaults`` on a run without them: NaN, empty), so it never fails.
    """

    id: str
    kind: str  # "number" or "name"
    truth: Callable[[Metrics], tuple[Any, dict[str, Any]]]
    solution: str
    fields: Callable[[Metrics], dict] = lambda m: {}
    defaults: dict = field(default_factory=dict)
    fraction: bool = False
    rtol: float = 0.01
    atol: float = 0.0005

    @property
    def notebook(self) -> str:
        return self.id.split(".")[0]


def _ex(id, kind, truth, solution, **kw) -> Exercise:
    return Exercise(id, kind, truth, solution.strip(), **kw)


def F(id: str) -> str:
    return f'f = study.exercise("{id}").fields\n'


EXERCISES: dict[str, Exercise] = {e.id: e for e in [
    _ex("01.1", "number", ex01_1, F("01.1") + 'answer = f["n_churned"] / f["n_customers"]',
        fields=fields_01_1, defaults={"n_churned": NAN, "n_customers": NAN}, fraction=True),
    _ex("01.2", "number", ex01_2, F("01.2") + 'answer = f["snapshot_positive_rate"]',
        fields=fields_01_2, defaults={"snapshot_positive_rate": NAN}, fraction=True),
    _ex("01.3", "number", ex01_3, 'answer = res.collection.analysis["duration"].median()', rtol=0.002, atol=0.01),
    _ex("02.1", "name", ex02_1, F("02.1") + 'rates = {k: f["churned"][k] / f["customers"][k] for k in f["customers"]}\n'
        'answer = max(rates, key=rates.get, default=None)', fields=fields_02_1,
        defaults={"column": "", "churned": {}, "customers": {}}),
    _ex("02.2", "number", ex02_2, F("02.2") + 'answer = f["lift"] * f["event_rate"]',
        fields=fields_02_2, defaults={"lift": NAN, "event_rate": NAN}, fraction=True),
    _ex("02.3", "name", ex02_3, F("02.3") + 'answer = max(f["shares"], key=f["shares"].get, default=None)',
        fields=fields_02_3, defaults={"shares": {}}),
    _ex("03.1", "number", ex03_1, F("03.1") + 'answer = f["km_median"]', fields=fields_03_1,
        defaults={"unit": "month", "km_median": NAN}, rtol=0.002, atol=0.01),
    _ex("03.2", "number", ex03_2, F("03.2") + 'answer = f["hazard_ratio"] - 1', fields=fields_03_2,
        defaults={"term": "", "hazard_ratio": NAN}, atol=0.002),
    _ex("03.3", "name", ex03_3, F("03.3") + 'answer = max(f["planted"], key=lambda k: abs(f["planted"][k]), '
        'default=None)', fields=fields_03_3, defaults={"planted": {}}),
    _ex("04.1", "number", ex04_1, F("04.1") + 'answer = sum(50 * f["margin"] * 0.9 ** t / (1 + f["monthly_discount"]) ** t '
        'for t in range(f["horizon"]))', fields=fields_04_1,
        defaults={"currency": "", "margin": NAN, "monthly_discount": NAN, "discount": NAN, "period": "year",
                  "horizon": 0}, rtol=0.002, atol=0.01),
    _ex("04.2", "number", ex04_2, F("04.2") + 'answer = f["contact"] / (f["p"] * (f["clv"] - f["offer"]))',
        fields=fields_04_2, defaults={"currency": "", "clv": NAN, "offer": NAN, "contact": CONTACT, "p": CHURN_P},
        fraction=True, rtol=0.005, atol=1e-6),
    _ex("04.3", "number", ex04_3, F("04.3") + 'answer = (f["saved"] - f["investment"]) / f["investment"]',
        fields=fields_04_3, defaults={"reason": "", "investment": NAN, "saved": NAN, "currency": ""}, atol=0.002),
    _ex("05.1", "number", ex05_1, 'last = res.rates.get("month", pd.DataFrame({"churned": [], "at_start": []})).tail(1)\n'
        'answer = last["churned"].sum() / max(last["at_start"].sum(), 1)', fraction=True, rtol=0.002, atol=1e-6),
    _ex("05.2", "number", ex05_2, F("05.2") + 'answer = 1 - (1 - f["c"]) ** 12', fields=fields_05_2,
        defaults={"c": NAN}, fraction=True, rtol=0.005, atol=1e-5),
    _ex("05.3", "number", ex05_3, 'answer = (100 + 10 - 5 - 15) / 100', fraction=True),
]}


# ---------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct``, ``close``, ``not yet`` or ``unavailable``, and the line to show."""

    id: str
    verdict: str
    message: str
    mistake: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "correct"

    def __str__(self) -> str:
        return f"{self.id}: {self.message}"

    def _repr_markdown_(self) -> str:
        return f"**{md(self.id)}**: {md(self.message)}"


@dataclass(frozen=True)
class Prompt:
    """An exercise's prompt filled in with the run's numbers; ``fields`` holds those numbers."""

    id: str
    text: str
    fields: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.id}. {self.text}"

    def _repr_markdown_(self) -> str:
        return f"**{md(self.id)}.** {md(self.text)}"


def exercise(exercise_id: str, lang: str | None = None) -> Exercise:
    """The exercise ``exercise_id``; :class:`CourseError` (one line) naming the known ids otherwise."""
    ex = EXERCISES.get(str(exercise_id))
    if ex is None:
        raise CourseError(render(UNKNOWN, lang, id=exercise_id, ids=", ".join(EXERCISES)))
    return ex


def prompt(exercise_id: str, metrics: Metrics, lang: str | None = None) -> Prompt:
    """The prompt of ``exercise_id`` with this run's numbers (the bare prompt when they are missing).

    In ``lang`` (default: the session's display language); ``fields`` are the numbers as they are.
    """
    ex = exercise(exercise_id, lang)
    try:
        values = ex.fields(metrics)
    except (Unavailable, KeyError, TypeError, ValueError, ZeroDivisionError):
        values = dict(ex.defaults)
    try:
        text = render(PROMPTS[ex.id], lang, **values)
    except (KeyError, ValueError, TypeError):
        text = render(PROMPTS[ex.id], lang)
    return Prompt(ex.id, text, values)


def parse_answer(ex: Exercise, answer: Any, lang: str | None = None) -> Any:
    """A number from ``answer`` (``0.031``, ``"0.031"``, ``"3.1%"``, ``"1,234"``) or a name; CourseError if neither fits."""
    if ex.kind == "name":
        if isinstance(answer, str) and answer.strip():
            return answer.strip()
        raise CourseError(render(BAD_NAME, lang, id=ex.id, answer=answer))
    if isinstance(answer, bool):
        raise CourseError(render(BAD_ANSWER, lang, id=ex.id, answer=answer))
    if isinstance(answer, (int, float)) or hasattr(answer, "__float__"):
        value = float(answer)
    elif isinstance(answer, str):
        s = answer.strip().replace(",", "").replace("_", "")
        try:
            value = float(s[:-1]) / 100 if s.endswith("%") else float(s)
        except ValueError:
            raise CourseError(render(BAD_ANSWER, lang, id=ex.id, answer=answer)) from None
    else:
        raise CourseError(render(BAD_ANSWER, lang, id=ex.id, answer=answer))
    if not math.isfinite(value):
        raise CourseError(render(BAD_ANSWER, lang, id=ex.id, answer=answer))
    return value


def matches(ex: Exercise, answer: Any, target: Any) -> bool:
    """Whether ``answer`` is ``target``: names case-insensitively, numbers within the exercise's tolerance."""
    if target is None:
        return False
    if isinstance(target, list):
        return any(matches(ex, answer, t) for t in target)
    if ex.kind == "name":
        return str(answer).strip().casefold() == str(target).strip().casefold()
    return abs(answer - float(target)) <= max(ex.rtol * abs(float(target)), ex.atol)


def check(exercise_id: str, answer: Any, metrics: Metrics, lang: str | None = None) -> Feedback:
    """Check ``answer`` to ``exercise_id`` against ``metrics`` (a run's ``metrics.json`` mapping).

    The truth wins over a mistake that happens to give the same number; then each
    anticipated mistake is tried in order, then (for shares) 100× the truth as a
    percentage; anything else gets the exercise's hint. The message is in ``lang``
    (default: the session's display language); the verdict is always English.
    """
    ex = exercise(exercise_id, lang)

    def line(key: str, **fields) -> str:
        return render(FEEDBACK[key], lang, **fields)

    try:
        truth, mistakes = ex.truth(metrics)
    except (Unavailable, ZeroDivisionError, ValueError) as exc:
        return Feedback(ex.id, "unavailable", render(UNAVAILABLE, lang, needs=exc, id=ex.id))
    if answer is None:
        return Feedback(ex.id, "not yet", render(NO_ANSWER, lang))
    value = parse_answer(ex, answer, lang)
    if matches(ex, value, truth):
        return Feedback(ex.id, "correct", line("correct"))
    for key, wrong in mistakes.items():
        if matches(ex, value, wrong):
            return Feedback(ex.id, "close", line("close", why=Verbatim(line(f"{ex.id}.{key}"))), key)
    if ex.fraction and ex.kind == "number" and matches(ex, value / 100, truth):
        return Feedback(ex.id, "close", line("close", why=Verbatim(line("percent"))), "percent")
    return Feedback(ex.id, "not yet", line("not_yet", hint=Verbatim(line(f"hint.{ex.id}"))))


def run_language(run_dir: str | Path) -> str:
    """The language a run was made in: ``params.lang`` of its ``manifest.json`` (English when absent or unknown)."""
    import json

    try:
        lang = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))["params"]["lang"]
    except (OSError, ValueError, KeyError, TypeError):
        return i18n.DEFAULT
    return lang if lang in i18n.LANGS else i18n.DEFAULT


def check_run(run_dir: str | Path, exercise_id: str, answer: Any, lang: str | None = None) -> Feedback:
    """:func:`check` against ``<run_dir>/metrics.json``, in the run's language (:func:`run_language`)
    unless ``lang`` is given; CourseError (one line) when the file is missing."""
    from .. import metrics

    path = Path(run_dir) / metrics.FILENAME
    if not path.is_file():
        raise CourseError(f"{path}: no metrics.json here: expected the folder of a run "
                          "(e.g. outputs/telecom)")
    return check(exercise_id, answer, metrics.read(run_dir), lang or run_language(run_dir))


def solution_answer(exercise_id: str, metrics: Metrics) -> Any:
    """The truth of ``exercise_id`` for ``metrics`` (what a correct solution gives); for tests and instructors."""
    return exercise(exercise_id).truth(metrics)[0]
