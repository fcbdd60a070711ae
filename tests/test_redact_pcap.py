"""``pcap --redact``: the exported capture keeps its structure (RADIUS exchanges, DNS, TLS to the MFA endpoints still
decode the same) while no user, NAS, station or address the generator put on the wire survives, as text or as the
packed 4-byte address."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from pathlib import Path

from click.testing import CliRunner
from test_redaction import leaks, originals

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.net.capture_summary import CaptureAnalyzer, CaptureSummary
from nps_trace_analyzer.report.pseudonym import Pseudonyms
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.redact_frames import FrameRedactor
from nps_trace_analyzer.sources.etl.packets import PacketExtractor, PacketStats
from nps_trace_analyzer.sources.etl.reader import EtlReader, EtlStats
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, build_bundle, generate_bundle

KWARGS = dict(seed=5, host="NPS01", day=DEFAULT_DAY, healthy=30)


def _summary(etl: Path, frames: FrameRedactor | None) -> CaptureSummary:
    analyzer, extractor = CaptureAnalyzer(), PacketExtractor(PacketStats())
    for event in EtlReader(etl, EtlStats()).events_sorted():
        for packet in extractor.feed(event):
            if frames is not None:
                data = frames.frame(packet.data, packet.link_type)
                packet = dataclasses.replace(packet, data=data, original_length=len(data))
            analyzer.feed(packet)
    return analyzer.summary()


def test_redacted_capture_decodes_the_same(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["all"], **KWARGS)
    plain = _summary(bundle / "nettrace.etl", None)
    redactor = Redactor(Pseudonyms.key_from_text("k"))
    redacted = _summary(bundle / "nettrace.etl", FrameRedactor(redactor))
    assert plain.radius and len(redacted.radius) == len(plain.radius)
    assert [x.request_name for x in redacted.radius] == [x.request_name for x in plain.radius]
    assert [x.response_name for x in redacted.radius] == [x.response_name for x in plain.radius]
    assert [x.protocol for x in redacted.radius] == [x.protocol for x in plain.radius]
    assert [x.retransmissions for x in redacted.radius] == [x.retransmissions for x in plain.radius]
    # Names of people change, consistently with the reports' pseudonyms; addresses stay addresses.
    for before, after in zip(plain.radius, redacted.radius, strict=True):
        if before.user_name:
            assert after.user_name == redactor.text(before.user_name) != before.user_name
        assert ipaddress.ip_address(after.nas) != ipaddress.ip_address(before.nas)
    # DNS questions for the Microsoft endpoints and the TLS handshakes to them are untouched.
    assert [q.name for q in redacted.dns if q.mfa_endpoint] == [q.name for q in plain.dns if q.mfa_endpoint]
    assert len(redacted.tls) == len(plain.tls)
    assert [h.sni for h in redacted.tls] == [h.sni for h in plain.tls]


def test_pcap_redact_leaves_no_identifier(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["all"], **KWARGS)
    secrets = originals(build_bundle(["all"], **KWARGS), "NPS01")
    out = tmp_path / "out" / "capture.pcapng"
    out.parent.mkdir()
    mapping = tmp_path / "map.json"
    args = ["pcap", str(bundle / "nettrace.etl"), "-o", str(out), "--summary", "--redact", "--redact-map", str(mapping)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "RADIUS:" in result.output and "user=user-" in result.output
    found = leaks(out.parent, secrets)
    assert not found, "\n".join(found[:20])
    data = out.read_bytes()
    packed = [ipaddress.ip_address(s).packed for s in secrets if _is_ip(s)]
    assert packed and not [p for p in packed if p in data]
    printed = [s for s in secrets if s.lower() in result.output.lower()]
    assert not printed, printed
    table = json.loads(mapping.read_text(encoding="utf-8"))
    assert "10.10.1.10" in table.values()


def test_pcap_map_cannot_be_the_capture(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["user-not-found"], **KWARGS)
    out = tmp_path / "c.pcapng"
    result = CliRunner().invoke(main, ["pcap", str(bundle / "nettrace.etl"), "-o", str(out), "--redact-map", str(out)])
    assert result.exit_code == 2


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
