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


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM arriving inside the block are held and delivered, in order, when it ends.

    For steps that must not be cut in two (the renames of a publish). Python runs
    signal handlers in the main thread whichever thread the signal reached, so the
    handlers are swapped for a recorder (blocking the signal per thread would not
    hold it back from the process's other threads). Elsewhere than the main thread
    the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s in STOP_SIGNALS:
        signal.signal(s, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)
