"""ETL traces of the bundle: ``nettrace.etl`` (packets) and ``NPSExtension.etl`` (the extension's own trace).

For a packet capture the reader decodes every packet (NDIS-PacketCapture or PktMon), summarises RADIUS, DNS, TCP
and TLS (:mod:`nps_trace_analyzer.net.capture_summary`), and turns what matters to the NPS extension into events
that carry what was observed in ``observed`` data items (``non-pap``, ``tcp-no-answer``...; the findings stage
names the catalog code of each, :mod:`nps_trace_analyzer.analysis.capture_codes`):

- every RADIUS Access-Request exchange (protocol, NAS attributes, response and timing) — evidence rows;
- DNS, TCP and TLS traffic to the Entra MFA endpoints.

Other traffic is only counted (``capture`` artifact for the report). The capture has no computer name; the
incident stage attributes its findings to the bundle's NPS server.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import asdict
from statistics import median
from typing import Any

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.net.capture_summary import CaptureSummary, summarize
from nps_trace_analyzer.net.radius import AuthProtocol
from nps_trace_analyzer.net.tcp_tls import VERSION_NAMES
from nps_trace_analyzer.sources.etl import EtlStats
from nps_trace_analyzer.sources.etl.packets import PacketStats, iter_file_packets
from nps_trace_analyzer.sources.etl.reader import filetime_to_datetime
from nps_trace_analyzer.sources.npsext_source import NPSEXT_SUMMARY, read_npsext_events
from nps_trace_analyzer.sources.readers import Artifact, Collector, Identity, ReaderSpec, Sniffed, register_reader

CHANNEL = "nettrace"
_TLS12 = 0x0303


def _event(inp: InputFile, when: Any, provider: str, event_id: int, text: str, items: list[tuple[str, str]]) -> Event:
    return Event(
        time=when,
        source_file=inp.name,
        channel=CHANNEL,
        provider=provider,
        event_id=event_id,
        level=None,
        record_id=None,
        computer="",
        data=tuple((k, v) for k, v in items if v),
        text=text,
        source_kind="capture",
    )


def radius_events(inp: InputFile, summary: CaptureSummary) -> Iterator[Event]:
    for ex in summary.radius:
        if ex.request_code != 1:
            continue
        seen: list[str] = []
        protocol = ex.protocol + (
            f" ({ex.eap_type_name})" if ex.protocol == AuthProtocol.EAP and ex.eap_type_name else ""
        )
        if ex.protocol not in (AuthProtocol.PAP, AuthProtocol.NONE, ""):
            seen.append("non-pap")
        if ex.retransmissions and (ex.answered_after_retry or ex.response_code is None):
            seen.append("nas-retransmission")
        if not ex.has_message_authenticator:
            seen.append("no-message-authenticator")
        answer = (
            f"answered {ex.response_name} after {ex.response_delay:.1f} s"
            if ex.response_delay is not None
            else "never answered in the capture"
        )
        retry = (
            f"; {ex.retransmissions} retransmission(s), NAS retry interval {ex.retry_interval:.1f} s"
            if ex.retransmissions and ex.retry_interval is not None
            else ""
        )
        user = ex.user_name or "(none)"
        lines = []
        if "non-pap" in seen:
            shown = f"EAP/{ex.eap_type_name}" if ex.protocol == AuthProtocol.EAP and ex.eap_type_name else ex.protocol
            lines.append(f"Access-Request from NAS {ex.nas} user {user}: {shown} (not PAP)")
        if "nas-retransmission" in seen:
            times = "1 time" if ex.retransmissions == 1 else f"{ex.retransmissions} times"
            outcome = (
                f"NPS answered after {ex.response_delay:.1f} s with {ex.response_name}"
                if ex.response_delay is not None
                else "NPS never answered"
            )
            lines.append(
                f"NAS {ex.nas} retransmitted Access-Request id {ex.identifier} (user {user}) {times}; "
                f"first retry after {ex.retry_interval or 0:.1f} s; {outcome}"
            )
        if "no-message-authenticator" in seen:
            lines.append(
                f"Access-Request from NAS {ex.nas} user {user} without Message-Authenticator (attribute 80)"
                f"{'; Proxy-State present' if ex.has_proxy_state else ''}"
            )
        flags = [
            "Message-Authenticator present" if ex.has_message_authenticator else "no Message-Authenticator",
            *(["Proxy-State"] if ex.has_proxy_state else []),
            *(["answers a challenge"] if ex.follows_challenge else []),
        ]
        summary = (
            f"Access-Request id {ex.identifier} from NAS {ex.nas}:{ex.nas_port} user {ex.user_name or '?'}: "
            f"{protocol or 'no credentials'}, {', '.join(flags)}; {answer}{retry}"
        )
        # The documented evidence line of each finding first (catalog/README.md), then the exchange itself.
        text = "; ".join([*lines, summary])
        items = [
            ("user", ex.user_name or ""),
            ("nas", ex.nas),
            ("radius_protocol", protocol),
            ("nas_ip", ex.nas_ip or ""),
            ("nas_identifier", ex.nas_identifier or ""),
            ("radius_response", ex.response_name),
            # The packet's identity: the same Identifier and Request Authenticator in two servers' captures is
            # the same packet, which is what lets the multi-server comparison measure their clocks.
            ("radius_id", str(ex.identifier)),
            ("authenticator", ex.authenticator),
        ]
        items += [("observed", name) for name in seen]
        yield _event(inp, ex.request_time, "RADIUS", 1, text, items)


def endpoint_events(inp: InputFile, summary: CaptureSummary) -> Iterator[Event]:
    for query in summary.dns:
        if not query.mfa_endpoint:
            continue
        failed = not query.answered or (query.rcode or 0) != 0 or not query.answers
        answers = ", ".join(data for _type, data in query.answers)
        if not query.answered:
            outcome = "no response"
        elif (query.rcode or 0) != 0:
            outcome = query.rcode_name
        else:
            outcome = "NOERROR without answer records" if not query.answers else f"answered ({answers})"
        qtype = {1: "A", 28: "AAAA", 5: "CNAME"}.get(query.qtype, str(query.qtype))
        verb = "failed" if failed else "succeeded"
        text = f"DNS query for {query.name} ({qtype}) from {query.client} to {query.server} {verb}: {outcome}"
        yield _event(
            inp,
            query.query_time,
            "DNS",
            53,
            text,
            [("endpoint", query.name), ("observed", "dns-failure" if failed else "")],
        )
    for attempt in summary.tcp:
        if not attempt.mfa_endpoint:
            continue
        seen_tcp = {"no-answer": "tcp-no-answer", "rst": "tcp-reset"}.get(attempt.outcome, "")
        name = attempt.server_name or attempt.server
        text = (
            f"TCP connection from {attempt.client}:{attempt.client_port} to {name} ({attempt.server}:"
            f"{attempt.server_port}): {attempt.outcome}"
            f"{f', {attempt.syn_retransmissions} SYN retransmission(s)' if attempt.syn_retransmissions else ''}"
        )
        yield _event(inp, attempt.syn_time, "TCP", 6, text, [("endpoint", name), ("observed", seen_tcp)])
    for hs in summary.tls:
        if not hs.mfa_endpoint or hs.client_hello_filetime is None:
            continue
        offered = ", ".join(VERSION_NAMES.get(v, hex(v)) for v in hs.client_versions)
        seen_tls = []
        if hs.client_versions and max(hs.client_versions) < _TLS12:
            seen_tls.append("tls-legacy-only")
        fatal = [name for _sender, name, is_fatal in hs.alerts if is_fatal]
        if fatal:
            seen_tls.append("tls-alert")
        text = (
            f"TLS ClientHello to {hs.sni or hs.server} offering {offered or '?'}; "
            f"server {hs.server_version_name or 'did not answer'}"
            f"{'; alerts: ' + ', '.join(f'{s} {n}' for s, n, _f in hs.alerts) if hs.alerts else ''}"
        )
        items = [("endpoint", hs.sni or hs.server)] + [("observed", name) for name in seen_tls]
        yield _event(inp, filetime_to_datetime(hs.client_hello_filetime), "TLS", 443, text, items)


#: The overview of each packet capture (RADIUS clients, endpoints, reader counts) for the report.
CAPTURE_OVERVIEW: Artifact[dict[str, Any]] = Artifact("capture", dict)


def capture_overview(summary: CaptureSummary, packet_stats: PacketStats) -> dict[str, Any]:
    """Per-capture counts for the report: packets, RADIUS by protocol and NAS, timing, endpoint traffic."""
    requests = [ex for ex in summary.radius if ex.request_code == 1]
    per_nas: dict[str, dict[str, Any]] = {}
    for ex in requests:
        nas = per_nas.setdefault(
            ex.nas,
            {
                "requests": 0,
                "protocols": {},
                "without_message_authenticator": 0,
                "retransmitted": 0,
                "unanswered": 0,
                "delays": [],
                "retry_intervals": [],
            },
        )
        nas["requests"] += 1
        nas["protocols"][ex.protocol or "none"] = nas["protocols"].get(ex.protocol or "none", 0) + 1
        nas["without_message_authenticator"] += not ex.has_message_authenticator
        nas["retransmitted"] += bool(ex.retransmissions)
        nas["unanswered"] += ex.response_code is None
        if ex.response_delay is not None:
            nas["delays"].append(ex.response_delay)
        if ex.retry_interval is not None:
            nas["retry_intervals"].append(ex.retry_interval)
    for nas in per_nas.values():
        delays, retries = nas.pop("delays"), nas.pop("retry_intervals")
        nas["median_response_s"] = round(median(delays), 3) if delays else None
        nas["max_response_s"] = round(max(delays), 3) if delays else None
        nas["min_retry_interval_s"] = round(min(retries), 3) if retries else None
    return {
        "packets": summary.packets,
        "unique_packets": packet_stats.unique_packets,
        "duplicate_sightings": packet_stats.duplicates,
        "radius_requests": len(requests),
        "radius_malformed": summary.radius_malformed,
        "nas": dict(sorted(per_nas.items())),
        "dns_queries_to_mfa_endpoints": sum(1 for q in summary.dns if q.mfa_endpoint),
        "tcp_attempts_to_mfa_endpoints": sum(1 for t in summary.tcp if t.mfa_endpoint),
        "tls_handshakes_to_mfa_endpoints": sum(1 for h in summary.tls if h.mfa_endpoint),
        "packet_stats": {k: v for k, v in asdict(packet_stats).items() if k != "warnings"},
    }


def read_capture(inp: InputFile, collector: Collector) -> Iterator[Event]:
    etl_stats, packet_stats = EtlStats(), PacketStats()
    summary = summarize(iter_file_packets(inp.path, etl_stats, packet_stats))
    inp.analysed = etl_stats.buffers > 0
    inp.records_read = etl_stats.events
    inp.records_skipped = etl_stats.skipped
    inp.warnings.extend(etl_stats.warnings + packet_stats.warnings[:20])
    if not inp.analysed:
        inp.reason = "no readable ETL buffer"
        return
    if summary.packets == 0:
        inp.warnings.append("no packet-capture events (NDIS-PacketCapture or PktMon) in this trace")
    collector.add(CAPTURE_OVERVIEW, inp, capture_overview(summary, packet_stats))
    for event in [*radius_events(inp, summary), *endpoint_events(inp, summary)]:
        inp.events_kept += 1
        if inp.first_time is None or event.time < inp.first_time:
            inp.first_time = event.time
        if inp.last_time is None or event.time > inp.last_time:
            inp.last_time = event.time
        yield event


def read_etl(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Dispatch by role: the extension's own trace, or a packet capture (nettrace, pktmon, anything else)."""
    if inp.role == "NPSExtension":
        yield from read_npsext_events(inp, collector)
        return
    yield from read_capture(inp, collector)


