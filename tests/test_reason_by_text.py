"""A 6273/6274 copy that lost its "Reason Code:" line is still diagnosed from its documented Reason sentence;
nothing else is (grants, undocumented sentences, a code that is present)."""

from __future__ import annotations

from datetime import datetime, timezone

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Event

CATALOG = load_catalog()
DLL = "An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the connection request."


def _codes(event_id: int, text: str) -> list[str]:
    event = Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="Security.evtx",
        channel="Security",
        provider="Microsoft-Windows-Security-Auditing",
        event_id=event_id,
        level=0,
        record_id=1,
        computer="NPS01",
        data=(),
        text=text,
    )
    return [f.code for f in findings_for(event, CATALOG)]


def test_every_documented_reason_sentence_names_its_code() -> None:
    owners: dict[str, set[int]] = {}
    for entry in CATALOG:
        for message in entry.messages if entry.reason_code is not None else ():
            owners.setdefault(message, set()).add(entry.reason_code)
    assert len(owners) > 50
    for message, codes in owners.items():
        found = CATALOG.reason_code_by_message(f"Reason: {message}")
        if len(codes) > 1:
            assert found is None, message  # a sentence two codes share is never guessed
        else:
            assert found is not None and (found in codes or message in CATALOG.by_reason_code(found).messages), message


def test_sentence_only_copies_are_diagnosed() -> None:
    assert _codes(6273, f"**{DLL}**") == ["NPS-REASON-21"]
    assert _codes(6274, "Reason:\tThe specified domain does not exist.") == ["NPS-REASON-7"]


def test_look_alikes_are_left_alone() -> None:
    assert _codes(6272, DLL) == ["SECURITY-6272"]  # a grant has no reason to find
    assert _codes(6273, "The NPS extension DLL said no, we think.") == ["SECURITY-6273"]
    assert _codes(6273, f"Reason Code: 16\nReason: {DLL}") == ["NPS-REASON-16"]  # the code present wins
    assert CATALOG.reason_code_by_message("") is None
