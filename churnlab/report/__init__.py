"""The study report and the cross-study index (HTML)."""

from .page import (  # noqa: F401
    REPORT_FILE, INDEX_FILE, METRICS_FILE, MANIFEST_FILE, FIGURES_DIR, DASH, NA_TEXT, esc,
    fmt_int, fmt_pct, fmt_num, fmt_money, fmt_ratio, fmt_unit, CSS, BROKEN_IMAGES_SCRIPT,
    render_report, write_report, render_index, write_index, check_links, main
)
