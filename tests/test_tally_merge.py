"""Summaries made in parts and merged equal one pass over the whole stream, however it is cut and merged.

The worker processes run the per-event tallies (sign-in activity, observations, the redactor's identifiers) and
file their findings for the incident engine per shard; the parent merges. These tests cut a real event stream (the
demo bundle's, every source) at random points into random numbers of parts, merge the parts in a random order
(and after a pickle round trip, as between processes), and compare with one pass: the merges are associative and
commutative, so the reports cannot depend on --jobs or on the order files are read.
"""

from __future__ import annotations

import itertools
import pickle
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from nps_trace_analyzer.analysis import activity, observations
from nps_trace_analyzer.analysis.activity import SignInActivity, timeline
from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.analysis.incidents import IncidentEngine, new_intake
from nps_trace_analyzer.analysis.observations import ObservationCollector, radius_mark
from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Event, Finding
from nps_trace_analyzer.pipeline import AnalyzeOptions
from nps_trace_analyzer.report.redact import Identifiers, Redactor

DEMO = Path(__file__).resolve().parent.parent / "samples" / "demo-bundle"
Stream = list[tuple[Event, list[Finding]]]


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


@pytest.fixture(scope="module")
def stream(catalog: Any) -> Stream:
    """Every event of the demo bundle (evtx, text logs, traces, capture) with its findings."""
    events = analyze_bundle(DEMO, options=AnalyzeOptions(jobs=1)).events
    assert len(events) > 1000
    return [(event, list(findings_for(event, catalog))) for event in events]


def _parts(items: list[Any], rng: random.Random) -> list[list[Any]]:
    """``items`` cut at random points (empty parts included), the parts in a random order."""
    cuts = sorted(rng.randint(0, len(items)) for _ in range(rng.randint(1, 12)))
    bounds = [0, *cuts, len(items)]
    parts = [items[a:b] for a, b in itertools.pairwise(bounds)]
    rng.shuffle(parts)
    return parts


def _split_merged(tally: Any, stream: Stream, seed: int) -> Any:
    """``tally`` filled part by part in fresh copies that are pickled (as between processes), then merged."""
    rng = random.Random(seed)
    whole = tally.empty()
    for part in _parts(stream, rng):
        piece = tally.empty()
        for event, findings in part:
            piece.observe(event, findings)
        whole.merge(pickle.loads(pickle.dumps(piece)))
    return whole


def _one_pass(tally: Any, stream: Stream) -> Any:
    for event, findings in stream:
        tally.observe(event, findings)
    return tally


@pytest.mark.parametrize("seed", range(6))
def test_sign_in_activity_merges_like_one_pass(stream: Stream, seed: int) -> None:
    one = _one_pass(SignInActivity(), stream)
    assert one.grants, "the demo bundle has granted sign-ins"
    merged = _split_merged(SignInActivity(), stream, seed)
    assert (merged.slot_seconds, merged.grants) == (one.slot_seconds, one.grants)
    assert timeline(merged, []) == timeline(one, [])


def _grants(minutes: list[int]) -> Stream:
    """NPS audit 6272 events at the given minutes."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        (
            Event(
                start + timedelta(minutes=m),
                "Security.evtx",
                "Security",
                "Microsoft-Windows-Security-Auditing",
                6272,
                0,
                i,
                "NPS01",
                (("SubjectUserName", "u"),),
                "granted",
            ),
            [],
        )
        for i, m in enumerate(minutes)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_sign_in_activity_folds_to_hours_whatever_part_folded(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Past the minute limit one pass folds into hours; so does the merge, whether a part folded or only the union
    of unfolded parts is too long."""
    monkeypatch.setattr(activity, "MAX_MINUTES", 40)
    rng = random.Random(seed)
    grants = _grants([rng.randrange(600) for _ in range(rng.choice((30, 60, 300)))])
    one = _one_pass(SignInActivity(), grants)
    merged = _split_merged(SignInActivity(), grants, seed)
    assert (merged.slot_seconds, merged.grants) == (one.slot_seconds, one.grants)


def _observed(collector: ObservationCollector) -> tuple[Any, ...]:
    obs = collector.observations
    return (
        obs.computers,
        obs.granted,
        obs.auth_events,
        obs.first_auth,
        obs.last_auth,
        obs.clock_marks,
        obs.mark_limit,
        obs.server,
    )


