"""Confidence intervals shared by every stage.

* :func:`wilson` -- the Wilson (1927) score interval for a proportion,
  recommended over the Wald interval by Newcombe (1998, Statist. Med. 17:857-872).
"""

from __future__ import annotations

import numpy as np


def wilson(count, nobs, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, via statsmodels ``proportion_confint``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = count/nobs``.
    """
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(np.asarray(count), np.asarray(nobs), alpha=alpha, method="wilson")
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
