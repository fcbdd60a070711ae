"""How Python's cyclic garbage collector runs while a bundle is analysed: young generations only.

An analysis allocates millions of small objects (events, findings, CSV rows) and keeps many of them until the
reports are written, so the heap grows all the way through. CPython then runs a full (generation-2) collection
each time the heap has grown by a quarter: on the worst-case bundle (300 k extension records) that was ~24 full
collections costing 4-12 s of the parent's CPU, and every one of them collected nothing (measured with
``gc.callbacks``) — the pipeline's data is acyclic or freed by reference counting.

So, for the duration of an analysis:

- everything alive when it starts (imports, the loaded catalog) is frozen (``gc.freeze``): no collection scans it
  again, and worker processes forked from here do not touch (and so copy) those pages;
- full collections are put off until the analysis ends; the young generations still run as usual in the
  analysing process (ten times fewer, larger young collections cost it more: 1.4 s against 0.6 s on the worst
  case), so short-lived cycles (exception tracebacks, a parser's back-references) are still freed as they appear.

When the last concurrent analysis of the process ends the previous settings come back and the frozen objects are
released to the collector, which then deals with whatever cycles the analysis left behind. (Python 3.14's
incremental collector ignores the third threshold; the freeze still spares it the catalog and the imports.)
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# In a worker process nearly everything dies with its shard, so the net number of live objects stays below this
# and young collections hardly ever run (measured on the worst case: ~600 per worker at CPython's 700, costing
# 0.3-1 s of its time, against none).
WORKER_YOUNG_THRESHOLD = 10_000
# Generation-1 collections before a full one is even considered: far more than any analysis makes.
NO_FULL_COLLECTIONS = 1 << 30

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] = (700, 10, 10)
_freeze_at_exit = False


@contextmanager
def young_collections_only() -> Iterator[None]:
    """Freeze what exists and collect only the young generations until the block (and any concurrent one) ends."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(_saved[0], _saved[1], NO_FULL_COLLECTIONS)  # a 0 (collection off) stays off
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()


def freeze_long_lived() -> None:
    """Inside :func:`young_collections_only`: what exists now lives to the end of the analysis (the catalog)."""
    gc.freeze()


def worker_collections() -> None:
    """In a shard worker (forked inside :func:`young_collections_only`): no full collections, rare young ones."""
    threshold = gc.get_threshold()
    if threshold[0] > 0:
        gc.set_threshold(max(WORKER_YOUNG_THRESHOLD, threshold[0]), threshold[1], NO_FULL_COLLECTIONS)


def no_full_collection_at_exit() -> None:
    """For a command-line process that ends with an analysis's result alive: CPython's last full collection at exit
    walks every object to free nothing (~1 s after the worst case, measured, all of it after the reports are
    written), so everything alive is frozen once exit begins (atexit runs before that collection). Not for library
    callers: their leftover cycles (an unflushed file in one) must still be collected at exit."""
    global _freeze_at_exit
    if not _freeze_at_exit:
        atexit.register(gc.freeze)
        _freeze_at_exit = True
