"""The lean per-record path gives exactly what the thorough one gives.

- ``sniff_json`` (three ``str.find`` calls) against the regular expressions it replaced, on every record of the
  real corpus and of a generated Security/System log;
- ``fast_event_from_xml`` (regular expressions) against lxml on every record of the real corpus, of every
  generated AzureMfa layout and of records holding the characters XML treats specially. Where the fast path
  declines (returns None) lxml decides, so only "None or identical" is allowed — and the generated AzureMfa
  records must take the fast path, or it would be dead code.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import evtx
import pytest

from nps_trace_analyzer.sources.evtx_lean import fast_event_from_xml, is_relevant, sniff_json
from nps_trace_analyzer.sources.evtx_source import _event_from_xml
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.evtx.writer import write_evtx
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS
from nps_trace_analyzer.synth.spec import EventSpec, UserData

# The regular expressions the JSON pre-filter used before (the oracle).
_PROVIDER_RE = re.compile(r'"Provider":\{"#attributes":\{"Name":"((?:[^"\\]|\\.)*)"')
_EVENTID_RE = re.compile(r'"EventID":(?:\{[^}]*\},"#text":)?(\d+)')
_CHANNEL_RE = re.compile(r'"Channel":"((?:[^"\\]|\\.)*)"')
T0 = datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=timezone.utc)


def _oracle(raw: str) -> tuple[str, bool]:
    m_prov, m_chan, m_id = _PROVIDER_RE.search(raw), _CHANNEL_RE.search(raw), _EVENTID_RE.search(raw)
    channel = m_chan.group(1) if m_chan else ""
    event_id = int(m_id.group(1)) if m_id else -1
    return channel, is_relevant(m_prov.group(1) if m_prov else "", channel, event_id, raw)


def _records(path: Path, xml: bool) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        parser = evtx.PyEvtxParser(str(path), skip_errors=True)
        return list(parser.records() if xml else parser.records_json())


def _corpus_files(corpus_dir: Path) -> list[Path]:
    files = sorted((corpus_dir / "evtx").glob("*.evtx")) + sorted((corpus_dir / "evtx-corrupt").glob("*.evtx"))
    assert len(files) > 20
    return files


def _same_or_declined(records: list[dict]) -> int:
    """Assert fast == lxml wherever the fast path answers; return how many records it answered."""
    answered = 0
    for record in records:
        args = (record["data"], record["event_record_id"], record["timestamp"], "f.evtx")
        fast = fast_event_from_xml(*args)
        if fast is None:
            continue
        answered += 1
        assert fast == _event_from_xml(*args), record["data"]
    return answered


@pytest.mark.corpus
def test_sniff_json_agrees_with_the_regexes_on_the_corpus(corpus_dir: Path) -> None:
    checked = 0
    for path in _corpus_files(corpus_dir):
        for record in _records(path, xml=False):
            assert sniff_json(record["data"]) == _oracle(record["data"]), (path.name, record["event_record_id"])
            checked += 1
    assert checked > 20_000


@pytest.mark.corpus
def test_fast_xml_equals_lxml_on_the_corpus(corpus_dir: Path) -> None:
    answered = sum(_same_or_declined(_records(path, xml=True)) for path in _corpus_files(corpus_dir))
    assert answered > 10_000  # most real records are in the regular shape


def test_generated_logs_sniff_and_normalise_identically(tmp_path: Path) -> None:
    for layout in LAYOUTS:
        bundle = generate_bundle(
            tmp_path / layout, ["all"], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=5, layout=layout
        )
        for path in sorted(bundle.glob("*.evtx")):
            if "Opt" in path.name or "Admin" in path.name:
                records = _records(path, xml=True)
                assert _same_or_declined(records) == len(records), f"{layout}/{path.name}: fast path not taken"
            else:
                for record in _records(path, xml=False):
                    assert sniff_json(record["data"]) == _oracle(record["data"])


TRICKY = [
    (None, "a < b > c & d ' e \" f"),
    ("Na&me", "x"),
    (None, "tab\there\nnew line  "),
    (None, "control \x01 char"),
    (None, "carriage\r\nreturn"),
    (None, "emoji 😀 and \u00a0 nbsp"),
    (None, ""),
    ("Empty", ""),
    (None, "]]> looks like CDATA end"),
    (None, "<!-- not a comment -->"),
    (None, "&amp; literal ampersand-amp"),
    (None, '="x>y'),
]


@pytest.mark.parametrize("item", TRICKY, ids=range(len(TRICKY)))
def test_special_characters_same_as_lxml(tmp_path: Path, item: tuple[str | None, str]) -> None:
    path = tmp_path / "x.evtx"
    specs = [
        EventSpec("Microsoft-AzureMfa-AuthZ", 1, T0, "AuthZOptCh", "NPS01", event_data=(item, (None, "tail"))),
        EventSpec('Prov"ider&<x>', 2, T0, "Chan&nel", "PC<1>", qualifiers=16384, event_data=(item,)),
        EventSpec("P", 3, T0, "AuthZOptCh", "NPS01", user_data=UserData("U", "urn:x", (("A", item[1]),))),
        EventSpec("P", 4, T0, "AuthZOptCh", "NPS01", event_data=()),
    ]
    write_evtx(path, specs)
    records = _records(path, xml=True)
    assert len(records) == 4
    _same_or_declined(records)
    assert fast_event_from_xml(records[2]["data"], 1, records[2]["timestamp"], "f") is None  # UserData: lxml


def test_records_repeating_a_recent_system_section_read_as_lxml_reads_them(tmp_path: Path) -> None:
    """A record whose System section repeats one of the last few but for its time and record id is taken from
    that section's reading (two prefix tests); one that differs anywhere else — before the per-record parts
    (provider, level) or after them (channel, computer, security) — must be read afresh. Sections interleave
    so the recent ones are revisited in every order."""
    from nps_trace_analyzer.sources import evtx_lean

    sections = [  # (provider, event id, channel, computer, level, user sid)
        ("Microsoft-AzureMfa-AuthZ", 1, "AuthZOptCh", "NPS01", 4, None),
        ("Microsoft-AzureMfa-AuthZ", 1, "AuthZOptCh", "NPS01", 2, None),  # differs before the varying parts
        ("Microsoft-AzureMfa-AuthZ", 1, "AuthZOptCh", "NPS02", 4, None),  # after them
        ("Microsoft-AzureMfa-AuthZ", 1, "AuthZAdminCh", "NPS01", 4, None),
        ("Microsoft-AzureMfa-AuthZ", 1, "AuthZOptCh", "NPS01", 4, "S-1-5-18"),
        ("Microsoft-AzureMfa-AuthN", 2, "AuthZOptCh", "NPS01.contoso.local", 4, None),
    ]
    specs = []
    for i in range(80):
        provider, event_id, channel, computer, level, sid = sections[[0, 1, 0, 2, 1, 0, 3, 4, 5, 0, 2][i % 11]]
        specs.append(
            EventSpec(
                provider,
                event_id,
                T0 + timedelta(seconds=i * 7, microseconds=i),
                channel,
                computer,
                level=level,
                user_sid=sid,
                event_data=((None, f"text {i}"),),
            )
        )
    path = tmp_path / "x.evtx"
    write_evtx(path, specs)
    records = _records(path, xml=True)
    evtx_lean._recent_systems.clear()
    hits = 0
    for record in records:
        hits += evtx_lean._same_system(record["data"]) is not None
        args = (record["data"], record["event_record_id"], record["timestamp"], "f.evtx")
        assert fast_event_from_xml(*args) == _event_from_xml(*args), record["data"]
    assert hits > 10  # the recent sections were really used
