"""Stage 4, sensitivity to the key assumptions: how the cost of churn and the campaign's
profit move when one assumption at a time goes to a low and a high value, the rest
staying at base (one-at-a-time sensitivity, drawn as a tornado diagram; Clemen &
Reilly, "Making Hard Decisions", on sensitivity analysis).

The assumptions (:data:`ASSUMPTIONS`): the margin rate, the discount rate (per
``value.discount_period``), the campaign's save rate and the acquisition cost of a
replacement customer. For each, :func:`sensitivity` recomputes

* the **total cost of churn**: CLV of the active customers under the margin and
  discount rate (``recompute`` of :class:`.value.ContractualValue` or
  :class:`.value.PurchaseValue`, no refit) -> comparable value of each churner ->
  :func:`.cost.cost_of_churn` with that acquisition cost;
* the **campaign profit**: the maximum of the profit curve of the policy the
  campaign goes with (:func:`.campaign.profit_curve`) with that CLV and save rate
  (only when a campaign was planned).
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from ..discount import monthly_rate
from .campaign import PLANNED, POLICIES, Campaign, CampaignInputs, profit_curve
from .cost import comparable_value, cost_of_churn

#: The assumptions moved by :func:`sensitivity`.
ASSUMPTIONS = ("margin", "discount", "save_rate", "cac")
#: assumption -> (low, high)
Ranges = dict[str, tuple[float, float]]


def tornado(compute: Callable[..., dict[str, float]], ranges: Ranges,
            base: dict[str, float]) -> pd.DataFrame:
    """One-at-a-time sensitivity: each assumption at its low and high value, the rest at base.

    ``compute(**assumptions)`` returns named results; ``ranges``: assumption ->
    (low, high). Returns one row per assumption and result with the result at
    low, at high, the base and the swing |high - low|, largest swing first.
    """
    ref = compute(**base)
    rows = []
    for name, (lo, hi) in ranges.items():
        r_lo, r_hi = compute(**{**base, name: lo}), compute(**{**base, name: hi})
        for res in ref:
            rows.append({"assumption": name, "low": lo, "high": hi, "result": res,
                         "base_value": ref[res], "at_low": r_lo[res], "at_high": r_hi[res],
                         "swing": abs(r_hi[res] - r_lo[res])})
    return pd.DataFrame(rows).sort_values(["result", "swing"], ascending=[True, False],
                                          ignore_index=True)


def assumption_ranges(*, margin_rate: float, discount_rate: float, acquisition_cost: float,
                      inputs: CampaignInputs | None = None) -> tuple[dict[str, float], Ranges]:
    """Base values and (low, high) ranges of the :data:`ASSUMPTIONS`.

    margin: 0.8x to 1.2x (at most 1); discount rate: 0.5x to 1.5x (at most 0.99);
    acquisition cost: 0.5x to 1.5x; save rate: its 95% interval
    (:attr:`CampaignInputs.save_range`), or 0.8x to 1.2x of 0.5 without a campaign.
    """
    s0 = inputs.save_rate if inputs is not None else 0.5
    base = {"margin": margin_rate, "discount": discount_rate, "save_rate": s0, "cac": acquisition_cost}
    ranges = {"margin": (0.8 * margin_rate, min(1.0, 1.2 * margin_rate)),
              "discount": (0.5 * discount_rate, min(0.99, 1.5 * discount_rate)),
              "save_rate": inputs.save_range if inputs is not None else (0.8 * s0, min(1.0, 1.2 * s0)),
              "cac": (0.5 * acquisition_cost, 1.5 * acquisition_cost)}
    return base, ranges


def sensitivity(value, churners: pd.DataFrame, retained: pd.DataFrame, offers: pd.DataFrame | None,
                costs, *, discount_period: str, period: str, currency: str, window: tuple,
                base: dict[str, float], ranges: Ranges,
                campaign: Campaign | None = None, lead_months: int = 0,
                policy: str = PLANNED) -> pd.DataFrame:
    """The tornado table (:func:`tornado`) of the total cost of churn and, with a
    ``campaign``, its best profit (see the module docstring).

    ``value``: a value model with ``recompute(margin_rate=, monthly_discount=)``
    returning CLV by customer id; ``churners`` / ``retained``:
    :func:`.cost.churners_and_retained` (the ``clv`` of the ``retained`` customers is
    replaced by the recomputed one; ``segment`` columns are used when present);
    ``offers``, ``costs``, ``period``, ``currency``, ``window`` as for
    :func:`.cost.cost_of_churn`; ``base`` / ``ranges``: :func:`assumption_ranges`; the
    campaign values its saves at ``value.retained_value(lead_months, ...)`` and its profit is
    the best of ``policy``'s profit curve (one of :data:`.campaign.POLICIES`, targeted).
    """
    offer, order = POLICIES[policy]
    ids = pd.Index(retained["customer_id"])
    segment = "segment" if "segment" in retained else None

    def compute(margin: float, discount: float, save_rate: float, cac: float) -> dict[str, float]:
        clv = value.recompute(margin_rate=margin,
                              monthly_discount=monthly_rate(discount, discount_period)).reindex(ids)
        lost = comparable_value(churners, retained.assign(clv=clv.to_numpy()), segment=segment)
        total = cost_of_churn(churners.assign(lost_value=lost), offers,
                              costs.model_copy(update={"acquisition_cost": cac}), period=period,
                              currency=currency, window=window).totals["total"]
        out = {"total cost of churn": total}
        if campaign is not None:
            kept = value.retained_value(lead_months, margin_rate=margin,
                                        monthly_discount=monthly_rate(discount, discount_period))
            customers = campaign.customers(kept, save_rate=save_rate,
                                           offer_for=None if offer == "differentiated" else lambda f: offer)
            out["campaign profit"] = float(profit_curve(customers, order=order)["profit"].max())
        return out

    return tornado(compute, ranges, base)
