"""Notebook tier: at default size, every planted driver above the stated effect size is
recovered by the drivers model (the rule of :func:`churnlab.survival.recovered`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from churnlab import open_study
from churnlab.config import SCENARIOS
from churnlab.survival.planted import FACTOR, MIN_EFFECT

pytestmark = pytest.mark.notebooks
ROOT = Path(__file__).resolve().parents[1]

#: (scenario, planted driver) pairs the default seed does not recover, and why. Reported, not hidden.
KNOWN_MISSES = {
    ("software", "company_size=enterprise"):
        "seed 42: estimate -0.25 (95% CI -0.57 to 0.08) for the planted -0.70; annual customers "
        "(75% of enterprise) form cancel intent monthly but can leave only at renewal, which a "
        "monthly hazard only approximates; seed 7 gives -0.62 (significant)",
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_planted_drivers_are_recovered_at_default_size(scenario, tmp_path):
    study = open_study(ROOT / "params" / f"{scenario}.yaml", output_dir=tmp_path, injected={})
    res = study.survival()
    p = res.planted
    assert p is not None and res.drivers is not None
    asserted = p[p["asserted"].astype(bool)]
    assert len(asserted) >= 3 and (asserted["planted_log_hr"].abs() >= MIN_EFFECT).all()
    missed = {f: v for f, v, ok in zip(asserted["feature"], asserted["verdict"], asserted["recovered"])
              if not ok}
    unexpected = {f: v for f, v in missed.items() if (scenario, f) not in KNOWN_MISSES}
    assert not unexpected, f"not recovered (factor {FACTOR:g}): {unexpected}"
    if missed:
        pytest.xfail("; ".join(KNOWN_MISSES[(scenario, f)] for f in missed))