def looks_like_etl(head: bytes) -> bool:
    """An ETL file starts with a WMI buffer: BufferSize (u32) then SavedOffset/CurrentOffset within it.

    The first buffer also carries the logfile header event, whose marker word at offset 0x48 has the
    TRACE_HEADER_FLAG and TRACE_HEADER_EVENT_TRACE bits (0xC0000000) set. CurrentOffset is 0 in compressed
    (pktmon) and relogged files, so only SavedOffset is required. Sizes plus the marker tell ETL from noise.
    """
    if len(head) < 0x50:
        return False
    buffer_size, saved_offset, current_offset = struct.unpack_from("<III", head, 0)
    if buffer_size == 0 or buffer_size % 1024 or buffer_size > 64 * 1024 * 1024:
        return False
    if not (0 < saved_offset and current_offset <= max(buffer_size, saved_offset)):
        return False
    marker = struct.unpack_from("<I", head, 0x48)[0]
    return marker & 0xC0000000 == 0xC0000000


def sniff_etl(file: Sniffed) -> Identity | None:
    """An ETL trace by its first buffer; the name tells the extension's own trace from a packet capture."""
    if not looks_like_etl(file.head):
        return None
    lower = file.lower_name
    return Identity("etl", "NPSExtension" if "npsextension" in lower else ("nettrace" if "nettrace" in lower else ""))


READER = register_reader(
    ReaderSpec(
        kind="etl",
        read=read_etl,
        sniff=sniff_etl,
        sniff_rank=10,
        name_patterns=("*.etl",),
        signature="ETL buffer header",
        contributes="packet captures: RADIUS exchanges and MFA-endpoint DNS/TCP/TLS as events plus the 'capture' "
        "overview; NPSExtension.etl: its diagnosable records as events plus the 'npsext' trace summary",
        artifacts=(CAPTURE_OVERVIEW, NPSEXT_SUMMARY),
        sieve_events=lambda inp: inp.role == "NPSExtension",  # the extension's trace: every record with a text
    )
)
