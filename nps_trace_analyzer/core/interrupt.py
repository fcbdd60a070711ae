"""Turn SIGTERM, SIGHUP and SIGINT into an exception, so every ``with`` block on the way out cleans up.

By default SIGTERM and SIGHUP end the process on the spot: the temp dir of extracted archive members (gigabytes
for a large bundle) and a half-written report stayed behind. Raised as :class:`Interrupted` (a
``KeyboardInterrupt``, which readers' ``except Exception`` safety nets do not swallow), the signal unwinds through
the bundle's and the report folder's context managers like any error, and the CLI exits with 128 + the signal
number (:mod:`nps_trace_analyzer.core.exit_codes`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP/SIGINT raise :class:`Interrupted`; the previous handlers come back after.

    Outside the main thread (where handlers cannot be set) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
