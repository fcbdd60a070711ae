"""Round trips of the EVTX writer through two independent readers: pyevtx-rs (``evtx``) and python-evtx.

Every record the writer produces is read back and every System field and every EventData/UserData value is
compared with the EventSpec it came from. The readers' own quirks (measured on real Windows logs, see
``docs/reference/evtx-format-notes.md``) are allowed for explicitly, each at one place, with its reason:

* pyevtx-rs truncates TimeCreated to microseconds (its record ``timestamp`` keeps the 100 ns ticks).
* pyevtx-rs drops an attribute whose value is empty and prints an empty element as whitespace in XML
  (``null`` in JSON).
* pyevtx-rs JSON drops the unnamed ``<Data>`` of an EventData that mixes named and unnamed ones (found here;
  the XML output keeps them), so mixed payloads are compared through the XML output only.
* Neither reader escapes CR, so an XML parser reads ``\\r\\n`` back as ``\\n``; in attribute values tabs and
  newlines read back as spaces (XML attribute-value normalisation).
* python-evtx converts FILETIME through a float (TimeCreated off by up to 2 µs), prints absent optional
  attributes as ``attr=""``, GUIDs as ``{lower}``, Keywords zero-padded, and does not escape ``"`` inside
  attribute values (so its corpus has no ``"`` in attribute-valued fields) and drops C0 control characters
  (none are generated besides tab/LF/CR).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import evtx
import pytest
from Evtx.Evtx import Evtx
from lxml import etree

from nps_trace_analyzer.synth.evtx import EvtxWriter, write_evtx
from nps_trace_analyzer.synth.spec import EventSpec, UserData

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)

# --- the corpus -------------------------------------------------------------------------------------------

#: Values chosen to break a careless encoder: XML specials, non-BMP characters (surrogate pairs), empty
#: strings, whitespace at the ends, line breaks, long text, a CDATA terminator and an entity-looking text.
TRICKY_VALUES = (
    "",
    "<tag attr=\"v\">&amp; 'quoted' </tag>",
    "😀 emoji and 𐍈 gothic and 𝄞 clef",
    "  leading and trailing blanks  ",
    "line one\nline two\r\nline three",
    "tab\tseparated\tvalues",
    "]]> not a CDATA end",
    "Ünïcödé ß 中文 العربية",
    "x" * 3000,
    "NPS Extension for Azure MFA: CID: 32e83cbf-484d-49aa-9adb-71528f5eb94d : Access Rejected for user "
    "alice@contoso.com with Azure MFA response: UserNotFound and message: MSODS Graph call returned user not found",
)

#: Attribute-valued fields (provider, EventSourceName, Data Name) get these; ``"`` only where the reader
#: escapes it (pyevtx-rs).
ATTRIBUTE_SPECIALS = ("a<b&c>d 'q'", "prov \U0001f600 name")
ATTRIBUTE_QUOTE = 'say "hi"'

SECURITY_6273_NAMES = (
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "FullyQualifiedSubjectUserName",
    "SubjectMachineSID",
    "SubjectMachineName",
    "FullyQualifiedSubjectMachineName",
    "CalledStationID",
    "CallingStationID",
    "NASIPv4Address",
    "NASIPv6Address",
    "NASIdentifier",
    "NASPortType",
    "NASPort",
    "ClientName",
    "ClientIPAddress",
    "ProxyPolicyName",
    "NetworkPolicyName",
    "AuthenticationProvider",
    "AuthenticationServer",
    "AuthenticationType",
    "EAPType",
    "AccountSessionIdentifier",
    "ReasonCode",
    "Reason",
    "LoggingResult",
)


def _guid(rng: random.Random, braces: bool) -> str:
    text = str(uuid.UUID(int=rng.getrandbits(128)))
    return "{" + text.upper() + "}" if braces else text


def _value(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(TRICKY_VALUES)
    return f"value-{rng.getrandbits(32):08x}"


def make_specs(count: int, seed: int, *, attribute_quotes: bool = True) -> list[EventSpec]:
    """A deterministic mix of event shapes with optional System fields present and absent."""
    rng = random.Random(seed)
    when = datetime(2024, 3, 1, 8, 0, 0, tzinfo=timezone.utc)
    specs = []
    for index in range(count):
        when += timedelta(microseconds=rng.randrange(1, 3_000_000))
        shape = index % 7
        common = {
            "time": when,
            "time_ticks": rng.randrange(10),
            "computer": rng.choice(("NPS01.contoso.com", "nps-02", "")),
            "process_id": rng.randrange(2**32),
            "thread_id": rng.randrange(2**32),
            "version": rng.randrange(256),
            "opcode": rng.randrange(256),
            "level": rng.choice((0, 1, 2, 3, 4, 5)),
            "task": rng.randrange(65536),
            "keywords": rng.choice((0x8000000000000000, 0x8010000000000000, 0x80000000000000, 0, 2**64 - 1)),
            "activity_id": _guid(rng, rng.random() < 0.5) if rng.random() < 0.5 else None,
            "user_sid": rng.choice((None, "S-1-5-18", "S-1-5-21-3623811015-3361044348-30300820-1013")),
        }
        if shape == 0:  # NPS-extension style: one unnamed Data with the message text
            spec = EventSpec(
                provider="Microsoft-AzureMfa-AuthZ",
                event_id=rng.choice((1, 2, 4)),
                channel=rng.choice(("AuthZOptCh", "AuthZAdminCh")),
                provider_guid=_guid(rng, True),
                event_data=((None, _value(rng)),),
                **common,
            )
        elif shape == 1:  # Security 6272/6273: many named Data
            spec = EventSpec(
                provider="Microsoft-Windows-Security-Auditing",
                event_id=rng.choice((6272, 6273)),
                channel="Security",
                provider_guid="{54849625-5478-4994-A5BA-3E3B0328C30D}",
                event_data=tuple((name, _value(rng)) for name in SECURITY_6273_NAMES),
                **common,
            )
        elif shape == 2:  # classic NPS System event: Qualifiers, EventSourceName, unnamed Data
            spec = EventSpec(
                provider="NPS",
                event_id=4402,
                channel="System",
                event_source_name=rng.choice(("NPS", "", *ATTRIBUTE_SPECIALS)),
                qualifiers=rng.choice((0, 16384, 32768, 49152, 65535)),
                event_data=tuple((None, _value(rng)) for _ in range(rng.randrange(1, 4))),
                **common,
            )
        elif shape == 3:  # UserData with xmlns and children
            children = tuple((f"Field{n}", _value(rng)) for n in range(rng.randrange(0, 5)))
            spec = EventSpec(
                provider=rng.choice(("Microsoft-AzureMfa-AuthN", *ATTRIBUTE_SPECIALS)),
                event_id=rng.randrange(65536),
                channel="AuthNOptCh",
                user_data=UserData(
                    rng.choice(("AuthNEvent", "EventXML")),
                    rng.choice(("http://manifests.microsoft.com/win/2004/08/windows/eventlog", "urn:x-nps:test")),
                    children,
                ),
                **common,
            )
        elif shape == 4:  # mixed named and unnamed Data, names with specials
            spec = EventSpec(
                provider="Mixed-Provider",
                event_id=100,
                channel="Application",
                event_data=(
                    ("First", _value(rng)),
                    (None, _value(rng)),
                    (rng.choice(("Second", *ATTRIBUTE_SPECIALS)), _value(rng)),
                ),
                **common,
            )
        elif shape == 5:  # neither EventData nor UserData: an empty <EventData>
            spec = EventSpec(provider="Empty-Payload", event_id=7, channel="System", **common)
        else:  # large values: a few per chunk, pushing records across chunk boundaries
            spec = EventSpec(
                provider="Big-Values",
                event_id=9,
                channel="Application",
                event_data=(("Blob", "y" * rng.randrange(1000, 12000)), ("Tail", _value(rng))),
                **common,
            )
        if attribute_quotes and index % 11 == 0:
            spec = replace(spec, event_source_name=ATTRIBUTE_QUOTE, provider=spec.provider + ATTRIBUTE_QUOTE)
        specs.append(spec)
    return specs


# --- expectations and reader normalisation ------------------------------------------------------------------


def filetime_ticks(spec: EventSpec) -> int:
    delta = spec.time - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10 + spec.time_ticks


def rs_timestamp_ticks(stamp: str) -> int:
    """FILETIME ticks of a pyevtx-rs record timestamp such as ``2024-03-01T08:01:17.0338381Z UTC``."""
    text = stamp.removesuffix(" UTC").removesuffix("Z")
    whole, _, fraction = text.partition(".")
    delta = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc) - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + int(fraction.ljust(7, "0") or 0)


def expected_system(spec: EventSpec, record_id: int) -> dict[str, object]:
    return {
        "provider": spec.provider,
        "provider_guid": uuid.UUID(spec.provider_guid) if spec.provider_guid else None,
        "event_source_name": spec.event_source_name,
        "event_id": spec.event_id,
        "qualifiers": spec.qualifiers,
        "version": spec.version,
        "level": spec.level,
        "task": spec.task,
        "opcode": spec.opcode,
        "keywords": spec.keywords,
        "record_id": record_id,
        "activity_id": uuid.UUID(spec.activity_id) if spec.activity_id else None,
        "process_id": spec.process_id,
        "thread_id": spec.thread_id,
        "channel": spec.channel,
        "computer": spec.computer,
        "user_sid": spec.user_sid,
    }


def expected_payload(spec: EventSpec) -> tuple:
    """("EventData", ((name, value), ...)) or ("UserData", element, xmlns, ((child, value), ...))."""
    if spec.user_data is not None:
        user = spec.user_data
        return ("UserData", user.element, user.xmlns, tuple(user.children))
    return ("EventData", tuple(spec.event_data or ()))


def xml_text(text: str) -> str:
    """What an XML parser returns for element text that no reader escaped: CR and CRLF become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def xml_attribute(text: str) -> str:
    """Attribute-value normalisation: CR/LF are line ends (-> LF), then tab and LF read back as a space."""
    return xml_text(text).replace("\t", " ").replace("\n", " ")


