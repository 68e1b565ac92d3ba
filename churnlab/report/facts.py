"""Facts derived from a run's metrics and manifest, shared by the report and the index.

Each function takes the validated :class:`~churnlab.metrics.StudyMetrics` (and
the manifest mapping where needed) and returns a plain value, or None when the
run does not have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..economics.campaign import PLANNED, recommend
from ..metrics import StudyMetrics
from ..i18n import Catalogue
from .format import DASH, EN, lookup, num, span, words


def study_name(run_dir: Path, manifest: dict) -> str:
    """The study's name: the manifest's ``study``, else the folder name."""
    return str(manifest.get("study") or run_dir.name)


def scenario(manifest: dict) -> str | None:
    """The scenario the study's params are based on, if the manifest says."""
    value = manifest.get("scenario") or lookup(manifest, "params", "scenario")
    return str(value) if value else None


def currency(m: StudyMetrics) -> str:
    """The study's currency (from cost, value or retention), or ``""``."""
    for part in (m.cost, m.value, m.retention):
        if part is not None and part.currency:
            return part.currency
    return ""


def source_text(m: StudyMetrics, manifest: dict, t: Catalogue = EN) -> str:
    """Where the data came from, in words (in the language of ``t``): ``simulated data``, ``your files: a.csv``."""
    source = m.data.source if m.data else None
    if source == "simulate":
        return t("simulated data")
    if source == "files":
        inputs = {k: v for k, v in (manifest.get("inputs") or {}).items()
                  if k not in ("params_file", "simulator") and isinstance(v, dict)}
        names = [Path(str(v.get("path", ""))).name for v in inputs.values() if v.get("path")]
        return t("your files: {names}", names=", ".join(names)) if names else t("your files")
    return str(source) if source else DASH


def time_unit(m: StudyMetrics) -> str:
    """The time unit of the survival results (``month`` by default)."""
    return (m.survival.unit if m.survival else None) or "month"


def policies(m: StudyMetrics) -> dict[str, float]:
    """Expected profit per targeting policy (the finite ones)."""
    if m.retention is None or not m.retention.policies:
        return {}
    return {k: float(v) for k, v in m.retention.policies.items() if num(v) is not None}


def best_policy(m: StudyMetrics) -> tuple[str | None, float | None]:
    """The campaign policy with the highest expected profit (else the recommended plan's profit)."""
    found = policies(m)
    if found:
        name = max(found, key=lambda k: found[k])
        return name, found[name]
    return None, num(m.retention.expected_profit) if m.retention else None


@dataclass
class PolicyChoice:
    """The policy the report recommends (None: none pays), why, and whether the run recorded the
    choice (``retention.recommended_policy``) or the report made it from the policies' profits."""

    policy: str | None
    reason: str
    recorded: bool


def recommended_policy(m: StudyMetrics) -> PolicyChoice:
    """The campaign policy to recommend: the run's ``retention.recommended_policy`` (chosen by
    :func:`churnlab.economics.recommend`) when recorded; for older files the same rule on
    ``retention.policies`` (the chance of a loss known for the planned policy only); with no
    policies, the planned plan if its expected profit is above 0."""
    ret = m.retention
    if ret is None:
        return PolicyChoice(None, "", False)
    if ret.recommendation is not None:
        return PolicyChoice(ret.recommended_policy, ret.recommendation, True)
    found = policies(m)
    planned = ret.policy or PLANNED
    if found:
        outcomes = {k: (v, num(ret.p_loss) if k == planned else None) for k, v in found.items()}
        rec = recommend(outcomes, currency=currency(m))
        return PolicyChoice(rec.policy, rec.reason, False)
    profit = num(ret.expected_profit)
    if profit is None:
        return PolicyChoice(None, "", False)
    if profit > 0:
        return PolicyChoice(planned, "", False)
    return PolicyChoice(None, "the planned campaign is not expected to make a profit", False)


