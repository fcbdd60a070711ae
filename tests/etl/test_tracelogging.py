"""TraceLogging decoder: round trips through the independent synthetic encoder, hand-packed metadata for
the obsolete struct form, damage that must end in TlDecodeError only, and the public AMSI trace decoded the
same way etl-parser (test-only oracle) decodes it."""

from __future__ import annotations

import random
import struct
import uuid
from datetime import datetime, timezone

import pytest
from etl_corpus import corpus_file

from nps_trace_analyzer.sources.etl import iter_events
from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.reader import EtlEvent
from nps_trace_analyzer.sources.etl.tracelogging import (
    InType,
    OutType,
    TlDecodeError,
    decode_event,
    decode_payload,
    is_tracelogging,
    parse_event_schema,
    parse_provider_traits,
    render_value,
    string_values,
)
from nps_trace_analyzer.synth.etl.tracelogging import (
    TlFieldSpec,
    encode_event,
    encode_provider_traits,
    tl_binary,
    tl_filetime,
    tl_guid,
    tl_int,
    tl_str,
    tl_wstr,
)

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc)
GUID = uuid.UUID("7237ed00-e119-430b-ab0f-c63360c8ee81")


def _all_kinds() -> list[TlFieldSpec]:
    point = (
        TlFieldSpec("X", InType.INT32),
        TlFieldSpec("Label", InType.UNICODESTRING),
    )
    return [
        tl_wstr("Message", "NPS Extension for Azure MFA: CID: 1 : hello \u00e9"),
        tl_wstr("Counted", "counted \u20ac", counted=True),
        tl_str("Ansi", "caf\u00e9"),
        tl_str("Utf8", "\u00fcber", utf8=True, counted=True),
        tl_int("I8", InType.INT8, -5),
        tl_int("U8", InType.UINT8, 250),
        tl_int("I16", InType.INT16, -30000),
        tl_int("U16", InType.UINT16, 65000),
        tl_int("I32", InType.INT32, -2_000_000_000),
        tl_int("U32", InType.UINT32, 4_000_000_000),
        tl_int("I64", InType.INT64, -(1 << 60)),
        tl_int("U64", InType.UINT64, 1 << 63),
        TlFieldSpec("F32", InType.FLOAT, 1.5),
        TlFieldSpec("F64", InType.DOUBLE, -2.25),
        TlFieldSpec("Flag", InType.BOOL32, True),
        tl_int("Hr", InType.INT32, -2147024891, OutType.HRESULT),
        tl_int("H32", InType.HEXINT32, 0xDEADBEEF),
        tl_int("H64", InType.HEXINT64, 0x1122334455667788),
        tl_guid("Cid", GUID),
        tl_filetime("When", WHEN),
        TlFieldSpec("SysTime", InType.SYSTEMTIME, WHEN),
        TlFieldSpec("Sid", InType.SID, "S-1-5-21-1-2-3-500"),
        tl_binary("Blob", b"\x00\x01\xfe\xff"),
        tl_binary("CBlob", b"abc", counted=True),
        TlFieldSpec("Ints", InType.UINT32, [1, 2, 3], count="vcount"),
        TlFieldSpec("Fixed", InType.INT16, [-1, 7], count="ccount"),
        TlFieldSpec("Names", InType.COUNTEDSTRING, ["a", "bc"], count="vcount"),
        TlFieldSpec("Chars", InType.UINT16, "wide chars", OutType.STRING, count="vcount"),
        TlFieldSpec("Bytes8", InType.UINT8, [1, 2, 255], count="vcount"),
        TlFieldSpec("Point", InType.STRUCT, {"X": 3, "Label": "p"}, members=point),
        TlFieldSpec(
            "Points", InType.STRUCT, [{"X": 1, "Label": "a"}, {"X": 2, "Label": "b"}], count="vcount", members=point
        ),
        TlFieldSpec("Custom", InType.BINARY, b"\x10\x20", type_info=b"schema!"),
        TlFieldSpec("Tagged", InType.UINT32, 9, tag=0x0ABCDEF),
        tl_int("Last", InType.UINT8, 1),
    ]


