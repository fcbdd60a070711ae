"""The bundle's other files: registry dumps, NPS_EventLog.log, the accounting log and nettrace.etl.

Each file is read back with the project's readers (regdump + config_checks, the wevtutil text reader, the NPS
log reader, the ETL packet extractor + capture summary) and compared with what the generator planned; the
capture is also read by dissect.etl (an independent, test-only reader). Scenario signatures are checked on
the read-back data: what the expected diagnosis claims must be visible in the files.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from nps_trace_analyzer.analysis.config_checks import check_before_after
from nps_trace_analyzer.cli.synth import synth_cmd
from nps_trace_analyzer.net import radius as rad
from nps_trace_analyzer.net.capture_summary import CaptureSummary, is_mfa_endpoint, summarize
from nps_trace_analyzer.sources.etl import EtlStats
from nps_trace_analyzer.sources.etl.packets import NDIS_PACKET_CAPTURE, PacketStats, iter_file_packets
from nps_trace_analyzer.sources.etl.reader import filetime_to_datetime
from nps_trace_analyzer.sources.iaslog import pair_requests, read_nps_log
from nps_trace_analyzer.sources.nps_eventlog_text import read_wevtutil_text
from nps_trace_analyzer.sources.regdump import authsrv_parameters, azuremfa_values, read_registry_file
from nps_trace_analyzer.sources.text_decode import TextReadStats
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, BundlePlan, build_bundle, write_plan
from nps_trace_analyzer.synth.capture import CAPTURE_NAME
from nps_trace_analyzer.synth.capture_radius import client_secret, hide_password, shared_secret
from nps_trace_analyzer.synth.etl.writer import datetime_to_filetime
from nps_trace_analyzer.synth.scenarios import SCENARIOS
from nps_trace_analyzer.synth.scenarios.registry import (
    AFTER_AUTHSRV,
    AFTER_AZUREMFA,
    BEFORE_AUTHSRV,
    BEFORE_AZUREMFA,
)
from nps_trace_analyzer.synth.scenarios.wire import CALL_OK, CALL_TCP_NO_ANSWER, CALL_TLS_LEGACY

HOST, SEED = "NPS03", 21
COMPUTER = "NPS03.contoso.local"
TLS12, TLS11 = 0x0303, 0x0302


def _write(tmp_path: Path, names: list[str], healthy: int = 4, **kwargs: object) -> tuple[BundlePlan, Path]:
    plan = build_bundle(names, seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=healthy, **kwargs)  # type: ignore[arg-type]
    folder = write_plan(plan, tmp_path / "-".join(names))
    return plan, folder


def _config_incidents(plan: BundlePlan) -> set[str]:
    return {i["primary_code"] for i in plan.expected["incidents"] if i["kind"] == "server-config"}  # type: ignore[index,union-attr]


def _incidents(plan: BundlePlan) -> list[dict[str, object]]:
    return plan.expected["incidents"]  # type: ignore[return-value]


# --- registry dumps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "problems"),
    [
        ("healthy", set()),
        ("extension-dlls-missing", {"CONFIG-EXTENSION-DLLS-MISSING"}),
        ("pre-2023-endpoints", {"CONFIG-PRE-2023-ENDPOINTS"}),
        ("gov-cloud", set()),
        ("registry-missing-key", {"CONFIG-REQUIRED-VALUE-MISSING"}),
        ("nas-attributes-missing", set()),
    ],
)
def test_registry_dumps_read_back_and_give_the_expected_verdicts(
    tmp_path: Path, scenario: str, problems: set[str]
) -> None:
    plan, folder = _write(tmp_path, [scenario])
    assert set(plan.registry) == {BEFORE_AZUREMFA, BEFORE_AUTHSRV, AFTER_AZUREMFA, AFTER_AUTHSRV}
    dumps = {}
    for name, planned in plan.registry.items():
        raw = (folder / name).read_bytes()
        assert raw.startswith(codecs.BOM_UTF16_LE) and b"\r\x00\n\x00" in raw  # PowerShell's redirect: UTF-16 LE
        stats = TextReadStats()
        dump = read_registry_file(folder / name, stats)
        assert not stats.error and stats.records_skipped == 0
        values = dump[planned.key]
        assert [(n, v.type) for n, v in values.items()] == [(n, t) for n, t, _ in planned.values]
        for n, _t, data in planned.values:
            got = values[n].value
            assert (list(got) if isinstance(got, (list, tuple)) else got) == data
        dumps[name] = dump
    checks = check_before_after(
        azuremfa_values(dumps[BEFORE_AZUREMFA]),
        authsrv_parameters(dumps[BEFORE_AUTHSRV]),
        azuremfa_values(dumps[AFTER_AZUREMFA]),
        authsrv_parameters(dumps[AFTER_AUTHSRV]),
    )
    flagged = {c.code for c in checks if c.status in ("problem", "warning")}
    assert flagged == problems
    assert _config_incidents(plan) == problems
    comparison = [c for c in checks if c.check_id.startswith("changed-during-capture-azuremfa")]
    assert comparison and comparison[0].status == "info" and comparison[0].code is None  # only VERBOSE_LOG
    infos = {c.code for c in checks if c.status == "info" and c.code}
    assert ("CONFIG-GOV-CLOUD" in infos) == (scenario == "gov-cloud")
    for incident in _incidents(plan):
        if incident["kind"] == "server-config":
            assert incident["server"] == COMPUTER
            expected_category = "installation" if "DLLS" in str(incident["primary_code"]) else "configuration"
            assert incident["category"] == expected_category and incident["benign"] is False


def test_without_registry_dumps_no_configuration_incident_is_expected() -> None:
    plan = build_bundle(["extension-dlls-missing"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=2, skip=["registry"])
    assert plan.registry == {} and _incidents(plan) == []


# --- NPS_EventLog.log --------------------------------------------------------------------------------------


def test_eventlog_text_reads_back_as_the_security_events(tmp_path: Path) -> None:
    plan, folder = _write(tmp_path, ["primary-auth-failed", "http-connect-error", "user-not-found"], healthy=6)
    (name, specs), *_ = plan.eventlog_text.items()
    assert name == "NPS_EventLog.log" and specs == plan.files["Security.evtx"]
    assert (folder / name).read_bytes().startswith(codecs.BOM_UTF16_LE)
    stats = TextReadStats()
    events = list(read_wevtutil_text(folder / name, name, stats))
    assert stats.records_skipped == 0 and not stats.error
    assert len(events) == len(specs)
    assert {e.event_id for e in events} == {6272, 6273, 6274}
    for event, spec in zip(events, specs, strict=True):
        assert event.event_id == spec.event_id
        assert event.time == spec.time
        assert event.computer == spec.computer == COMPUTER
        assert event.channel == "Security"
        read = dict((n, v) for n, v in event.data if n)
        for key, value in spec.event_data or ():
            assert read.get(key, "-") == value, key


# --- accounting log ----------------------------------------------------------------------------------------


def test_accounting_log_reads_back_with_the_users_authentication_types(tmp_path: Path) -> None:
    plan, folder = _write(tmp_path, ["challenge-no-result", "request-missing-code", "primary-auth-failed"], healthy=8)
    ((name, rows),) = plan.accounting.items()
    assert name == "IN250312.log"
    stats = TextReadStats()
    records = list(read_nps_log(folder / name, name, stats))
    assert stats.records_skipped == 0 and len(records) == len(rows)
    assert all(r.server == HOST for r in records)
    transactions = pair_requests(records)
    processed = [a for a in plan.attempts if a.logged]
    assert len(transactions) == sum(len(a.rounds) for a in processed)
    for incident in _incidents(plan):
        if incident["kind"] == "challenge-no-result":
            user = str(incident["user"])
            mschap = [t for t in transactions if t.user == user and t.request and t.auth_type_name == "MS-CHAP v2"]
            assert len(mschap) == 1, user  # (healthy PAP sign-ins besides)
    rejects = {(t.user, t.reason_code) for t in transactions if t.outcome == "reject"}
    for incident in _incidents(plan):
        if incident["kind"] == "nps-reject":
            assert (incident["user"], 16) in rejects
        if incident["primary_code"] == "REQUEST_MISSING_CODE":
            attempt = next(a for a in plan.attempts if a.reason == 21 and a.nas.key == "rdg")
            assert (attempt.user, 21) in rejects
            assert any(t.user == attempt.user and t.auth_type_name == "MS-CHAP v2" for t in transactions)


def test_no_accounting_log_unless_a_scenario_keeps_one() -> None:
    plan = build_bundle(["user-not-found"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=2)
    assert plan.accounting == {}


# --- nettrace.etl ------------------------------------------------------------------------------------------


def _summary(folder: Path) -> CaptureSummary:
    etl_stats, packet_stats = EtlStats(), PacketStats()
    summary = summarize(iter_file_packets(str(folder / CAPTURE_NAME), etl_stats, packet_stats))
    assert etl_stats.skipped == 0 and not etl_stats.warnings
    assert packet_stats.incomplete == 0 and packet_stats.malformed == 0 and packet_stats.duplicates == 0
    assert summary.radius_malformed == 0 and summary.orphan_radius_responses == 0
    return summary


def _check_radius(plan: BundlePlan, summary: CaptureSummary) -> None:
    """Every planned round is one exchange with the planned times, protocol, answer and retransmissions."""
    rounds = sorted(
        ((attempt, round_) for attempt in plan.attempts for round_ in attempt.rounds),
        key=lambda pair: pair[1].sent,
    )
    exchanges = sorted(summary.radius, key=lambda e: e.request_filetime)
    assert len(exchanges) == len(rounds)
    for (attempt, round_), exchange in zip(rounds, exchanges, strict=True):
        nas = attempt.nas
        assert exchange.request_filetime == datetime_to_filetime(round_.sent)
        assert (exchange.nas, exchange.nas_port, exchange.server_port) == (nas.ip, nas.port, 1812)
        assert exchange.user_name == attempt.user
        assert exchange.protocol == nas.protocol
        assert exchange.has_message_authenticator == (nas.message_authenticator or nas.protocol == "EAP")
        assert exchange.has_proxy_state == nas.proxy_state
        assert exchange.nas_ip == (None if nas.nas_ip == "-" else nas.nas_ip)
        assert exchange.response_code == round_.answer
        if round_.answered is not None:
            assert exchange.response_filetime == datetime_to_filetime(round_.answered)
        resent = round_.retransmissions(nas)
        assert exchange.retransmission_filetimes == [datetime_to_filetime(t) for t in resent]
        assert exchange.answered_after_retry == bool(resent)
        if round_.state_in is not None:
            assert exchange.follows_challenge


def _check_calls(plan: BundlePlan, summary: CaptureSummary) -> None:
    """Every planned call is one TCP attempt to an MFA endpoint, answered or not as planned."""
    calls = [call for attempt in plan.attempts for call in attempt.calls]
    attempts = {round(t.syn_time.timestamp(), 6): t for t in summary.tcp}
    handshakes = {(h.client, h.client_port): h for h in summary.tls}
    for call in calls:
        tcp = next(
            t for t in summary.tcp if abs(t.syn_time - call.time) < timedelta(seconds=1) and t.server_name == call.host
        )
        assert tcp.server_port == 443 and tcp.mfa_endpoint
        if call.outcome == CALL_TCP_NO_ANSWER:
            assert tcp.outcome == "no-answer" and tcp.syn_retransmissions == 2
            continue
        assert tcp.outcome == "synack"
        hello = handshakes[(tcp.client, tcp.client_port)]
        assert hello.sni == call.host and is_mfa_endpoint(hello.sni)
        if call.outcome == CALL_TLS_LEGACY:
            assert hello.client_versions == (TLS11,) and hello.server_version is None
            assert hello.alerts == [("server", "protocol_version", True)]
        else:
            assert call.outcome == CALL_OK
            assert hello.client_versions == (TLS12,) and hello.server_version == TLS12 and not hello.alerts
    # The extension's own token fetches come on top of the scenario's calls; nothing else talks HTTPS.
    assert len(attempts) == len(summary.tcp) >= len(calls)
    for query in summary.dns:
        assert query.mfa_endpoint and query.rcode == 0 and query.answers


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_capture_reads_back_as_planned(tmp_path: Path, name: str) -> None:
    plan, folder = _write(tmp_path, [name], healthy=3)
    summary = _summary(folder)
    _check_radius(plan, summary)
    _check_calls(plan, summary)
    assert summary.packets == len(plan.captures[CAPTURE_NAME].frames)


def _pap_secret(exchange_payload: bytes, secret: bytes) -> str:
    """Undo RFC 2865 User-Password hiding: the test's own implementation, not the generator's."""
    message = rad.decode_radius(exchange_payload)
    assert message is not None
    hidden = message.get(rad.USER_PASSWORD)
    assert hidden is not None
    out, previous = b"", message.authenticator
    for start in range(0, len(hidden), 16):
        key = hashlib.md5(secret + previous, usedforsecurity=False).digest()
        block = hidden[start : start + 16]
        out += bytes(a ^ b for a, b in zip(block, key, strict=True))
        previous = block
    return out.rstrip(b"\x00").decode()


def test_radius_crypto_verifies_with_the_shared_secrets(tmp_path: Path) -> None:
    """PAP passwords decode, Message-Authenticators and Response Authenticators verify (wrong secret: they fail)."""
    plan, _folder = _write(tmp_path, ["oath-code-incorrect", "radius-shared-secret", "radius-proxy-state-4418"])
    from nps_trace_analyzer.net.frames import decode_frame

    trace = plan.captures[CAPTURE_NAME]
    requests: dict[tuple[str, int], bytes] = {}
    by_address = {a.nas.ip: a.nas for a in plan.attempts}
    secrets_seen = set()
    for frame in trace.frames:
        dgram = decode_frame(frame.data, 1)
        if dgram is None or not dgram.is_udp or 1812 not in (dgram.sport, dgram.dport):
            continue
        payload = dgram.payload
        message = rad.decode_radius(payload)
        assert message is not None
        if message.is_request:
            nas = by_address[dgram.src]
            requests[(dgram.src, message.identifier)] = message.authenticator
            if message.has_message_authenticator:
                zeroed = bytearray(payload)
                pos = 20
                while pos < len(zeroed):
                    if zeroed[pos] == rad.MESSAGE_AUTHENTICATOR:
                        zeroed[pos + 2 : pos + 18] = bytes(16)
                    pos += zeroed[pos + 1]
                mac = hmac.new(shared_secret(nas), bytes(zeroed), hashlib.md5).digest()
                assert (mac == message.get(rad.MESSAGE_AUTHENTICATOR)) == nas.secret_matches
                secrets_seen.add(nas.secret_matches)
            if message.auth_protocol == "PAP":
                text = _pap_secret(payload, client_secret(nas))
                assert text.endswith("-2025!") or (text.isdigit() and len(text) == 6)
        else:
            nas = by_address[dgram.dst]
            request_auth = requests[(dgram.dst, message.identifier)]
            unsigned = payload[:4] + request_auth + payload[20:]
            assert hashlib.md5(unsigned + shared_secret(nas), usedforsecurity=False).digest() == message.authenticator
    assert secrets_seen == {True, False}


def test_hide_password_matches_rfc_2865_for_long_passwords() -> None:
    secret, authenticator = b"s3cret", bytes(range(16))
    hidden = hide_password(b"a" * 20, secret, authenticator)
    assert len(hidden) == 32
    first = hashlib.md5(secret + authenticator, usedforsecurity=False).digest()
    assert hidden[:16] == bytes(a ^ b for a, b in zip(b"a" * 16, first, strict=True))
    second = hashlib.md5(secret + hidden[:16], usedforsecurity=False).digest()
    assert hidden[16:] == bytes(a ^ b for a, b in zip(b"aaaa" + bytes(12), second, strict=True))


def _exchanges_of(summary: CaptureSummary, user: str) -> list:  # type: ignore[type-arg]
    return [e for e in summary.radius if e.user_name == user]


def test_failure_signatures_are_in_the_capture(tmp_path: Path) -> None:
    """What expected.json claims from the capture is visible there, at the incident's time and user."""
    names = [
        "https-tls12-disabled",
        "http-connect-error",
        "challenge-no-result",
        "request-missing-code",
        "invalid-session",
        "radius-proxy-state-4418",
        "nas-short-timeout",
    ]
    plan, folder = _write(tmp_path, names, healthy=10)
    summary = _summary(folder)
    incidents = _incidents(plan)
    legacy = [h for h in summary.tls if TLS12 not in h.client_versions]
    no_answer = [t for t in summary.tcp if t.outcome == "no-answer"]
    assert len(legacy) == 4 and len(no_answer) == 3
    assert all(h.mfa_endpoint and any(fatal for _s, _n, fatal in h.alerts) for h in legacy)
    by_code: dict[str, list[dict[str, object]]] = {}
    for incident in incidents:
        for code in [incident["primary_code"], *incident.get("codes", [])]:  # type: ignore[list-item]
            by_code.setdefault(str(code), []).append(incident)
    assert len(by_code["CAPTURE-TLS-LEGACY-ONLY"]) == 4 and len(by_code["CAPTURE-TCP-NO-ANSWER"]) == 3
    non_pap = by_code["CAPTURE-NON-PAP-PROTOCOL"]
    assert {i["kind"] for i in non_pap} == {"challenge-no-result", "sign-in"} and len(non_pap) == 4
    for incident in non_pap:
        if incident["kind"] == "challenge-no-result":
            (exchange,) = [e for e in _exchanges_of(summary, str(incident["user"])) if e.protocol == "MS-CHAPv2"]
            assert exchange.response_name == "Access-Challenge" and exchange.response_state
            assert not [e for e in summary.radius if e.state == exchange.response_state and e is not exchange]
    retransmitting = {e.nas for e in summary.radius if e.answered_after_retry}
    servers = {str(i["nas"]) for i in by_code["CAPTURE-NAS-RETRANSMISSION"] if i["kind"] == "server"}
    assert retransmitting == servers == {"10.10.1.10", "10.10.1.30"}
    short = [e for e in summary.radius if e.nas == "10.10.1.30"]
    assert short and all(e.retry_interval == pytest.approx(5.0) and e.retransmissions == 3 for e in short)
    sessions = [i for i in by_code["CAPTURE-NAS-RETRANSMISSION"] if i["kind"] == "sign-in"]
    assert [i["primary_code"] for i in sessions] == ["InvalidSession", "InvalidSession"]
    (hardening,) = by_code["CAPTURE-NO-MESSAGE-AUTHENTICATOR"]
    assert hardening["primary_code"] == "SYSTEM-NPS-4418"
    dropped = [e for e in summary.radius if e.has_proxy_state]
    assert len(dropped) == 5 and all(not e.has_message_authenticator and e.response_code is None for e in dropped)


