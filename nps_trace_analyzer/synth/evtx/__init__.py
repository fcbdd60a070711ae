"""EVTX writer (standard library only): :class:`~nps_trace_analyzer.synth.spec.EventSpec` -> .evtx file.

Written from libyal's "Windows XML Event Log (EVTX)" description and the [MS-EVEN6] BinXml grammar, plus the
facts measured on real Windows logs (``docs/reference/evtx-format-notes.md``): 4 KiB file header, 64 KiB
chunks with CRC32s, per-chunk string and template tables, records as template instances with typed
substitutions, the payload as a nested BinXml value. ``layout`` declares the bytes; the other modules encode.
"""

from __future__ import annotations

from .writer import EvtxWriter, write_evtx

__all__ = ["EvtxWriter", "write_evtx"]
