"""The study report and the cross-study index (HTML), generated from each run's metrics.json.

- :mod:`.page`: ``report.html`` of one run (:func:`write_report`) and the page frame;
- :mod:`.sections`: one function per report section;
- :mod:`.figures`: the figures, drawn from metrics.json and embedded as data URLs;
- :mod:`.index`: ``index.html`` comparing the studies of an output folder;
- :mod:`.links`: :func:`check_links`;
- :mod:`.format`: escaping, number formats and small HTML pieces;
- :mod:`.facts`: values derived from the metrics, shared by the report and the index.

``python -m churnlab.report DIR ...`` writes a report (study folder) or an index (any other folder).
"""

from .format import (  # noqa: F401
    DASH, NA_TEXT, esc, fmt_int, fmt_pct, fmt_num, fmt_money, fmt_ratio, fmt_unit,
)
from .index import INDEX_FILE, render_index, write_index  # noqa: F401
from .links import check_links  # noqa: F401
from .page import (  # noqa: F401
    BROKEN_IMAGES_SCRIPT, CSS, MANIFEST_FILE, METRICS_FILE, REPORT_FILE, render_report, write_report,
)
