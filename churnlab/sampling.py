"""Fit on a sample, score everyone: stratified random samples with design weights.

A million-customer base does not need a million rows to fit a Cox model or a
gradient-boosted classifier: a stratified random sample estimates the same
coefficients, with standard errors that say how large the sample was.
:func:`fit_sample` draws it; every stage fits on ``sample.frame`` with
``sample.weights`` and scores the whole base with the fitted model.

Design (Lohr, *Sampling: Design and Analysis*, 2nd ed., 2010, ch. 3, stratified
random sampling with proportional allocation):

* strata ``h`` are the combinations of the ``strata`` columns (the outcome, so
  that the sample keeps the churn rate of the base exactly, up to rounding);
* each stratum gets ``n_h = n · N_h / N`` rows, rounded by largest remainder so
  that ``Σ n_h = n``, and at least ``min(N_h, 2)`` so that no stratum vanishes;
* rows are drawn without replacement, uniformly within the stratum
  (``numpy.random.Generator.permutation`` of the passed seed);
* each sampled row carries the design weight ``w_h = N_h / n_h``, so
  ``Σ w = N`` and weighted totals, rates and estimating equations estimate the
  population's (Horvitz & Thompson 1952, JASA 47:663-685).

Weighted models then need standard errors that treat the weights as sampling
weights, not as frequencies: lifelines' ``robust=True`` (the sandwich estimator
of Lin & Wei 1989, JASA 84:1074-1078; Binder 1992 for survey weights) does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError

#: The column of design weights on a sample's frame.
WEIGHT = "sample_weight"


@dataclass(frozen=True)
class FitSample:
    """A stratified sample of a customer table, with its design weights.

    ``frame``: the sampled rows (all rows when no sampling was needed), in the
    table's original order, with the weight column :data:`WEIGHT`.
    ``population``: rows in the table (N); ``size``: rows in the sample (n);
    ``strata``: the stratifying columns; ``seed``: the seed that drew it.
    """

    frame: pd.DataFrame
    population: int
    strata: tuple[str, ...]
    seed: int

    @property
    def size(self) -> int:
        return len(self.frame)

    @property
    def sampled(self) -> bool:
        """True when the models see fewer rows than the table has."""
        return self.size < self.population

    @property
    def weights(self) -> pd.Series:
        return self.frame[WEIGHT]

    @property
    def fraction(self) -> float:
        return self.size / self.population if self.population else 1.0

    def describe(self, unit: str = "customer") -> str:
        """One sentence for a notebook: what the models were fitted on."""
        if not self.sampled:
            return f"Models fitted on all {self.population:,} {unit}s (no sampling)."
        by = ", ".join(self.strata) if self.strata else "nothing"
        return (f"Models fitted on a {self.size:,}-{unit} sample of {self.population:,}, weighted "
                f"(stratified by {by}; weights {self.weights.min():.2f} to {self.weights.max():.2f}); "
                f"every {unit} is scored with the fitted models.")

    def metrics(self) -> dict:
        """The sample's definition for ``metrics.json``."""
        return {"population": int(self.population), "size": int(self.size), "sampled": bool(self.sampled),
                "fraction": float(self.fraction), "strata": list(self.strata), "seed": int(self.seed)}


def allocate(counts: Sequence[int], n: int) -> np.ndarray:
    """Proportional allocation ``n_h ≈ n · N_h / N`` by largest remainder (Hamilton's method).

    Every stratum keeps at least ``min(N_h, 2)`` rows and never more than
    ``N_h``; the allocations sum to ``min(n, N)`` unless the floors alone exceed
    ``n``. Example: counts (900, 90, 10), n = 100 -> (90, 9, 1) floored to (89, 9, 2).
    """
    N = np.asarray(counts, dtype=np.int64)
    total = int(N.sum())
    if n >= total:
        return N.copy()
    floor = np.minimum(N, 2)
    exact = n * N / total
    alloc = np.maximum(np.floor(exact).astype(np.int64), floor)
    alloc = np.minimum(alloc, N)
    # largest remainder: hand out (or take back) the difference one row at a time, in turn
    rem = exact - np.floor(exact)
    step, order = (1, np.argsort(-rem, kind="stable")) if n > alloc.sum() else (-1, np.argsort(rem, kind="stable"))
    while alloc.sum() != n:
        room = alloc[order] < N[order] if step > 0 else alloc[order] > floor[order]
        if not room.any():
            break  # the floors alone exceed n
        take = order[room][: abs(n - int(alloc.sum()))]
        alloc[take] += step
    return alloc


def fit_sample(df: pd.DataFrame, *, size: int | None, strata: Sequence[str] = (), seed: int) -> FitSample:
    """A stratified random sample of at most ``size`` rows of ``df``, with design weights.

    ``size=None`` or ``size >= len(df)``: every row, weight 1. ``strata``:
    columns whose combinations are the strata (missing values are a stratum of
    their own). Same ``df``, ``size``, ``strata`` and ``seed`` give the same
    sample. Raises :class:`~churnlab.errors.DataError` for a missing stratum column.
    """
    strata = tuple(strata)
    missing = [c for c in strata if c not in df.columns]
    if missing:
        raise DataError(f"sample: stratum column {missing[0]!r} is not in the table; "
                        f"expected one of {list(df.columns)[:10]}")
    N = len(df)
    if size is None or size >= N:
        return FitSample(df.assign(**{WEIGHT: 1.0}), N, strata, seed)
    if strata:
        codes = df.groupby(list(strata), dropna=False, sort=True, observed=True).ngroup().to_numpy()
    else:
        codes = np.zeros(N, dtype=np.int64)
    counts = np.bincount(codes)
    alloc = allocate(counts, size)
    rng = np.random.default_rng(seed)
    # a uniform random order within each stratum: sort by (stratum, random key), keep the first n_h
    order = np.lexsort((rng.permutation(N), codes))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(N, dtype=np.int64)
    rank[order] = np.arange(N) - np.repeat(starts, counts)
    keep = rank < alloc[codes]
    weight = (counts / np.where(alloc > 0, alloc, 1))[codes]
    frame = df.loc[keep].assign(**{WEIGHT: weight[keep]})
    return FitSample(frame, N, strata, seed)
