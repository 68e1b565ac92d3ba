"""Feature metadata: the one place a feature's readable label and unit come from.

Tables and figures that name a feature (hazard ratios, drivers) show
``label(feature)`` instead of the column name: ``payment_failures_mean`` ->
"Payment failures per month". The label is, in order:

1. the study's own ``labels:`` mapping in the params file (feature -> label), then
2. :data:`KNOWN`, the features of the simulated scenarios and of the episode table, then
3. a label derived from the column name (:func:`derived_label`): underscores become
   spaces, ``_mean`` reads "(monthly mean)", ``_change`` "(change)", ``n_`` "number of".

A model term ``column=level`` (a category against its reference level) is labelled
``"<column label>: <level>"`` (:func:`term_label`). Units (:func:`unit`) say what one
unit of a numeric feature is, for "per 1 SD = 2.3 failures a month".
All the words live in this module (one place, so they can later come from a catalogue).
"""

from __future__ import annotations

import re
from typing import Mapping

#: Known features: column -> (label, unit of one value). Simulated scenarios and episode columns.
KNOWN: dict[str, tuple[str, str]] = {
    "monthly_charge_mean": ("Monthly charge", "per month"),
    "monthly_charge_change": ("Change in monthly charge", "change in charge"),
    "data_gb_mean": ("Data used per month", "GB a month"),
    "data_gb_change": ("Change in data used", "change in GB a month"),
    "dropped_calls_mean": ("Dropped calls per month", "dropped calls a month"),
    "dropped_calls_change": ("Change in dropped calls", "change in dropped calls a month"),
    "payment_failures_mean": ("Payment failures per month", "failures a month"),
    "payment_failures_change": ("Change in payment failures", "change in failures a month"),
    "logins_mean": ("Logins per month", "logins a month"),
    "logins_change": ("Change in logins", "change in logins a month"),
    "seats_mean": ("Seats", "seats"),
    "seats_change": ("Change in seats", "change in seats"),
    "mrr_mean": ("Monthly recurring revenue", "per month"),
    "mrr_change": ("Change in monthly recurring revenue", "change per month"),
    "n_complaints": ("Complaints", "complaints"),
    "n_complaints_per_month": ("Complaints per month", "complaints a month"),
    "n_interactions": ("Service contacts", "contacts"),
    "n_interactions_per_month": ("Service contacts per month", "contacts a month"),
    "response_hours_mean": ("Average response time", "hours"),
    "unresolved_share": ("Share of contacts unresolved", "share of contacts"),
    "csat_mean": ("Average satisfaction score", "points"),
    "n_purchases": ("Purchases", "purchases"),
    "total_spend": ("Total spend", "currency units"),
    "avg_spend": ("Average spend per purchase", "currency units"),
    "recency_days": ("Days since the last purchase", "days"),
    "complaints_so_far": ("Complaints so far", "complaints"),
    "unresolved_so_far": ("Unresolved contacts so far", "contacts"),
    "slow_response_days": ("Response delay beyond one day", "days"),
    "price_rise": ("Price rise since the first month", "share of the first price"),
    "plan": ("Contract plan", ""),
    "billing": ("Billing", ""),
    "region": ("Region", ""),
    "payment_method": ("Payment method", ""),
    "senior": ("Senior customer", ""),
    "Contract": ("Contract", ""),
    "tenure": ("Tenure", "months"),
    "MonthlyCharges": ("Monthly charges", "per month"),
}

#: Words used to derive a label from a column name.
WORDS = {"mean": "(monthly mean)", "change": "(change)", "number_of": "Number of",
         "per_month": "per month", "yes": "yes", "per_sd": "per 1 SD = {sd} {unit}",
         "per_sd_plain": "per 1 SD = {sd}", "flag": "yes vs no", "level": "{level} vs {reference}",
         "level_plain": "vs the reference level"}


def derived_label(feature: str) -> str:
    """A readable label from a column name: ``dropped_calls_mean`` -> "Dropped calls (monthly mean)",
    ``n_complaints_per_month`` -> "Number of complaints per month", ``TotalCharges`` -> "Total charges"."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", feature).lower()
    suffix = ""
    for end, word in (("_per_month", WORDS["per_month"]), ("_mean", WORDS["mean"]),
                      ("_change", WORDS["change"])):
        if name.endswith(end):
            name, suffix = name[: -len(end)], " " + word
            break
    if name.startswith("n_"):
        name = WORDS["number_of"].lower() + " " + name[2:]
    text = (name.replace("_", " ").strip() + suffix).strip()
    return text[:1].upper() + text[1:] if text else feature


def label(feature: str, overrides: Mapping[str, str] | None = None) -> str:
    """The readable label of ``feature``: the params' ``labels`` first, then :data:`KNOWN`,
    else :func:`derived_label`."""
    if overrides and feature in overrides:
        return str(overrides[feature])
    if feature in KNOWN:
        return KNOWN[feature][0]
    return derived_label(feature)


def unit(feature: str) -> str:
    """What one unit of a numeric feature is ("failures a month"), empty when unknown."""
    return KNOWN.get(feature, ("", ""))[1]


#: How a yes/no level reads in a label ("Senior customer: yes", "yes vs no").
LEVEL_WORDS = {"True": "yes", "False": "no", "true": "yes", "false": "no"}


def level_text(level: str) -> str:
    """A category level as words: ``month_to_month`` -> "month to month", ``True`` -> "yes"."""
    return LEVEL_WORDS.get(level, level.replace("_", " "))


def split_term(term: str) -> tuple[str, str | None]:
    """A model term as (feature, level): ``plan=one_year`` -> (``plan``, ``one_year``);
    a numeric term has no level."""
    feature, sep, level = term.partition("=")
    return (feature, level) if sep else (term, None)


def term_label(term: str, overrides: Mapping[str, str] | None = None) -> str:
    """The label of a model term: a numeric feature's label, or ``"<feature label>: <level>"``
    for a category level (a level named in ``overrides`` as ``feature=level`` wins)."""
    if overrides and term in overrides:
        return str(overrides[term])
    feature, level = split_term(term)
    if level is None:
        return label(feature, overrides)
    return f"{label(feature, overrides)}: {level_text(level)}"
