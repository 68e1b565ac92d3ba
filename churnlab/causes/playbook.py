"""Cause -> action playbook: which retention action answers which churn driver.

The course recommends differentiated retention by type of churn (GUIDE §1.6;
Gold, *Fighting Churn with Data*; Reichheld & Sasser 1990):

==================  ======================================================
driver family       action
==================  ======================================================
price               temporary offer (a discount for price-sensitive customers)
service             service fix (resolve complaints, faster response)
engagement          personalisation or loyalty programme (low stickiness)
contract_end        renewal outreach (before the contract term ends)
==================  ======================================================

A driver (a feature of the analysis table) belongs to a family through
:data:`DEFAULT_FAMILIES`; both maps can be overridden in the params file
(``playbook.families`` and ``playbook.actions``).
"""

from __future__ import annotations

import pandas as pd

DEFAULT_ACTIONS: dict[str, str] = {
    "price": "temporary offer",
    "service": "service fix",
    "engagement": "personalisation or loyalty programme",
    "contract_end": "renewal outreach",
}

#: Feature -> driver family, for the features the canonical tables produce.
DEFAULT_FAMILIES: dict[str, str] = {
    "monthly_charge_change": "price",
    "monthly_charge_mean": "price",
    "mrr_change": "price",
    "avg_spend": "price",
    "payment_method": "price",
    "n_complaints": "service",
    "n_interactions": "service",
    "response_hours_mean": "service",
    "unresolved_share": "service",
    "csat_mean": "service",
    "dropped_calls_mean": "service",
    "dropped_calls_change": "service",
    "logins_change": "engagement",
    "logins_mean": "engagement",
    "seats_change": "engagement",
    "data_gb_change": "engagement",
    "n_purchases": "engagement",
    "recency_days": "engagement",
    "spend_recent": "engagement",
    "spend_baseline": "engagement",
    "total_spend": "engagement",
    "loyalty_member": "engagement",
    "channel": "engagement",
    "plan": "contract_end",
    "billing": "contract_end",
    "tenure_months": "contract_end",
    "Contract": "contract_end",
}


def family_of(feature: str, families: dict[str, str] | None = None) -> str | None:
    """The driver family of ``feature`` (params override first, then the defaults)."""
    merged = DEFAULT_FAMILIES | (families or {})
    return merged.get(feature)


def action_for(feature: str | None, *, families: dict[str, str] | None = None,
               actions: dict[str, str] | None = None) -> str | None:
    """The recommended action for a driver, or None when it maps to no family."""
    if feature is None or (isinstance(feature, float) and pd.isna(feature)):
        return None
    fam = family_of(feature, families)
    return (DEFAULT_ACTIONS | (actions or {})).get(fam) if fam else None


def action_counts(reasons: pd.DataFrame, *, reason_column: str = "reason_1",
                  families: dict[str, str] | None = None,
                  actions: dict[str, str] | None = None) -> pd.DataFrame:
    """How many customers fall under each action, by their top reason.

    ``reasons`` has one row per current customer and their top reason feature.
    Customers whose top reason maps to no family are counted as "no action mapped".
    """
    act = reasons[reason_column].map(lambda f: action_for(f, families=families, actions=actions))
    fam = reasons[reason_column].map(lambda f: family_of(f, families) if isinstance(f, str) else None)
    out = (pd.DataFrame({"family": fam.fillna("(unmapped)"), "action": act.fillna("no action mapped")})
           .value_counts().rename("customers").reset_index())
    return out.sort_values(["customers", "family"], ascending=[False, True], ignore_index=True)
