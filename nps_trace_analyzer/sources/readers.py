"""The readers: each reader declares what it reads; intake and the pipeline ask the registered readers.

A reader module describes itself with a :class:`ReaderSpec` passed to :func:`register_reader` at import, as
plaso's parsers and dissect's loaders do: the content test that recognises its files (``sniff``), the names its
files usually have (used only to explain a file whose name promises that kind but whose bytes do not), the
``kind`` it gives the file, the function that reads it and what it contributes to the report. The built-in
readers are found by importing every module of :mod:`nps_trace_analyzer.sources`
(:func:`load_builtin_readers`), so a new reader is one new module (plus its tests and a README row): no other
place lists file kinds.

A reader receives the :class:`~nps_trace_analyzer.core.model.InputFile` and a :class:`Collector` for results that are
not events (server configuration, accounting-log transactions, packet captures). It must never raise for bad
content: it records the problem in ``inp.warnings`` / ``inp.reason`` / ``inp.records_skipped`` and stops or
continues as the damage allows.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from nps_trace_analyzer.core.model import Event, InputFile

T = TypeVar("T")


@dataclass(frozen=True)
class Artifact(Generic[T]):
    """One kind of side result a reader hands to the later stages, with its one name and its type.

    Declared once, by the module that produces it (``text_sources.REGISTRY_VALUES``, ``etl_source.CAPTURE_OVERVIEW``
    ...), and imported by whoever consumes it, so producer and consumers cannot disagree on a string key or on
    what the value is. ``type`` is checked when a value is added.
    """

    name: str
    type: type


@dataclass
class Collector:
    """Side results of readers (values that are not events), per :class:`Artifact`."""

    _items: dict[Artifact[Any], list[tuple[InputFile, Any]]] = field(default_factory=dict)

    def add(self, artifact: Artifact[T], inp: InputFile, value: T) -> None:
        if not isinstance(value, artifact.type):
            raise TypeError(f"artifact {artifact.name!r} takes {artifact.type.__name__}, not {type(value).__name__}")
        self._items.setdefault(artifact, []).append((inp, value))

    def get(self, artifact: Artifact[T]) -> list[tuple[InputFile, T]]:
        """The values of ``artifact`` by input name, not by the order files happened to be read in."""
        return sorted(self._items.get(artifact, []), key=lambda pair: pair[0].name)


@dataclass(frozen=True)
class Identity:
    """What a file is: ``kind`` decides which reader reads it; ``role`` names its place in the bundle."""

    kind: str  # a registered reader's kind, or intake's own: zip, cab, text, empty, unknown
    role: str = ""
    note: str = ""


def decode_head(head: bytes) -> str | None:
    """Decode the first bytes of a text file (UTF-16 with/without BOM or UTF-8); None when binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="ignore")
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return head.decode("utf-16-le", errors="ignore")
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if b"\x00" in body:
        return None
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if text and printable / len(text) > 0.95 and bad <= len(text) // 50:
        return text
    return None


@dataclass
class Sniffed:
    """What a sniff function may look at: the file's name in the bundle, its first bytes and its size."""

    name: str
    head: bytes
    size: int

    @cached_property
    def lower_name(self) -> str:
        return self.name.lower()

    @cached_property
    def base_name(self) -> str:
        """The file name without folders, lower case."""
        return self.name.replace("\\", "/").rsplit("/", 1)[-1].lower()

    @cached_property
    def text(self) -> str | None:
        """The first bytes decoded as text (UTF-16 or UTF-8), or None for binary content."""
        return decode_head(self.head)

    @cached_property
    def stripped(self) -> str:
        """``text`` without a leading BOM and whitespace ("" for binary content)."""
        return (self.text or "").lstrip("\ufeff \r\n\t")


Reader = Callable[[InputFile, Collector], Iterator[Event]]
Sniff = Callable[[Sniffed], "Identity | None"]