def _attr_or_none(element: etree._Element | None, name: str) -> str | None:
    return None if element is None else element.get(name)


def _parse_xml(xml: str | bytes) -> etree._Element:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def system_from_xml(root: etree._Element) -> dict[str, object]:
    """The System fields of an ``<Event>`` rendered by either reader, as raw strings (None if absent)."""

    def find(tag: str) -> etree._Element | None:
        return root.find(f"{{{EVENT_NS}}}System/{{{EVENT_NS}}}{tag}")

    def text(tag: str) -> str | None:
        element = find(tag)
        return None if element is None else (element.text or "")

    return {
        "provider": _attr_or_none(find("Provider"), "Name"),
        "provider_guid": _attr_or_none(find("Provider"), "Guid"),
        "event_source_name": _attr_or_none(find("Provider"), "EventSourceName"),
        "event_id": text("EventID"),
        "qualifiers": _attr_or_none(find("EventID"), "Qualifiers"),
        "version": text("Version"),
        "level": text("Level"),
        "task": text("Task"),
        "opcode": text("Opcode"),
        "keywords": text("Keywords"),
        "time": _attr_or_none(find("TimeCreated"), "SystemTime"),
        "record_id": text("EventRecordID"),
        "activity_id": _attr_or_none(find("Correlation"), "ActivityID"),
        "process_id": _attr_or_none(find("Execution"), "ProcessID"),
        "thread_id": _attr_or_none(find("Execution"), "ThreadID"),
        "channel": text("Channel"),
        "computer": text("Computer"),
        "user_sid": _attr_or_none(find("Security"), "UserID"),
    }


