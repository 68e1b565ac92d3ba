"""Every course string in one place (English), keyed by id, so a catalogue can translate it.

``OBJECTIVES[notebook]`` the learning objectives of each notebook; ``PROMPTS[exercise]``
the exercise prompt (``{name}`` fields are filled from the run); ``FEEDBACK[key]`` the
feedback lines: ``correct``, ``not_yet``, one hint per exercise (``hint.<id>``) and one
line per anticipated mistake (``<id>.<mistake>``).

They are the English source of the translations in ``churnlab/i18n/<lang>/course.yaml``
(each line, with its ``{fields}``, is a key there). ``TIME_UNITS`` names the key of
each time unit a prompt pastes (``{unit}``, ``{period}``), so it is translated as a word.
"""

from __future__ import annotations

OBJECTIVES: dict[str, list[str]] = {
    "01": [
        "state which churn definition a study uses, and why that is a choice (contractual, inactivity, partial, category)",
        "compute the share of customers who churned, with all customers as the denominator",
        "tell a study-wide churn share from the label of an early-warning snapshot (churn within the next days)",
        "read a duration in the study's time unit",
    ],
    "02": [
        "tell stated causes (exit surveys) from revealed ones (what predicts churn)",
        "compare segments by their churn rate, not by their count of churners",
        "read the lift of an early-warning model and turn it into a churn rate",
    ],
    "03": [
        "read a Kaplan-Meier median and explain why it differs from the median of observed durations",
        "interpret a hazard ratio as a change in the monthly churn hazard",
        "check a model against the drivers the simulator planted",
    ],
    "04": [
        "compute a customer lifetime value from margin, retention and a discount rate",
        "compute the save rate at which a retention campaign breaks even",
        "compute the return on investment of fixing a cause of churn",
    ],
    "05": [
        "compute a monthly churn rate with the right denominator (customers at the start of the month)",
        "annualise a monthly churn rate (churn compounds)",
        "compute net and gross revenue retention from MRR movements (ChartMogul's definitions)",
    ],
}

#: the catalogue key of each time unit pasted into a prompt (translated as a word of the sentence)
TIME_UNITS = {"day": "time unit: day", "week": "time unit: week", "month": "time unit: month",
              "year": "time unit: year"}

OBJECTIVES_TITLE = "Learning objectives"
OBJECTIVES_LEAD = "After this notebook you can:"
EXERCISES_TITLE = "Exercises"
EXERCISES_LEAD = ("Each exercise is checked against this run's own numbers (or the simulator's planted truth). "
                  "`study.exercise(ID)` shows the question, and its `.fields` hold the run's numbers it "
                  "needs; put your result in `answer` and run the check cell. On the command line: "
                  "`churnlab check RUN_DIR ID ANSWER`.")
NO_ANSWER = "not yet: set `answer` to your result and run the check again"
UNAVAILABLE = ("this run has no `{needs}` in metrics.json, so {id} cannot be checked here (the data lack it, "
               "or its notebook has not run yet)")
UNKNOWN = "unknown exercise {id!r}: expected one of {ids}"
BAD_ANSWER = "{id}: expected a number (e.g. 0.031 or 3.1%) as the answer, got {answer!r}"
BAD_NAME = "{id}: expected a name as the answer, got {answer!r}"

PROMPTS: dict[str, str] = {
    "01.1": "What share of the study's {n_customers:,.0f} customers churned by `as_of`? Answer as a fraction.",
    "01.2": "The early-warning snapshots label a customer `churn_next` when they leave within the next "
            "`snapshots.lead_days` days. What share of snapshot rows is labelled churn? Answer as a fraction.",
    "01.3": "What is the median customer duration, in months, of the collected customers (censored "
            "durations as they are)?",
    "02.1": "Which level of `{column}` has the highest churn rate?",
    "02.2": "The chosen early-warning model's riskiest 10% churn at `top_decile_lift` times the average. "
            "With the held-out churn rate `calibration.event_rate` as the average, what is the churn rate "
            "of the riskiest 10%? Answer as a fraction.",
    "02.3": "Which exit reason do most answering churners state?",
    "03.1": "What is the Kaplan-Meier median lifetime, in {unit}s?",
    "03.2": "In the drivers model, by what fraction does the monthly churn hazard change per unit of "
            "`{term}`? (e.g. +0.25 for 25% higher, -0.10 for 10% lower)",
    "03.3": "The simulator planted drivers of churn. Which planted driver has the largest effect "
            "(largest |planted log hazard ratio|)?",
    "04.1": "A customer pays 50 {currency} a month and stays each month with probability 0.9 (the first "
            "month is paid today). With this study's margin ({margin:.0%}) and discount rate "
            "({discount:.1%} a {period}), what is their lifetime value over {horizon} months, paid at "
            "the start of each month?",
    "04.2": "A contact costs {contact:,.0f} {currency}; a customer who is saved also gets an offer "
            "worth {offer:,.0f} {currency}. Contacted customers churn with probability {p} without "
            "action, and a saved customer is worth the mean CLV ({clv:,.0f} {currency}). At what save "
            "rate (share of would-be churners kept) does the contact break even? Answer as a fraction.",
    "04.3": "Fixing `{reason}` costs {investment:,.0f} {currency} and saves {saved:,.0f} {currency} "
            "(present value). What is its return on investment?",
    "05.1": "What was the churn rate of the latest complete month? Use `res.rates['month']` (columns "
            "`at_start`, `churned`, `at_end`). Answer as a fraction.",
    "05.2": "The latest monthly churn rate is {c:.4f}. What is it as an annual churn rate, if it stays "
            "the same every month?",
    "05.3": "A month starts with 100 of MRR; new 20, expansion 10, contraction 5, churned 15. What is the "
            "month's net revenue retention (NRR)? Answer as a fraction.",
}

