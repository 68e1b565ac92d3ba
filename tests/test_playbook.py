"""The cause -> action playbook and its overrides."""

from __future__ import annotations

import pandas as pd

from churnlab.causes import playbook


def test_seed_actions_by_family():
    assert playbook.action_for("monthly_charge_change") == "temporary offer"
    assert playbook.action_for("n_complaints") == "service fix"
    assert playbook.action_for("logins_change") == "personalisation or loyalty programme"
    assert playbook.action_for("plan") == "renewal outreach"
    assert playbook.action_for("region") is None and playbook.action_for(None) is None


def test_overrides_from_params():
    assert playbook.action_for("region", families={"region": "service"}) == "service fix"
    assert playbook.action_for("plan", actions={"contract_end": "call 60 days before renewal"}) \
        == "call 60 days before renewal"


def test_action_counts():
    r = pd.DataFrame({"reason_1": ["n_complaints", "csat_mean", "plan", "region", None]})
    c = playbook.action_counts(r).set_index("family")["customers"].to_dict()
    assert c == {"service": 2, "contract_end": 1, "(unmapped)": 2}