def payload_from_xml(root: etree._Element) -> tuple:
    event_data = root.find(f"{{{EVENT_NS}}}EventData")
    if event_data is not None:
        return ("EventData", tuple((data.get("Name"), data.text or "") for data in event_data))
    user_data = root.find(f"{{{EVENT_NS}}}UserData")
    assert user_data is not None, "neither EventData nor UserData"
    (child,) = list(user_data)
    qname = etree.QName(child)
    return (
        "UserData",
        qname.localname,
        qname.namespace or "",
        tuple((etree.QName(grandchild).localname, grandchild.text or "") for grandchild in child),
    )


def _same_text(actual: str | None, expected: str, *, attribute: bool, blank_empty: bool) -> bool:
    """Compare a reader's text with what was written, modulo the XML normalisations listed on top."""
    if actual is None:
        return False
    want = xml_attribute(expected) if attribute else xml_text(expected)
    if actual == want:
        return True
    # pyevtx-rs XML renders an empty element as a line break plus indentation.
    return blank_empty and expected == "" and actual.strip() == ""


def compare_system(
    got: dict[str, object], spec: EventSpec, record_id: int, *, absent_is_empty: bool, blank_empty: bool
) -> list[str]:
    """Differences between System fields read back (raw strings) and the spec; empty list = identical."""
    want = expected_system(spec, record_id)
    problems: list[str] = []

    def check(field: str, ok: bool) -> None:
        if not ok:
            problems.append(f"{field}: read {got[field]!r}, wrote {want[field]!r}")

    def optional_attr(field: str) -> str | None:
        value = got[field]
        # python-evtx prints absent optional attributes as attr=""; pyevtx-rs drops empty attributes.
        if value is None or (absent_is_empty and value == ""):
            return None
        return str(value)

    for field in ("event_id", "version", "level", "task", "opcode", "record_id", "process_id", "thread_id"):
        check(field, got[field] is not None and int(str(got[field])) == want[field])
    check("keywords", got["keywords"] is not None and int(str(got["keywords"]), 16) == want["keywords"])
    qualifiers = optional_attr("qualifiers")
    check("qualifiers", (None if qualifiers is None else int(qualifiers)) == want["qualifiers"])
    for field in ("provider_guid", "activity_id"):
        value = optional_attr(field)
        check(field, (None if value is None else uuid.UUID(value)) == want[field])
    check("user_sid", optional_attr("user_sid") == want["user_sid"])
    for field in ("provider", "event_source_name"):
        value, expected = optional_attr(field), want[field]
        if expected is None:
            check(field, value is None)
        elif expected == "":
            check(field, value in (None, ""))  # both readers lose an empty attribute's presence
        else:
            check(field, _same_text(value, str(expected), attribute=True, blank_empty=False))
    for field in ("channel", "computer"):
        text = None if got[field] is None else str(got[field])
        check(field, _same_text(text, str(want[field]), attribute=False, blank_empty=blank_empty))
    return problems


