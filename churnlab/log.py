"""The one ``churnlab`` logger.

Package code reports status through :data:`logger` (never ``print``). The CLI
and the notebooks show INFO messages; :func:`setup` installs a plain
one-line handler once.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("churnlab")


def setup(level: int = logging.INFO) -> logging.Logger:
    """Show churnlab's messages as ``churnlab: message`` on stderr (idempotent)."""
    if not any(getattr(h, "_churnlab", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("churnlab: %(message)s"))
        handler._churnlab = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger
