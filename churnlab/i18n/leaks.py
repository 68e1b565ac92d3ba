"""English prose left in a translated run: executed notebooks, their HTML, the report and the index.

``python -m churnlab.i18n.leaks RUN_DIR_OR_FILE ...`` lists every run of English words
(:func:`churnlab.i18n.english_prose`) that a reader of a ``zh`` run would see: the
notebooks' Markdown cells and the text, Markdown and HTML of their outputs (code cells'
inputs are code, and are left out), the English recorded beside each figure
(:data:`churnlab.i18n.UNTRANSLATED`), and the visible text of HTML pages. It exits 1
when it finds any. The test that no English leaks into a ``zh`` run uses it.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from . import UNTRANSLATED, english_prose

_DROP = re.compile(r"<(script|style|code|pre)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def html_text(page: str) -> str:
    """The visible text of an HTML page or fragment (scripts, styles and code blocks left out)."""
    text = _TAG.sub("\n", _DROP.sub(" ", page))
    return html.unescape(text)


def _prose(where: str, text: str, min_words: int = 3) -> list[tuple[str, str]]:
    return [(where, run) for line in text.splitlines() for run in english_prose(line, min_words=min_words)]


def notebook_leaks(path: str | Path) -> list[tuple[str, str]]:
    """``(where, English)`` pairs of an executed notebook (``where`` = file and cell number)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        where = f"{Path(path).name} cell {i}"
        source = cell.get("source", "")
        source = source if isinstance(source, str) else "".join(source)
        if cell.get("cell_type") == "markdown":
            found += _prose(where, re.sub(r"```.*?```", " ", source, flags=re.S))
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            found += [(where, run) for run in out.get("metadata", {}).get(UNTRANSLATED, [])]
            if "text/markdown" in data:
                found += _prose(where, "".join(data["text/markdown"]))
            elif "text/html" in data:
                found += _prose(where, html_text("".join(data["text/html"])))
            elif "text/plain" in data and "image/png" not in data:
                found += _prose(where, "".join(data["text/plain"]))
            if out.get("output_type") == "stream":
                found += _prose(where, "".join(out.get("text", "")))
    return found


def page_leaks(path: str | Path) -> list[tuple[str, str]]:
    """``(file, English)`` pairs of an HTML page's visible text."""
    return _prose(Path(path).name, html_text(Path(path).read_text(encoding="utf-8")))


def leaks(path: str | Path) -> list[tuple[str, str]]:
    """English prose in a run folder (its notebooks and HTML pages), a notebook or a page."""
    path = Path(path)
    if path.is_dir():
        found = []
        for f in sorted(path.glob("*.ipynb")):
            found += notebook_leaks(f)
        for f in sorted(path.glob("*.html")):
            if not f.name.endswith(".code.html") and not (path / f"{f.stem}.ipynb").exists():
                found += page_leaks(f)  # the report and the index; notebook pages are their .ipynb
        return found
    return notebook_leaks(path) if path.suffix == ".ipynb" else page_leaks(path)


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a thin command
    found = [hit for arg in (argv if argv is not None else sys.argv[1:]) for hit in leaks(arg)]
    for where, run in found:
        print(f"{where}: {run}")
    print(f"{len(found)} English run(s)")
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
