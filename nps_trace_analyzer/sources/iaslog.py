"""Read NPS accounting/request logs (``IN*.log``) and pair each Access-Request with its answer.

Why: when an admin adds the NPS log files to a bundle, they are the only place that shows, per attempt, the
RADIUS *authentication type* NPS saw (PAP, MS-CHAPv2, PEAP...). That is the evidence for the commonest
NPS-extension misdiagnosis: one-time codes (TOTP/SMS) need PAP, so an MS-CHAPv2 VPN gets "Challenge requested"
and then fails (``docs/reference/domain-facts.md`` §3.5, §6.4, §7).

Three formats exist; :func:`detect_nps_log_format` tells them apart per line:

- **database-compatible** (``dbcsv``, the NPS default): CSV without header, fields in the order of
  :data:`DBCSV_FIELDS` (66 fields; the 2008 TechNet examples have 60, so trailing fields are optional), text
  quoted, ``ServiceName`` ``"IAS"`` even on NPS.
- **DTS-compliant XML** (``dtsxml``): concatenated ``<Event>`` elements, no root element; each child is
  ``<Name data_type="N">value</Name>``. Each element is parsed on its own (lxml with ``recover``), so one
  damaged element costs one record.
- **IAS format** (``ias``): six header fields (NAS-IP-Address, User-Name, Record-Date, Record-Time,
  Service-Name, Computer-Name) then ``attribute-id,value`` pairs. Decoded for the attributes this tool uses
  (ids from the Windows SDK ``ATTRIBUTEID`` enumeration: 4108 client IP, 4127 auth type, 4136 packet type,
  4142 reason code, 4149 network policy...); other pairs are kept raw in ``fields``.

Times: all three formats record the NPS server's *local* time with no zone. They are taken as UTC and the stats
carry one warning saying so (the Class attribute's embedded timestamp is UTC, which is why it can disagree
with Record-Time by the server's offset).

Pairing (:func:`pair_requests`): NPS logs the User-Name only on the Access-Request row and the Class attribute
only on the answer, so rows are paired by RADIUS client (server + client IP/name), compatible NAS/calling
station/user, and time order: an answer takes the earliest compatible open request from the same client within
:data:`PAIR_WINDOW`. Requests left open are "no-response" (NPS discarded a duplicate, or the log ended).

Size: about 650 lines: the three formats fill one record type from one attribute table, and the pairing reads
what all three fill; apart, the tables and the record would be split from the code that gives them meaning.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, load_text

# --- format declarations ----------------------------------------------------------------------------------

DBCSV_FIELDS: tuple[str, ...] = (
    "ComputerName", "ServiceName", "Record-Date", "Record-Time", "Packet-Type", "User-Name",
    "Fully-Qualified-Distinguished-Name", "Called-Station-ID", "Calling-Station-ID", "Callback-Number",
    "Framed-IP-Address", "NAS-Identifier", "NAS-IP-Address", "NAS-Port", "Client-Vendor", "Client-IP-Address",
    "Client-Friendly-Name", "Event-Timestamp", "Port-Limit", "NAS-Port-Type", "Connect-Info", "Framed-Protocol",
    "Service-Type", "Authentication-Type", "Policy-Name", "Reason-Code", "Class", "Session-Timeout",
    "Idle-Timeout", "Termination-Action", "EAP-Friendly-Name", "Acct-Status-Type", "Acct-Delay-Time",
    "Acct-Input-Octets", "Acct-Output-Octets", "Acct-Session-Id", "Acct-Authentic", "Acct-Session-Time",
    "Acct-Input-Packets", "Acct-Output-Packets", "Acct-Terminate-Cause", "Acct-Multi-Ssn-ID", "Acct-Link-Count",
    "Acct-Interim-Interval", "Tunnel-Type", "Tunnel-Medium-Type", "Tunnel-Client-Endpt", "Tunnel-Server-Endpt",
    "Acct-Tunnel-Conn", "Tunnel-Pvt-Group-ID", "Tunnel-Assignment-ID", "Tunnel-Preference", "MS-Acct-Auth-Type",
    "MS-Acct-EAP-Type", "MS-RAS-Version", "MS-RAS-Vendor", "MS-CHAP-Error", "MS-CHAP-Domain",
    "MS-MPPE-Encryption-Types", "MS-MPPE-Encryption-Policy", "Proxy-Policy-Name", "Provider-Type",
    "Provider-Name", "Remote-Server-Address", "MS-RAS-Client-Name", "MS-RAS-Client-Version",
)  # fmt: skip
"""Field order of the database-compatible format (header row of Microsoft's Always On VPN doc, §7.1)."""

DBCSV_MIN_FIELDS = 26  # up to Reason-Code: fewer cannot say what happened
DBCSV_NUMERIC_FIELDS = frozenset(
    {
        "Record-Date", "Record-Time", "Packet-Type", "NAS-Port", "Client-Vendor", "Port-Limit", "NAS-Port-Type",
        "Framed-Protocol", "Service-Type", "Authentication-Type", "Reason-Code", "Session-Timeout",
        "Idle-Timeout", "Termination-Action", "Acct-Status-Type", "Acct-Delay-Time", "Acct-Input-Octets",
        "Acct-Output-Octets", "Acct-Authentic", "Acct-Session-Time", "Acct-Input-Packets",
        "Acct-Output-Packets", "Acct-Terminate-Cause", "Acct-Link-Count", "Acct-Interim-Interval", "Tunnel-Type",
        "Tunnel-Medium-Type", "Tunnel-Preference", "MS-Acct-Auth-Type", "MS-Acct-EAP-Type", "MS-RAS-Vendor",
        "MS-MPPE-Encryption-Types", "MS-MPPE-Encryption-Policy", "Provider-Type",
    }
)  # fmt: skip
"""Fields NPS writes unquoted (numbers, date, time); the writer follows this, the reader does not need it."""

DTS_DATA_TYPES: dict[str, int] = {
    "Timestamp": 4, "Computer-Name": 1, "Event-Source": 1, "User-Name": 1, "NAS-IP-Address": 3,
    "NAS-Port": 0, "NAS-Identifier": 1, "NAS-Port-Type": 0, "Called-Station-Id": 1, "Calling-Station-Id": 1,
    "Service-Type": 0, "Framed-Protocol": 0, "Framed-MTU": 0, "Client-IP-Address": 3, "Client-Vendor": 0,
    "Client-Friendly-Name": 1, "Proxy-Policy-Name": 1, "NP-Policy-Name": 1, "Provider-Type": 0,
    "SAM-Account-Name": 1, "Fully-Qualifed-User-Name": 1, "Class": 1, "Authentication-Type": 0,
    "Packet-Type": 0, "Reason-Code": 0, "EAP-Friendly-Name": 1, "Vendor-Specific": 2, "State": 2,
    "Session-Timeout": 0, "Acct-Status-Type": 0, "Acct-Session-Id": 1, "Quarantine-Update-Non-Compliant": 0,
}  # fmt: skip
"""``data_type`` of DTS-XML children: 0 integer, 1 string, 2 octets (hex), 3 IP address, 4 timestamp."""

IAS_ATTRIBUTES: dict[int, str] = {
    1: "User-Name", 4: "NAS-IP-Address", 5: "NAS-Port", 6: "Service-Type", 7: "Framed-Protocol",
    8: "Framed-IP-Address", 25: "Class", 30: "Called-Station-Id", 31: "Calling-Station-Id",
    32: "NAS-Identifier", 61: "NAS-Port-Type", 64: "Tunnel-Type", 65: "Tunnel-Medium-Type",
    66: "Tunnel-Client-Endpt", 4108: "Client-IP-Address", 4116: "Client-Vendor", 4127: "Authentication-Type",
    4128: "Client-Friendly-Name", 4129: "SAM-Account-Name", 4130: "Fully-Qualified-User-Name",
    4132: "EAP-Friendly-Name", 4136: "Packet-Type", 4142: "Reason-Code", 4147: "MS-RAS-Vendor",
    4148: "MS-RAS-Version", 4149: "NP-Policy-Name", 4154: "Proxy-Policy-Name", 4155: "Provider-Type",
}  # fmt: skip
"""IAS-format attribute ids (RADIUS numbers < 4096; IAS internal ids from the Windows SDK ATTRIBUTEID enum)."""
IAS_HEADER = ("NAS-IP-Address", "User-Name", "Record-Date", "Record-Time", "Service-Name", "Computer-Name")

PACKET_TYPES: dict[int, str] = {
    1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
    5: "Accounting-Response", 11: "Access-Challenge", 12: "Status-Server", 13: "Status-Client",
    40: "Disconnect-Request", 41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK",
    45: "CoA-NAK",
}  # fmt: skip
AUTH_TYPES: dict[int, str] = {
    1: "PAP", 2: "CHAP", 3: "MS-CHAP v1", 4: "MS-CHAP v2", 5: "EAP", 6: "ARAP", 7: "Unauthenticated",
    8: "Extension", 9: "MS-CHAP v1 CPW", 10: "MS-CHAP v2 CPW", 11: "PEAP",
}  # fmt: skip
"""NPS Authentication-Type values (SDK ``AUTHENTICATION_TYPE``; 8 = IAS_AUTH_CUSTOM, logged as "Extension")."""

REQUEST_TYPES = frozenset({1, 4})
RESPONSE_FOR = {2: 1, 3: 1, 11: 1, 5: 4}  # answer packet type -> the request type it answers
PAIR_WINDOW = timedelta(minutes=5)
"""Longest request->answer gap paired: an MFA push may take a minute or more; the MFA session ends at 3 min."""

# --- records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RadiusLogRecord:
    """One row of an NPS log. ``time`` is the row's local time taken as UTC (see the module docstring).

    ``user`` is the RADIUS User-Name (only on request rows); ``fq_user`` the account NPS resolved
    (Fully-Qualified-Distinguished-Name / SAM-Account-Name). ``fields`` keeps every non-empty field in order.
    """

    time: datetime
    server: str
    packet_type: int | None
    user: str
    nas_ip: str
    nas_identifier: str
    client_ip: str
    client_friendly_name: str
    auth_type: int | None
    eap_type: str
    policy_name: str
    reason_code: int | None
    class_attr: str
    source_file: str
    line: int
    fq_user: str = ""
    calling_station_id: str = ""
    called_station_id: str = ""
    proxy_policy_name: str = ""
    service: str = "IAS"
    log_format: str = "dbcsv"  # "dbcsv", "dtsxml", "ias"
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def packet_type_name(self) -> str:
        if self.packet_type is None:
            return "unknown"
        return PACKET_TYPES.get(self.packet_type, f"Packet-Type {self.packet_type}")

    @property
    def auth_type_name(self) -> str:
        return auth_type_name(self.auth_type)

    @property
    def is_request(self) -> bool:
        return self.packet_type in REQUEST_TYPES

    @property
    def is_response(self) -> bool:
        return self.packet_type in RESPONSE_FOR


def auth_type_name(value: int | None) -> str:
    """``1`` -> ``PAP``... ; "" for None, ``Authentication-Type N`` for unknown numbers."""
    if value is None:
        return ""
    return AUTH_TYPES.get(value, f"Authentication-Type {value}")


# --- shared field helpers ---------------------------------------------------------------------------------


def _int(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


_DATE_RE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d\d):(\d\d)(?:[.,](\d+))?$")


class _Clock:
    """Parses the logs' local date/time strings; remembers what it had to assume, to warn once per file."""

    def __init__(self, stats: TextReadStats) -> None:
        self.stats = stats
        self.warned_local = False
        self.warned_day_first = False

    def parse(self, date: str, time: str) -> datetime | None:
        dm, tm = _DATE_RE.match(date.strip()), _TIME_RE.match(time.strip())
        if not dm or not tm:
            return None
        a, b, c = (int(g) for g in dm.groups())
        if len(dm.group(1)) == 4:
            year, month, day = a, b, c
        elif a > 12 >= b:  # day-first locale: only provable when the first number cannot be a month
            year, month, day = c, b, a
            if not self.warned_day_first:
                self.warned_day_first = True
                self.stats.warn("dates are day-first (DD/MM/YYYY); read as such")
        else:
            year, month, day = c, a, b
        hour, minute, second = (int(g) for g in tm.groups()[:3])
        micro = int((tm.group(4) or "0")[:6].ljust(6, "0"))
        try:
            when = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
        except ValueError:
            return None
        if not self.warned_local:
            self.warned_local = True
            self.stats.warn(
                "NPS log times are the server's local time without a zone; treated as UTC, so they may be shifted "
                "by the server's UTC offset"
            )
        return when


def _record(
    values: dict[str, str],
    when: datetime,
    source: str,
    line: int,
    log_format: str,
    fields: tuple[tuple[str, str], ...],
) -> RadiusLogRecord:
    """Build a record from format-neutral names (DB-CSV header names; DTS/IAS names mapped by the caller)."""

    def get(*names: str) -> str:
        for name in names:
            value = values.get(name, "").strip()
            if value:
                return value
        return ""

    return RadiusLogRecord(
        time=when,
        server=get("ComputerName", "Computer-Name"),
        packet_type=_int(get("Packet-Type")),
        user=get("User-Name"),
        nas_ip=get("NAS-IP-Address"),
        nas_identifier=get("NAS-Identifier"),
        client_ip=get("Client-IP-Address"),
        client_friendly_name=get("Client-Friendly-Name"),
        auth_type=_int(get("Authentication-Type")),
        eap_type=get("EAP-Friendly-Name"),
        policy_name=get("Policy-Name", "NP-Policy-Name"),
        reason_code=_int(get("Reason-Code")),
        class_attr=get("Class"),
        source_file=source,
        line=line,
        fq_user=get(
            "Fully-Qualified-Distinguished-Name",
            "Fully-Qualifed-User-Name",
            "Fully-Qualified-User-Name",
            "SAM-Account-Name",
        ),
        calling_station_id=get("Calling-Station-ID", "Calling-Station-Id"),
        called_station_id=get("Called-Station-ID", "Called-Station-Id"),
        proxy_policy_name=get("Proxy-Policy-Name"),
        service=get("ServiceName", "Event-Source", "Service-Name") or "IAS",
        log_format=log_format,
        fields=fields,
    )


# --- per-format parsers -----------------------------------------------------------------------------------


def _looks_like_date(value: str) -> bool:
    return bool(_DATE_RE.match(value.strip()))


def _csv_row(line: str) -> list[str] | None:
    try:
        return next(csv.reader([line.lstrip("\ufeff")]))
    except (csv.Error, StopIteration):
        return None


def classify_line(line: str) -> str:
    """``dtsxml``, ``dbcsv``, ``ias`` or "" for one non-empty log line."""
    stripped = line.lstrip("\ufeff \t")
    if stripped.startswith("<"):
        return "dtsxml"
    row = _csv_row(stripped)
    return _classify_row(row) if row is not None else ""


def _classify_row(row: list[str]) -> str:
    if len(row) < 6 or not _looks_like_date(row[2]) or not _TIME_RE.match(row[3].strip()):
        return ""
    if row[4].strip().isdigit():
        return "dbcsv" if len(row) >= DBCSV_MIN_FIELDS else ""
    if (len(row) - 6) % 2 == 0:
        return "ias"
    return ""


def detect_nps_log_format(text: str) -> str:
    """The format of a log text, from its first classifiable lines ("" when none is recognised)."""
    for line in text.splitlines()[:20]:
        if line.strip():
            kind = classify_line(line)
            if kind:
                return kind
    return ""


def _parse_dbcsv_line(
    row: list[str], number: int, source: str, clock: _Clock, stats: TextReadStats
) -> RadiusLogRecord | None:
    if len(row) > len(DBCSV_FIELDS):
        stats.warn(f"line {number}: {len(row)} fields, more than the {len(DBCSV_FIELDS)} known; extra ignored")
    values = {name: value for name, value in zip(DBCSV_FIELDS, row, strict=False) if value}
    when = clock.parse(values.get("Record-Date", ""), values.get("Record-Time", ""))
    if when is None:
        stats.warn(f"line {number}: bad Record-Date/Record-Time; skipped")
        return None
    return _record(values, when, source, number, "dbcsv", tuple(values.items()))


def _parse_ias_line(
    row: list[str], number: int, source: str, clock: _Clock, stats: TextReadStats
) -> RadiusLogRecord | None:
    header = dict(zip(IAS_HEADER, row[:6], strict=True))
    when = clock.parse(header["Record-Date"], header["Record-Time"])
    if when is None:
        stats.warn(f"line {number}: bad Record-Date/Record-Time; skipped")
        return None
    values: dict[str, str] = {
        "NAS-IP-Address": header["NAS-IP-Address"],
        "User-Name": header["User-Name"],
        "Service-Name": header["Service-Name"],
        "Computer-Name": header["Computer-Name"],
    }
    fields: list[tuple[str, str]] = [(n, v) for n, v in header.items() if v]
    for i in range(6, len(row) - 1, 2):
        ident, value = _int(row[i]), row[i + 1]
        name = IAS_ATTRIBUTES.get(ident, f"Attribute-{row[i].strip()}") if ident is not None else row[i]
        fields.append((name, value))
        if ident in IAS_ATTRIBUTES and not values.get(name):
            values[name] = value  # first occurrence wins; the header fills User-Name/NAS-IP-Address first
    return _record(values, when, source, number, "ias", tuple(fields))


_DTS_EVENT_RE = re.compile(r"<Event\b[^>]*>.*?</Event\s*>", re.DOTALL | re.IGNORECASE)
_DTS_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


def _parse_dts_element(
    chunk: str, number: int, source: str, clock: _Clock, stats: TextReadStats
) -> RadiusLogRecord | None:
    try:
        root = etree.fromstring(chunk.encode("utf-8"), parser=_DTS_PARSER)  # entities off, no network access
    except etree.XMLSyntaxError as exc:
        stats.warn(f"line {number}: <Event> element not parseable ({exc}); skipped")
        return None
    if root is None:
        stats.warn(f"line {number}: <Event> element not parseable; skipped")
        return None
    if len(_DTS_PARSER.error_log):
        stats.warn(f"line {number}: malformed <Event> element repaired by the recovering parser; values may be cut")
    fields: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name, value = child.tag, (child.text or "").strip()
        fields.append((name, value))
        values.setdefault(name, value)
    stamp = values.get("Timestamp", "")
    date, _, clock_time = stamp.partition(" ")
    when = clock.parse(date, clock_time)
    if when is None:
        stats.warn(f"line {number}: <Event> without a valid Timestamp; skipped")
        return None
    return _record(values, when, source, number, "dtsxml", tuple(fields))


def _leading_newlines(text: str) -> int:
    """Newlines before the first non-blank character (to point a warning at the right line)."""
    return text[: len(text) - len(text.lstrip())].count("\n")


def _parse_dts(text: str, source: str, clock: _Clock, stats: TextReadStats) -> Iterator[RadiusLogRecord]:
    pos = 0
    line = 1
    for m in _DTS_EVENT_RE.finditer(text):
        gap = text[pos : m.start()]
        if gap.strip():
            stats.lines_skipped += 1
            at = line + _leading_newlines(gap)
            stats.warn(f"line {at}: text between <Event> elements skipped: {gap.strip()[:60]!r}")
        line += gap.count("\n")
        stats.records_read += 1
        record = _parse_dts_element(m.group(0), line, source, clock, stats)
        if record is None:
            stats.records_skipped += 1
        else:
            yield record
        line += m.group(0).count("\n")
        pos = m.end()
    tail = text[pos:]
    if tail.strip():
        line += _leading_newlines(tail)
        if "<Event" in tail:
            stats.records_read += 1
            stats.records_skipped += 1
            stats.warn(f"line {line}: unterminated <Event> element at the end (truncated file); skipped")
        else:
            stats.lines_skipped += 1
            stats.warn(f"line {line}: trailing text after the last <Event> skipped: {tail.strip()[:60]!r}")


def parse_nps_log(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[RadiusLogRecord]:
    """Yield the records of an NPS log text in file order (format detected; see the module docstring)."""
    stats = stats if stats is not None else TextReadStats()
    clock = _Clock(stats)
    kind = detect_nps_log_format(text)
    if kind == "dtsxml" or (not kind and "<Event" in text):
        stats.formats["dtsxml"] = 0
        for record in _parse_dts(text, source_name, clock, stats):
            stats.formats["dtsxml"] += 1
            stats.note_time(record.time)
            yield record
        return
    if not kind:
        stats.error = "not an NPS log: no line in database-compatible, IAS or DTS-XML format"
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        stats.records_read += 1
        row = _csv_row(line)
        line_kind = _classify_row(row) if row is not None else ""
        if row is None or line_kind not in ("dbcsv", "ias"):
            stats.records_skipped += 1
            stats.warn(f"line {number}: not a {kind} record; skipped: {line.strip()[:60]!r}")
            continue
        parse = _parse_dbcsv_line if line_kind == "dbcsv" else _parse_ias_line
        record = parse(row, number, source_name, clock, stats)
        if record is None:
            stats.records_skipped += 1
            continue
        stats.formats[line_kind] = stats.formats.get(line_kind, 0) + 1
        stats.note_time(record.time)
        yield record


def read_nps_log(
    path: str | Path,
    source_name: str,
    stats: TextReadStats | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RadiusLogRecord]:
    """Yield the records of one NPS log file. Never raises for bad content (see ``stats.error``/warnings)."""
    stats = stats if stats is not None else TextReadStats()
    text = load_text(path, stats, max_bytes)
    if text is None:
        return
    yield from parse_nps_log(text, source_name, stats)


# --- pairing ----------------------------------------------------------------------------------------------


@dataclass
class RadiusTransaction:
    """One request and its answer (either may be None). ``outcome``: accept, reject, challenge, accounting,
    no-response (request never answered in the log), orphan-response (answer without a logged request),
    other (a row that is neither, e.g. no Packet-Type)."""

    request: RadiusLogRecord | None
    response: RadiusLogRecord | None
    matched_on: str = ""  # "user", "client" (same client and compatible fields, no user to compare) or ""

    @property
    def first(self) -> RadiusLogRecord:
        record = self.request or self.response
        assert record is not None
        return record

    @property
    def time(self) -> datetime:
        return self.first.time

    @property
    def user(self) -> str:
        """The User-Name as the NAS sent it (request row), else the account NPS resolved (answer row)."""
        for record in (self.request, self.response):
            if record and record.user:
                return record.user
        for record in (self.response, self.request):
            if record and record.fq_user:
                return record.fq_user
        return ""

    @property
    def outcome(self) -> str:
        if self.request is None:
            assert self.response is not None
            return "orphan-response" if self.response.is_response else "other"
        if self.response is None:
            return "accounting" if self.request.packet_type == 4 else "no-response"
        return {2: "accept", 3: "reject", 11: "challenge", 5: "accounting"}.get(self.response.packet_type or 0, "other")

    @property
    def auth_type(self) -> int | None:
        for record in (self.request, self.response):
            if record and record.auth_type is not None:
                return record.auth_type
        return None

    @property
    def auth_type_name(self) -> str:
        return auth_type_name(self.auth_type)

    @property
    def reason_code(self) -> int | None:
        return self.response.reason_code if self.response else None

    @property
    def policy_name(self) -> str:
        return (self.response.policy_name if self.response else "") or (
            self.request.policy_name if self.request else ""
        )

    @property
    def duration(self) -> timedelta | None:
        if self.request and self.response:
            return self.response.time - self.request.time
        return None


def _client_key(record: RadiusLogRecord) -> tuple[str, str, str]:
    return (record.source_file, record.server.lower(), (record.client_ip or record.client_friendly_name).lower())


def _compatible(request: RadiusLogRecord, response: RadiusLogRecord) -> str:
    """ "user" / "client" when the rows can belong together, "" when a shared field disagrees."""
    for a, b in (
        (request.nas_ip, response.nas_ip),
        (request.nas_identifier, response.nas_identifier),
        (request.calling_station_id, response.calling_station_id),
    ):
        if a and b and a.lower() != b.lower():
            return ""
    req_user = user_key(request.user or request.fq_user)
    resp_user = user_key(response.user or response.fq_user)
    if req_user and resp_user:
        return "user" if req_user == resp_user else ""
    return "client"


@dataclass
class _Open:
    record: RadiusLogRecord
    order: int


def pair_requests(records: Iterable[RadiusLogRecord]) -> list[RadiusTransaction]:
    """Pair requests with answers (see the module docstring); returns transactions in time order."""
    ordered = sorted(enumerate(records), key=lambda item: (item[1].time, item[1].source_file, item[1].line))
    open_requests: dict[tuple[str, str, str], list[_Open]] = {}
    done: list[tuple[int, RadiusTransaction]] = []
    for order, record in ordered:
        if record.is_request:
            open_requests.setdefault(_client_key(record), []).append(_Open(record, order))
            continue
        wanted = RESPONSE_FOR.get(record.packet_type or -1)
        if wanted is None:
            done.append((order, RadiusTransaction(None, record)))
            continue
        pending = open_requests.get(_client_key(record), [])
        best: tuple[int, str] | None = None
        for i, item in enumerate(pending):
            req = item.record
            if req.packet_type != wanted or not (-timedelta(seconds=1) <= record.time - req.time <= PAIR_WINDOW):
                continue
            how = _compatible(req, record)
            if how and (best is None or (how == "user" and best[1] != "user")):
                best = (i, how)
        if best is None:
            done.append((order, RadiusTransaction(None, record)))
            continue
        item = pending.pop(best[0])
        done.append((item.order, RadiusTransaction(item.record, record, best[1])))
    for pending in open_requests.values():
        done.extend((item.order, RadiusTransaction(item.record, None)) for item in pending)
    done.sort(key=lambda pair: (pair[1].time, pair[0]))
    return [txn for _order, txn in done]


# --- evidence rows ----------------------------------------------------------------------------------------

CHANNEL = "NPS-Accounting"


def describe(record: RadiusLogRecord) -> str:
    """A one-line reading of a row, for evidence tables."""
    parts = [record.packet_type_name]
    who = record.user or record.fq_user
    if who:
        parts.append(f"user {who}")
    client = record.client_friendly_name or record.client_ip
    if client:
        parts.append(f"from RADIUS client {client}" + (f" ({record.client_ip})" if record.client_ip else ""))
    if record.nas_ip or record.nas_identifier:
        parts.append(f"NAS {record.nas_identifier or record.nas_ip}")
    if record.auth_type is not None:
        parts.append(f"auth {record.auth_type_name}")
    if record.eap_type:
        parts.append(f"EAP {record.eap_type}")
    if record.policy_name:
        parts.append(f"policy {record.policy_name!r}")
    if record.reason_code is not None and record.packet_type != 1:
        parts.append(f"reason code {record.reason_code}")
    return ", ".join(parts)


def to_events(records: Iterable[RadiusLogRecord]) -> Iterator[Event]:
    """Rows as :class:`Event` evidence: channel ``NPS-Accounting``, event id = packet type, record id = line."""
    for record in records:
        yield Event(
            time=record.time,
            source_file=record.source_file,
            channel=CHANNEL,
            provider=record.service,
            event_id=record.packet_type or 0,
            level=None,
            record_id=record.line,
            computer=record.server,
            data=tuple(record.fields),
            text=describe(record),
            source_kind="iaslog",
        )