def test_round_trip_every_kind():
    meta, payload = encode_event("AllKinds", _all_kinds(), tag=0x1200000)
    schema = parse_event_schema(meta)
    assert schema.name == "AllKinds" and schema.tag == 0x1200000
    fields, trailing = decode_payload(schema, payload)
    got = dict(fields)
    assert trailing == 0
    assert [name for name, _ in fields] == [f.name for f in _all_kinds()]
    assert got["Message"] == "NPS Extension for Azure MFA: CID: 1 : hello \u00e9"
    assert got["Counted"] == "counted \u20ac"
    assert got["Ansi"] == "caf\u00e9" and got["Utf8"] == "\u00fcber"
    assert (got["I8"], got["U8"], got["I16"], got["U16"]) == (-5, 250, -30000, 65000)
    assert (got["I32"], got["U32"], got["I64"], got["U64"]) == (-2_000_000_000, 4_000_000_000, -(1 << 60), 1 << 63)
    assert (got["F32"], got["F64"], got["Flag"]) == (1.5, -2.25, True)
    assert got["Hr"] == -2147024891 and got["H32"] == 0xDEADBEEF and got["H64"] == 0x1122334455667788
    assert got["Cid"] == GUID
    assert got["When"] == WHEN and got["SysTime"] == WHEN
    assert got["Sid"] == "S-1-5-21-1-2-3-500"
    assert got["Blob"] == b"\x00\x01\xfe\xff" and got["CBlob"] == b"abc"
    assert got["Ints"] == [1, 2, 3] and got["Fixed"] == [-1, 7] and got["Names"] == ["a", "bc"]
    assert got["Chars"] == "wide chars"
    assert got["Bytes8"] == b"\x01\x02\xff"
    assert got["Point"] == {"X": 3, "Label": "p"}
    assert got["Points"] == [{"X": 1, "Label": "a"}, {"X": 2, "Label": "b"}]
    assert got["Custom"] == b"\x10\x20" and got["Tagged"] == 9 and got["Last"] == 1
    by_name = {f.name: f for f in schema.fields}
    assert by_name["Tagged"].tag == 0x0ABCDEF
    assert by_name["Custom"].type_info == b"schema!"
    assert [m.name for m in by_name["Points"].members] == ["X", "Label"]
    assert by_name["Fixed"].fixed_count == 2


def test_obsolete_struct_encoding_and_trailing_bytes():
    # InType NULL with a constant count of 2 = a struct of the next two fields (old TraceLogging headers).
    body = b"\x00Old\x00S\x00" + bytes([InType.NULL | 0x20]) + struct.pack("<H", 2)
    body += b"A\x00" + bytes([InType.UINT8]) + b"B\x00" + bytes([InType.ANSISTRING])
    meta = struct.pack("<H", len(body) + 2) + body
    schema = parse_event_schema(meta)
    assert schema.fields[0].in_type == InType.STRUCT and len(schema.fields[0].members) == 2
    fields, trailing = decode_payload(schema, b"\x07hi\x00xyz")
    assert fields == (("S", {"A": 7, "B": "hi"}),) and trailing == 3


def test_provider_traits_with_group():
    group = uuid.UUID("11111111-2222-3333-4444-555555555555")
    traits = parse_provider_traits(encode_provider_traits("Contoso.Nps", group))
    assert (traits.name, traits.group) == ("Contoso.Nps", group)
    assert parse_provider_traits(encode_provider_traits("Only")).group is None


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        (b"\x01", "shorter"),
        (struct.pack("<H", 200) + b"\x00E\x00", "does not fit"),
        (struct.pack("<H", 7) + b"\x00E\x00FG\x00", "not NUL-terminated"),  # field name cut by the size
        (struct.pack("<H", 7) + b"\x00E\x00F\x00", "no InType"),
        (struct.pack("<H", 8) + b"\x00E\x00F\x00\x88", "no OutType"),
        (struct.pack("<H", 9) + b"\x00E\x00F\x00\x28\x01", "no count"),
        (struct.pack("<H", 9) + b"\x00E\x00S\x00\x98\x02", "declares 2 members"),
    ],
)
def test_damaged_metadata_raises_decode_error(meta, reason):
    with pytest.raises(TlDecodeError, match=reason):
        parse_event_schema(meta)


def test_deeply_nested_structs_are_refused():
    body = b"\x00E\x00" + b"s\x00\x98\x01" * 5000 + b"v\x00\x04"
    with pytest.raises(TlDecodeError, match="nested deeper"):
        parse_event_schema(struct.pack("<H", len(body) + 2) + body)


def test_payload_shorter_than_schema_and_unknown_type():
    meta, payload = encode_event("E", [tl_wstr("M", "text"), tl_int("N", InType.UINT64, 5)])
    schema = parse_event_schema(meta)
    with pytest.raises(TlDecodeError, match="'N' needs 8 bytes"):
        decode_payload(schema, payload[:-1])
    with pytest.raises(TlDecodeError, match="not NUL-terminated"):
        decode_payload(schema, "text".encode("utf-16-le"))
    bad = struct.pack("<H", 8) + b"\x00E\x00F\x00" + bytes([30])
    with pytest.raises(TlDecodeError, match="unknown InType 30"):
        decode_payload(parse_event_schema(bad), b"\x00" * 8)


