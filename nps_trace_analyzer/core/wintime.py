"""Windows time values: FILETIME (100 ns ticks since 1601-01-01 UTC) to aware datetimes.

Its own module because both the ETL reader (sources) and the packet decoders (net) need it, and net must not
import sources (sources uses net to decode what it reads; the reverse would make an import cycle).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_FILETIME_MAX = 2650467743999999999  # 9999-12-31T23:59:59.9999999Z


def filetime_to_datetime(ticks: int) -> datetime:
    """Convert FILETIME ticks (100 ns since 1601 UTC) to an aware datetime, truncating to microseconds.

    Out-of-range values (damaged timestamps) map to the FILETIME epoch rather than raising.
    """
    if ticks < 0 or ticks > _FILETIME_MAX:
        return FILETIME_EPOCH
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
