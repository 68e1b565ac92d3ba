"""The seeded simulator: canonical tables with planted truth, per industry."""

from .engine import (  # noqa: F401
    Simulation, TELECOM, RETAIL, SOFTWARE, simulate, simulate_to_parquet
)
