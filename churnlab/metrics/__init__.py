"""``metrics.json``: its definition (:mod:`.sections`) and its reading and writing (:mod:`.store`).

``from churnlab import metrics; metrics.record(run_dir, "data", values)``
validates ``values`` against :data:`SECTIONS` ``["data"]`` and writes the
section; ``metrics.load(run_dir)`` reads the file back as :class:`StudyMetrics`.
"""

from .sections import (  # noqa: F401
    SECTIONS, MetricsError, StudyMetrics, dump, parse, validate_section,
)
from .store import FILENAME, SIGNIFICANT, clean, dumps, load, read, record, write_json  # noqa: F401
