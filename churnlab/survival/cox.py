"""Cox proportional hazards with the Schoenfeld check and a remedy.

Cox, D. R. (1972), "Regression Models and Life-Tables", *JRSS B* 34, 187-220:
h(t | x) = h0(t) exp(b'x), lifelines ``CoxPHFitter``. Proportional hazards are
tested with Schoenfeld residuals (Grambsch & Therneau 1994, *Biometrika* 81,
515-526); where they fail, :func:`cox_with_remedy` stratifies a categorical
covariate or splits a numeric one's effect at a tenure cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..design import CovariateDesign
from ..errors import DataError
from .fitting import fit_quietly, model_frame
from .readable import term_scale
from .table import check_table


@dataclass
class CoxResult:
    """A fitted Cox model: hazard ratios with CIs, concordance, and the PH check.

    ``hazard_ratios``: term, hr = exp(coef), ci_low, ci_high, p_value;
    ``ph_test``: per term, the Schoenfeld-residual test statistic and p-value
    (Grambsch & Therneau 1994, rank transform of time); ``ph_violations``:
    terms with p < 0.05; ``strata``: columns the model was stratified on;
    ``attempts``: what the fit tried (a ridge penalty is added only if the
    plain fit does not converge); ``scale``: the SD of each numeric term over the fitted
    rows, for hazard ratios per SD (:mod:`churnlab.survival.readable`).
    """

    hazard_ratios: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    ph_violations: list[str]
    strata: list[str]
    model: object
    design: CovariateDesign
    attempts: list[str]
    scale: dict[str, float] = field(default_factory=dict)


def cox_model(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
              event: str = "event", entry: str | None = None, strata: list[str] | None = None,
              reference: dict[str, str] | None = None, ph_test: bool = True) -> CoxResult:
    """Cox proportional hazards: h(t | x) = h0(t) exp(b'x), lifelines ``CoxPHFitter``.

    Categorical covariates are one-hot encoded against a reference level (see
    :class:`CovariateDesign`); ``strata`` columns get their own baseline hazard instead
    of a coefficient (the usual remedy when a variable breaks proportional
    hazards). ``entry`` handles left truncation. Raises :class:`DataError` if
    the fit does not converge even with a ridge penalty, listing what was tried.
    """
    from lifelines import CoxPHFitter

    check_table(df, duration, event)
    strata = list(strata or [])
    design = CovariateDesign.fit(df, [c for c in covariates if c not in strata], reference=reference)
    X = model_frame(df, design, duration, event, entry, strata)
    cph, attempts = fit_quietly(lambda p: CoxPHFitter(penalizer=p), X, duration_col=duration,
                                 event_col=event, entry_col=entry, strata=strata or None)
    if cph is None:
        raise DataError("the Cox model did not converge; tried: " + "; ".join(attempts))
    hr = hazard_ratio_table(cph.summary)
    ph = schoenfeld_test(cph, X, duration=duration, event=event, entry=entry, strata=strata) \
        if ph_test else pd.DataFrame(columns=["term", "statistic", "p_value"])
    return CoxResult(hr, float(cph.concordance_index_), ph,
                     ph.loc[ph["p_value"] < 0.05, "term"].tolist(), strata, cph, design, attempts,
                     term_scale(X, design.columns))


def schoenfeld_residuals(cph, X: pd.DataFrame, *, duration: str, event: str,
                         entry: str | None = None, strata: list[str] | None = None) -> pd.DataFrame:
    """Schoenfeld residuals of a fitted Cox model, one row per churn event.

    r_i = x_i - xbar(t_i), where xbar(t) is the risk-weighted mean of x over
    the customers at risk at t (entry < t <= duration, same stratum), weights
    exp(b'x), with Efron's correction for tied event times -- the same
    definition lifelines uses, extended to left truncation (lifelines raises
    "Residuals for entries not implemented"). At the fitted b the residuals
    sum to zero (the score equation). Columns: the model terms and ``_time``.
    """
    terms = list(cph.params_.index)
    beta = cph.params_.to_numpy(dtype=float)
    Z = X[terms].to_numpy(dtype=float)
    Z = Z - Z.mean(axis=0)  # residuals are shift-invariant; centring keeps exp() in range
    t = X[duration].to_numpy(dtype=float)
    e = X[event].to_numpy().astype(bool)
    start = X[entry].to_numpy(dtype=float) if entry else np.full(len(t), -np.inf)
    lp = Z @ beta
    score = np.exp(lp - lp.max())
    keys = (X[list(strata)].astype(str).agg("|".join, axis=1).to_numpy() if strata
            else np.zeros(len(t), dtype=int))
    rows, times = [], []
    for key in np.unique(keys):
        ins = keys == key
        for tj in np.unique(t[ins & e]):
            risk = ins & (start < tj) & (t >= tj)
            ties = risk & e & (t == tj)
            m = int(ties.sum())
            r_phi, r_phix = score[risk].sum(), score[risk] @ Z[risk]
            t_phi, t_phix = score[ties].sum(), score[ties] @ Z[ties]
            mean = sum((r_phix - k / m * t_phix) / ((r_phi - k / m * t_phi) * m) for k in range(m))
            rows.append(Z[ties] - mean)
            times.append(np.full(m, tj))
    out = pd.DataFrame(np.vstack(rows), columns=terms)
    out["_time"] = np.concatenate(times)
    return out


def schoenfeld_test(cph, X: pd.DataFrame, *, duration: str, event: str, entry: str | None = None,
                    strata: list[str] | None = None) -> pd.DataFrame:
    """Grambsch & Therneau (1994) test of proportional hazards, per term.

    Scaled residuals s_i = d * r_i V (d events, V the variance of b); with g
    the rank of the event times, T_k = (sum_i (g_i - gbar) s_ik)^2 /
    (d * V_kk * sum_i (g_i - gbar)^2) ~ chi2(1). Identical to lifelines'
    ``proportional_hazard_test(..., time_transform="rank")`` without entry
    times (checked in the tests), and valid with them.
    """
    from scipy import stats

    res = schoenfeld_residuals(cph, X, duration=duration, event=event, entry=entry, strata=strata)
    terms = list(cph.params_.index)
    d = len(res)
    scaled = d * res[terms].to_numpy() @ cph.variance_matrix_.to_numpy()
    g = stats.rankdata(res["_time"].to_numpy(), method="ordinal").astype(float)
    g = g - g.mean()
    se2 = cph.standard_errors_.to_numpy() ** 2
    stat = (g @ scaled) ** 2 / (d * se2 * (g ** 2).sum())
    return pd.DataFrame({"term": terms, "statistic": stat, "p_value": stats.chi2.sf(stat, 1)})


@dataclass
class CoxRemedy:
    """The first Cox fit, the refit after the remedy, and what was done.

    ``final`` has the remedied hazard ratios: strata have none, a numeric
    covariate with a time interaction has two, ``x (tenure <= c)`` and
    ``x (tenure > c)``. ``first.concordance`` is the ranking quality of the
    plain model (a stratified model ranks only within strata).
    """

    first: CoxResult
    final: CoxResult
    notes: list[str]
    strata: list[str]
    interactions: list[str]
    cut: float | None


def hazard_ratio_table(summary: pd.DataFrame) -> pd.DataFrame:
    """A lifelines ``summary`` as term, hr = exp(b), its Wald 95% CI exp(b ± 1.96 se), p_value,
    and the same on the log scale: log_hr = b, se, log_ci_low, log_ci_high."""
    return pd.DataFrame({"term": summary.index, "hr": summary["exp(coef)"].to_numpy(),
                         "ci_low": summary["exp(coef) lower 95%"].to_numpy(),
                         "ci_high": summary["exp(coef) upper 95%"].to_numpy(),
                         "p_value": summary["p"].to_numpy(), "log_hr": summary["coef"].to_numpy(),
                         "se": summary["se(coef)"].to_numpy(),
                         "log_ci_low": summary["coef lower 95%"].to_numpy(),
                         "log_ci_high": summary["coef upper 95%"].to_numpy()})


def _split_at(X: pd.DataFrame, *, cut: float, duration: str, event: str, entry: str | None,
              numeric: list[str]) -> pd.DataFrame:
    """Episodes (start, stop] split at tenure ``cut``; ``x`` becomes ``x (tenure <= c)`` and
    ``x (tenure > c)`` (each zero outside its episode); the event sits on the last episode."""
    start = X[entry].to_numpy(float) if entry else np.zeros(len(X))
    stop = X[duration].to_numpy(float)
    base = X.drop(columns=[c for c in (duration, event, entry) if c]).assign(_id=np.arange(len(X)))
    early = base.assign(_start=start, _stop=np.minimum(stop, cut),
                        _event=np.where(stop <= cut, X[event].to_numpy(), 0))[start < cut]
    late = base.assign(_start=np.maximum(start, cut), _stop=stop,
                       _event=X[event].to_numpy())[stop > cut]
    for col in numeric:
        early[f"{col} (tenure <= {cut:g})"], early[f"{col} (tenure > {cut:g})"] = early[col], 0.0
        late[f"{col} (tenure <= {cut:g})"], late[f"{col} (tenure > {cut:g})"] = 0.0, late[col]
    return pd.concat([early, late], ignore_index=True).drop(columns=numeric)


def cox_with_remedy(df: pd.DataFrame, *, covariates: list[str], duration: str = "duration",
                    event: str = "event", entry: str | None = None,
                    reference: dict[str, str] | None = None, max_remedies: int = 3,
                    alpha: float = 0.05) -> CoxRemedy:
    """Fit Cox, test proportional hazards (Schoenfeld), and remedy the worst offenders.

    Up to ``max_remedies`` covariates whose terms fail the test (p < ``alpha``),
    largest test statistic first:

    * a **categorical** covariate gets its own baseline hazard per level
      (``strata``): its effect may change with tenure in any way, and it has no
      hazard ratio any more (its Kaplan-Meier curves show the effect instead);
    * a **numeric** covariate gets a **time interaction**: tenure is split at
      ``c`` (the median churn time) and the covariate has one hazard ratio up
      to ``c`` and another after it (lifelines ``CoxTimeVaryingFitter`` on the
      split episodes, which also honours entry times).

    With thousands of customers the test flags even small departures; the
    notes give the statistics to judge by. Remaining violations are listed.
    """
    from lifelines import CoxTimeVaryingFitter

    first = cox_model(df, covariates=covariates, duration=duration, event=event, entry=entry,
                      reference=reference)
    if not first.ph_violations:
        return CoxRemedy(first, first, ["no covariate breaks proportional hazards (p >= "
                                        f"{alpha:g}); no remedy needed"], [], [], None)
    bad = first.ph_test[first.ph_test["p_value"] < alpha].copy()
    bad["covariate"] = bad["term"].map(first.design.source)
    worst = bad.groupby("covariate")["statistic"].max().sort_values(ascending=False)
    chosen = list(worst.index[:max_remedies])
    strata = [c for c in chosen if c not in first.design.numeric]
    numeric = [c for c in chosen if c in first.design.numeric]
    notes = [f"{c} breaks proportional hazards (chi2 = {worst[c]:.1f}): each level gets its own "
             "baseline hazard (strata), so it has no hazard ratio in the refit" for c in strata]
    if not numeric:
        final = cox_model(df, covariates=covariates, duration=duration, event=event, entry=entry,
                          strata=strata, reference=reference)
        cut = None
    else:
        cut = float(np.median(df.loc[df[event].astype(bool), duration]))
        notes += [f"{c} breaks proportional hazards (chi2 = {worst[c]:.1f}): time interaction, one "
                  f"hazard ratio up to tenure {cut:g} and one after" for c in numeric]
        design = CovariateDesign.fit(df, [c for c in covariates if c not in strata], reference=reference)
        X = model_frame(df, design, duration, event, entry, strata)
        ep = _split_at(X, cut=cut, duration=duration, event=event, entry=entry, numeric=numeric)
        ctv, attempts = fit_quietly(lambda p: CoxTimeVaryingFitter(penalizer=p), ep,
                                     event_col="_event", start_col="_start", stop_col="_stop",
                                     id_col="_id", strata=strata or None)
        if ctv is None:
            raise DataError("the Cox model with time interactions did not converge; tried: "
                            + "; ".join(attempts))
        ph = schoenfeld_test(ctv, ep, duration="_stop", event="_event", entry="_start",
                             strata=strata)
        final = CoxResult(hazard_ratio_table(ctv.summary), first.concordance, ph,
                          ph.loc[ph["p_value"] < alpha, "term"].tolist(), strata, ctv, design,
                          attempts, term_scale(ep, list(hazard_ratio_table(ctv.summary)["term"])))
    if final.ph_violations:
        notes.append("still outside proportional hazards after the remedy (p < "
                     f"{alpha:g}): {', '.join(final.ph_violations)}; their hazard ratios are "
                     "averages over tenure")
    return CoxRemedy(first, final, notes, strata, numeric, cut)