def compare_payload(got: tuple, spec: EventSpec, *, blank_empty: bool) -> list[str]:
    want = expected_payload(spec)
    if got[0] != want[0]:
        return [f"payload kind {got[0]} != {want[0]}"]
    if want[0] == "UserData" and (got[1] != want[1] or got[2] != want[2]):
        return [f"UserData element {got[1:3]} != {want[1:3]}"]
    got_items, want_items = got[-1], want[-1]
    if len(got_items) != len(want_items):
        return [f"payload has {len(got_items)} items, wrote {len(want_items)}: {got_items!r} vs {want_items!r}"]
    problems = []
    for index, ((got_name, got_value), (want_name, want_value)) in enumerate(zip(got_items, want_items, strict=True)):
        # pyevtx-rs drops an empty Name attribute, so Name="" reads back as unnamed.
        name_ok = got_name == (xml_attribute(want_name) if want_name else want_name) or (
            want_name == "" and got_name is None
        )
        if not name_ok:
            problems.append(f"item {index} name {got_name!r} != {want_name!r}")
        if not _same_text(got_value, want_value, attribute=False, blank_empty=blank_empty):
            problems.append(f"item {index} ({want_name}) value {got_value!r} != {want_value!r}")
    return problems


# --- fixtures ---------------------------------------------------------------------------------------------

BIG_COUNT = 3000
SMALL_COUNT = 300


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[EventSpec], list[int]]:
    path = tmp_path_factory.mktemp("evtx") / "big.evtx"
    specs = make_specs(BIG_COUNT, seed=2024)
    with EvtxWriter(path, first_record_id=500) as writer:
        ids = [writer.write(spec) for spec in specs]
    return path, specs, ids


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[EventSpec]]:
    path = tmp_path_factory.mktemp("evtx") / "small.evtx"
    specs = make_specs(SMALL_COUNT, seed=7, attribute_quotes=False)
    assert write_evtx(path, specs) == SMALL_COUNT
    return path, specs


