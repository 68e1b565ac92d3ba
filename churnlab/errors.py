"""One exception root for every problem a user can fix.

The CLI turns a :class:`ChurnlabError` into one line and a non-zero exit;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class ChurnlabError(Exception):
    """Base class of user-facing errors (bad params, bad data, unknown scenario)."""


class ParamsError(ChurnlabError):
    """A params file is missing, unreadable, malformed or fails validation."""


class DataError(ChurnlabError):
    """An input table is missing a column, has bad values, or is inconsistent."""


class StudyError(ChurnlabError):
    """A study run failed (a notebook raised); the message names where."""


class OutputError(ChurnlabError):
    """The output root cannot be used: not a folder, not writable, or another run holds the study."""


#: Longest quoted user value in a message (:func:`shown`); longer values end in an ellipsis.
SHOWN_CHARS = 80


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A user value quoted for a one-line message: its ``repr``, cut to ``limit`` characters.

    A message names the value that was wrong, but a value can be huge (a YAML alias bomb
    expands a 3 KB file into millions of items) or span lines; the message stays one short
    line: ``shown("x" * 500)`` is ``'xxx…'`` (80 characters, the last one an ellipsis).
    """
    text = repr(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MemoryBudgetError(ChurnlabError):
    """Loading a table would take the run over its memory budget (``scale.memory_gb``)."""
