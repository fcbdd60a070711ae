"""Summaries of the event stream that are made in parts and merged: the observers that run where events are read.

Why: with ``--jobs N`` the worker processes read the .evtx shards; sending every event back so that the parent
could count grants, computers and identifiers cost the parent more than the counting itself (one Python object
per event to unpickle). A :class:`Tally` instead runs in each worker over its shard's events, and the parent
merges the small partial results. Merging must not depend on how the stream was cut or in which order the parts
arrive (associative and commutative), so outputs stay byte-identical for any number of jobs and any read order;
tests split streams at random points and compare the merge with one pass.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from nps_trace_analyzer.core.model import Event, Finding

T = TypeVar("T", bound="Tally")


class Tally(Protocol):
    """One summary of the events (and their findings) as they stream past.

    ``sees_repeats``: whether it also counts events that repeat another source's (the NPS text log beside
    Security.evtx); a count of sign-ins must not, a list of identifiers to redact must.
    """

    @property
    def sees_repeats(self) -> bool: ...

    def empty(self: T) -> T:
        """A new, empty tally of the same kind and settings (sent to a worker for one shard)."""
        ...

    def observe(self, event: Event, findings: list[Finding]) -> None: ...

    def merge(self: T, other: T) -> None:
        """Add what ``other`` counted over another part of the stream."""
        ...