# --- pyevtx-rs ------------------------------------------------------------------------------------------------


def test_big_file_spans_many_chunks(big_file):
    path, _specs, ids = big_file
    assert ids == list(range(500, 500 + BIG_COUNT))
    chunks = (path.stat().st_size - 4096) // 65536
    assert chunks >= 30, chunks
    assert (path.stat().st_size - 4096) % 65536 == 0


def test_pyevtx_rs_xml_round_trip(big_file):
    path, specs, ids = big_file
    records = list(evtx.PyEvtxParser(str(path)).records())
    assert [r["event_record_id"] for r in records] == ids
    problems: list[str] = []
    for record, spec, record_id in zip(records, specs, ids, strict=True):
        root = _parse_xml(record["data"])
        got = system_from_xml(root)
        found = compare_system(got, spec, record_id, absent_is_empty=False, blank_empty=True)
        # TimeCreated is truncated to microseconds: it must equal the written time without the extra ticks.
        if got["time"] != spec.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"):
            found.append(f"TimeCreated {got['time']} != {spec.time.isoformat()}")
        # The record header timestamp keeps the 100 ns ticks: header time == TimeCreated exactly.
        if rs_timestamp_ticks(record["timestamp"]) != filetime_ticks(spec):
            found.append(f"record timestamp {record['timestamp']} != {filetime_ticks(spec)} ticks")
        found += compare_payload(payload_from_xml(root), spec, blank_empty=True)
        problems += [f"record {record_id}: {p}" for p in found]
    assert problems == []


def _json_payload(event: dict) -> tuple:
    if "UserData" in event:
        ((element, body),) = event["UserData"].items()
        body = dict(body or {})
        xmlns = body.pop("#attributes", {}).get("xmlns", "")
        return ("UserData", element, xmlns, tuple((name, value) for name, value in body.items()))
    data = event.get("EventData") or {}
    if set(data) == {"Data"} and isinstance(data["Data"], dict) and "#text" in data["Data"]:
        texts = data["Data"]["#text"]
        return ("EventData", tuple((None, text) for text in (texts if isinstance(texts, list) else [texts])))
    return ("EventData", tuple(data.items()))


def test_pyevtx_rs_json_round_trip(big_file):
    """Typed JSON output: integers arrive as numbers, strings exactly (no XML normalisation in JSON)."""
    path, specs, ids = big_file
    records = list(evtx.PyEvtxParser(str(path)).records_json())
    assert [r["event_record_id"] for r in records] == ids
    problems: list[str] = []
    compared_payloads = 0
    for record, spec, record_id in zip(records, specs, ids, strict=True):
        event = json.loads(record["data"])["Event"]
        system = event["System"]
        want = expected_system(spec, record_id)
        event_id = system["EventID"]
        qualifiers = None
        if isinstance(event_id, dict):
            qualifiers = event_id["#attributes"]["Qualifiers"]
            event_id = event_id["#text"]
        provider_attrs = system["Provider"]["#attributes"]
        got = {
            "provider": provider_attrs.get("Name"),
            "provider_guid": uuid.UUID(provider_attrs["Guid"]) if "Guid" in provider_attrs else None,
            "event_source_name": provider_attrs.get("EventSourceName"),
            "event_id": event_id,
            "qualifiers": qualifiers,
            "version": system["Version"],
            "level": system["Level"],
            "task": system["Task"],
            "opcode": system["Opcode"],
            "keywords": int(system["Keywords"], 16),
            "record_id": system["EventRecordID"],
            "activity_id": uuid.UUID(system["Correlation"]["#attributes"]["ActivityID"])
            if system["Correlation"]
            else None,
            "process_id": system["Execution"]["#attributes"]["ProcessID"],
            "thread_id": system["Execution"]["#attributes"]["ThreadID"],
            # An empty element is null in JSON.
            "channel": system["Channel"] or "",
            "computer": system["Computer"] or "",
            "user_sid": system["Security"]["#attributes"]["UserID"] if system["Security"] else None,
        }
        # An empty attribute value is dropped: EventSourceName="" reads back as absent.
        if want["event_source_name"] == "" and got["event_source_name"] is None:
            got["event_source_name"] = ""
        problems += [f"record {record_id}: {k} {got[k]!r} != {want[k]!r}" for k in want if got[k] != want[k]]
        payload = _json_payload(event)
        expected = expected_payload(spec)
        if expected[0] == "EventData":
            names = [name for name, _ in expected[1]]
            if None in names and any(name is not None for name in names):
                continue  # JSON drops unnamed Data next to named ones (XML test covers these records)
        # Empty text is null in JSON.
        payload = (*payload[:-1], tuple((name, "" if value is None else value) for name, value in payload[-1]))
        if payload != expected:
            problems.append(f"record {record_id}: payload {payload!r} != {expected!r}")
        compared_payloads += 1
    assert problems == []
    assert compared_payloads > BIG_COUNT * 0.8


