"""Reader registry: ``kind`` (from intake) -> a function that yields events and fills in the input's stats.

A reader receives the :class:`~nps_trace_analyzer.model.InputFile` and a :class:`Collector` for results that are
not events (server configuration, accounting-log transactions, packet captures). It must never raise for bad
content: it records the problem in ``inp.warnings`` / ``inp.reason`` / ``inp.records_skipped`` and stops or
continues as the damage allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nps_trace_analyzer.model import Event, InputFile


@dataclass
class Collector:
    """Side results of readers, keyed by artifact kind (``"registry"``, ``"radius-log"``, ``"capture"``...)."""

    artifacts: dict[str, list[tuple[InputFile, Any]]] = field(default_factory=dict)

    def add(self, kind: str, inp: InputFile, value: Any) -> None:
        self.artifacts.setdefault(kind, []).append((inp, value))

    def get(self, kind: str) -> list[tuple[InputFile, Any]]:
        """The artifacts of ``kind`` by input name, not by the order files happened to be read in."""
        return sorted(self.artifacts.get(kind, []), key=lambda pair: pair[0].name)


Reader = Callable[[InputFile, Collector], Iterator[Event]]
_READERS: dict[str, Reader] = {}


def register(kind: str) -> Callable[[Reader], Reader]:
    """Class the decorated function as the reader of files identified as ``kind``."""

    def wrap(func: Reader) -> Reader:
        _READERS[kind] = func
        return func

    return wrap


def reader_for(kind: str) -> Reader | None:
    _load_builtin_readers()
    return _READERS.get(kind)


def _load_builtin_readers() -> None:
    # Importing the modules runs their @register decorators.
    from nps_trace_analyzer.sources import etl_source, evtx_source, text_sources  # noqa: F401
