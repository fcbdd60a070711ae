"""Done-when of issue #9: the diagnosis does not depend on how the AzureMfa EventData is laid out.

Every AzureMfa event of every scenario is rendered in every layout the generator knows (one <Data>, the sentence
split at its grammar boundaries with and without the prefix, the split pieces in a shuffled order, one <Data>
per word, bare insertion strings; short and long channel and provider names) and the bundle must give exactly
the incidents its expected.json lists, each time. Non-solo scenarios are checked together in the combined
bundle ("all"), solo scenarios one by one.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest
from test_e2e_scenarios import _analyze, assert_diagnosis

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, build_bundle, expected_path, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS
from nps_trace_analyzer.synth.scenarios.events import split_message
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS, MfaLayout

CATALOG = load_catalog()

SELECTIONS = ["all", *(s.name for s in SCENARIOS if s.solo)]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("selection", SELECTIONS)
def test_same_incidents_in_every_layout(selection: str, layout: str, tmp_path: Path) -> None:
    bundle = generate_bundle(
        tmp_path / "bundle", [selection], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=40, layout=layout
    )
    expected = json.loads(expected_path(bundle).read_text(encoding="utf-8"))
    doc = _analyze(bundle, tmp_path / "report")
    assert_diagnosis(doc["incidents"], expected["incidents"])


def test_layouts_really_differ() -> None:
    """The layouts must produce different EventData for the same message (or the test above proves nothing)."""
    from nps_trace_analyzer.synth.scenarios import texts

    message = texts.access_rejected(
        "430ef057-7941-44ff-a0b1-240e7d74cedc",
        "anna.schmidt@contoso.com",
        "UserNotFound",
        "The specified user was not found",
    )
    shapes = {split_message(message, layout) for layout in LAYOUTS.values()}
    assert len(shapes) == len({layout.data for layout in LAYOUTS.values()})
    values = [v for _, v in split_message(message, LAYOUTS["insertion"])]
    assert "UserNotFound" in values and "anna.schmidt@contoso.com" in values and not any("Access" in v for v in values)


def _azuremfa_messages() -> list[tuple[str, int]]:
    """Every distinct AzureMfa message (and its level) the scenarios write."""
    seen: dict[str, int] = {}
    for selection in SELECTIONS:
        plan = build_bundle([selection], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=40, layout="single")
        for name, specs in plan.files.items():
            if "Auth" in name:
                for spec in specs:
                    seen.setdefault(spec.extra["message"], spec.level)
    return sorted(seen.items())


MESSAGES = _azuremfa_messages()


def _reading(values: list[str], level: int) -> tuple[object, ...]:
    event = Event(
        time=datetime(2025, 3, 12, tzinfo=timezone.utc),
        source_file="AuthZOptCh.evtx",
        channel="AuthZOptCh",
        provider="AuthZ",
        event_id=1,
        level=level,
        record_id=1,
        computer="NPS02",
        data=tuple((None, v) for v in values),
        text=" ".join(v for v in values if v),
    )
    found = list(findings_for(event, CATALOG))
    keys = ("user", "cid", "state", "mfa_response", "response_state", "registry_key")
    return tuple(sorted(f.code for f in found)), tuple(found[0].attrs.get(k) for k in keys)


def test_permutations_of_the_split_parts_read_the_same() -> None:
    """Each message, cut at its grammar boundaries with and without the prefix, in eight random orders of its
    pieces, gives the codes, user, CID, state and response of the whole message."""
    assert len(MESSAGES) >= 20
    rng = random.Random(9)
    for message, level in MESSAGES:
        want = _reading([message], level)
        assert want[0], message
        for data in ("split", "split-noprefix"):
            pieces = [v for _, v in split_message(message, MfaLayout(data=data))]
            for _ in range(8):
                rng.shuffle(pieces)
                assert _reading(pieces, level) == want, (message, pieces)