def test_pyevtx_rs_validates_checksums(big_file):
    path, _specs, ids = big_file
    records = list(evtx.PyEvtxParser(str(path), validate_checksums=True).records())
    assert [r["event_record_id"] for r in records] == ids


# --- python-evtx --------------------------------------------------------------------------------------------


def test_python_evtx_round_trip(small_file):
    path, specs = small_file
    problems: list[str] = []
    with Evtx(str(path)) as log:
        header = log.get_file_header()
        assert header.verify()
        assert not header.is_dirty()
        assert header.next_record_number() == SMALL_COUNT + 1
        records = list(log.records())
        assert [record.record_num() for record in records] == list(range(1, SMALL_COUNT + 1))
        for record, spec in zip(records, specs, strict=True):
            record_id = record.record_num()
            root = _parse_xml(record.xml())
            got = system_from_xml(root)
            found = compare_system(got, spec, record_id, absent_is_empty=True, blank_empty=False)
            # FILETIME through a float: up to 2 µs off (both in TimeCreated and the record header time).
            read_time = datetime.fromisoformat(str(got["time"]))
            if abs(read_time - spec.time) > timedelta(microseconds=2):
                found.append(f"TimeCreated {read_time} != {spec.time}")
            if abs(record.timestamp().replace(tzinfo=timezone.utc) - spec.time) > timedelta(microseconds=2):
                found.append(f"record timestamp {record.timestamp()} != {spec.time}")
            found += compare_payload(payload_from_xml(root), spec, blank_empty=False)
            problems += [f"record {record_id}: {p}" for p in found]
    assert problems == []


# --- files at the edges ---------------------------------------------------------------------------------------


def _one(**overrides: object) -> EventSpec:
    base = EventSpec(
        provider="Test-Provider",
        event_id=1,
        time=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc),
        channel="Application",
        computer="host",
        event_data=(("Name", "value"),),
    )
    return replace(base, **overrides)


def test_empty_file_is_readable(tmp_path):
    path = tmp_path / "empty.evtx"
    assert write_evtx(path, [], first_record_id=42) == 0
    assert path.stat().st_size == 4096
    assert list(evtx.PyEvtxParser(str(path)).records()) == []
    with Evtx(str(path)) as log:
        assert log.get_file_header().verify()
        assert log.get_file_header().next_record_number() == 42
        assert list(log.records()) == []


def test_output_is_deterministic(tmp_path):
    specs = make_specs(400, seed=99)
    first, second = tmp_path / "a.evtx", tmp_path / "b.evtx"
    write_evtx(first, specs)
    write_evtx(second, specs)
    assert first.read_bytes() == second.read_bytes()
    write_evtx(second, specs, first_record_id=2)
    assert first.read_bytes() != second.read_bytes()


