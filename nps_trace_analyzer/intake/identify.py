"""Identify a file by its first bytes, not only by its name.

Support bundles get renamed, re-zipped and mixed with screenshots; a file called ``Security.evtx.txt`` may be a
real EVTX and ``nettrace.etl`` may be a zero-byte placeholder. Intake itself only knows containers (zip, cab)
and empty files; every other kind is recognised by the reader that reads it (its ``sniff`` in
:mod:`nps_trace_analyzer.sources.readers`), so this module lists no file kind of a reader.
"""

from __future__ import annotations

from nps_trace_analyzer.sources.readers import Identity, decode_head, promised_by_name, sniff

__all__ = ["SNIFF_BYTES", "Identity", "identify"]

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
CAB_MAGIC = b"MSCF"
#: AppleDouble header: the ``._Security.evtx`` / ``__MACOSX/`` companions a Mac's Finder adds to every file it zips.
#: Named like the log beside it, it would otherwise read as "a damaged .evtx".
APPLEDOUBLE_MAGIC = b"\x00\x05\x16\x07"
#: How many first bytes of each file the readers' sniff functions see.
SNIFF_BYTES = 8192


def identify(name: str, head: bytes, size: int) -> Identity:
    """Identify a bundle member from its name and first bytes (see :data:`SNIFF_BYTES`)."""
    if size == 0:
        return Identity("empty", note="empty file (0 bytes)")
    if head.startswith(ZIP_MAGICS):
        return Identity("zip")
    if head.startswith(APPLEDOUBLE_MAGIC):
        return Identity("unknown", note="macOS file metadata (AppleDouble '._' file added by a Mac's zip), not a log")
    if head.startswith(CAB_MAGIC):
        return Identity("cab", note="CAB archive (netsh's companion to nettrace.etl); its contents are not analysed")
    found = sniff(name, head, size)
    if found is not None:
        return found
    if decode_head(head) is not None:
        return Identity("text", note="text file of no known log format")
    promised = promised_by_name(name)
    if promised is not None:
        article = "an" if promised.kind[:1].lower() in "aeiou" else "a"
        return Identity("unknown", note=f"named like {article} {promised.kind} file but has no {promised.signature}")
    return Identity("unknown", note="binary file of an unknown format")
