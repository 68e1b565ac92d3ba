"""Held-out validation of the survival models: concordance, Brier score and calibration at a horizon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import CovariateDesign
from ..errors import DataError
from .aft import aft_fitter
from .fitting import fit_quietly, model_frame
from .km import survival_at
from .scores import concordance, integrated_brier
from .table import check_table


@dataclass
class Validation:
    """Held-out check of survival models.

    ``concordance``: per model, Harrell's C on the training and the test
    customers, counting only pairs seen at risk together (entry times
    respected, :func:`.scores.concordance`; 0.5 = random ranking, 1 = perfect),
    and the integrated Brier score of the test customers over periods
    1..``horizon`` after entering the data (:func:`.scores.integrated_brier`;
    lower is better), with a row "Kaplan-Meier (no covariates)" as the
    reference a model must beat; ``calibration``: per model and risk group of
    test customers, the predicted and the Kaplan-Meier observed probability of
    churning within ``horizon`` periods after they entered the data, with the
    observed 95% CI; ``calibration_error``: per model, the mean absolute gap
    between predicted and observed over those risk groups, weighted by group
    size (a grouped calibration error at one horizon, not Austin's smoothed ICI).
    """

    concordance: pd.DataFrame
    calibration: pd.DataFrame
    calibration_error: dict[str, float]
    horizon: float
    n_train: int
    n_test: int


def _split(df: pd.DataFrame, event: str, test_share: float, seed: int) -> np.ndarray:
    """Boolean test mask, stratified on the event flag."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(df), dtype=bool)
    ev = df[event].to_numpy().astype(bool)
    for flag in (True, False):
        idx = np.flatnonzero(ev == flag)
        k = int(round(test_share * len(idx)))
        test[rng.choice(idx, size=k, replace=False)] = True
    return test


def holdout_validation(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
                       event: str = "event", entry: str | None = None, horizon: float = 12,
                       test_share: float = 0.25, seed: int = 0, strata: list[str] | None = None,
                       aft: str | None = "Weibull", reference: dict[str, str] | None = None,
                       groups: int = 10) -> Validation:
    """Fit Cox (and an AFT model) on a random ``1 - test_share`` of customers,
    check them on the rest.

    Calibration: every test customer's predicted P(churn within ``horizon`` of
    entering the data) = 1 - S(e + h | x) / S(e | x) (e = entry, 0 without
    left truncation), grouped into ``groups`` risk groups (fewer if groups
    would hold under 30 customers); observed = 1 - Kaplan-Meier at ``horizon``
    of the time since entry in the group. Split stratified on churn, seeded.
    """
    from lifelines import CoxPHFitter, KaplanMeierFitter

    check_table(df, duration, event)
    test_mask = _split(df, event, test_share, seed)
    train, test = df[~test_mask], df[test_mask]
    for part, name in ((train, "training"), (test, "test")):
        if part[event].sum() == 0:
            raise DataError(f"the {name} customers have no churn events; use more data or a "
                            "larger test_share")
    strata = list(strata or [])
    design = CovariateDesign.fit(train, [c for c in covariates if c not in strata], reference=reference)
    Xtr = model_frame(train, design, duration, event, entry, strata)
    Xte = model_frame(test, design, duration, event, entry, strata)
    makers = {"Cox": lambda p: CoxPHFitter(penalizer=p)}
    if aft:
        makers[f"{aft} AFT"] = lambda p: aft_fitter(aft)(penalizer=p)
    conc, cal, cal_error = [], [], {}
    e0 = test[entry].to_numpy(float) if entry else np.zeros(len(test))
    since = test[duration].to_numpy(float) - e0
    since_tr = train[duration].to_numpy(float) - (train[entry].to_numpy(float) if entry else 0.0)
    ev_tr, ev_te = train[event].to_numpy(bool), test[event].to_numpy(bool)
    grid = np.arange(1.0, float(horizon) + 1.0)
    grid = grid[(grid >= since.min()) & (grid < since.max())]  # within the test follow-up

    def ibs(surv: np.ndarray) -> float:
        return integrated_brier(since_tr, ev_tr, since, ev_te, surv, grid) if len(grid) > 1 else np.nan

    km = KaplanMeierFitter().fit(since_tr, ev_tr)
    km_surv = np.tile(km.survival_function_at_times(grid).to_numpy(), (len(test), 1))
    for name, make in makers.items():
        extra = {"strata": strata or None} if name == "Cox" else {}
        Xfit = Xtr if name == "Cox" else Xtr.drop(columns=strata)
        model, attempts = fit_quietly(make, Xfit, duration_col=duration, event_col=event,
                                       entry_col=entry, **extra)
        if model is None:
            raise DataError(f"{name} did not converge on the training customers; tried: "
                            + "; ".join(attempts))
        Xt = Xte if name == "Cox" else Xte.drop(columns=strata)
        if name == "Cox":
            risk_te = model.predict_partial_hazard(Xt).to_numpy()
            risk_tr = model.predict_partial_hazard(Xfit).to_numpy()
        else:  # longer predicted median lifetime = lower risk
            risk_te = -model.predict_median(Xt).to_numpy()
            risk_tr = -model.predict_median(Xfit).to_numpy()
        entry_tr, entry_te = (train[entry], test[entry]) if entry else (None, None)
        surv = model.predict_survival_function(Xt, times=grid, conditional_after=e0).to_numpy().T
        conc.append({"model": name,
                     "train": concordance(train[duration], risk_tr, train[event], entry_tr),
                     "test": concordance(test[duration], risk_te, test[event], entry_te),
                     "integrated_brier": ibs(surv)})
        S = model.predict_survival_function(Xt, times=[float(horizon)], conditional_after=e0)
        pred = 1.0 - S.to_numpy()[0]
        k = int(max(1, min(groups, len(test) // 30)))
        grp = pd.qcut(pd.Series(pred).rank(method="first"), k, labels=False).to_numpy()
        rows = []
        for gi in range(k):
            m = grp == gi
            obs = _km_at(since[m], test[event].to_numpy()[m], float(horizon))
            rows.append({"model": name, "group": gi + 1, "customers": int(m.sum()),
                         "predicted": float(pred[m].mean()), **obs})
        c = pd.DataFrame(rows)
        cal_error[name] = float(np.average((c["predicted"] - c["observed"]).abs().fillna(0),
                                           weights=c["customers"]))
        cal.append(c)
    conc.append({"model": "Kaplan-Meier (no covariates)", "train": 0.5, "test": 0.5,
                 "integrated_brier": ibs(km_surv)})
    return Validation(pd.DataFrame(conc), pd.concat(cal, ignore_index=True), cal_error,
                      float(horizon), int(len(train)), int(len(test)))


def _km_at(t: np.ndarray, e: np.ndarray, h: float) -> dict:
    """1 - KM(h) with its 95% CI (lifelines), for the rows given."""
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(t, e)
    s, lo, hi = survival_at(km, h)
    return {"observed": 1.0 - s, "observed_low": 1.0 - hi, "observed_high": 1.0 - lo}
