"""The seeded simulator: canonical tables with planted truth, per industry.

:mod:`.run` holds the entry points (:func:`simulate`, :func:`simulate_to_parquet`,
the ground truth), :mod:`.telecom`, :mod:`.retail` and :mod:`.software` one
industry each (params, a block of customers, what was planted), :mod:`.engine`
the machinery they share (timeline, rows, save desk, contacts, contracts).
"""

from .run import RNG_BLOCK, SCENARIOS, Simulation, simulate, simulate_to_parquet  # noqa: F401
from .retail import RETAIL  # noqa: F401
from .software import SOFTWARE  # noqa: F401
from .telecom import TELECOM  # noqa: F401
