"""Progress of a long analysis on stderr: a redrawn bar on a terminal, plain lines otherwise, nothing when quiet.

For the first ``delay`` seconds only the stage lines are printed, as they always were, so a small bundle looks
the same; a longer run then gets a bar on a terminal (elsewhere a plain status line every ``line_every`` s) with
records/s, bytes read and an estimate of the time left from the bytes of input still to read. Written by hand
(under 100 lines) rather than with click.progressbar: it is fed from two places (shards read by the pool, other
files read by the parent), shows records and bytes together and keeps the stage messages as its label.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24


def _mb(nbytes: float) -> str:
    return f"{nbytes / 1024**2:,.1f} MB"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60}:{seconds % 60:02d}")
    )


class ProgressDisplay:
    """Stage messages (:meth:`say`) and amounts of work (:meth:`start`, :meth:`advance`) of one analysis."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        quiet: bool = False,
        delay: float = 2.0,
        line_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.delay = delay
        self.line_every = line_every
        self.clock = clock
        self.began = clock()
        self.total = 0
        self.done = 0
        self.records = 0
        self.stage = ""
        self.last_draw = 0.0
        self.drawn = False

    def say(self, message: str) -> None:
        """A stage message: its own line, or the bar's label once a bar is shown."""
        if self.quiet:
            return
        self.stage = message.strip()
        if self.drawn:
            self._draw(force=True)
        else:
            print(message, file=self.stream, flush=True)

    def start(self, total_bytes: int) -> None:
        self.total = total_bytes

    def advance(self, records: int, nbytes: int) -> None:
        self.records += records
        self.done += nbytes
        self._draw()

    def _status(self, elapsed: float) -> str:
        rate = self.records / elapsed if elapsed > 0 else 0.0
        text = f"{_mb(self.done)} of {_mb(self.total)}, {self.records:,} records ({rate:,.0f} records/s)"
        if 0 < self.done < self.total:
            text += f", about {_duration(elapsed * (self.total - self.done) / self.done)} left"
        return text

    def _draw(self, force: bool = False) -> None:
        if self.quiet:
            return
        now = self.clock()
        elapsed = now - self.began
        if elapsed < self.delay:
            return
        if self.tty:
            if not force and now - self.last_draw < 0.2:
                return
            filled = int(BAR_WIDTH * self.done / self.total) if self.total else 0
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"[{bar}] {self._status(elapsed)}  {self.stage}"
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()
            self.drawn = True
        elif not force and now - self.last_draw >= self.line_every:
            print(f"    {self._status(elapsed)}", file=self.stream, flush=True)
        else:
            return
        self.last_draw = now

    def close(self) -> None:
        """End the bar's line so what follows starts on a fresh one."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