@dataclass(frozen=True)
class ReaderSpec:
    """Everything the rest of the program needs to know about one reader, declared beside it.

    ``sniff`` returns the file's :class:`Identity` (this ``kind`` and a role) when its content is this reader's,
    else None. Readers are asked in ``sniff_rank`` order (then by kind): binary signatures first (10), then
    structured text (30), then looser text shapes (60). ``name_patterns`` (shell patterns, case-insensitive) and
    ``signature`` only explain a file whose name promises this kind but whose content nothing recognised.
    ``contributes`` says, in one line, what the reader adds to the report; ``artifacts`` are the typed side
    results it hands to the :class:`Collector`. ``repeats``, given one input of this kind and all the bundle's
    inputs, names what that file merely repeats ("" when nothing): its events are then listed but not counted or
    diagnosed again.
    ``sieve_events``, given an input of this kind, says whether its events are only *candidates*: the pipeline then
    passes them through the extract stage's text sieve, which keeps the diagnosable ones and counts them in
    ``events_kept`` (the reader judges no text itself). ``read_in_shards``: the pipeline's worker pool reads files
    of this kind in shards (``read`` is then used only by callers outside the pipeline).
    """

    kind: str
    read: Reader
    sniff: Sniff
    contributes: str
    sniff_rank: int = 50
    name_patterns: tuple[str, ...] = ()
    signature: str = ""
    artifacts: tuple[Artifact[Any], ...] = ()
    repeats: Callable[[InputFile, Sequence[InputFile]], str] | None = None
    audit_decisions: bool = False  # its files can hold NPS accept/reject decisions (as the Security log does)
    sieve_events: Callable[[InputFile], bool] | None = None
    read_in_shards: bool = False


_READERS: dict[str, ReaderSpec] = {}
_loaded = False


def register_reader(spec: ReaderSpec) -> ReaderSpec:
    """Register ``spec`` as the reader of files of ``spec.kind`` (a second registration of a kind replaces it)."""
    _READERS[spec.kind] = spec
    return spec


def load_builtin_readers() -> None:
    """Import every module of :mod:`nps_trace_analyzer.sources` once: their :func:`register_reader` calls run."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    package = importlib.import_module("nps_trace_analyzer.sources")
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)


def readers() -> list[ReaderSpec]:
    """The registered readers in the order they are asked to recognise a file."""
    load_builtin_readers()
    return sorted(_READERS.values(), key=lambda spec: (spec.sniff_rank, spec.kind))


def reader_spec(kind: str) -> ReaderSpec | None:
    load_builtin_readers()
    return _READERS.get(kind)


def reader_for(kind: str) -> Reader | None:
    """The function that reads files of ``kind`` (None when no reader reads that kind)."""
    spec = reader_spec(kind)
    return None if spec is None else spec.read


def sharded_kinds() -> frozenset[str]:
    """The kinds whose files the pipeline's worker pool reads in shards (``ReaderSpec.read_in_shards``)."""
    return frozenset(spec.kind for spec in readers() if spec.read_in_shards)


def repeated_inputs(files: Sequence[InputFile]) -> dict[str, str]:
    """``{input name: what it repeats}`` for the inputs whose reader says they only repeat another input."""
    out: dict[str, str] = {}
    for inp in files:
        spec = reader_spec(inp.kind)
        what = spec.repeats(inp, files) if spec is not None and spec.repeats is not None else ""
        if what:
            out[inp.name] = what
    return out


def sniff(name: str, head: bytes, size: int) -> Identity | None:
    """Ask the registered readers, in order, whether the content is theirs; None when none recognises it."""
    sniffed = Sniffed(name, head, size)
    for spec in readers():
        found = spec.sniff(sniffed)
        if found is not None:
            return found
    return None


def promised_by_name(name: str) -> ReaderSpec | None:
    """The reader whose usual file names ``name`` matches (to explain content that does not fit), if any."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for spec in readers():
        if any(fnmatch.fnmatchcase(base, pattern.lower()) for pattern in spec.name_patterns):
            return spec
    return None
