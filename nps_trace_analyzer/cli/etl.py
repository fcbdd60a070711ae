"""The ``pcap`` command: packets of an ETL trace (netsh trace / pktmon) to a pcapng file tshark reads.

Registered on the main click group by :func:`register` (called from :mod:`nps_trace_analyzer.cli`), so this
module owns its command without touching the rest of the CLI.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from nps_trace_analyzer.core.exit_codes import ExitCode, interrupted_code
from nps_trace_analyzer.core.interrupt import Interrupted, signals_raise
from nps_trace_analyzer.core.safe_text import terminal_safe
from nps_trace_analyzer.intake.bundle import not_regular_reason
from nps_trace_analyzer.net.capture_summary import CaptureAnalyzer, CaptureSummary
from nps_trace_analyzer.net.tcp_tls import version_name
from nps_trace_analyzer.report.output_dir import DiskFullError, OutputError, atomic_file
from nps_trace_analyzer.report.pcapng import PcapngWriter
from nps_trace_analyzer.report.redact_cli import redact_options, redactor_from_options, save_map
from nps_trace_analyzer.report.redact_frames import FrameRedactor
from nps_trace_analyzer.sources.etl.packets import Packet, PacketExtractor, PacketStats
from nps_trace_analyzer.sources.etl.reader import EtlReader, EtlStats


def _echo(line: str = "", err: bool = False) -> None:
    """Print a line that may carry names from the trace (users, DNS names, SNI) with controls escaped."""
    click.echo(terminal_safe(line), err=err)


class _NoEvents(Exception):
    """Nothing could be read from the trace: no pcapng is written (a header-only file would look like a result)."""


def _print_summary(summary: CaptureSummary) -> None:
    """Short text view of the findings, most relevant first (RADIUS, then the MFA endpoints)."""
    _echo(f"RADIUS: {len(summary.radius)} request(s), {summary.orphan_radius_responses} unmatched response(s)")
    for ex in summary.radius[:50]:
        delay = "no answer" if ex.response_delay is None else f"{ex.response_name} after {ex.response_delay:.3f}s"
        extra = []
        if ex.retransmissions:
            extra.append(f"{ex.retransmissions} retransmission(s), NAS retry {ex.retry_interval:.1f}s")
        if ex.answered_after_retry:
            extra.append("answered after the NAS retried")
        if ex.protocol == "EAP" and ex.eap_type_name:
            extra.append(f"EAP {ex.eap_type_name}")
        if ex.request_code == 1 and not ex.has_message_authenticator:
            extra.append("no Message-Authenticator")
        _echo(
            f"  {ex.request_time.isoformat()} {ex.nas}:{ex.nas_port} -> {ex.server}:{ex.server_port} "
            f"id {ex.identifier} {ex.request_name} {ex.protocol} user={ex.user_name or '-'}: {delay}"
            + (f" ({'; '.join(extra)})" if extra else "")
        )
    mfa_dns = [q for q in summary.dns if q.mfa_endpoint]
    _echo(f"DNS: {len(summary.dns)} question(s), {len(mfa_dns)} for MFA endpoints")
    for q in mfa_dns[:20]:
        answer = q.rcode_name or "no answer"
        _echo(f"  {q.query_time.isoformat()} {q.name}: {answer} {[d for _t, d in q.answers][:4]}")
    _echo(f"TCP: {len(summary.tcp)} connection attempt(s)")
    for a in summary.tcp:
        if a.outcome != "synack" or a.mfa_endpoint:
            name = f" ({a.server_name})" if a.server_name else ""
            _echo(f"  {a.syn_time.isoformat()} {a.client} -> {a.server}:{a.server_port}{name}: {a.outcome}")
    _echo(f"TLS: {len(summary.tls)} handshake(s)")
    for h in summary.tls:
        if h.mfa_endpoint or h.alerts:
            alerts = ", ".join(f"{who} {name}" for who, name, _fatal in h.alerts)
            offered = "/".join(version_name(v) for v in h.client_versions)
            _echo(
                f"  {h.sni or h.server}: offered {offered or '?'}, server {h.server_version_name or 'no ServerHello'}"
                + (f", alerts: {alerts}" if alerts else "")
            )


def register(group: click.Group) -> None:
    """Add the ``pcap`` command to ``group``."""

    @group.command("pcap")
    @click.argument("etl_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="pcapng file to write (default: the .etl name with .pcapng).",
    )
    @click.option(
        "--all-sightings",
        is_flag=True,
        help="Write every sighting of a packet (each NDIS layer / PktMon component), not just the first.",
    )
    @click.option("--no-comments", is_flag=True, help="Do not attach provider metadata as packet comments.")
    @click.option("--summary", is_flag=True, help="Also decode RADIUS, DNS, TCP and TLS and print what was found.")
    @redact_options
    def pcap_cmd(
        etl_file: Path,
        output: Path | None,
        all_sightings: bool,
        no_comments: bool,
        summary: bool,
        redact: bool,
        redact_key: str | None,
        redact_map: Path | None,
    ) -> None:
        """Extract NDIS-PacketCapture / PktMon packets from ETL_FILE into a pcapng file.

        With --redact, addresses and RADIUS/DNS names in the packets are replaced (report/redact_frames.py) and
        payloads that cannot be parsed are zeroed; --summary then prints nothing identifying either.
        """
        out = output or etl_file.with_suffix(".pcapng")
        redactor = redactor_from_options(redact, redact_key, redact_map, out, out_is_folder=False)
        frames = FrameRedactor(redactor) if redactor is not None else None
        reason = not_regular_reason(os.stat(etl_file).st_mode)
        if reason:
            _echo(f"error: {etl_file}: {reason}", err=True)
            sys.exit(ExitCode.NOTHING_READ)
        estats, pstats = EtlStats(), PacketStats()
        analyzer = CaptureAnalyzer() if summary else None
        try:
            with signals_raise(), atomic_file(out) as fh:
                reader = EtlReader(etl_file, estats)
                extractor = PacketExtractor(pstats)
                writer = PcapngWriter(fh, comments=not no_comments)

                def emit(packets: Iterable[Packet]) -> None:
                    for packet in packets:
                        if frames is not None:
                            data = frames.frame(packet.data, packet.link_type)
                            length = packet.original_length if packet.truncated else len(data)
                            packet = dataclasses.replace(packet, data=data, original_length=length)
                        if all_sightings or packet.first:
                            writer.write(packet)
                        if analyzer is not None:
                            analyzer.feed(packet)

                for event in reader.events_sorted():
                    emit(extractor.feed(event))
                emit(extractor.finish())
                if estats.events == 0:
                    raise _NoEvents
        except _NoEvents:
            _echo(f"error: no events could be read from {etl_file}; {out} not written", err=True)
            for warning in estats.warnings[:10]:
                _echo(f"  warning: {warning}", err=True)
            sys.exit(ExitCode.NOTHING_READ)
        except DiskFullError as exc:
            _echo(f"error: {exc}; no pcapng written", err=True)
            sys.exit(ExitCode.DISK_FULL)
        except OutputError as exc:
            _echo(f"error: {exc}; no pcapng written", err=True)
            sys.exit(ExitCode.OUTPUT_UNWRITABLE)
        except OSError as exc:  # reading the trace failed
            _echo(f"error: {etl_file}: {exc}", err=True)
            sys.exit(ExitCode.NOTHING_READ)
        except Interrupted as exc:
            _echo(f"error: interrupted by {exc.signal_name}: no pcapng written", err=True)
            sys.exit(interrupted_code(exc.signum))
        _echo(
            f"{etl_file.name}: {estats.events} events in {estats.buffers} buffers "
            f"({estats.compressed_buffers} compressed); {pstats.packets} packet sightings, "
            f"{pstats.unique_packets} distinct packets; wrote {writer.stats.written} to {out}",
            err=True,
        )
        for warning in (estats.warnings + pstats.warnings)[:10]:
            _echo(f"  warning: {warning}", err=True)
        if estats.skipped:
            _echo(f"  {estats.skipped} damaged buffer(s)/record(s) skipped", err=True)
        if pstats.packets == 0:
            _echo("  no packet events (NDIS-PacketCapture 1001/1003, PktMon 160/170) in this trace", err=True)
        if analyzer is not None:
            _print_summary(analyzer.summary())
        if redactor is not None and redact_map is not None:
            save_map(redact_map, redactor)
