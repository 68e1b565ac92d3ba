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
