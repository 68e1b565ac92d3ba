"""A glossary of every formula the study uses, with its source (rendered to ``docs/glossary.md``).

Each :class:`Term` has an id (the anchor ``docs/glossary.md#<id>``), a name, the
formula as the study computes it, the module that computes it and the published
source. Notebooks and docstrings cite ``glossary.md#<id>``; a test checks every
cited id exists. ``python -m churnlab.course.glossary`` rewrites the markdown.

The Chinese glossary ``docs/glossary.zh.md`` (:func:`render_markdown` with ``lang="zh"``)
comes from the same terms: each name translated (catalogue key ``glossary: <name>``, so a
term name never clashes with the same words elsewhere), the formula and the source as
they are, and a line saying the formula in words (catalogue key: the English formula).
The anchors are the same ids.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

FADER_HARDIE_2007 = ("Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. "
                     "*Journal of Interactive Marketing* 21(1), 76–90")
FADER_HARDIE_2010 = ("Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting: "
                     "the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85–93")
FHL_2005 = ("Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). \"Counting your customers\" the easy way: "
            "an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275–284")
GAMMA_GAMMA = "Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value (technical note)"
GOLD = "Gold, C. (2020). *Fighting Churn with Data*. Manning"
CHARTMOGUL = ("ChartMogul, SaaS metrics definitions (help centre: customer churn rate, MRR movements, "
              "net MRR churn rate, net revenue retention, quick ratio)")
LIFELINES = "Davidson-Pilon, C. (2019). lifelines: survival analysis in Python. *JOSS* 4(40), 1317 (and its documentation)"
NESLIN_2006 = ("Neslin, S. A. et al. (2006). Defection detection: measuring and understanding the predictive "
               "accuracy of customer churn models. *Journal of Marketing Research* 43(2), 204–211")


@dataclass(frozen=True)
class Term:
    """One glossary entry: ``id`` (anchor), ``name``, ``formula``, ``where`` (module) and ``source``."""

    id: str
    name: str
    formula: str
    where: str
    source: str


TERMS: list[Term] = [
    # ---- defining and counting churn
    Term("churn-definitions", "Churn definitions",
         "contractual: the contract ends (a new one within `resubscribe_gap_days` continues it); inactivity: no "
         "purchase for `inactivity_days`; partial: spend drops by `partial_drop` between two windows; category: "
         "a regularly bought category is dropped", "churnlab/collect/definitions.py",
         f"{GOLD}, ch. 2 (defining churn for subscriptions and for non-subscription products); Buckinx, W. & "
         "Van den Poel, D. (2005). Customer base analysis: partial defection of behaviourally loyal clients in "
         "a non-contractual FMCG retail setting. *European Journal of Operational Research* 164(1), 252–268"),
    Term("churn-share", "Churn share of a study", "churned customers / all customers of the study",
         "churnlab/collect/summary.py", GOLD),
    Term("churn-rate", "Churn rate of a period",
         "c = customers who lapse in the period / customers active at its start; retention = 1 − c; customers "
         "who join and lapse in the same period are left out", "churnlab/kpi/rates.py", f"{CHARTMOGUL}; {GOLD}, ch. 2"),
    Term("annualised-churn", "Annualised churn", "1 − (1 − c)^12 for a monthly rate c (churn compounds)",
         "churnlab/kpi/rates.py", f"{GOLD}, ch. 2 (5% a month ≈ 46% a year)"),
    Term("wilson-interval", "Wilson interval of a rate",
         "(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)", "churnlab/intervals.py",
         "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. "
         "*JASA* 22(158), 209–212"),
    # ---- early warning
    Term("lift", "Top-decile lift", "churn rate of the riskiest 10% / average churn rate",
         "churnlab/causes/scores.py", NESLIN_2006),
    Term("roc-auc", "ROC AUC", "P(score of a churner > score of a stayer)", "churnlab/causes/scores.py",
         "Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a ROC curve. *Radiology* 143(1), 29–36"),
    Term("brier", "Brier score and calibration error",
         "Brier = mean (p − y)²; ECE = Σ_bins n_b/n · |mean p − mean y| over 10 equal-count bins",
         "churnlab/causes/scores.py",
         "Brier, G. W. (1950). Verification of forecasts expressed in terms of probability. *Monthly Weather "
         "Review* 78(1), 1–3; Naeini, M. P., Cooper, G. & Hauskrecht, M. (2015). Obtaining well calibrated "
         "probabilities using Bayesian binning. *AAAI*"),
    Term("calibration", "Platt and isotonic calibration", "p = 1 / (1 + exp(a·s + b)); or a monotone step function of s",
         "churnlab/causes/calibration.py",
         "Platt, J. (1999). Probabilistic outputs for support vector machines; Zadrozny, B. & Elkan, C. (2002). "
         "Transforming classifier scores into accurate multiclass probability estimates. *KDD*"),
    Term("shap", "SHAP attributions", "each feature's Shapley value of the model's score, per customer",
         "churnlab/causes/warning_list.py",
         "Lundberg, S. M. & Lee, S.-I. (2017). A unified approach to interpreting model predictions. *NeurIPS*"),
    # ---- survival
    Term("kaplan-meier", "Kaplan-Meier survival curve", "S(t) = Π_{t_i ≤ t} (1 − d_i / n_i); the median is the first t with S(t) ≤ 0.5",
         "churnlab/survival/km.py",
         "Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations. *JASA* "
         f"53(282), 457–481; {LIFELINES}"),
    Term("rmst", "Restricted mean survival time", "RMST(τ) = ∫₀^τ S(t) dt", "churnlab/survival/km.py",
         "Royston, P. & Parmar, M. K. B. (2013). Restricted mean survival time. *BMC Medical Research Methodology* 13, 152"),
    Term("log-rank", "Log-rank test", "Σ (observed − expected events) per group, χ² with groups − 1 degrees of freedom",
         "churnlab/survival/km.py",
         "Mantel, N. (1966). Evaluation of survival data and two new rank order statistics. *Cancer "
         "Chemotherapy Reports* 50(3), 163–170"),
    Term("cox", "Cox model and hazard ratio",
         "h(t | x) = h₀(t) · exp(β·x); hazard ratio exp(β) per unit of x: the hazard changes by exp(β) − 1",
         "churnlab/survival/cox.py",
         f"Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34(2), 187–220; {LIFELINES}"),
    Term("schoenfeld", "Schoenfeld residual test of proportional hazards",
         "correlation of scaled Schoenfeld residuals with time, per term", "churnlab/survival/cox.py",
         "Grambsch, P. M. & Therneau, T. M. (1994). Proportional hazards tests and diagnostics based on weighted "
         "residuals. *Biometrika* 81(3), 515–526"),
    Term("aft", "Accelerated failure time models", "log T = μ + β·x + σ·ε (Weibull, log-normal, log-logistic ε)",
         "churnlab/survival/aft.py", LIFELINES),
    Term("competing-risks", "Cumulative incidence (competing risks)",
         "F_k(t) = Σ_{t_i ≤ t} S(t_i−) · d_{k,i} / n_i (Aalen-Johansen)", "churnlab/survival/competing.py",
         "Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for non-homogeneous Markov chains "
         f"based on censored observations. *Scandinavian Journal of Statistics* 5(3), 141–150; {LIFELINES}"),
    Term("sbg", "Shifted-beta-geometric (sBG) model",
         "P(T = t) = B(α + 1, β + t − 1) / B(α, β); S(t) = B(α, β + t) / B(α, β); mean churn per period α / (α + β)",
         "churnlab/clv/sbg.py", FADER_HARDIE_2007),
    Term("derl", "Discounted expected residual lifetime",
         "DERL(d | n − 1 renewals) = (β + n − 1)/(α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1/(1 + d))",
         "churnlab/clv/sbg.py", f"{FADER_HARDIE_2010}, eq. 6"),
    Term("bgnbd", "BG/NBD model and P(alive)",
         "purchases while alive ~ Poisson(λ), λ ~ Gamma(r, α); after each purchase the customer leaves with "
         "probability p ~ Beta(a, b); P(alive | x, t_x, T) from eq. 13", "churnlab/clv/bgnbd.py", FHL_2005),
    Term("gamma-gamma", "Gamma-Gamma spend model",
         "E(M | x, m̄) = p · (γ + x · m̄) / (p · x + q − 1)", "churnlab/clv/gamma_gamma.py", GAMMA_GAMMA),
    # ---- value and cost
    Term("clv", "Customer lifetime value",
         "CLV = Σ_{t=0}^{H−1} margin · revenue_t · S(t) / (1 + d)^t, d the monthly discount rate",
         "churnlab/economics/value.py",
         f"{FADER_HARDIE_2010}; Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of "
         "Interactive Marketing* 17(1), 9–24"),
    Term("discount", "Discount rate per month", "d_month = (1 + d_year)^(1/12) − 1", "churnlab/discount.py",
         "Gupta, S. & Lehmann, D. R. (2003), as above"),
    Term("cost-of-churn", "Cost of churn",
         "direct (termination, equipment, compensation) + indirect (replacement acquisition, extra service) + "
         "lost revenue (the value churners would have brought) + opportunity (retention spend that changed nothing)",
         "churnlab/economics/cost.py",
         "Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes to services. *Harvard "
         f"Business Review* 68(5), 105–111; {GOLD}, ch. 1"),
    Term("revenue-at-risk", "Revenue at risk", "Σ over active customers of P(churn within h) × CLV",
         "churnlab/economics/cost.py", GOLD),
    Term("campaign-profit", "Campaign profit and break-even save rate",
         "profit = Σ_contacted [p_i · s · (V_i − offer) − contact]; break-even s* = contact / (p · (V − offer))",
         "churnlab/economics/campaign.py",
         f"{NESLIN_2006}; Ascarza, E. (2018). Retention futility: targeting high-risk customers might be "
         "ineffective. *Journal of Marketing Research* 55(1), 80–98"),
    Term("fix-roi", "Return on investment of a fix", "ROI = (value saved, present value − investment) / investment",
         "churnlab/economics/cost.py", "Reichheld, F. F. & Sasser, W. E. (1990), as above"),
    # ---- KPIs
    Term("mrr-movements", "MRR movements", "MRR_end = MRR_start + new + expansion + reactivation − contraction − churn",
         "churnlab/kpi/revenue.py", CHARTMOGUL),
    Term("nrr", "Net revenue retention", "NRR = (MRR_start + expansion − contraction − churn) / MRR_start (no new, no reactivation)",
         "churnlab/kpi/revenue.py", CHARTMOGUL),
    Term("grr", "Gross revenue retention", "GRR = (MRR_start − contraction − churn) / MRR_start", "churnlab/kpi/revenue.py",
         CHARTMOGUL),
    Term("net-mrr-churn", "Net MRR churn rate",
         "(churn + contraction − expansion − reactivation) / MRR_start", "churnlab/kpi/revenue.py", CHARTMOGUL),
    Term("quick-ratio", "SaaS quick ratio", "(new + expansion + reactivation) / (contraction + churn)",
         "churnlab/kpi/revenue.py", CHARTMOGUL),
    Term("winback", "Win-back and save rates",
         "win-back = churn events won back within `winback_days` / churn events; save rate = kept / offers; "
         "save-desk success = kept / accepted offers", "churnlab/kpi/winback.py", GOLD),
    Term("lifecycle", "Customer lifecycle stages", "new, active, at risk, lapsed, returned at each period end",
         "churnlab/kpi/lifecycle.py", GOLD),
]

BY_ID = {t.id: t for t in TERMS}
#: The glossary terms each exercise practises.
EXERCISE_TERMS = {
    "01.1": ["churn-share"], "01.2": ["churn-share"], "01.3": ["churn-definitions"],
    "02.1": ["wilson-interval"], "02.2": ["lift"], "02.3": ["shap"],
    "03.1": ["kaplan-meier"], "03.2": ["cox"], "03.3": ["cox"],
    "04.1": ["clv", "discount"], "04.2": ["campaign-profit"], "04.3": ["fix-roi"],
    "05.1": ["churn-rate"], "05.2": ["annualised-churn"], "05.3": ["nrr", "grr"],
}
TITLE = "Glossary: every formula of the study, with its source"
LEAD = ("Each entry gives the formula as churnlab computes it, the module that computes it, and the published "
        "source. Notebooks and docstrings link here as `docs/glossary.md#<id>`.")


#: The lines of an entry (English templates, translated by the catalogues); IN_WORDS only in a translation.
FORMULA, WHERE, SOURCE = "- **Formula:** {formula}", "- **Computed in:** `{where}`", "- **Source:** {source}"
IN_WORDS = "- **In words:** {formula}"
#: The file of each language's glossary.
FILES = {"en": "glossary.md", "zh": "glossary.zh.md"}


def name_key(t: Term) -> str:
    """The catalogue key of a term's name: ``glossary: <name>``."""
    return f"glossary: {t.name}"


