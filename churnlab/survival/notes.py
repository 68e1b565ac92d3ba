"""The sentences notebook 03 shows around its tables and figures, from a :class:`SurvivalResult`.

:func:`note` returns Markdown for one part of the notebook (:data:`NOTES`):
the skip reason when the part was skipped, else its headline sentence, or ""
when there is nothing to say.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

#: Parts whose skip reason is shown in place of their note (the keys of ``SurvivalResult.skipped``).
SKIPPABLE = ("Competing risks", "Kaplan-Meier", "Hazard", "Cox model", "Drivers", "Parametric models",
             "Predictions", "Validation",
             "sBG", "BG/NBD", "P(alive) vs inactivity")


def _table(res) -> str:
    st, sp, prep = res.table, res.params.survival, res.prepared
    out = [f"**Scenario:** {res.params.scenario} · **customers:** {len(st):,} · **churned:** "
           f"{int(st['event'].sum()):,} · **time unit:** {sp.unit} · **data window from:** "
           f"{prep.observed_from or 'the start (no left truncation)'} · **left-truncated customers:** "
           f"{st.attrs['left_truncated']:,} · **dropped (no time at risk observed):** {st.attrs['dropped']:,}"]
    if "observed_until" in st and len(st):
        until = pd.Timestamp(st["observed_until"].max())
        if until < pd.Timestamp(res.params.as_of):
            out.append(f"**Censoring ({res.params.churn.definition} definition):** churn is dated at "
                       f"the last purchase and is known only up to **{until:%Y-%m-%d}** (as_of minus "
                       f"the window), so the {int((st['event'] == 0).sum()):,} customers not seen to "
                       f"churn by then are censored on that day, not on as_of; counting the last "
                       f"window's buyers as survivors up to as_of would hide their lapses and "
                       f"overstate survival.")
    if prep.summaries:
        out.append("Left out of the Cox and AFT models of the whole lifetime, shown as description "
                   "only: whole-history summaries as of `as_of` (a churner's include the run-up to "
                   "the exit, a survivor's keep growing): " + ", ".join(f"`{c}`" for c in prep.summaries)
                   + ". The drivers model (section 3) measures them month by month instead.")
    if prep.proxies:
        out.append("Left out of the models as stand-ins for tenure itself (|Spearman ρ| with the "
                   "duration above 0.85): " + ", ".join(f"`{c}`" for c in prep.proxies))
    if st.attrs["renamed"]:
        out.append(f"Counts turned into rates per {sp.unit} observed (a count grows with the time we "
                   "watched a customer, which would make long stayers look protected): "
                   + ", ".join(f"`{a}` → `{b}`" for a, b in st.attrs["renamed"].items()))
    return "\n\n".join(out)


def _km(res) -> str:
    km, u = res.km_all, res.unit_label
    return (f"**Median lifetime:** {km.median:g} {u} (95% CI {km.median_ci[0]:g}–{km.median_ci[1]:g}) "
            f"· **RMST({km.tau:g})** = {km.rmst:.1f} {u}")


def _left_truncation(res) -> str:
    if res.km_all is None or not res.prepared.entry:
        return ""
    return ("The dashed curve ignores left truncation: customers who joined before the data window "
            "are counted as at risk from their first day, although everyone like them who left "
            "before the window is missing. Survival then looks far too good.")


def _logrank(res) -> str:
    return "\n\n".join(f"Log-rank for {c} skipped: {res.skipped[f'Log-rank for {c}']}"
                       for c in res.segment_columns if f"Log-rank for {c}" in res.skipped)


def _hazard(res) -> str:
    if not res.hazard_marks:
        return ""
    return ("Dotted lines: the first month after a 12-, 24- and 36-month term (period 13 is the 13th "
            "month of tenure).")


def _cox(res) -> str:
    return (f"**Concordance** (share of customer pairs ranked in the right order by risk): "
            f"{res.remedy.first.concordance:.3f}")


def _remedy(res) -> str:
    return "\n".join(f"* {n}" for n in res.remedy.notes) if res.remedy is not None else ""


def _after_remedy(res) -> str:
    if not res.remedied:
        return ""
    strata = res.remedy.strata
    return "**After the remedy**" + (f" (strata: {', '.join(strata)})" if strata else "")


def _drivers(res) -> str:
    d = res.drivers
    hr = d.hazard_ratios
    sig = hr[hr["p_value"] < 0.05]
    top = sig.reindex(sig["log_hr"].abs().sort_values(ascending=False).index).head(3)
    strongest = ", ".join(f"`{r.term}` {r.hr:.2f} ({r.ci_low:.2f}–{r.ci_high:.2f})"
                          for r in top.itertuples()) or "none is significant at 5%"
    a = d.model_attrs
    extra = []
    if a.get("censored_involuntary"):
        extra.append(f"{a['censored_involuntary']:,} involuntary ends (failed payments) are censored: "
                     "this is the hazard of voluntary churn")
    if a.get("run_in_months"):
        extra.append(f"{a['run_in_months']:,} customer-months without a completed usage month "
                     "(each customer's first observed month) are left out")
    return (f"**Drivers model** (time-varying Cox): {d.episodes:,} customer-months at risk of "
            f"{d.customers:,} customers, {d.events:,} churn events, statuses known up to "
            f"{a.get('observed_until')}" + (f", one baseline hazard per {', '.join(d.strata)}"
                                            if d.strata else "")
            + f". {len(sig)} of {len(hr)} terms are significant at 5% (unadjusted); the strongest "
            f"(hazard ratio per unit, 95% CI): {strongest}."
            + ("".join(f" {e[0].upper()}{e[1:]}." for e in extra)))


def _planted(res) -> str:
    p = res.planted
    if p is None:
        return ""
    from .planted import FACTOR, MIN_EFFECT

    comparable = p[p["recovered"].notna()]
    asserted = p[p["asserted"].astype(bool)]
    ok = asserted["recovered"].astype(bool)
    missed = ", ".join(f"`{f}` ({v})" for f, v in zip(asserted.loc[~ok, "feature"],
                                                      asserted.loc[~ok, "verdict"]))
    return ("**Planted vs recovered.** The simulator planted these log hazard ratios on the monthly "
            "hazard; the drivers model measures the same variables as known at each month's start. "
            f"A driver counts as **recovered** only if its estimate is significant (p < 0.05), has the "
            f"planted sign, and its 95% CI covers the planted value or the estimate is within a "
            f"factor {FACTOR:g} of it. Recovered: **{int(comparable['recovered'].astype(bool).sum())} "
            f"of {len(comparable)}** comparable drivers; of the {len(asserted)} with |planted log-HR| "
            f"≥ {MIN_EFFECT:g}, **{int(ok.sum())}** are recovered"
            + (f"; not recovered: {missed}." if missed else ".")
            + (f" {len(p) - len(comparable)} planted driver(s) cannot be compared (see `verdict`)."
               if len(p) > len(comparable) else ""))


def _aft(res) -> str:
    if res.aft.best is None:
        return "**No parametric model converged**; the attempts are listed above."
    return f"**Best by AIC: {res.aft.best}.**"


def _validation(res) -> str:
    v = res.validation
    c = v.concordance.set_index("model")
    ref = c.loc["Kaplan-Meier (no covariates)", "integrated_brier"]
    h, unit = f"{v.horizon:g}", res.unit_label
    parts = []
    for name, err in v.calibration_error.items():
        ibs = c.loc[name, "integrated_brier"]
        gain = f" ({1 - ibs / ref:.0%} below the curve without covariates, {ref:.3f})" if ref > 0 else ""
        parts.append(f"**{name}**: C = {c.loc[name, 'test']:.3f}, integrated Brier score over "
                     f"{unit} 1–{h} after entering the data {ibs:.3f}{gain}, predicted churn within "
                     f"{h} {unit} off by {100 * err:.1f} percentage points on average across risk groups")
    return (f"Trained on {v.n_train:,} customers, tested on {v.n_test:,}. C counts only pairs of "
            "customers seen at risk together (entry times respected). " + " · ".join(parts) + ".")


def _sbg(res) -> str:
    sbg, sp = res.sbg, res.params.survival
    f = sbg.fit
    return (f"**{res.cohorts} {sp.cohort_period}ly cohorts** (customers aged in whole "
            f"{sp.cohort_period}s from their own start, i.e. by renewals), fitted on ages 1-"
            f"{sbg.fit_periods}: **α = {f.alpha:.3f}, β = {f.beta:.3f}** (mean churn probability per "
            f"{sp.cohort_period} α/(α+β) = {f.alpha / (f.alpha + f.beta):.3f}) · "
            + _sbg_error(sbg, sp.cohort_period)
            + f" · DERL of a customer who has renewed once (Fader & Hardie 2010, at the end of their "
            f"second {sp.cohort_period}): **{res.derl:.2f} {sp.cohort_period}s** of payments (at "
            f"{sp.annual_discount_rate:.0%} a year)."
            + ("" if f.converged else " · **The fit did not converge:** " + "; ".join(f.attempts)))


def _sbg_error(sbg, period: str) -> str:
    """The held-out error: MAPE, bias and, when one-signed and growing, what that means."""
    e = sbg.holdout_errors
    if not len(e):
        return "no age held out (every age calibrates the fit)"
    txt = (f"held-out ages {e.index.min()}-{e.index.max()}: MAPE {sbg.mape:.1%}, bias "
           f"(actual − projected, share of actual) {sbg.bias:+.1%}")
    if sbg.drift is not None:
        word = "fewer" if sbg.drift == "over" else "more"
        txt += (f". **The error is one-signed and growing**: at every held-out age {word} customers "
                f"survived than projected, by {abs(e.iloc[0]):.1%} at age {e.index[0]} and "
                f"{abs(e.iloc[-1]):.1%} at age {e.index[-1]}; the sBG "
                f"{'over' if sbg.drift == 'over' else 'under'}states survival and the DERL, "
                "more the further it projects")
    elif (e > 0).all() or (e < 0).all():
        txt += (f"; every held-out age errs the same way ({'more' if e.iloc[0] > 0 else 'fewer'} "
                "survivors than projected), though the gap does not grow with age")
    else:
        txt += "; the errors change sign across held-out ages (no systematic drift)"
    return txt


def _sbg_spread(res) -> str:
    if not res.sbg_geometric:
        return ""
    txt = ("α and β ran off to very large values together: the data show **no spread** in churn "
           "probabilities between customers (polarization φ = 1/(α+β+1) ≈ 0), so the sBG reduces to "
           "a geometric model with one churn probability for all.")
    if res.sbg.drift == "over":
        txt += (" Here the actual retention falls *faster* than the projection, more so at older "
                "ages: risk grows with tenure (e.g. customers disengaging) — something the sBG, "
                "which only lets risk fall as the disloyal leave, cannot express.")
    return txt


def _bgnbd(res) -> str:
    bg, f = res.bgnbd, res.bgnbd.fit
    return (f"**r = {f.r:.3f}, α = {f.alpha:.3f}, a = {f.a:.3f}, b = {f.b:.3f}** (time unit: "
            f"{res.params.survival.bgnbd_unit}) · {len(bg.summary):,} customers · mean P(alive) "
            f"{bg.summary['p_alive'].mean():.2f}"
            + ("" if f.converged else " · **The fit did not converge:** " + "; ".join(f.attempts)))


def _bgnbd_dropout(res) -> str:
    if not res.bgnbd_degenerate:
        return ""
    f = res.bgnbd.fit
    return (f"The fitted drop-out probability per purchase is tiny (a/(a+b) = {f.a / (f.a + f.b):.4f}): "
            "in this window the model sees almost nobody leave, so P(alive) is close to 1 for nearly "
            "everyone. A longer history usually separates the two processes better.")


def _competing(res) -> str:
    cr = res.competing
    h = max(cr.at["horizon"])
    at = cr.at[cr.at["horizon"] == h].set_index("cause")
    parts = [f"**{c}** {r.cif:.1%} (95% CI {r.ci_low:.1%}–{r.ci_high:.1%}, {cr.events[c]:,} exits)"
             for c, r in at.iterrows()]
    total = at["cif"].sum()
    km = res.km_all.survival.set_index("horizon")["survival"] if res.km_all is not None else {}
    check = f" (all-cause Kaplan-Meier: 1 − S({h:g}) = {1 - km[h]:.1%})" if h in km else ""
    text = (f"By {h:g} {res.unit_label} as a customer, customers had left for each cause: "
            + " · ".join(parts) + f". Together {total:.1%}{check}: the causes share out churn "
            "instead of each being counted as if the other could not happen. Each cause gets its own "
            "Cox model (the other exits censored), because what drives a cancellation is not what "
            "makes a payment fail.")
    if cr.skipped:
        text += " No model for " + "; ".join(f"{c}: {why}" for c, why in cr.skipped.items()) + "."
    return text


#: Part -> its note (the parts named like a ``skipped`` key show the reason instead when skipped).
NOTES: dict[str, Callable] = {
    "table": _table, "Kaplan-Meier": _km, "left truncation": _left_truncation, "Log-rank": _logrank,
    "Hazard": _hazard, "Cox model": _cox, "remedy": _remedy, "after remedy": _after_remedy,
    "Drivers": _drivers, "planted": _planted, "Parametric models": _aft, "Predictions": lambda res: "",
    "Validation": _validation, "Competing risks": _competing, "sBG": _sbg, "sBG spread": _sbg_spread,
    "BG/NBD": _bgnbd,
    "BG/NBD drop-out": _bgnbd_dropout, "P(alive) vs inactivity": lambda res: "",
}


def note(res, part: str) -> str:
    """Markdown for ``part`` of notebook 03 (a key of :data:`NOTES`)."""
    if part not in NOTES:
        raise KeyError(f"no note {part!r}; expected one of {sorted(NOTES)}")
    if part in SKIPPABLE and part in res.skipped:
        return f"**{part} skipped:** {res.skipped[part]}"
    return NOTES[part](res)
