"""The sentences notebook 03 shows around its tables and figures, from a :class:`SurvivalResult`.

:func:`note` returns Markdown for one part of the notebook (:data:`NOTES`):
the skip reason when the part was skipped, else its headline sentence, or ""
when there is nothing to say.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from .. import i18n

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
    # each paragraph translated on its own: a template ending in a field, matched against the
    # whole note, would swallow the paragraphs after it into that field
    return "\n\n".join(i18n.current().text(p) for p in out)


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
    if res.remedy is None:
        return ""
    return "\n".join(f"* {i18n.current().text(n)}" for n in res.remedy.notes)  # line by line, as in _table


def _after_remedy(res) -> str:
    if not res.remedied:
        return ""
    strata = res.remedy.strata
    return "**After the remedy**" + (f" (strata: {', '.join(strata)})" if strata else "")


def _drivers(res) -> str:
    cat = i18n.current()  # pieces glued by condition: each one its own catalogue entry
    d = res.drivers
    hr = d.hazard_ratios
    sig = hr[hr["p_value"] < 0.05]
    top = sig.reindex(sig["log_hr"].abs().sort_values(ascending=False).index).head(3)
    strongest = ", ".join(f"`{r.term}` {r.hr:.2f} ({r.ci_low:.2f}–{r.ci_high:.2f})"
                          for r in top.itertuples()) or cat("none is significant at 5%")
    a = d.model_attrs
    extra = []
    if a.get("censored_involuntary"):
        extra.append(cat("{n:,} involuntary ends (failed payments) are censored: this is the hazard "
                         "of voluntary churn", n=a["censored_involuntary"]))
    if a.get("run_in_months"):
        extra.append(cat("{n:,} customer-months without a completed usage month (each customer's "
                         "first observed month) are left out", n=a["run_in_months"]))
    return (cat("**Drivers model** (time-varying Cox): {episodes:,} customer-months at risk of "
                "{customers:,} customers, {events:,} churn events, statuses known up to {until}",
                episodes=d.episodes, customers=d.customers, events=d.events,
                until=str(a.get("observed_until")))
            + (cat(", one baseline hazard per {strata}", strata=", ".join(d.strata)) if d.strata else "")
            + cat(". {k} of {n} terms are significant at 5% (unadjusted); the strongest (hazard ratio "
                  "per unit, 95% CI): {strongest}.", k=len(sig), n=len(hr), strongest=strongest)
            + ("".join(f" {e[0].upper()}{e[1:]}." for e in extra)))


def _planted(res) -> str:
    p = res.planted
    if p is None:
        return ""
    from .planted import FACTOR, MIN_EFFECT

    cat = i18n.current()
    comparable = p[p["recovered"].notna()]
    asserted = p[p["asserted"].astype(bool)]
    ok = asserted["recovered"].astype(bool)
    missed = ", ".join(f"`{f}` ({cat.text(v)})" for f, v in zip(asserted.loc[~ok, "feature"],
                                                                asserted.loc[~ok, "verdict"]))
    return (cat("**Planted vs recovered.** The simulator planted these log hazard ratios on the monthly "
                "hazard; the drivers model measures the same variables as known at each month's start. "
                "A driver counts as **recovered** only if its estimate is significant (p < 0.05), has the "
                "planted sign, and its 95% CI covers the planted value or the estimate is within a "
                "factor {factor:g} of it. Recovered: **{recovered} of {comparable}** comparable drivers; "
                "of the {asserted} with |planted log-HR| ≥ {min_effect:g}, **{ok}** are recovered",
                factor=FACTOR, recovered=int(comparable["recovered"].astype(bool).sum()),
                comparable=len(comparable), asserted=len(asserted), min_effect=MIN_EFFECT, ok=int(ok.sum()))
            + (cat("; not recovered: {missed}.", missed=missed) if missed else ".")
            + (" " + cat("{n} planted driver(s) cannot be compared (see `verdict`).",
                         n=len(p) - len(comparable)) if len(p) > len(comparable) else ""))


def _aft(res) -> str:
    if res.aft.best is None:
        return "**No parametric model converged**; the attempts are listed above."
    return f"**Best by AIC: {res.aft.best}.**"


def _validation(res) -> str:
    cat = i18n.current()
    v = res.validation
    c = v.concordance.set_index("model")
    ref = c.loc["Kaplan-Meier (no covariates)", "integrated_brier"]
    h, unit = f"{v.horizon:g}", res.unit_label
    parts = []
    for name, err in v.calibration_error.items():
        ibs = c.loc[name, "integrated_brier"]
        gain = (" " + cat("({gain:.0%} below the curve without covariates, {ref:.3f})",
                          gain=1 - ibs / ref, ref=ref)) if ref > 0 else ""
        parts.append(cat("**{name}**: C = {c:.3f}, integrated Brier score over {unit} 1–{h} after "
                         "entering the data {ibs:.3f}{gain}, predicted churn within {h} {unit} off by "
                         "{err:.1f} percentage points on average across risk groups", name=name,
                         c=c.loc[name, "test"], unit=unit, h=h, ibs=ibs, gain=gain, err=100 * err))
    return (cat("Trained on {train:,} customers, tested on {test:,}. C counts only pairs of customers seen "
                "at risk together (entry times respected).", train=v.n_train, test=v.n_test)
            + " " + " · ".join(parts) + ".")


def _sbg(res) -> str:
    cat = i18n.current()
    sbg, sp = res.sbg, res.params.survival
    f = sbg.fit
    return (cat("**{cohorts} {period}ly cohorts** (customers aged in whole {period}s from their own "
                "start, i.e. by renewals), fitted on ages 1-{fit}: **α = {alpha:.3f}, β = {beta:.3f}** "
                "(mean churn probability per {period} α/(α+β) = {mean:.3f})", cohorts=res.cohorts,
                period=sp.cohort_period, fit=sbg.fit_periods, alpha=f.alpha, beta=f.beta,
                mean=f.alpha / (f.alpha + f.beta))
            + " · " + _sbg_error(sbg, sp.cohort_period) + " · "
            + cat("DERL of a customer who has renewed once (Fader & Hardie 2010, at the end of their "
                  "second {period}): **{derl:.2f} {period}s** of payments (at {rate:.0%} a year).",
                  period=sp.cohort_period, derl=res.derl, rate=sp.annual_discount_rate)
            + ("" if f.converged else " · " + cat("**The fit did not converge:** {attempts}",
                                                   attempts="; ".join(f.attempts))))


def _sbg_error(sbg, period: str) -> str:
    """The held-out error: MAPE, bias and, when one-signed and growing, what that means."""
    cat = i18n.current()
    e = sbg.holdout_errors
    if not len(e):
        return cat("no age held out (every age calibrates the fit)")
    txt = cat("held-out ages {first}-{last}: MAPE {mape:.1%}, bias (actual − projected, share of "
              "actual) {bias:+.1%}", first=e.index.min(), last=e.index.max(), mape=sbg.mape, bias=sbg.bias)
    if sbg.drift is not None:
        # one whole sentence per direction (a translation cannot reuse the words "fewer"/"over")
        key = ("**The error is one-signed and growing**: at every held-out age fewer customers survived "
               "than projected, by {first:.1%} at age {age0} and {last:.1%} at age {age1}; the sBG "
               "overstates survival and the DERL, more the further it projects") if sbg.drift == "over" \
            else ("**The error is one-signed and growing**: at every held-out age more customers survived "
                  "than projected, by {first:.1%} at age {age0} and {last:.1%} at age {age1}; the sBG "
                  "understates survival and the DERL, more the further it projects")
        txt += ". " + cat(key, first=abs(e.iloc[0]), age0=e.index[0], last=abs(e.iloc[-1]), age1=e.index[-1])
    elif (e > 0).all() or (e < 0).all():
        txt += "; " + (cat("every held-out age errs the same way (more survivors than projected), though "
                           "the gap does not grow with age") if e.iloc[0] > 0 else
                       cat("every held-out age errs the same way (fewer survivors than projected), though "
                           "the gap does not grow with age"))
    else:
        txt += "; " + cat("the errors change sign across held-out ages (no systematic drift)")
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
    cat = i18n.current()
    cr = res.competing
    h = max(cr.at["horizon"])
    at = cr.at[cr.at["horizon"] == h].set_index("cause")
    parts = [cat("**{cause}** {cif:.1%} (95% CI {low:.1%}–{high:.1%}, {n:,} exits)", cause=c, cif=r.cif,
                 low=r.ci_low, high=r.ci_high, n=cr.events[c]) for c, r in at.iterrows()]
    total = at["cif"].sum()
    km = res.km_all.survival.set_index("horizon")["survival"] if res.km_all is not None else {}
    check = (" " + cat("(all-cause Kaplan-Meier: 1 − S({h:g}) = {share:.1%})", h=h, share=1 - km[h])
             if h in km else "")
    text = (cat("By {h:g} {unit} as a customer, customers had left for each cause:", h=h,
                unit=res.unit_label) + " " + " · ".join(parts) + ". "
            + cat("Together {total:.1%}{check}: the causes share out churn instead of each being counted "
                  "as if the other could not happen.", total=total, check=check) + " "
            + cat("Each cause gets its own Cox model (the other exits censored), because what drives a "
                  "cancellation is not what makes a payment fail."))
    if cr.skipped:
        text += " " + cat("No model for {causes}.", causes="; ".join(f"{cat.text(c)}: {cat.text(why)}"
                                                              for c, why in cr.skipped.items()))
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
    from .interpret import tidy

    # pieces translated one by one are glued with English punctuation: tidied for the language
    return tidy(NOTES[part](res), i18n.current().lang)
