"""Competing risks: Aalen-Johansen cumulative incidence (hand count, closed form, the
all-cause identity) and cause-specific Cox models (planted effects recovered)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import open_study
from churnlab.errors import DataError
from churnlab.survival import km_summary
from churnlab.survival.competing import cause_codes, competing_risks, cumulative_incidence, incidence_at

from .conftest import scenario_params, write_params


def _table():
    # whole periods with ties; "late" enters at 2 (left truncation)
    return pd.DataFrame({"customer_id": list("abcdefgh"),
                         "duration": [1, 2, 2, 3, 3, 4, 5, 5],
                         "event": [1, 1, 1, 0, 1, 1, 0, 0],
                         "end_reason": ["voluntary", "voluntary", "involuntary", None, "voluntary",
                                        "involuntary", None, None],
                         "entry": [0, 0, 0, 0, 2, 0, 0, 0]})


def test_cause_codes_and_an_exit_without_a_cause():
    codes, causes = cause_codes(_table())
    assert causes == ["involuntary", "voluntary"]
    assert codes.tolist() == [2, 2, 1, 0, 2, 1, 0, 0]
    with pytest.raises(DataError, match="1 churn event\\(s\\) without a 'end_reason'"):
        cause_codes(_table().assign(end_reason=lambda d: d["end_reason"].where(d.index != 0)))


def test_incidence_matches_a_hand_count_with_ties_and_entry():
    """F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s); the late entrant is at risk from period 3 on.
    t=1: n=7 (not e), 1 voluntary; S=6/7. t=2: n=6, 1 vol + 1 invol; S=6/7*4/6=4/7.
    t=3: n=5 (e joins), 1 vol (e), 1 censored; S=4/7*4/5. t=4: n=3, 1 invol. t=5: none."""
    at = incidence_at(cumulative_incidence(_table(), entry="entry"), [1, 2, 3, 4, 5]).set_index(
        ["cause", "horizon"])["cif"]
    s1, s2, s3 = 6 / 7, 4 / 7, 16 / 35
    vol = [1 / 7, 1 / 7 + s1 / 6, 1 / 7 + s1 / 6 + s2 / 5]
    inv = [0, s1 / 6, s1 / 6, s1 / 6 + s3 / 3]
    assert at["voluntary"].to_numpy()[:3] == pytest.approx(vol)
    assert at["involuntary"].to_numpy()[:4] == pytest.approx(inv)
    # the causes add up to all-cause churn, 1 - Kaplan-Meier (with the same entry times)
    km = km_summary(_table(), entry="entry", horizons=(1, 2, 3, 4)).survival.set_index("horizon")["survival"]
    total = at.groupby(level="horizon").sum()
    assert total.loc[[1.0, 2.0, 3.0, 4.0]].to_numpy() == pytest.approx(1 - km.to_numpy())


def test_without_ties_or_entry_it_is_lifelines_aalen_johansen():
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(4)
    n = 300
    t = rng.exponential(10, n)
    codes = rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2])
    df = pd.DataFrame({"duration": t, "event": (codes > 0).astype(int),
                       "end_reason": np.where(codes == 0, None, np.where(codes == 1, "a", "b"))})
    ours = cumulative_incidence(df)
    for k, name in ((1, "a"), (2, "b")):
        ajf = AalenJohansenFitter(seed=0).fit(t, codes, event_of_interest=k)
        ref = ajf.cumulative_density_.iloc[1:, 0]  # lifelines starts with a row at time 0
        mine = ours[ours["cause"] == name].set_index("time")
        assert mine["cif"].to_numpy() == pytest.approx(ref.to_numpy(), abs=1e-12)
        assert mine["variance"].to_numpy() == pytest.approx(ajf.variance_.iloc[1:].to_numpy(), rel=1e-9,
                                                             abs=1e-15)


def test_incidence_matches_the_closed_form_of_two_constant_hazards():
    """Exponential causes l1, l2: F_k(t) = l_k / (l1 + l2) * (1 - exp(-(l1 + l2) t)); whole
    periods (ceil) leave F at whole t unchanged."""
    rng = np.random.default_rng(11)
    n, l1, l2 = 20000, 0.02, 0.005
    t1, t2 = rng.exponential(1 / l1, n), rng.exponential(1 / l2, n)
    T = np.minimum(np.minimum(t1, t2), 40)
    df = pd.DataFrame({"duration": np.ceil(T), "event": (T < 40).astype(int),
                       "end_reason": np.where(T >= 40, None, np.where(t1 < t2, "voluntary", "involuntary"))})
    at = incidence_at(cumulative_incidence(df), [6, 12, 24]).set_index(["cause", "horizon"])
    for cause, lam in (("voluntary", l1), ("involuntary", l2)):
        for h in (6, 12, 24):
            truth = lam / (l1 + l2) * (1 - np.exp(-(l1 + l2) * h))
            row = at.loc[(cause, float(h))]
            se = (row["ci_high"] - row["ci_low"]) / (2 * 1.96)
            assert abs(row["cif"] - truth) < 3 * se


def test_cause_specific_cox_finds_a_driver_of_one_cause_only():
    rng = np.random.default_rng(2)
    n = 8000
    x = rng.random(n) < 0.4
    t1 = rng.exponential(1 / 0.02, n)  # voluntary: x plays no part
    t2 = rng.exponential(1 / (0.004 * np.where(x, 2.5, 1.0)), n)  # involuntary: HR 2.5
    T = np.minimum(np.minimum(t1, t2), 36)
    df = pd.DataFrame({"duration": np.ceil(T), "event": (T < 36).astype(int), "x": x.astype(float),
                       "end_reason": np.where(T >= 36, None, np.where(t1 < t2, "voluntary", "involuntary"))})
    cr = competing_risks(df, covariates=["x"], horizons=[12])
    inv = cr.models["involuntary"].hazard_ratios.set_index("term").loc["x"]
    vol = cr.models["voluntary"].hazard_ratios.set_index("term").loc["x"]
    assert inv["ci_low"] < 2.5 < inv["ci_high"] and inv["p_value"] < 0.001
    assert vol["ci_low"] < 1.0 < vol["ci_high"]
    assert cr.events["involuntary"] + cr.events["voluntary"] == int(df["event"].sum())


def test_one_cause_or_few_exits():
    df = _table().assign(end_reason=lambda d: d["end_reason"].where(d["event"] == 0, "voluntary"))
    with pytest.raises(DataError, match="one exit cause only"):
        competing_risks(df, covariates=[], horizons=[1])
    cr = competing_risks(_table(), covariates=[], horizons=[1])
    assert set(cr.skipped) == {"voluntary", "involuntary"} and not cr.models


def test_telecom_failed_payments_drive_involuntary_churn_only(tmp_path):
    """The simulator plants a 2.5x involuntary hazard for check payers and a smaller voluntary
    effect (exp(0.25)) for electronic-check payers; at default size the cause-specific models
    separate them."""
    f = write_params(tmp_path / "telecom.yaml", scenario_params("telecom"))
    res = open_study(f, output_dir=tmp_path / "run").survival()
    cr = res.competing
    inv = cr.planted["involuntary"].set_index("term").loc["payment_method=electronic_check"]
    assert inv["ci_low"] < 2.5 < inv["ci_high"] and inv["p_value"] < 0.05
    vol = cr.models["voluntary"].hazard_ratios.set_index("term").loc["payment_method=electronic_check"]
    assert vol["ci_high"] < 2.5
    assert set(res.metrics()["survival"]["competing"]["incidence"]) == {"voluntary", "involuntary"}
