"""ETL (Event Trace Log) source: a streaming reader, packet extraction and a pcapng writer.

``reader`` walks buffers and finds records, ``records`` decodes each record by its header kind (``layout``
holds the binary layouts as named fields), ``packets`` turns
NDIS-PacketCapture and PktMon events into :class:`~nps_trace_analyzer.sources.etl.packets.Packet` records,
``pcapng`` writes them for Wireshark/tshark.
"""

from __future__ import annotations

from nps_trace_analyzer.sources.etl.reader import (
    EtlEvent,
    EtlReader,
    EtlStats,
    LogfileHeader,
    iter_events,
    iter_events_sorted,
    read_logfile_header,
)

__all__ = [
    "EtlEvent",
    "EtlReader",
    "EtlStats",
    "LogfileHeader",
    "iter_events",
    "iter_events_sorted",
    "read_logfile_header",
]
