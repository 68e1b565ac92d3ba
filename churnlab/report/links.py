"""Link check of a generated page: which relative ``href``/``src`` targets are missing on disk."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

IGNORED_SCHEMES = ("http", "https", "mailto", "data", "javascript", "tel")
LINK_ATTRS = {"href", "src"}


class _Links(HTMLParser):
    """Collects the ``href`` and ``src`` values of every tag, in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in LINK_ATTRS and value is not None:
                self.targets.append(value.strip())

    handle_startendtag = handle_starttag


def check_links(html_path: str | Path) -> list[str]:
    """Relative ``href``/``src`` targets in ``html_path`` that do not exist on disk (in page order, once each).

    Ignored: ``http(s):``, ``mailto:``, ``data:`` (the report's embedded
    figures), ``javascript:`` and ``tel:`` URLs, fragments (``#anchor``) and
    empty links. Targets resolve against the file's folder; a query string or
    fragment after a path is dropped and ``%xx`` escapes are decoded.
    """
    html_path = Path(html_path)
    parser = _Links()
    parser.feed(html_path.read_text(encoding="utf-8"))
    parser.close()
    missing: list[str] = []
    for target in parser.targets:
        if not target or target.startswith("#"):
            continue
        parts = urlsplit(target)
        if parts.scheme.lower() in IGNORED_SCHEMES or parts.netloc or not parts.path:
            continue
        path = Path(unquote(parts.path))
        resolved = path if path.is_absolute() else html_path.parent / path
        if not resolved.exists() and target not in missing:
            missing.append(target)
    return missing