def test_mutations_only_ever_raise_decode_error():
    meta, payload = encode_event("AllKinds", _all_kinds())
    rng = random.Random(6)
    decoded = failed = 0
    for _ in range(1500):
        m, p = bytearray(meta), bytearray(payload)
        target = m if rng.random() < 0.5 else p
        for _ in range(rng.randint(1, 4)):
            target[rng.randrange(len(target))] = rng.randrange(256)
        if rng.random() < 0.3:
            del target[rng.randrange(len(target)) :]
        try:
            decode_payload(parse_event_schema(bytes(m)), bytes(p))
            decoded += 1
        except TlDecodeError:
            failed += 1
    assert decoded + failed == 1500 and failed > 0 and decoded > 0


def _event(meta: bytes, payload: bytes, traits: bytes | None) -> EtlEvent:
    ext = ((L.EXT_PROV_TRAITS, traits),) if traits is not None else ()
    return EtlEvent(
        header_kind="event", header_type=L.HeaderType.EVENT_HEADER64, provider=GUID, event_id=0, version=0,
        level=2, opcode=0, task=0, channel=11, keywords=0, filetime=0, raw_timestamp=0, process_id=1,
        thread_id=2, processor=0, flags=L.EVENT_FLAG_EXTENDED_INFO, hook_id=None, payload=payload,
        extended=(*ext, (L.EXT_EVENT_SCHEMA_TL, meta)),
    )  # fmt: skip


def test_decode_event_uses_traits_and_schema_items():
    meta, payload = encode_event("Err", [tl_wstr("Message", "boom"), tl_int("Code", InType.UINT32, 5)])
    event = _event(meta, payload, encode_provider_traits("Contoso.Ext"))
    assert is_tracelogging(event)
    tl = decode_event(event)
    assert tl is not None
    assert (tl.provider_name, tl.name, tl.get("message"), tl.get("code"), tl.trailing) == (
        "Contoso.Ext",
        "Err",
        "boom",
        5,
        0,
    )
    plain = EtlEvent(**{**{f: getattr(event, f) for f in event.__slots__}, "extended": ()})
    assert decode_event(plain) is None and not is_tracelogging(plain)


def test_render_and_string_values():
    fields = (
        ("A", "x"),
        ("When", WHEN),
        ("Cid", GUID),
        ("B", b"\x01\xff"),
        ("S", {"In": "y", "N": 1}),
        ("L", ["p", "q"]),
        ("F", False),
    )
    assert render_value(WHEN) == "2024-05-06T07:08:09.123000Z"
    assert render_value(dict(fields)["S"]) == "{In=y, N=1}"
    assert render_value(["a", 1, b"\x0a"]) == "[a, 1, 0a]"
    assert render_value(False) == "false" and render_value(GUID) == str(GUID) and render_value(b"\x01\xff") == "01ff"
    assert string_values(fields) == [("A", "x"), ("S.In", "y"), ("L[0]", "p"), ("L[1]", "q")]


class _EtlParserObserver:
    """Collects etl-parser's TraceLogging decoding of every EVENT_HEADER record, in file order."""

    def __init__(self) -> None:
        self.decoded: list[tuple[str, dict]] = []

    def on_event_record(self, event) -> None:
        tl = event.parse_tracelogging()
        self.decoded.append((tl.get_name(), dict(tl)))

    def on_trace_record(self, event) -> None:
        pass

    def on_perfinfo_trace(self, obj) -> None:
        pass

    def on_system_trace(self, obj) -> None:
        pass

    def on_win_trace(self, obj) -> None:
        pass


@pytest.mark.corpus
def test_amsi_trace_matches_etl_parser():
    path = corpus_file("AMSITrace.etl")
    etl_etl = pytest.importorskip("etl.etl", reason="etl-parser (test-only oracle) is not installed")
    observer = _EtlParserObserver()
    with open(path, "rb") as fh:
        etl_etl.build_from_stream(fh.read()).parse(observer)
    ours = [decode_event(e) for e in iter_events(path) if is_tracelogging(e)]
    assert len(ours) == len(observer.decoded) == 19
    for mine, (name, theirs) in zip(ours, observer.decoded, strict=True):
        assert mine is not None and mine.provider_name == "AmsiTrace"
        assert mine.name == name == "AmsiScript"
        assert [k for k, _ in mine.fields] == list(theirs) == ["Engine", "Script", "Raw Script"]
        assert mine.get("Engine") == theirs["Engine"]
        assert mine.get("Script") == theirs["Script"]
        # etl-parser returns the UINT16 array as code units; we honour OutType STRING and return text.
        assert mine.get("Raw Script") == "".join(map(chr, theirs["Raw Script"])).rstrip("\x00")
        assert mine.trailing == 0
    assert any("Get-Alias" == tl.get("Script") for tl in ours if tl)
