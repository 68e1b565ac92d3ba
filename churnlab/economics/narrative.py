"""Sentences that read this run's value numbers for the reader (notebook 04), in English or Chinese.

:func:`value_drivers` splits each active customer's CLV into a *price* and a *volume*:
CLV = margin x price x volume, with

* contracts: price = revenue per month, volume = discounted months still to come
  (``expected_months`` of :func:`.value.contractual_clv`);
* shops: price = the Gamma-Gamma expected spend per purchase, volume = the discounted
  expected purchases over the CLV horizon (CLV / (margin x spend)).

:func:`clv_by_segment_sentence` compares the segments with the highest and the lowest
mean CLV and says which of the two parts makes the difference, or how they offset each
other when CLV is nearly flat. The wording is chosen from the numbers (thresholds
:data:`FLAT` and :data:`ALIKE`); every sentence is an English template translated through
the catalogue passed in (``churnlab/i18n/zh/economics.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..escape import md

#: mean CLVs of the highest and the lowest segment within this ratio (10%) are "nearly flat"
FLAT = 1.10
#: two prices (or volumes) within this ratio (5%) are "about alike"
ALIKE = 1.05

# the templates (English source; translations in churnlab/i18n/zh/economics.yaml)
FLAT_OFFSET = ("CLV by {segment} is nearly flat: {hi_clv} {currency} for {hi} against {lo_clv} {currency} "
               "for {lo}, because the higher {price_word} of {pricey} ({p_hi} against {p_lo} for {cheap}) is "
               "offset by its {volume_less} ({v_hi} against {v_lo}).")
FLAT_ALIKE = ("CLV by {segment} is nearly flat: {hi_clv} {currency} for {hi} against {lo_clv} {currency} "
              "for {lo}; their customers differ little in {price_word} ({p_hi} against {p_lo}) and in "
              "{volume_word} ({v_hi} against {v_lo}).")
BOTH = ("CLV differs by {segment}: {hi_clv} {currency} for {hi} against {lo_clv} {currency} for {lo} "
        "({ratio}×), because {hi} customers both {price_more} ({p_hi} against {p_lo}) and "
        "{volume_more} ({v_hi} against {v_lo}).")
MOSTLY_PRICE = ("CLV differs by {segment}: {hi_clv} {currency} for {hi} against {lo_clv} {currency} for "
                "{lo} ({ratio}×), mostly because {hi} customers {price_more} ({p_hi} against {p_lo}).")
MOSTLY_VOLUME = ("CLV differs by {segment}: {hi_clv} {currency} for {hi} against {lo_clv} {currency} for "
                 "{lo} ({ratio}×), mostly because {hi} customers {volume_more} ({v_hi} against {v_lo}).")
DESPITE_PRICE = ("CLV differs by {segment}: {hi_clv} {currency} for {hi} against {lo_clv} {currency} for "
                 "{lo} ({ratio}×): {hi} customers {price_more} ({p_hi} against {p_lo}), which outweighs "
                 "their {volume_less} ({v_hi} against {v_lo}).")
DESPITE_VOLUME = ("CLV differs by {segment}: {hi_clv} {currency} for {hi} against {lo_clv} {currency} for "
                  "{lo} ({ratio}×): {hi} customers {volume_more} ({v_hi} against {v_lo}), which outweighs "
                  "their {price_less} ({p_hi} against {p_lo}).")

#: the words of each setting: price, volume, and their comparatives (translated as fields)
WORDS = {
    True: {"price_word": "monthly revenue", "volume_word": "expected stay",
           "price_more": "pay more a month", "price_less": "lower monthly revenue",
           "volume_more": "are expected to stay longer", "volume_less": "shorter expected stay",
           "price_unit": "{value} {currency} a month", "volume_unit": "{value} discounted months"},
    False: {"price_word": "spend per purchase", "volume_word": "expected purchases",
            "price_more": "spend more per purchase", "price_less": "lower spend per purchase",
            "volume_more": "are expected to buy more often", "volume_less": "fewer expected purchases",
            "price_unit": "{value} {currency} a purchase", "volume_unit": "{value} discounted purchases"},
}


def value_drivers(res) -> pd.DataFrame | None:
    """Per segment of an :class:`.stage.EconomicsResult`: customers, clv_mean, price and volume
    (means over the segment's active customers; see the module docstring). None without
    a segment or with fewer than two segments."""
    by = res.clv_by_segment
    if res.segment is None or by is None or len(by) < 2 or not hasattr(res, "segment_of"):
        return None
    seg = res.segment_of
    if seg is None:
        return None
    clv = res.clv
    if res.contractual:
        t = res.value.table.set_index("customer_id")
        price, volume = t["revenue"].reindex(clv.index), t["expected_months"].reindex(clv.index)
    else:
        val = res.value
        s = val.bgnbd.summary.reindex(clv.index)
        spend = val.spend.reindex(clv.index)
        freq = s["frequency"].where(spend > 0, 0).fillna(0)
        price = pd.Series(val.gamma_gamma.conditional_expected_spend(freq.to_numpy(),
                                                                     spend.fillna(0).to_numpy()),
                          index=clv.index)
        volume = clv / (val.margin_rate * price.where(price > 0))
    return drivers_table(clv, price, volume, seg.reindex(clv.index))


def drivers_table(clv: pd.Series, price: pd.Series, volume: pd.Series, segment: pd.Series) -> pd.DataFrame:
    """Mean CLV, price and volume per segment (customers sharing the index), highest CLV first."""
    seg = segment.astype("string").fillna("(missing)")
    df = pd.DataFrame({"segment": seg, "clv": clv, "price": price, "volume": volume})
    out = (df.groupby("segment", sort=True)
           .agg(customers=("clv", "size"), clv_mean=("clv", "mean"), price=("price", "mean"),
                volume=("volume", "mean"))
           .reset_index())
    return out.sort_values("clv_mean", ascending=False, ignore_index=True)


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def clv_by_segment_sentence(drivers: pd.DataFrame | None, *, segment: str, currency: str,
                            contractual: bool, cat: i18n.Catalogue | None = None) -> str | None:
    """One sentence on how mean CLV differs between the segments and why (see the module docstring).

    ``drivers``: :func:`drivers_table` (segment, clv_mean, price, volume; at least two
    rows with a positive mean CLV, else None). Compares the highest and the lowest
    segment: within :data:`FLAT` the CLV is "nearly flat", and the sentence says whether the
    dearest segment's higher price is offset by a lower volume than the cheapest one's (both
    by at least :data:`ALIKE`), or the customers are alike; otherwise it names the part
    that makes the larger difference (on the log scale), or both when both point the same
    way. ``cat``: the catalogue to write in (English when None).
    """
    if drivers is None or len(drivers) < 2:
        return None
    d = drivers.dropna(subset=["clv_mean", "price", "volume"]).sort_values("clv_mean", ascending=False)
    if len(d) < 2 or not (d["clv_mean"].iloc[-1] > 0 and (d[["price", "volume"]] > 0).all().all()):
        return None
    cat = cat or i18n.catalogue("en")
    hi, lo = d.iloc[0], d.iloc[-1]
    w = WORDS[bool(contractual)]
    r_clv, r_p, r_v = hi.clv_mean / lo.clv_mean, hi.price / lo.price, hi.volume / lo.volume

    def price_text(x):
        return cat(w["price_unit"], value=_money(x), currency=currency)

    def volume_text(x):
        return cat(w["volume_unit"], value=f"{x:,.1f}")

    fields = dict(segment=md(segment), currency=md(currency), hi=md(str(hi.segment)), lo=md(str(lo.segment)),
                  hi_clv=_money(hi.clv_mean), lo_clv=_money(lo.clv_mean), ratio=f"{r_clv:.1f}",
                  p_hi=price_text(hi.price), p_lo=price_text(lo.price),
                  v_hi=volume_text(hi.volume), v_lo=volume_text(lo.volume),
                  **{k: cat(v) for k, v in w.items() if not k.endswith("_unit")})
    if r_clv < FLAT:
        # the dearest and the cheapest segment: does a higher price go with a lower volume?
        pricey, cheap = d.loc[d["price"].idxmax()], d.loc[d["price"].idxmin()]
        if pricey.price / cheap.price >= ALIKE and cheap.volume / pricey.volume >= ALIKE:
            fields.update(pricey=md(str(pricey.segment)), cheap=md(str(cheap.segment)),
                          p_hi=price_text(pricey.price), p_lo=price_text(cheap.price),
                          v_hi=volume_text(pricey.volume), v_lo=volume_text(cheap.volume))
            return cat(FLAT_OFFSET, **fields)
        return cat(FLAT_ALIKE, **fields)
    lp, lv = np.log(r_p), np.log(r_v)
    if lp >= np.log(ALIKE) and lv >= np.log(ALIKE):
        return cat(BOTH, **fields)
    if lp >= lv:
        return cat(DESPITE_PRICE if lv <= -np.log(ALIKE) else MOSTLY_PRICE, **fields)
    return cat(DESPITE_VOLUME if lp <= -np.log(ALIKE) else MOSTLY_VOLUME, **fields)
