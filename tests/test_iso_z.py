"""iso_z's fast path (isoformat) renders exactly what strftime renders, over five centuries and any offset."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from nps_trace_analyzer.core.model import iso_z


def _reference(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def test_iso_z_equals_strftime() -> None:
    rng = random.Random(1)
    base = datetime(1601, 1, 1, tzinfo=timezone.utc)  # FILETIME's epoch: what a damaged record can hold
    for _ in range(20_000):
        value = base + timedelta(microseconds=rng.randrange(500 * 365 * 86400 * 10**6))
        if rng.random() < 0.2:
            value = value.astimezone(timezone(timedelta(minutes=rng.randrange(-720, 841, 15))))
        assert iso_z(value) == _reference(value)
    for year in (1, 999, 1000, 9999):
        value = datetime(year, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc)
        assert iso_z(value) == _reference(value)
    assert iso_z(None) == ""