def render_markdown(lang: str = "en") -> str:
    """The glossary as markdown (``docs/glossary.md``, or ``docs/glossary.zh.md`` for ``zh``), one section per term.

    In a language other than English each heading is the translated name with the English
    one in parentheses, the formula and the source stay as they are, and a line gives the
    formula in words in that language; a term without its translation keeps the English.
    """
    from .. import i18n
    from .exercises import render

    cat = i18n.catalogue(lang)
    if cat.english:
        lines = [f"# {TITLE}", "", LEAD, ""]
        for t in TERMS:
            lines += [f'<a id="{t.id}"></a>', f"## {t.name}", "", FORMULA.format(formula=t.formula),
                      WHERE.format(where=t.where), SOURCE.format(source=t.source), ""]
        return "\n".join(lines)
    lines = [f"# {cat(TITLE)}", "", cat(LEAD), ""]
    for t in TERMS:
        name = cat.lookup(name_key(t))
        heading = t.name if name == name_key(t) else f"{name}（{t.name}）"
        words = cat.lookup(t.formula)
        lines += [f'<a id="{t.id}"></a>', f"## {heading}", "", render(FORMULA, lang, formula=t.formula)]
        if words != t.formula:
            lines.append(render(IN_WORDS, lang, formula=words))
        lines += [render(WHERE, lang, where=t.where), render(SOURCE, lang, source=t.source), ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    docs = Path(__file__).resolve().parents[2] / "docs"
    targets = [(Path(sys.argv[1]), "en")] if len(sys.argv) > 1 else [(docs / f, lang) for lang, f in FILES.items()]
    for out, lang in targets:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_markdown(lang), encoding="utf-8")
        print(out)
