"""SIGTERM handled like Ctrl-C: the run stops, cleans up and says so in one line.

By default SIGTERM ends Python at once: no ``finally`` runs, so a run's temporary
folder and its kernels would stay behind. Inside :func:`stop_on_signals`, SIGINT
and SIGTERM both raise :class:`Interrupted` (a ``KeyboardInterrupt``), so every
``finally`` and ``with`` block cleans up as it does for Ctrl-C. Further signals are
ignored while that clean-up runs (``kill -9`` still ends the process; the next
start recovers what it left, see :mod:`churnlab.study.publish`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by ``signum``; the shell's exit code for it is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def exit_code(exc: KeyboardInterrupt) -> int:
    """130 for Ctrl-C (SIGINT), 143 for SIGTERM: what a shell reports for a process the signal ended."""
    return exc.exit_code if isinstance(exc, Interrupted) else 128 + int(signal.SIGINT)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted`; the old handlers come back after.

    Only the main thread can set handlers; elsewhere the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def handler(signum, _frame):
        for s in STOP_SIGNALS:  # one stop is enough: let the clean-up finish
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    for s in STOP_SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