@pytest.mark.parametrize("seed", range(6))
def test_observations_merge_like_one_pass(stream: Stream, seed: int) -> None:
    one = _one_pass(ObservationCollector(), stream)
    assert one.observations.auth_events and one.observations.granted
    assert _observed(_split_merged(ObservationCollector(), stream, seed)) == _observed(one)


def _radius_packets(rng: random.Random, n: int) -> Stream:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    out: Stream = []
    for i in range(n):
        authenticator = f"{rng.getrandbits(128):032x}"
        data = (("nas", f"10.0.0.{rng.randrange(3)}"), ("radius_id", str(i % 256)), ("authenticator", authenticator))
        when = start + timedelta(seconds=rng.randrange(3600))
        out.append(
            (
                Event(
                    when, "nettrace.etl", "capture", "RADIUS", 0, None, None, "NPS01", data, "", source_kind="capture"
                ),
                [],
            )
        )
        if rng.random() < 0.2:  # the same packet seen again, later or earlier
            out.append(
                (
                    Event(
                        when + timedelta(seconds=rng.randrange(-5, 5)),
                        "nettrace.etl",
                        "capture",
                        "RADIUS",
                        0,
                        None,
                        None,
                        "NPS01",
                        data,
                        "",
                        source_kind="capture",
                    ),
                    [],
                )
            )
    return out


@pytest.mark.parametrize("seed", range(6))
def test_clock_marks_merge_like_one_pass(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """The sample of clock marks (kept below a halving hash limit) is the same from parts as from one pass."""
    monkeypatch.setattr(observations, "MAX_CLOCK_MARKS", 25)
    packets = _radius_packets(random.Random(seed), 400)
    one = _one_pass(ObservationCollector(), packets)
    assert one.observations.mark_limit < 1 << 32 and 0 < len(one.observations.clock_marks) <= 25
    assert _observed(_split_merged(ObservationCollector(), packets, seed)) == _observed(one)
    first = packets[0][0]
    key = radius_mark(first.get("nas"), first.get("radius_id"), first.get("authenticator"))
    assert (key in one.observations.clock_marks) == (
        int(first.get("authenticator")[:8], 16) < one.observations.mark_limit
    )


def _redacted(learn: Callable[[Redactor], None], texts: list[str]) -> list[str]:
    redactor = Redactor(b"k")
    learn(redactor)
    return [redactor.text(t) for t in texts]


@pytest.mark.parametrize("seed", range(4))
def test_identifiers_merge_like_learning_each_event(stream: Stream, seed: int) -> None:
    """The redactor learns from the merged identifier sets exactly what it learned from every event and finding."""
    merged = _split_merged(Identifiers(), stream, seed)
    assert merged.found == _one_pass(Identifiers(), stream).found

    def each(redactor: Redactor) -> None:
        for event, findings in stream:
            redactor.learn_event(event)
            for finding in findings:
                redactor.learn_attrs(finding.attrs)

    texts = [event.text for event, _f in stream[::7]] + [event.computer for event, _f in stream[::50]]
    assert _redacted(each, texts) == _redacted(lambda r: r.learn_all(merged), texts)


@pytest.mark.parametrize("seed", range(4))
def test_engine_intake_merges_like_adding_every_finding(catalog: Any, stream: Stream, seed: int) -> None:
    """Findings filed in parts (in worker processes), pickled and merged in any order: the same incidents."""
    findings = [f for _e, found in stream for f in found]
    one = IncidentEngine(catalog)
    one.add_all(findings)
    expected = one.incidents()
    assert len(expected) >= 10

    merged = IncidentEngine(catalog)
    for part in _parts(findings, random.Random(seed)):
        intake = new_intake(catalog)
        for finding in part:
            intake.add(finding)
        merged.merge(pickle.loads(pickle.dumps(intake)))
    assert merged.incidents() == expected
    assert merged.text_log_repeats_evtx == one.text_log_repeats_evtx
    assert (merged.answered_challenges, merged.trace_copies, merged.text_log_duplicates) == (
        one.answered_challenges,
        one.trace_copies,
        one.text_log_duplicates,
    )
