"""Byte-identical copies of one file inside a bundle are read once.

Bundles often hold the same log twice: a zip next to the folder it was extracted from, or a log exported under
two names (``AuthZOptCh.evtx`` and ``<HOST>_AuthZOptCh.evtx``). Reading both would count every event twice
(incident counts doubled, one incident per copy when the copies are analysed apart). Intake already hashes every
file, so equal SHA-256 means equal bytes; the copy kept is the one whose name sorts first, so the choice does not
depend on the order files were found or are read. Skipped copies stay listed with the reason, never dropped,
and count as analysed (their bytes were).
"""

from __future__ import annotations

from collections.abc import Sequence

from nps_trace_analyzer.core.model import InputFile

__all__ = ["mark_identical_copies"]


def mark_identical_copies(files: Sequence[InputFile]) -> list[InputFile]:
    """Give every byte-identical copy but the first (by name) a ``reason``; returns the copies marked."""
    first: dict[str, InputFile] = {}
    for inp in sorted(files, key=lambda f: f.name):
        if not inp.sha256 or inp.size == 0 or inp.kind in ("zip", "empty"):
            continue  # a zip is opened into its members, which are compared themselves; empty files hold nothing
        first.setdefault(inp.sha256, inp)
    marked = []
    for inp in files:
        kept = first.get(inp.sha256)
        if kept is not None and kept is not inp and not inp.reason:
            inp.reason = f"identical copy of {kept.name} (same SHA-256): its content is analysed once, as {kept.name}"
            # Its content was analysed (through the copy kept): counting it "not analysed" would tell the reader of
            # the report that something was missed when nothing was.
            inp.analysed = True
            marked.append(inp)
    return marked