FEEDBACK: dict[str, str] = {
    "correct": "correct",
    "close": "close: {why}",
    "not_yet": "not yet: {hint}",
    "percent": "you gave a percentage: answer as a fraction (e.g. 0.12 for 12%)",
    "hint.01.1": "churned customers / all customers of the study",
    "01.1.stayers": "you divided by the customers who stayed; the denominator is all customers",
    "01.1.retained": "that is the share who stayed; the question asks for the share who churned",
    "hint.01.2": "the snapshot positive rate is the share of (customer, date) rows whose label is 1",
    "01.2.overall": "that is the churn share of the whole history; the label is churn within the next "
                    "lead_days, a much shorter window",
    "hint.01.3": "the median of `duration` in the analysis table, in months",
    "01.3.days": "you answered in days; the answer is in months (divide by 30.44)",
    "hint.02.1": "divide each level's churners by its customers, then take the largest",
    "02.1.count": "that level has the most churners, but not the highest rate: divide by its customers",
    "hint.02.2": "lift × average churn rate",
    "02.2.lift": "you gave the lift itself; multiply it by the average churn rate",
    "02.2.divided": "you divided by the lift; the riskiest decile churns more than average, so multiply",
    "hint.02.3": "the reason with the largest share in `causes.exit_reasons`",
    "02.3.driver": "that is the strongest predictor of churn (revealed), not the most stated reason",
    "hint.03.1": "the median of the Kaplan-Meier curve: where S(t) first falls to 0.5",
    "03.1.naive": "you took the median of observed durations, which counts customers still with us as if "
                  "they had left then; the Kaplan-Meier median accounts for them",
    "hint.03.2": "a hazard ratio HR means the hazard is multiplied by HR: the change is HR − 1",
    "03.2.ratio": "you gave the hazard ratio itself; the change is HR − 1",
    "03.2.log": "you gave the coefficient (the log hazard ratio); exponentiate it, then subtract 1",
    "hint.03.3": "compare |planted_log_hr| in `survival.planted`",
    "03.3.estimated": "that driver has the largest estimated effect; the question asks for the planted one",
    "hint.04.1": "Σ over months t = 0 … H−1 of 50 × margin × 0.9^t / (1 + monthly discount)^t",
    "04.1.revenue": "you used revenue; CLV counts margin (multiply by the margin rate)",
    "04.1.undiscounted": "you did not discount: divide month t by (1 + monthly discount rate)^t",
    "04.1.annual_as_monthly": "you used the annual discount rate for every month; convert it: "
                              "(1 + annual)^(1/12) − 1",
    "04.1.end_of_month": "you discounted as if the first payment came a month from now; it is paid today",
    "hint.04.2": "at break-even, churn probability × save rate × (value − offer) = contact cost",
    "04.2.no_offer": "you forgot the offer: a saved customer is worth the value minus the offer",
    "04.2.no_probability": "you forgot that only would-be churners (probability 0.3) can be saved",
    "hint.04.3": "ROI = (value saved − investment) / investment",
    "04.3.multiple": "that is the return multiple (value saved / investment); ROI subtracts the investment first",
    "04.3.net": "that is the net gain in money; ROI divides it by the investment",
    "hint.05.1": "churned in the month / customers active at its start",
    "05.1.end": "you used customers at the end of the month as the denominator; use those at its start",
    "05.1.average": "you used the average of the customers at the start and the end; ChartMogul's and this "
                    "study's rate divides by those at the start",
    "hint.05.2": "churn compounds: 1 − (1 − c)^12",
    "05.2.linear": "you multiplied by 12; churn compounds, so the annual rate is 1 − (1 − c)^12",
    "05.2.retention": "that is the annual retention; the churn rate is 1 minus it",
    "hint.05.3": "NRR = (start + expansion − contraction − churn) / start; new MRR is left out",
    "05.3.with_new": "you included new MRR; NRR leaves new customers out (ChartMogul)",
    "05.3.grr": "that is gross revenue retention (no expansion); NRR adds expansion",
}
