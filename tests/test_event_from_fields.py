"""``event_from_fields`` (the hot paths' way to build an Event) makes the very object ``Event(...)`` makes."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.core.model import Event, event_from_fields
from nps_trace_analyzer.core.transfer import pack, unpack

FIELDS = {
    "time": datetime(2025, 3, 12, 8, 30, tzinfo=timezone.utc),
    "source_file": "AuthZOptCh.evtx",
    "channel": "AuthZOptCh",
    "provider": "AuthZOptCh",
    "event_id": 1,
    "level": 2,
    "record_id": 7,
    "computer": "nps01.contoso.com",
    "data": ((None, "NPS Extension for Azure MFA:  CID: 1 : Access Rejected"),),
    "text": "NPS Extension for Azure MFA:  CID: 1 : Access Rejected",
    "source_kind": "evtx",
}


def test_same_object_as_the_constructor() -> None:
    made = Event(**FIELDS)
    fast = event_from_fields(dict(FIELDS))
    assert fast == made and hash(fast) == hash(made)
    assert vars(fast) == vars(made) and list(vars(fast)) == list(vars(made))  # same fields, same order
    assert repr(fast) == repr(made)
    assert pickle.loads(pickle.dumps(fast)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.text = "changed"  # type: ignore[misc]


def test_the_transfer_round_trip_rebuilds_equal_events() -> None:
    event = Event(**FIELDS)
    events, findings = unpack(pack([], [event]))
    assert events == [event] and findings == []
    assert list(vars(events[0])) == [f.name for f in dataclasses.fields(Event)]