def test_extension_dlls_missing_means_no_mfa_traffic_at_all(tmp_path: Path) -> None:
    plan, folder = _write(tmp_path, ["extension-dlls-missing"], healthy=5)
    summary = _summary(folder)
    assert not summary.tcp and not summary.dns and not summary.tls
    assert {e.response_name for e in summary.radius if e.request_code == 1} <= {"Access-Accept", "Access-Challenge"}
    assert not any(plan.files[n] for n in plan.files if "_Auth" in n)
    assert {s.event_id for s in plan.files["Security.evtx"]} == {6272}
    assert [(i["kind"], i["primary_code"]) for i in _incidents(plan)] == [
        ("server-config", "CONFIG-EXTENSION-DLLS-MISSING")
    ]


def test_nps_auditing_disabled_leaves_only_the_extension_events() -> None:
    plan = build_bundle(["nps-auditing-disabled"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=12)
    assert plan.files["Security.evtx"] == () and plan.eventlog_text == {} and plan.accounting == {}
    mfa = [s for n, specs in plan.files.items() if "_Auth" in n for s in specs]
    assert mfa and not [s for s in mfa if "Challenge requested" in str(s.event_data)]
    summary = sorted((i["kind"], i["primary_code"], tuple(i.get("codes", ()))) for i in _incidents(plan))  # type: ignore[arg-type]
    assert summary == [
        ("nps-reject", "SECONDARY_AUTH_ACCESS_REJECT", ()),
        ("server-config", "NPS-AUDITING-DISABLED", ()),
        ("sign-in", "USERNAME_CANONICALIZATION_ERROR", ()),
    ]


def test_solo_scenarios_stay_out_of_all_but_combine_consistently() -> None:
    everything = build_bundle(["all"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=0)
    codes = {i["primary_code"] for i in _incidents(everything)}
    assert "NPS-AUDITING-DISABLED" not in codes and "CONFIG-EXTENSION-DLLS-MISSING" not in codes
    assert "NPS-REASON-16" in codes
    mixed = build_bundle(
        ["nps-auditing-disabled", "primary-auth-failed", "oath-code-incorrect"],
        seed=SEED,
        host=HOST,
        day=DEFAULT_DAY,
        healthy=4,
    )
    incidents = _incidents(mixed)
    assert not [c for i in incidents for c in i.get("codes", []) if str(c).startswith("NPS-REASON")]  # type: ignore[union-attr]
    rejects = [i for i in incidents if i["kind"] == "nps-reject"]
    assert len(rejects) == 4 and {i["primary_code"] for i in rejects} == {"SECONDARY_AUTH_ACCESS_REJECT"}
    assert {i["primary_code"] for i in incidents if i["kind"] == "sign-in"} == {
        "USERNAME_CANONICALIZATION_ERROR",
        "OathCodeIncorrect",
    }


def test_skipping_the_capture_drops_its_codes() -> None:
    full = build_bundle(["invalid-session", "https-tls12-disabled"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=2)
    bare = build_bundle(
        ["invalid-session", "https-tls12-disabled"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=2, skip=["nettrace"]
    )
    assert bare.captures == {} and CAPTURE_NAME in full.captures
    assert bare.files == full.files
    assert "CAPTURE" in json.dumps(full.expected) and "CAPTURE" not in json.dumps(bare.expected)
    with pytest.raises(ValueError, match="audit source"):
        build_bundle(
            ["healthy"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=1, skip=["security-evtx", "eventlog-text"]
        )
    with pytest.raises(KeyError):
        build_bundle(["healthy"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=1, skip=["pcap"])


def test_cli_skip_writes_a_text_only_audit_bundle(tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = CliRunner().invoke(
        synth_cmd, ["user-not-found", "-o", str(out), "--skip", "security-evtx", "--skip", "nettrace"]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert "Security.evtx" not in names and "nettrace.etl" not in names and "NPS_EventLog.log" in names
    both = CliRunner().invoke(
        synth_cmd, ["healthy", "-o", str(tmp_path / "c"), "--skip", "security-evtx", "--skip", "eventlog-text"]
    )
    assert both.exit_code == 2 and "audit source" in both.output


# --- the capture through a second reader -------------------------------------------------------------------


def test_capture_reads_the_same_with_dissect_etl(tmp_path: Path) -> None:
    """dissect.etl (AGPL, test-only) sees the same events: count, provider, payload bytes, time, keywords.

    dissect reads EVENT_HEADER provider GUIDs with ``bytes`` instead of ``bytes_le``; the comparison undoes it.
    Its times are floating point (within 5 µs).
    """
    dissect_etl = pytest.importorskip("dissect.etl", reason="dissect.etl (test-only oracle) is not installed")
    plan, folder = _write(tmp_path, ["all"], healthy=10)
    planned = plan.captures[CAPTURE_NAME].events
    with (folder / CAPTURE_NAME).open("rb") as fh:
        records = [rec.header for rec in dissect_etl.ETL(fh)]
    events = [h for h in records if type(h).__name__ == "EventHeader"]
    assert len(records) == len(events) + 1  # plus the logfile header
    assert len(events) == len(planned)
    theirs = sorted(
        (h.timestamp, bytes(h.payload), uuid.UUID(bytes_le=h.provider_id.bytes), h.header.Id, h.header.Keywords)
        for h in events
    )
    ours = sorted((filetime_to_datetime(e.filetime), e.payload, e.provider, e.event_id, e.keywords) for e in planned)
    for (t_time, t_payload, t_provider, t_id, t_kw), (o_time, o_payload, o_provider, o_id, o_kw) in zip(
        theirs, ours, strict=True
    ):
        assert abs(t_time - o_time) <= timedelta(microseconds=5)
        assert t_payload == o_payload
        assert t_provider == o_provider == NDIS_PACKET_CAPTURE
        assert (t_id, t_kw) == (o_id, o_kw) == (1001, o_kw)


# --- NPSExtension.etl --------------------------------------------------------------------------------------


def test_extension_trace_carries_the_event_log_texts(tmp_path: Path) -> None:
    """Every AzureMfa event's message is a text of the extension's trace, at its time, level and provider."""
    npsext = pytest.importorskip("nps_trace_analyzer.sources.etl.npsext")
    plan, folder = _write(tmp_path, ["user-not-found", "ip-whitelist-benign", "https-tls12-disabled"], healthy=4)
    ((name, planned),) = plan.extension_traces.items()
    assert name == "NPSExtension.etl"
    mfa = sorted(
        (spec for n, specs in plan.files.items() if "_Auth" in n for spec in specs), key=lambda spec: spec.time
    )
    assert [r.message for r in planned.records] == [spec.extra["message"] for spec in mfa]
    trace = npsext.summarize_npsext(folder / name)
    assert trace.logger_name == "NPSExtension" and trace.stats.skipped == 0
    reader = pytest.importorskip("nps_trace_analyzer.sources.etl.reader")
    records = npsext.iter_npsext_records(reader.EtlReader(folder / name))
    texts = [(r.time, r.provider, r.level, r.text) for r in records if r.text]
    for record in planned.records:
        hits = [t for t in texts if t[3] == record.message and abs(t[0] - record.time) <= timedelta(microseconds=1)]
        assert len(hits) == 1, record.message
        _when, provider, level, _text = hits[0]
        assert level == record.level
        assert str(record.provider).lower() in provider.lower()
    joined = " ".join(t[3] for t in texts)
    for incident in _incidents(plan):
        if incident["kind"] == "sign-in":
            assert str(incident["cid"]) in joined


# --- server settings and the wire model --------------------------------------------------------------------


def test_settings_merge_by_field_and_compose_clouds_with_layouts() -> None:
    from nps_trace_analyzer.analysis.config_checks import check_server_config
    from nps_trace_analyzer.synth.scenarios.registry import authsrv_values, azuremfa_values, expected_config_codes
    from nps_trace_analyzer.synth.scenarios.settings import merge

    merged = merge([{"cloud": "government"}, {"endpoints": "pre-2023"}, {"missing_values": ("STS_URL",)}])
    assert merged.mfa_host == "adnotifications.windowsazure.us" and merged.resource_host is None
    assert merge([{"auditing": False}, {"auditing": True}]).auditing is False  # off wins
    assert merge([{"accounting": True}, {"accounting": False}]).accounting is True  # kept by any scenario
    assert merge([{"missing_values": ("A",)}, {"missing_values": ("B", "A")}]).missing_values == ("A", "B")
    with pytest.raises(KeyError):
        merge([{"no_such_setting": 1}])
    values = {name: (typ, data) for name, typ, data in azuremfa_values(merged, verbose=True)}
    authsrv = {name: (typ, tuple(data)) for name, typ, data in authsrv_values(merged)}  # type: ignore[call-overload]
    checks = check_server_config(values, authsrv)
    flagged = {c.code for c in checks if c.status in ("problem", "warning")}
    assert (
        flagged == set(expected_config_codes(merged)) == {"CONFIG-PRE-2023-ENDPOINTS", "CONFIG-REQUIRED-VALUE-MISSING"}
    )
    assert "CONFIG-GOV-CLOUD" in {c.code for c in checks if c.status == "info"}


def test_clients_resend_only_while_waiting_for_an_answer() -> None:
    from nps_trace_analyzer.synth.scenarios.wire import Round
    from nps_trace_analyzer.synth.scenarios.world import NAS_CLIENTS

    sent = datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc)
    fortigate, vpn = NAS_CLIENTS["fortigate"], NAS_CLIENTS["vpn"]
    slow = Round(sent=sent, answer=2, answered=sent + timedelta(seconds=21))
    assert [(t - sent).total_seconds() for t in slow.retransmissions(fortigate)] == [5.0, 10.0, 15.0]
    assert slow.retransmissions(vpn) == []  # 30 s timeout: answered in time
    late = Round(sent=sent, answer=3, answered=sent + timedelta(seconds=200))
    assert len(late.retransmissions(vpn)) == vpn.retries == 3
    assert Round(sent=sent).retransmissions(fortigate) == []  # never answered: sent once (one logged drop each)
