"""Decode the text files of a bundle whatever Windows tool wrote them, and count what their readers skip.

Why this is its own module: the bundle's text files come from four writers with four habits. Windows
PowerShell 5.1 ``Out-File`` and ``>`` write UTF-16 LE with a BOM (``NPS_EventLog.log``, ``*RegAdd_*.txt``);
``reg export`` writes UTF-16 LE with a BOM; ``cmd /c ... > file`` writes the OEM/ANSI code page; NPS writes
its accounting logs (``IN*.log``) as ANSI or UTF-8 without a BOM; and files copied through other tools lose
their BOM. Every reader must get the same answer for the same bytes, so the sniffing lives here, once:

1. a BOM decides (UTF-8, UTF-16 LE, UTF-16 BE);
2. without a BOM, NUL bytes in a sample decide UTF-16 LE (NULs at odd offsets) or BE (even offsets);
3. otherwise strict UTF-8 (ASCII is UTF-8);
4. otherwise cp1252 with replacement characters, so decoding never fails.

Files are read whole (the readers need random access to blocks), so a size limit guards memory: above it
:class:`TextTooLargeError` says so plainly and the caller reports the file as not analysed.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nps_trace_analyzer.core.model import Event, InputFile

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""256 MiB: a week of busy NPS audit text is ~100 MiB of UTF-16; anything bigger is not a health-check file."""

SNIFF_BYTES = 4096
MAX_WARNINGS = 50


class TextDecodeError(ValueError):
    """A text file that cannot be decoded (never raised for odd bytes: those are replaced)."""


class TextTooLargeError(TextDecodeError):
    """The file is larger than the configured limit; nothing was read."""


@dataclass(frozen=True)
class DecodedText:
    """The decoded text, the codec that produced it, whether a BOM said so, and how many bytes were bad."""

    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"
    bom: bool
    replaced: int = 0  # number of U+FFFD replacement characters introduced by decoding


def _count_nuls(sample: bytes) -> tuple[int, int]:
    """NUL bytes at even and at odd offsets of ``sample``."""
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return even, odd


def sniff_encoding(data: bytes) -> tuple[str, bool]:
    """Return ``(codec, has_bom)`` for raw bytes, following the order in the module docstring."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", True
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", True
    sample = data[:SNIFF_BYTES]
    if len(sample) >= 2:
        even, odd = _count_nuls(sample)
        half = len(sample) // 2
        # ASCII-range text in UTF-16 has a NUL in nearly every other byte; a few NULs in a binary-ish
        # ANSI file must not flip the decision, hence the 30 % threshold and the lopsidedness test.
        if odd > 0.3 * half and odd > 4 * even:
            return "utf-16-le", False
        if even > 0.3 * half and even > 4 * odd:
            return "utf-16-be", False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252", False
    return "utf-8", False


def decode_bytes(data: bytes) -> DecodedText:
    """Decode ``data`` per :func:`sniff_encoding`; bad sequences become U+FFFD and are counted."""
    encoding, bom = sniff_encoding(data)
    payload = data
    if bom and encoding.startswith("utf-16"):
        payload = data[2:]
    if encoding.startswith("utf-16") and len(payload) % 2:
        payload = payload[:-1]  # a truncated copy cut a code unit in half; drop the orphan byte
    before = payload.count(b"\xef\xbf\xbd") if encoding.startswith("utf-8") else 0
    text = payload.decode(encoding, errors="replace")
    replaced = max(0, text.count("\ufffd") - before)
    return DecodedText(text=text, encoding=encoding, bom=bom, replaced=replaced)


def load_text(path: str | Path, stats: TextReadStats, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """Decode a file for a reader: on failure record ``stats.error`` and return None (never raise).

    Notes the codec in ``stats.encoding`` and warns when bytes had to be replaced.
    """
    try:
        decoded = decode_text_file(path, max_bytes)
    except (OSError, TextDecodeError) as exc:
        stats.error = str(exc) if isinstance(exc, TextDecodeError) else f"cannot read file: {exc}"
        return None
    stats.encoding = decoded.encoding
    if decoded.replaced:
        stats.warn(f"{decoded.replaced} byte sequence(s) not valid {decoded.encoding}; replaced by U+FFFD")
    return decoded.text


def decode_text_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> DecodedText:
    """Read and decode one text file.

    Raises :class:`TextTooLargeError` above ``max_bytes`` (checked before reading) and lets ``OSError``
    through: both mean "not analysed" to the caller, with the message as the reason.
    """
    p = Path(path)
    size = p.stat().st_size
    if size > max_bytes:
        raise TextTooLargeError(
            f"{p.name}: {size} bytes is more than the {max_bytes}-byte limit for text files; not read"
        )
    return decode_bytes(p.read_bytes())


@dataclass
class TextReadStats:
    """What a text reader did with one file: records read/skipped, bounded warnings, time range.

    The readers fill it while iterating, so it is complete once the iterator is exhausted. ``apply_to``
    copies it onto the pipeline's :class:`~nps_trace_analyzer.core.model.InputFile`.
    """

    encoding: str = ""
    records_read: int = 0
    records_skipped: int = 0
    lines_skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    warnings_dropped: int = 0
    first_time: datetime | None = None
    last_time: datetime | None = None
    formats: dict[str, int] = field(default_factory=dict)  # e.g. {"dbcsv": 120}, {"wevtutil-text": 40}
    error: str = ""  # set when the file could not be read at all (too large, unreadable): "not analysed"

    def warn(self, message: str) -> None:
        """Keep the first :data:`MAX_WARNINGS` distinct warnings; count the rest."""
        if message in self.warnings:
            return
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.warnings_dropped += 1

    def note_time(self, when: datetime) -> None:
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when

    def all_warnings(self) -> list[str]:
        """The kept warnings plus a closing line saying how many were not listed."""
        if not self.warnings_dropped:
            return list(self.warnings)
        return [*self.warnings, f"... {self.warnings_dropped} more warnings not listed"]

    def apply_to(self, inp: InputFile) -> None:
        """Add these counts to an InputFile (the pipeline's per-file record); an error becomes its reason."""
        if self.error:
            inp.reason = inp.reason or self.error
        else:
            inp.analysed = True
        inp.records_read += self.records_read
        inp.records_skipped += self.records_skipped
        inp.warnings.extend(self.all_warnings())
        for when in (self.first_time, self.last_time):
            if when is None:
                continue
            if inp.first_time is None or when < inp.first_time:
                inp.first_time = when
            if inp.last_time is None or when > inp.last_time:
                inp.last_time = when


def counted_events(inp: InputFile, events: Iterator[Event], stats: TextReadStats) -> Iterator[Event]:
    """Yield an event-log text reader's events, counting each kept event and its channel on ``inp``, then copy the
    reader's ``stats`` onto it: the one tail of every reader of exported event logs (XML, tables, JSON)."""
    for event in events:
        inp.events_kept += 1
        inp.channels[event.channel] = inp.channels.get(event.channel, 0) + 1
        yield event
    stats.apply_to(inp)