def policy_plan(m_ret, policy: str | None) -> dict:
    """What the run records of ``policy``'s best plan (share, customers, expected_profit,
    profit_p05, profit_p95, p_loss; only the keys known): ``retention.policy_plans``, else the
    headline fields when they belong to that policy, else the mass campaign's 100%."""
    if m_ret is None or policy is None:
        return {}
    plans = m_ret.policy_plans or {}
    if policy in plans:
        return plans[policy].model_dump(exclude_none=True)
    if policy == (m_ret.policy or PLANNED):
        keys = {"share": m_ret.optimal_target_share, "customers": m_ret.optimal_customers,
                "expected_profit": m_ret.expected_profit, "profit_p05": m_ret.profit_p05,
                "profit_p95": m_ret.profit_p95, "p_loss": m_ret.p_loss}
        return {k: v for k, v in keys.items() if v is not None}
    profit = (m_ret.policies or {}).get(policy)
    if policy.startswith("mass campaign") and num(profit) is not None:
        return {"share": 1.0, "expected_profit": profit}
    return {}


@dataclass
class Fix:
    """One entry of ``retention.fix_ranking``; ``legacy``: an older file's bare reason name."""

    reason: str
    roi: float | None = None
    investment: float | None = None
    value_saved_pv: float | None = None
    value_lost_per_year: float | None = None
    share_of_churners: float | None = None
    legacy: bool = False


def fixes(m: StudyMetrics) -> list[Fix]:
    """The fix ranking as :class:`Fix` entries, in the file's order (names only for older files)."""
    ranking = (m.retention.fix_ranking if m.retention else None) or []
    out = []
    for f in ranking:
        if isinstance(f, str):
            out.append(Fix(f, legacy=True))
        else:
            out.append(Fix(str(f.reason or DASH), num(f.roi), num(f.investment), num(f.value_saved_pv),
                           num(f.value_lost_per_year), num(f.share_of_churners)))
    return out


def exit_reason_shares(m: StudyMetrics) -> dict[str, float]:
    """Stated exit reasons as shares (normalised if the file holds counts), largest first."""
    reasons = m.causes.exit_reasons if m.causes else None
    if not reasons:
        return {}
    nums = {str(k): float(v) for k, v in reasons.items() if num(v) is not None}
    total = sum(nums.values())
    if total > 1.0001:  # counts rather than shares
        nums = {k: v / total for k, v in nums.items()}
    return dict(sorted(nums.items(), key=lambda kv: (-kv[1], kv[0])))


def top_driver(m: StudyMetrics) -> str | None:
    """The strongest revealed driver, in words."""
    drivers = m.causes.top_drivers if m.causes else None
    return words(drivers[0]) if drivers else None


def cost_per_churner(m: StudyMetrics) -> float | None:
    """``cost.total / cost.churners``."""
    if m.cost is None:
        return None
    total, n = num(m.cost.total), num(m.cost.churners)
    return total / n if total is not None and n else None


def cox_concordance(cox, validation) -> tuple[float | None, bool]:
    """The Cox model's concordance to show, and whether it is held out.

    The held-out C of the validation (pairs seen at risk together, entry times
    respected) when there is one; else the in-sample C of the fit (lifelines,
    which ignores entry times and flatters the model on its own customers).
    """
    held = num(((validation.concordance_test if validation else None) or {}).get("Cox"))
    if held is not None:
        return held, True
    return (num(cox.concordance) if cox else None), False


def undated(cost_m) -> bool:
    """Whether the cost of churn comes from data without dates: ``cost.dated`` is False, or (older
    files) the window starts and ends on the same day."""
    if cost_m is None:
        return False
    if cost_m.dated is not None:
        return not cost_m.dated
    window = cost_m.window or []
    return len(window) == 2 and window[0] == window[1]


def window_text(cost_m, t: Catalogue = EN) -> str:
    """The cost window in words (in the language of ``t``): ``2023-01-01 to 2025-12-31``, or, for
    data without dates, that the churners are all counted at the export date (never "X to X")."""
    window = cost_m.window or []
    if undated(cost_m):
        if window:
            return t("the data carry no dates: all churners in the export, counted at {date}", date=window[-1])
        return t("the data carry no dates: all churners in the export, counted")
    return span(t, window[0], window[1]) if len(window) == 2 else ""
