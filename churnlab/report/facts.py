"""Facts derived from a run's metrics and manifest, shared by the report and the index.

Each function takes the validated :class:`~churnlab.metrics.StudyMetrics` (and
the manifest mapping where needed) and returns a plain value, or None when the
run does not have it.
"""

from __future__ import annotations

from pathlib import Path

from ..metrics import StudyMetrics
from .format import DASH, lookup, num, words


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


def source_text(m: StudyMetrics, manifest: dict) -> str:
    """Where the data came from, in words: ``simulated data``, ``your files: a.csv``."""
    source = m.data.source if m.data else None
    if source == "simulate":
        return "simulated data"
    if source == "files":
        inputs = {k: v for k, v in (manifest.get("inputs") or {}).items()
                  if k not in ("params_file", "simulator") and isinstance(v, dict)}
        names = [Path(str(v.get("path", ""))).name for v in inputs.values() if v.get("path")]
        return "your files" + (f": {', '.join(names)}" if names else "")
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
