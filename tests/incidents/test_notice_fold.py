"""Harmless CID-less notices folded into counts (incidents/notices.py) give exactly the incidents of every notice
kept as a finding: filed in one pass or in random parts (pickled, as between processes) merged in a random order,
with more notices than evidence rows (the kept rows are trimmed and merged), notices out of time order, repeated
records, two servers, trace lines that copy a notice, and sign-ins, challenges and failures around them."""

from __future__ import annotations

import itertools
import pickle
import random
from typing import Any

import pytest

from nps_trace_analyzer.analysis.incidents import IncidentEngine, new_intake, notices
from nps_trace_analyzer.analysis.incidents.builder import MAX_EVIDENCE
from nps_trace_analyzer.core.model import Finding, Incident
from tests.incidents.helpers import CATALOG, event, finding, trace

PREFIX = "NPS Extension for Azure MFA: "
NOTICE = (
    f"{PREFIX}NPS Extension for Azure MFA only performs Secondary Auth for Radius requests in AccessAccept State. "
    "Request received for User {user} with response state AccessChallenge, ignoring request."
)
CHALLENGE = f"{PREFIX}CID: {{cid}} : Challenge requested in Authentication Ext for User {{user}} with state {{cid}}"


def _findings_of(seconds: float, text: str, **kw: Any) -> list[Finding]:
    from nps_trace_analyzer.analysis.findings import findings_for

    return list(findings_for(event(seconds, text, **kw), CATALOG))


def _stream(rng: random.Random) -> list[Finding]:
    """Notices of many users on two servers (3 x MAX_EVIDENCE + 17), some at the same second, some records twice,
    in shuffled order; challenges answered by them or not; failures with CIDs; trace copies of a few notices."""
    out: list[Finding] = []
    notices_made: list[list[Finding]] = []
    for n in range(3 * MAX_EVIDENCE + 17):
        user = f"user{n % 37}@contoso.com"
        computer = "NPS01.contoso.local" if n % 5 else "NPS02.contoso.local"
        found = _findings_of(float(rng.randint(0, 3000)), NOTICE.format(user=user), computer=computer)
        assert [f.code for f in found] == ["SECONDARY_AUTH_ACCESS_CHALLENGE"], found
        notices_made.append(found)
    for found in rng.sample(notices_made, 9):  # the same record read twice (an overlapping shard, a copy)
        notices_made.append(list(found))
    for n in range(40):
        cid = f"00000000-0000-4000-8000-{n:012d}"
        seconds = float(rng.randint(0, 3000))
        notices_made.append(_findings_of(seconds, CHALLENGE.format(cid=cid, user=f"user{n % 41}@contoso.com")))
        if n % 3 == 0:
            notices_made.append([finding("OathCodeIncorrect", seconds + 5, kind="response", cid=cid, user="x")])
    for found in rng.sample(notices_made[: 3 * MAX_EVIDENCE], 6):  # the trace repeats a few notices
        user = found[0].attrs["user"]
        seconds = (found[0].event.time - event(0).time).total_seconds()
        out.append(trace("SECONDARY_AUTH_ACCESS_CHALLENGE", seconds + 1, user=user))
    rng.shuffle(notices_made)
    out.extend(f for found in notices_made for f in found)
    return out


def _parts(items: list[Finding], rng: random.Random) -> list[list[Finding]]:
    """Cut at random points, never inside one event's findings (a shard holds whole records)."""
    cuts = sorted(rng.randint(0, len(items)) for _ in range(rng.randint(1, 9)))
    bounds = [0, *cuts, len(items)]
    parts = [items[a:b] for a, b in itertools.pairwise(bounds)]
    rng.shuffle(parts)
    return parts


def _one_pass(findings: list[Finding]) -> tuple[list[Incident], int, int]:
    engine = IncidentEngine(CATALOG)
    engine.add_all(findings)
    return engine.incidents(), engine.trace_copies, engine.answered_challenges


@pytest.mark.parametrize("seed", range(5))
def test_folded_notices_make_the_incidents_of_every_notice(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _stream(random.Random(seed))
    folded = _one_pass(findings)
    engine = IncidentEngine(CATALOG)
    engine.add_all(findings)
    engine.intake.settle()
    assert sum(len(f.row_keys()) for f in engine.intake.folds.values()) > 2 * MAX_EVIDENCE, "nothing was folded"
    with monkeypatch.context() as patch:
        patch.setattr(notices, "foldable", lambda _findings, _ctx: False)
        patch.setattr("nps_trace_analyzer.analysis.incidents.intake.foldable", lambda _findings, _ctx: False)
        every = _one_pass(findings)
    assert folded == every
    server = [i for i in every[0] if i.primary_code == "SECONDARY_AUTH_ACCESS_CHALLENGE"]
    assert len(server) == 2 and sum(i.count for i in server) == 3 * MAX_EVIDENCE + 17
    assert every[1] >= 1, "no trace line was a copy: the marks of folded notices are not exercised"


@pytest.mark.parametrize("seed", range(5))
def test_folds_merge_in_any_order_after_any_cut(seed: int) -> None:
    rng = random.Random(seed)
    findings = _stream(rng)
    expected = _one_pass(findings)
    merged = IncidentEngine(CATALOG)
    for part in _parts(findings, rng):
        intake = new_intake(CATALOG)
        for f in part:
            intake.add(f)
        merged.merge(pickle.loads(pickle.dumps(intake)))
    assert (merged.incidents(), merged.trace_copies, merged.answered_challenges) == expected


def test_what_is_not_harmless_is_never_folded() -> None:
    ctx = IncidentEngine(CATALOG).ctx
    notice = _findings_of(0, NOTICE.format(user="a@contoso.com"))
    assert notices.foldable(notice, ctx)
    with_cid = [finding("SECONDARY_AUTH_ACCESS_CHALLENGE", 1, kind="secondary", cid="c1", user="a")]
    reject = _findings_of(2, NOTICE.replace("AccessChallenge", "AccessReject").format(user="a@contoso.com"))
    in_trace = [trace("SECONDARY_AUTH_ACCESS_CHALLENGE", 3, user="a")]
    failure = [finding("REQUEST_FORMAT_ERROR", 4, user="a")]
    from dataclasses import replace

    from nps_trace_analyzer.core.wintime import FILETIME_EPOCH

    undated = [replace(notice[0], event=replace(notice[0].event, time=FILETIME_EPOCH))]
    for found in (with_cid, reject, in_trace, failure, undated):
        assert not notices.foldable(found, ctx), found


def test_challenges_answered_in_a_worker_are_tested_again_under_a_shorter_timeout() -> None:
    """Workers answer challenges with the default timeout; a parent with a shorter one must not trust that."""
    from datetime import timedelta

    from nps_trace_analyzer.analysis.incidents import IncidentOptions

    rng = random.Random(7)
    findings = _stream(rng)
    options = IncidentOptions(challenge_timeout=timedelta(seconds=20))
    one = IncidentEngine(CATALOG, options)
    one.add_all(findings)
    expected = (one.incidents(), one.answered_challenges)
    merged = IncidentEngine(CATALOG, options)
    for part in _parts(findings, rng):
        intake = new_intake(CATALOG)
        for f in part:
            intake.add(f)
        merged.merge(pickle.loads(pickle.dumps(intake)))
    assert merged.intake.answered, "no challenge was answered in a worker: the case is not exercised"
    assert (merged.incidents(), merged.answered_challenges) == expected
    assert expected[0] != _one_pass(findings)[0], "the shorter timeout changes nothing: the case is not exercised"
