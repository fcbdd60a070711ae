"""Scenario generator content: documented NPS / MFA-extension failure modes as data.

``definitions`` lists the scenarios, ``episodes`` the building blocks they are made of, ``context`` the
seeded state a bundle is built in, ``events`` the EventSpec factories, ``texts`` the verbatim message texts,
``world`` the fictional organisation, ``contract`` the expected category of every code; ``extraction_cases``
the scenarios of the extraction failure classes of issue #9.
"""

from __future__ import annotations

from nps_trace_analyzer.synth.scenarios import definitions, extraction_cases
from nps_trace_analyzer.synth.scenarios.definitions import DEMO_SCENARIOS, Scenario

# Scenario modules beside ``definitions`` add their own tuples here (one registry, looked up by name).
SCENARIOS: tuple[Scenario, ...] = definitions.SCENARIOS + extraction_cases.SCENARIOS
BY_NAME: dict[str, Scenario] = {scenario.name: scenario for scenario in SCENARIOS}
if len(BY_NAME) != len(SCENARIOS):
    raise ValueError("two scenarios share a name")

__all__ = ["BY_NAME", "DEMO_SCENARIOS", "SCENARIOS", "Scenario", "resolve"]


def resolve(names: list[str] | tuple[str, ...]) -> list[Scenario]:
    """Scenarios for ``names`` in order, expanding "all" (every scenario but the solo ones) and "demo";
    duplicates kept once.

    Raises KeyError naming every unknown name.
    """
    unknown = [name for name in names if name not in BY_NAME and name not in ("all", "demo")]
    if unknown:
        raise KeyError(", ".join(unknown))
    chosen: list[Scenario] = []
    for name in names:
        if name == "all":
            expanded = [s.name for s in SCENARIOS if not s.solo]
        else:
            expanded = list(DEMO_SCENARIOS) if name == "demo" else [name]
        for item in expanded:
            if BY_NAME[item] not in chosen:
                chosen.append(BY_NAME[item])
    return chosen
