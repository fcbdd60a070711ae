"""Synthetic NPSExtension.etl: what ``logman create trace "NPSExtension" -p {7237ED00-...}`` could record.

Why: no public NPSExtension.etl exists, and whether the extension's two providers log TraceLogging, WPP or
manifest events is unknown (``docs/reference/domain-facts.md`` §5.2, §9). The generator writes the
decodable case the analyzer is built for, TraceLogging events of {7237ED00-...} (and some of {EC2E6D3A-...})
whose "Message" field carries the extension's event-log texts, mixed with what the analyzer must survive:
WPP messages that need a TMF (their arguments are the only readable part), verbose noise and a second
provider. Provider and event *names* here are invented; only the GUIDs and the logman settings (circular
file, 1 MiB buffers, logger "NPSExtension") come from the bundle instructions.

Deterministic: the same records give the same bytes (no clock, no global random state).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.tracelogging import InType, OutType
from nps_trace_analyzer.synth.etl.tracelogging import (
    TlFieldSpec,
    encode_event,
    encode_provider_traits,
    tl_filetime,
    tl_guid,
    tl_int,
    tl_str,
    tl_wstr,
)
from nps_trace_analyzer.synth.etl.writer import EtlEventSpec, EtlWriter, datetime_to_filetime

#: The provider the bundle instructions enable first (logman create trace ... -p).
NPS_PROVIDER: Final = uuid.UUID("7237ed00-e119-430b-ab0f-c63360c8ee81")
#: The provider added by ``logman update trace`` (missing when the health-check script's bug bites).
NPS_PROVIDER_2: Final = uuid.UUID("ec2e6d3a-c958-4c76-8ea4-0262520886ff")
#: Invented TraceLogging provider names (the real ones, if any, are not public).
PROVIDER_NAMES: Final = {NPS_PROVIDER: "Synthetic.AzureMfa.NpsExtension", NPS_PROVIDER_2: "Synthetic.AzureMfa.Common"}
#: WPP message GUIDs (one per "source file" of the invented WPP side).
WPP_MESSAGE_GUIDS: Final = (
    uuid.UUID("5b0c2a1e-8a51-4f4e-9a2b-3f7c1d2e4a60"),
    uuid.UUID("a3f1e9d4-2c7b-4e8a-b1d6-7e5f0c9a8b21"),
)
WPP_OPTIONS: Final = (
    L.TRACE_MESSAGE_SEQUENCE | L.TRACE_MESSAGE_GUID | L.TRACE_MESSAGE_TIMESTAMP | L.TRACE_MESSAGE_SYSTEMINFO
)
_CID_LABEL = "CID:"
_NPS_PID: Final = 1872  # svchost hosting IAS


@dataclass(frozen=True)
class NpsExtTraceRecord:
    """One message the extension traces.

    ``wpp=True`` writes it as a WPP message whose only argument is the text as a UTF-16 string (undecodable
    without the TMF, but its printable strings still carry the text); otherwise a TraceLogging event of
    ``provider`` with the text in a "Message" field.
    """

    time: datetime
    message: str
    level: int = 4
    provider: uuid.UUID = NPS_PROVIDER
    wpp: bool = False


@dataclass(frozen=True)
class ExtendedEventSpec(EtlEventSpec):
    """An EVENT_HEADER record with extended data items (the TraceLogging traits and schema) and extra
    header flags (e.g. STRING_ONLY for an EventWriteString event)."""

    extended: tuple[tuple[int, bytes], ...] = ()
    flags: int = 0


@dataclass(frozen=True)
class WppMessageSpec(EtlEventSpec):
    """A WPP MESSAGE_TRACE_HEADER record: ``provider`` is the message GUID, ``event_id`` the message number."""

    sequence: int = 0


@dataclass(frozen=True)
class WrittenEvent:
    """What was written, for tests: kind "tracelogging" or "wpp", the fields (or WPP arguments) and bytes."""

    filetime: int
    provider: uuid.UUID
    kind: str
    level: int
    event_name: str
    fields: tuple[tuple[str, Any], ...]
    payload: bytes
    extended: tuple[tuple[int, bytes], ...]
    record: NpsExtTraceRecord | None  # None for generated noise


class NpsExtEtlWriter(EtlWriter):
    """:class:`EtlWriter` that also packs extended data items and WPP message records."""

    def _record(self, ev: EtlEventSpec) -> bytes:
        if isinstance(ev, WppMessageSpec):
            return self._wpp_record(ev)
        if isinstance(ev, ExtendedEventSpec) and (ev.extended or ev.flags):
            return self._extended_record(ev)
        return super()._record(ev)

    def _wpp_record(self, ev: WppMessageSpec) -> bytes:
        body = struct.pack("<I", ev.sequence) + ev.provider.bytes_le + struct.pack("<q", self._qpc(ev.filetime))
        body += struct.pack("<II", ev.thread_id, ev.process_id)
        size = L.MESSAGE_HEADER_SIZE + len(body) + len(ev.payload)
        marker = L.MARKER_TRACE_HEADER_FLAG | L.MARKER_TRACE_MESSAGE
        record = L.MESSAGE_HEADER.pack(size, 0, marker, ev.event_id, WPP_OPTIONS) + body + ev.payload
        return record + b"\x00" * ((-len(record)) % L.EVENT_ALIGNMENT)

    def _extended_record(self, ev: ExtendedEventSpec) -> bytes:
        items = b""
        for index, (ext_type, blob) in enumerate(ev.extended):
            total = 8 + len(blob) + ((-len(blob)) % 8)
            linkage = 1 if index < len(ev.extended) - 1 else 0
            items += (
                L.EXTENDED_ITEM.pack(total, ext_type, linkage, len(blob)) + blob + b"\x00" * (total - 8 - len(blob))
            )
        size = L.EVENT_HEADER_SIZE + len(items) + len(ev.payload)
        if size > 0xFFFF:
            raise ValueError(f"event of {size} bytes does not fit a 16-bit record size")
        marker = (L.MARKER_TRACE_HEADER_FLAG | L.MARKER_EVENT_TRACE) << 8 | L.HeaderType.EVENT_HEADER64
        flags = L.EVENT_FLAG_64_BIT_HEADER | ev.flags | (L.EVENT_FLAG_EXTENDED_INFO if ev.extended else 0)
        header = L.EVENT_HEADER.pack(
            size, marker, flags, 0,
            ev.thread_id, ev.process_id, self._qpc(ev.filetime), ev.provider.bytes_le,
            ev.event_id, ev.version, ev.channel, ev.level, ev.opcode, ev.task, ev.keywords, 0, 0,
            ev.activity_id.bytes_le if ev.activity_id else bytes(16),
        )  # fmt: skip
        record = header + items + ev.payload
        return record + b"\x00" * ((-len(record)) % L.EVENT_ALIGNMENT)


# --- event content ---------------------------------------------------------------------------------------

_FUNCTIONS: Final = (
    ("AuthzExt::ProcessRequest", 412),
    ("AuthzExt::SendMfaRequest", 877),
    ("AuthnExt::CheckPrimaryAuth", 133),
    ("MfaClient::GetToken", 291),
    ("MfaClient::PostConnector", 655),
)
_LEVEL_EVENT: Final = {1: "Critical", 2: "Error", 3: "Warning", 4: "Info", 5: "Verbose"}
_EVENT_HRESULT: Final = -2147467259  # 0x80004005 E_FAIL, the usual "something failed" on error events


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _cid_of(message: str) -> uuid.UUID | None:
    at = message.find(_CID_LABEL)
    if at < 0:
        return None
    token = message[at + len(_CID_LABEL) :].strip().split(" ", 1)[0]
    try:
        return uuid.UUID(token)
    except ValueError:
        return None


def _tl_fields(message: str, level: int, when: datetime) -> list[TlFieldSpec]:
    function, line = _FUNCTIONS[_stable(message) % len(_FUNCTIONS)]
    fields = [
        tl_wstr("Message", message),
        tl_str("Function", function),
        tl_int("Line", InType.UINT32, line),
        tl_guid("CorrelationId", _cid_of(message) or uuid.UUID(int=0)),
        tl_filetime("Logged", when),
    ]
    if level <= 2:
        fields.append(tl_int("Result", InType.INT32, _EVENT_HRESULT, OutType.HRESULT))
    return fields


def _tl_spec(
    provider: uuid.UUID, name: str, fields: Sequence[TlFieldSpec], when: datetime, level: int, seq: int
) -> tuple[ExtendedEventSpec, tuple[tuple[str, Any], ...]]:
    meta, payload = encode_event(name, fields)
    traits = encode_provider_traits(PROVIDER_NAMES.get(provider, str(provider)))
    spec = ExtendedEventSpec(
        provider=provider,
        event_id=0,
        filetime=datetime_to_filetime(when),
        payload=payload,
        level=level,
        keywords=0x1 if provider == NPS_PROVIDER else 0x2,
        channel=11,
        process_id=_NPS_PID,
        thread_id=2000 + (seq % 7) * 4,
        processor=seq % 2,
        extended=((L.EXT_PROV_TRAITS, traits), (L.EXT_EVENT_SCHEMA_TL, meta)),
    )
    values = tuple((f.name, f.value) for f in fields)
    return spec, values


def _wpp_args(*values: int | str) -> bytes:
    """WPP arguments as TraceMessage packs them: integers as ULONG, strings (%ws) as NUL-terminated UTF-16."""
    out = b""
    for value in values:
        out += struct.pack("<I", value) if isinstance(value, int) else value.encode("utf-16-le") + b"\x00\x00"
    return out


def _wpp_spec(when: datetime, seq: int, number: int, args: tuple[int | str, ...]) -> WppMessageSpec:
    return WppMessageSpec(
        provider=WPP_MESSAGE_GUIDS[number % len(WPP_MESSAGE_GUIDS)],
        event_id=number,
        filetime=datetime_to_filetime(when),
        payload=_wpp_args(*args),
        process_id=_NPS_PID,
        thread_id=2000 + (seq % 7) * 4,
        processor=seq % 2,
        sequence=seq,
    )


_VERBOSE: Final = (
    "Received RADIUS request; forwarding to the MFA service",
    "Sending request to https://strongauthenticationservice.auth.microsoft.com/StrongAuthenticationService.svc/"
    "Connector//BeginTwoWayAuthentication",
    "Token cache hit for tenant; reusing access token",
    "Response received from the MFA service in 1832 ms",
)
_CONFIG: Final = (
    "Loaded configuration: AZURE_MFA_HOSTNAME=strongauthenticationservice.auth.microsoft.com",
    "Client certificate found in LocalMachine\\My for the tenant's service principal",
)


def build_events(
    records: Iterable[NpsExtTraceRecord], *, noise: bool = True
) -> list[tuple[EtlEventSpec, WrittenEvent]]:
    """Turn records (plus deterministic noise) into writer specs and what each one is meant to decode to."""
    out: list[tuple[EtlEventSpec, WrittenEvent]] = []
    seq = 0

    def add_tl(
        provider: uuid.UUID,
        name: str,
        fields: list[TlFieldSpec],
        when: datetime,
        level: int,
        rec: NpsExtTraceRecord | None,
    ) -> None:
        nonlocal seq
        spec, values = _tl_spec(provider, name, fields, when, level, seq)
        seq += 1
        out.append(
            (spec, WrittenEvent(spec.filetime, provider, "tracelogging", level, name, values, spec.payload,
                                spec.extended, rec))
        )  # fmt: skip

    def add_wpp(when: datetime, number: int, args: tuple[int | str, ...], rec: NpsExtTraceRecord | None) -> None:
        nonlocal seq
        spec = _wpp_spec(when, seq, number, args)
        seq += 1
        values = tuple((f"arg{i + 1}", a) for i, a in enumerate(args))
        out.append((spec, WrittenEvent(spec.filetime, spec.provider, "wpp", 0, "", values, spec.payload, (), rec)))

    ordered = sorted(records, key=lambda r: r.time)
    for index, rec in enumerate(ordered):
        when = rec.time.astimezone(timezone.utc)
        if noise and index % 20 == 0:
            text = _CONFIG[(index // 20) % len(_CONFIG)]
            add_tl(
                NPS_PROVIDER_2, "Configuration", [tl_wstr("Message", text)], when - timedelta(milliseconds=40), 4, None
            )
        if noise:
            text = _VERBOSE[index % len(_VERBOSE)]
            add_tl(NPS_PROVIDER, "Verbose", _tl_fields(text, 5, when), when - timedelta(milliseconds=25), 5, None)
        if rec.wpp:
            add_wpp(when, 40 + index % 3, (412, rec.message), rec)
        else:
            name = _LEVEL_EVENT.get(rec.level, "Info")
            add_tl(rec.provider, name, _tl_fields(rec.message, rec.level, when), when, rec.level, rec)
        if noise and index % 3 == 0:
            add_wpp(when + timedelta(milliseconds=5), 10 + index % 4, (index, "MfaNpsAuthzExt!ProcessRequest"), None)
    return out


def write_npsext_etl(
    path: str | Path,
    records: Iterable[NpsExtTraceRecord],
    *,
    noise: bool = True,
    buffer_size: int = 1024 * 1024,
    processors: int = 2,
    start: datetime | None = None,
) -> list[WrittenEvent]:
    """Write an NPSExtension.etl holding ``records`` (plus noise unless ``noise=False``); return what was written.

    Session settings follow the bundle's logman command: logger "NPSExtension", circular file mode, 1 MiB
    buffers (pass a smaller ``buffer_size`` for fast tests). The session starts a second before the first
    record unless ``start`` is given.
    """
    built = build_events(records, noise=noise)
    first = min(
        (w.filetime for _s, w in built),
        default=datetime_to_filetime(start or datetime(2024, 1, 1, tzinfo=timezone.utc)),
    )
    session_start = datetime_to_filetime(start) if start is not None else first - 10_000_000
    writer = NpsExtEtlWriter(
        session_start,
        buffer_size=buffer_size,
        processors=processors,
        logger_name="NPSExtension",
        log_file_name="C:\\NPS\\NPSExtension.etl",
        log_file_mode=0x2,  # EVENT_TRACE_FILE_MODE_CIRCULAR (logman -mode Circular -f bincirc)
    )
    writer.extend(spec for spec, _w in built)
    with open(path, "wb") as fh:
        writer.write(fh)
    return sorted((w for _s, w in built), key=lambda w: w.filetime)
