"""Bundles of several NPS servers and days: a farm behind Windows NLB, one member of which has drifted.

Why: the multi-server comparison and the ``fleet`` command need inputs whose truth is known. Every server-day
is an ordinary generated bundle (:func:`~nps_trace_analyzer.synth.bundle.build_bundle`); the second server
(``NPS02``) is the *drifted member*:

* its AzureMfa registry holds another CLIENT_ID (:data:`DRIFTED_CLIENT_ID`), which its own configuration check
  reports and the comparison reports as a difference between servers;
* its clock runs ``skew`` seconds ahead: every time in its bundle (event logs, NPS_EventLog.log, capture, trace)
  is shifted;
* the servers share an NLB cluster address, and NLB floods inbound packets to every member, so NPS02's capture
  also holds some of NPS01's inbound Access-Requests (the same bytes, stamped by NPS02's clock). Those shared
  packets are what the comparison measures the skew with. Only single-shot PAP requests with a
  Message-Authenticator are copied, so NPS02's own capture findings do not change.

``fleet-expected.json`` at the root states the cross-server findings the generator built in; each bundle keeps its
own expectation beside it (``<HOST>-<day>.expected.json``).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.synth.bundle import (
    BundlePlan,
    ExtensionTrace,
    build_bundle,
    split_host,
    write_plan,
    zip_bundle,
)
from nps_trace_analyzer.synth.capture import Frame, trace_from_frames
from nps_trace_analyzer.synth.scenarios.registry import RegistryDump
from nps_trace_analyzer.synth.scenarios.wire import ACCESS_ACCEPT, ACCESS_REJECT

FLEET_EXPECTED_NAME = "fleet-expected.json"
DRIFTED_CLIENT_ID = "0f3b7c1e-5a2d-4e8f-9b6a-1c2d3e4f5a6b"
DEFAULT_SKEW_SECONDS = 95.0
SHARED_REQUESTS = 12  # NPS01 requests NLB also delivers to NPS02 (enough for a median, few enough to stay small)
# What the drifted member's own configuration check reports (category as the contract's addendum for issue #5).
DRIFT_CONFIG_INCIDENT = {
    "kind": "server-config",
    "primary_code": "CONFIG-CLIENT-ID-WRONG",
    "category": "configuration",
    "benign": False,
}
# Failure modes the members run on their days (NPS02 always adds a token problem: it is the broken member).
MEMBER_SCENARIOS: tuple[tuple[str, ...], ...] = (
    ("healthy",),
    ("ests-cert-missing",),
    ("user-not-found",),
    ("oath-code-incorrect",),
    ("primary-auth-failed",),
)
RADIUS_AUTH_PORT = 1812
ATTR_USER_PASSWORD = 2
ATTR_PROXY_STATE = 33
ATTR_MESSAGE_AUTHENTICATOR = 80


def host_name(index: int) -> str:
    """``NPS01``, ``NPS02``... for server ``index`` (0-based)."""
    return f"NPS{index + 1:02d}"


def _with_client_id(dump: RegistryDump, client_id: str) -> RegistryDump:
    values = tuple((name, kind, client_id if name == "CLIENT_ID" else data) for name, kind, data in dump.values)
    return replace(dump, values=values)


def _radius_request(frame: Frame) -> tuple[bytes, dict[int, int]] | None:
    """``(identifier + authenticator, attribute counts)`` of an inbound Access-Request frame, else None."""
    data = frame.data
    if frame.direction != "in" or len(data) < 14 + 20 + 8 + 20 or data[12:14] != b"\x08\x00" or data[23] != 17:
        return None
    ip_len = (data[14] & 0x0F) * 4
    udp = 14 + ip_len
    if int.from_bytes(data[udp + 2 : udp + 4], "big") != RADIUS_AUTH_PORT:
        return None
    radius = data[udp + 8 :]
    if len(radius) < 20 or radius[0] != 1:
        return None
    attrs: Counter[int] = Counter()
    offset = 20
    while offset + 2 <= len(radius) and radius[offset + 1] >= 2:
        attrs[radius[offset]] += 1
        offset += radius[offset + 1]
    return radius[1:2] + radius[4:20], dict(attrs)


def shared_requests(frames: Sequence[Frame], limit: int = SHARED_REQUESTS) -> list[Frame]:
    """Inbound single-shot PAP Access-Requests with a Message-Authenticator and no Proxy-State, spread over the
    day (every n-th), at most ``limit``."""
    seen: Counter[bytes] = Counter()
    candidates: list[tuple[Frame, bytes]] = []
    for frame in frames:
        parsed = _radius_request(frame)
        if parsed is None:
            continue
        key, attrs = parsed
        seen[key] += 1
        if attrs.get(ATTR_USER_PASSWORD) and attrs.get(ATTR_MESSAGE_AUTHENTICATOR) and not attrs.get(ATTR_PROXY_STATE):
            candidates.append((frame, key))
    single = [frame for frame, key in candidates if seen[key] == 1]
    step = max(1, len(single) // limit)
    return single[::step][:limit]


def drift(plan: BundlePlan, skew: timedelta, flooded: Sequence[Frame], seed: int) -> BundlePlan:
    """``plan`` as the drifted member writes it: other CLIENT_ID, clock ``skew`` ahead, ``flooded`` frames added."""
    files = {name: tuple(replace(s, time=s.time + skew) for s in specs) for name, specs in plan.files.items()}
    text = {name: tuple(replace(s, time=s.time + skew) for s in specs) for name, specs in plan.eventlog_text.items()}
    registry = {
        name: _with_client_id(dump, DRIFTED_CLIENT_ID) if "azuremfa" in name.lower() else dump
        for name, dump in plan.registry.items()
    }
    captures = {}
    rng = random.Random(f"{seed}:nlb")
    for name, trace in plan.captures.items():
        own = [replace(f, time=f.time + skew) for f in trace.frames]
        copies = [replace(f, time=f.time + skew + timedelta(microseconds=rng.randrange(50, 400))) for f in flooded]
        start = min([trace.start + skew, *(f.time for f in copies)])
        captures[name] = trace_from_frames([*own, *copies], start, rng)
    traces = {
        name: ExtensionTrace(start=t.start + skew, records=tuple(replace(r, time=r.time + skew) for r in t.records))
        for name, t in plan.extension_traces.items()
    }
    expected = dict(plan.expected)
    if registry:
        _short, computer = plan_computer(plan)
        incidents = [*list(expected.get("incidents", [])), {**DRIFT_CONFIG_INCIDENT, "server": computer}]
        expected["incidents"] = incidents
    return replace(
        plan,
        files=files,
        eventlog_text=text,
        registry=registry,
        captures=captures,
        extension_traces=traces,
        expected=expected,
    )


def plan_computer(plan: BundlePlan) -> tuple[str, str]:
    """The (short, computer) name of the server that wrote ``plan``."""
    for specs in plan.files.values():
        for spec in specs:
            if spec.computer:
                return split_host(spec.computer)
    return "", ""


def _outcomes(plan: BundlePlan) -> tuple[Counter[str], Counter[str], dict[str, str]]:
    """Users (by user key) finally accepted and rejected on the wire, and a display name per key."""
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    display: dict[str, str] = {}
    for attempt in plan.attempts:
        answers = [r.answer for r in attempt.rounds if r.answer is not None]
        key = user_key(attempt.user)
        display.setdefault(key, attempt.user)
        if answers and answers[-1] == ACCESS_ACCEPT:
            accepted[key] += 1
        elif answers and answers[-1] == ACCESS_REJECT:
            rejected[key] += 1
    return accepted, rejected, display


def generate_farm(
    root: Path | str,
    *,
    servers: int = 2,
    days: int = 1,
    first_day: date = date(2025, 3, 12),
    seed: int = 1,
    healthy: int = 20,
    skew_seconds: float = DEFAULT_SKEW_SECONDS,
    zip_every: int = 2,
    scenarios: Sequence[Sequence[str]] = MEMBER_SCENARIOS,
) -> list[Path]:
    """Write ``servers`` x ``days`` bundles under ``root/<HOST>/<HOST>-<day>`` (every ``zip_every``-th as a zip
    only; 0 never zips) and ``fleet-expected.json``; returns the bundle paths written."""
    if servers < 1 or days < 1:
        raise ValueError("a farm needs at least one server and one day")
    root = Path(root)
    written: list[Path] = []
    expected: list[dict[str, object]] = []
    skew = timedelta(seconds=skew_seconds)
    for day_index in range(days):
        day = first_day + timedelta(days=day_index)
        plans: list[BundlePlan] = []
        for index in range(servers):
            picked = list(scenarios[(index + day_index) % len(scenarios)])
            if index == 1 and "ests-cert-missing" not in picked:
                picked.append("ests-cert-missing")
            plan_seed = seed * 1_000 + day_index * 37 + index
            plan = build_bundle(picked, seed=plan_seed, host=host_name(index), day=day, healthy=healthy)
            if index == 1:
                flooded = [f for trace in plans[0].captures.values() for f in shared_requests(trace.frames)]
                plan = drift(plan, skew, flooded, plan_seed)
            plans.append(plan)
        for index, plan in enumerate(plans):
            host = host_name(index)
            folder = root / host / f"{host}-{day.isoformat()}"
            write_plan(plan, folder)
            if zip_every and (index + day_index) % zip_every == zip_every - 1:
                written.append(zip_bundle(folder))
                for path in sorted(folder.iterdir()):
                    path.unlink()
                folder.rmdir()
            else:
                written.append(folder)
        if servers >= 2:
            expected.extend(_expected_for_day(plans, day, skew_seconds))
    text = json.dumps({"findings": expected}, indent=2, ensure_ascii=False) + "\n"
    root.mkdir(parents=True, exist_ok=True)
    (root / FLEET_EXPECTED_NAME).write_text(text, encoding="utf-8")
    return written


def _expected_for_day(plans: list[BundlePlan], day: date, skew_seconds: float) -> list[dict[str, object]]:
    """The cross-server findings one day of the farm must produce (from the plans, not from the analyzer)."""
    reference, drifted = plan_computer(plans[0])[1], plan_computer(plans[1])[1]
    out: list[dict[str, object]] = [
        {"day": day.isoformat(), "code": "SERVERS-CONFIG-DIFFER", "check_id": "client-id"},
        {
            "day": day.isoformat(),
            "code": "SERVERS-CLOCK-SKEW",
            "server": drifted,
            "reference": reference,
            "offset_seconds": skew_seconds,
        },
    ]
    outcomes = [_outcomes(plan) for plan in plans]
    for index, (_accepted, rejected, display) in enumerate(outcomes):
        for key in sorted(rejected):
            working = [
                plan_computer(plans[o])[1]
                for o, (acc, rej, _d) in enumerate(outcomes)
                if o != index and acc.get(key) and not rej.get(key)
            ]
            if working:
                out.append(
                    {
                        "day": day.isoformat(),
                        "code": "USER-FAILS-ON-ONE-SERVER",
                        "user": display[key],
                        "server": plan_computer(plans[index])[1],
                    }
                )
    return out
