"""Output encoding: one home for turning user-supplied text into HTML or Markdown that shows it as text.

Every string a study's user controls -- params values (currency, study name, segment,
file paths), column names and values of their exports (attributes, segment levels,
exit reasons, customer ids) -- can end up on a page: the report and index (HTML, through
:func:`esc`) and the executed notebooks, whose Markdown outputs nbconvert renders to HTML
with raw HTML passed through and MathJax run over the page. Following OWASP's rule of
encoding output for the context it lands in (OWASP Cross Site Scripting Prevention Cheat
Sheet, "Output Encoding"), each context has its own function:

* :func:`esc` -- HTML text and attribute values;
* :func:`md` -- a value placed in Markdown text: HTML-escaped, and every character
  CommonMark gives a meaning to backslash-escaped (CommonMark 0.31, §2.4 "Backslash
  escapes": any ASCII punctuation may be escaped), line breaks made spaces so a value
  cannot start a block (heading, list, quote, table row);
* :func:`md_code` -- a value shown in a code span (column and feature names);
* :func:`safe_markdown` -- the guard :func:`churnlab.display.show` applies to every
  Markdown text it shows, whoever composed it: raw HTML and autolinks cannot survive it,
  nor can link syntax (a ``javascript:`` target), and code spans are rebuilt from
  escaped text.

MathJax is not an escaping problem: nbconvert turns ``\\$`` back into ``$`` and ``\\\\(``
into math before MathJax reads the page, so no escape keeps ``$a$`` from being typeset.
Markdown and tables are instead shown inside elements of class :data:`NO_MATH`, which
MathJax 2 and 3 skip (their default ``ignoreClass`` / ``ignoreHtmlClass``).
"""

from __future__ import annotations

import html
import re
from typing import Any

#: The class MathJax (2: ``tex2jax.ignoreClass``, 3: ``options.ignoreHtmlClass``) leaves alone.
NO_MATH = "tex2jax_ignore"

#: ASCII punctuation with a meaning somewhere in CommonMark, GFM (tables, strikethrough,
#: autolinks) or the MathJax delimiters; ``<``, ``>``, ``&`` and ``"`` are HTML-escaped instead.
_MD_SPECIAL = set("\\`*_{}[]()#+-.!|~$:=^'")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\u2028\u2029\x85]")
_BACKTICKS = re.compile(r"`+")
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def esc(value: Any) -> str:
    """``value`` as escaped HTML text (quotes too, so it is safe in attributes); None is ``""``."""
    return html.escape("" if value is None else str(value), quote=True)


def md(value: Any) -> str:
    """``value`` as Markdown that renders as exactly its text.

    ``<``, ``>``, ``&`` and ``"`` become HTML character references (no tag, autolink or
    entity can form); the other Markdown specials (emphasis ``*`` ``_``, code ``` ` ```,
    links ``[ ] ( )``, headings ``#``, list markers ``+ - .``, tables ``|``, strikethrough
    ``~``, math ``$``, escapes ``\\``) are backslash-escaped (CommonMark §2.4); line breaks
    become spaces (a value stays inside its paragraph). None is ``""``.
    """
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    out = []
    for ch in text:
        if ch in "<>&\"":
            out.append(html.escape(ch, quote=True))
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span (a column or feature name): shown verbatim, in monospace.

    The fence is one backtick longer than the longest run inside (CommonMark §6.1), padded
    with a space when the value starts or ends with a backtick; :func:`safe_markdown`
    then rebuilds the span from escaped text, so no character inside can escape it.
    """
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    runs = [len(r) for r in _BACKTICKS.findall(text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _code_span(text: str, i: int) -> tuple[str, int] | None:
    """The code span opening at ``text[i]`` (a backtick run) and the index after it, else None
    (CommonMark §6.1: closed by the next run of exactly as many backticks; one leading and
    trailing space stripped when both are there and the content is not all spaces)."""
    run = _BACKTICKS.match(text, i)
    n = len(run.group())
    for close in _BACKTICKS.finditer(text, run.end()):
        if len(close.group()) == n:
            content = _LINE_BREAKS.sub(" ", text[run.end():close.start()])
            if len(content) >= 2 and content[0] == content[-1] == " " and content.strip():
                content = content[1:-1]
            return f"<code>{md(content)}</code>", close.end()
    return None


def safe_markdown(text: Any) -> str:
    """Markdown composed by churnlab, made safe to render whatever values were pasted into it.

    The last line of defence of :func:`churnlab.display.show`, for text whose values were not
    passed through :func:`md` (notes made by the stages): it keeps emphasis, lists and
    paragraphs, and removes every way to reach the page's HTML or a link:

    * ``<`` outside code spans becomes ``&lt;``: no raw HTML (a ``<script>``, an
      ``onerror=`` handler) and no autolink (``<javascript:...>``) can form (CommonMark
      §6.5, §6.6);
    * ``](`` and ``]:`` get their bracket's partner escaped: no inline link or image and
      no link reference definition (§4.7, §6.3), so no ``javascript:`` target;
    * every code span (§6.1) is rebuilt as ``<code>`` around :func:`md` of its text, so
      its content is text whatever it holds, and a lone backtick run stays a literal backtick.

    Backslash escapes are kept as they are (``\\<`` stays an escaped ``<``), so text already
    passed through :func:`md` passes unchanged.
    """
    text = "" if text is None else str(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _ASCII_PUNCT:
            out.append(text[i:i + 2])
            i += 2
        elif ch == "`":
            span = _code_span(text, i)
            if span is None:
                run = _BACKTICKS.match(text, i).group()
                out.append("\\`" * len(run))
                i += len(run)
            else:
                out.append(span[0])
                i = span[1]
        elif ch == "<":
            out.append("&lt;")
            i += 1
        elif ch == "]" and i + 1 < n and text[i + 1] in "(:":
            out.append("]\\" + text[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def no_math(markdown: str) -> str:
    """``markdown`` inside a ``<div class="tex2jax_ignore">`` (an HTML block, CommonMark §4.6,
    closed by the blank lines around the text), so MathJax does not typeset a ``$`` in it."""
    return f'<div class="{NO_MATH}">\n\n{markdown}\n\n</div>'