def test_time_zone_of_the_input_does_not_matter(tmp_path):
    """An aware non-UTC time is converted: the file equals the one written from the same instant in UTC."""
    utc, local = tmp_path / "utc.evtx", tmp_path / "local.evtx"
    instant = datetime(2024, 6, 30, 23, 59, 59, 999_999, tzinfo=timezone.utc)
    write_evtx(utc, [_one(time=instant, time_ticks=9)])
    write_evtx(local, [_one(time=instant.astimezone(timezone(timedelta(hours=2))), time_ticks=9)])
    assert utc.read_bytes() == local.read_bytes()
    (record,) = evtx.PyEvtxParser(str(utc)).records()
    assert rs_timestamp_ticks(record["timestamp"]) == filetime_ticks(_one(time=instant, time_ticks=9))


def test_single_record_filling_most_of_a_chunk(tmp_path):
    """A value just under the 64 KiB value limit still fits a chunk of its own; neighbours go elsewhere."""
    path = tmp_path / "fat.evtx"
    fat = "z" * 32_000  # 64,000 bytes of UTF-16
    specs = [_one(), _one(event_data=(("Fat", fat),)), _one()]
    # 64,000 bytes of value plus the System values and template exceed one chunk: rejected clearly.
    with EvtxWriter(path) as writer, pytest.raises(ValueError, match="does not fit in one 64 KiB chunk"):
        writer.write(specs[1])
    fits = "z" * 31_700
    specs[1] = _one(event_data=(("Fat", fits),))
    write_evtx(path, specs)
    records = list(evtx.PyEvtxParser(str(path), validate_checksums=True).records_json())
    assert [json.loads(r["data"])["Event"]["EventData"].get("Fat") for r in records] == [None, fits, None]
    assert (path.stat().st_size - 4096) // 65536 == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"event_data": (("Huge", "h" * 40_000),)}, "more than the 65535 bytes"),
        ({"time": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"time_ticks": 10}, "0..9"),
        ({"event_id": 70_000}, "event_id"),
        ({"level": 256}, "level"),
        ({"qualifiers": -1}, "qualifiers"),
        ({"keywords": 2**64}, "keywords"),
        ({"process_id": 2**32}, "process_id"),
        ({"provider_guid": "not-a-guid"}, "provider_guid"),
        ({"activity_id": "{1234}"}, "activity_id"),
        ({"user_sid": "S-1-5-x"}, "user_sid"),
        ({"event_data": (("A", "\ud800 lone surrogate"),)}, "UTF-16"),
        ({"event_data": (("A", 5),)}, "must be a str"),
        ({"event_data": (("A", "v", "extra"),)}, "tuple"),
        ({"event_data": None, "user_data": UserData("1bad", "urn:x", ())}, "valid XML name"),
        ({"event_data": None, "user_data": UserData("Ok", "urn:x", (("bad name", "v"),))}, "valid XML name"),
        # Fails half-way through encoding, after new names were placed: the chunk must roll them back.
        ({"event_data": None, "user_data": UserData("Fresh", "u" * 70_000, (("NewChild", "v"),))}, "exceeds"),
        ({"user_data": UserData("Ok", "urn:x", ())}, "not both"),
    ],
)
def test_invalid_events_raise_clear_value_errors(tmp_path, overrides, message):
    """Each bad event raises ValueError naming the problem; the writer stays usable and the file valid."""
    path = tmp_path / "errors.evtx"
    with EvtxWriter(path) as writer:
        assert writer.write(_one()) == 1
        with pytest.raises(ValueError, match=message):
            writer.write(_one(**overrides))
        assert writer.write(_one(event_data=(("After", "ok"),))) == 2
    records = list(evtx.PyEvtxParser(str(path), validate_checksums=True).records_json())
    assert [json.loads(r["data"])["Event"]["EventData"] for r in records] == [{"Name": "value"}, {"After": "ok"}]


def test_write_after_close_is_refused(tmp_path):
    writer = EvtxWriter(tmp_path / "closed.evtx")
    writer.write(_one())
    writer.close()
    writer.close()  # harmless
    with pytest.raises(ValueError, match="closed"):
        writer.write(_one())


@pytest.mark.parametrize("first_record_id", [-1, 2**64, 1.5, True])
def test_bad_first_record_id(tmp_path, first_record_id):
    with pytest.raises(ValueError, match="first_record_id"):
        EvtxWriter(tmp_path / "x.evtx", first_record_id=first_record_id)
