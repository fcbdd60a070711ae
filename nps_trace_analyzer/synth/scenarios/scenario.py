"""The Scenario record: one failure mode (or the healthy baseline) and the episodes that produce it.

A module of its own so that scenario groups kept outside ``definitions`` (``aadsts_families``, ``failure_classes``)
can build scenarios without importing the big table that lists them all (and the table can import them back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nps_trace_analyzer.synth.scenarios.episodes import Episode


@dataclass(frozen=True)
class Scenario:
    """One failure mode (or the healthy baseline) and how to produce it."""

    name: str
    summary: str
    description: str
    layout: str
    episodes: tuple[Episode, ...]
    settings: Mapping[str, object] = field(default_factory=dict)
    solo: bool = False

    def users(self) -> set[str]:
        """Users this scenario names explicitly."""
        return set().union(*(episode.users() for episode in self.episodes)) if self.episodes else set()


def make_scenario(
    name: str,
    summary: str,
    description: str,
    layout: str,
    *episodes: Episode,
    settings: Mapping[str, object] | None = None,
    solo: bool = False,
) -> Scenario:
    """A :class:`Scenario` written as the scenario tables write it: episodes as trailing arguments."""
    return Scenario(name, summary, description, layout, episodes, dict(settings or {}), solo)
