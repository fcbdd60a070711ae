"""One server's comparable summary (:class:`ServerProfile`), made from a per-bundle analysis result.

Why a separate, small record: the comparison runs after every bundle has been analysed, possibly on other
machines (Dask workers return it), so it must be picklable, small (no events), and hold only what the
comparison rules look at. It is built from :class:`~nps_trace_analyzer.api.BundleAnalysis` alone: the
comparison never reaches into readers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nps_trace_analyzer.api import BundleAnalysis
from nps_trace_analyzer.core.identity import user_key

# Incident kinds in which a user was refused (server-level faults name no user).
FAILURE_KINDS = ("sign-in", "nps-reject", "challenge-no-result")
# Configuration rows that describe the capture, not the server's settings.
_NOT_SETTINGS = ("changed-during-capture",)


@dataclass
class UserFailures:
    """A user's non-benign failures on one server: how often, with which primary codes, when."""

    display: str
    count: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None


@dataclass
class ServerProfile:
    """What the comparison rules need from one server's bundle(s).

    ``config``: check id -> (title, evidence, status) of the registry checks of the state that ran (After
    dump, or the only dump); ``clock_marks``: identity of a captured packet -> its time (see
    :mod:`nps_trace_analyzer.analysis.observations`).
    """

    server: str
    bundles: list[str]
    failures: dict[str, UserFailures] = field(default_factory=dict)
    granted: Counter[str] = field(default_factory=Counter)
    config: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    auth_events: int = 0
    first_auth: datetime | None = None
    last_auth: datetime | None = None
    first_time: datetime | None = None
    last_time: datetime | None = None
    clock_marks: dict[str, datetime] = field(default_factory=dict)


def _bounds(values: list[datetime | None]) -> tuple[datetime | None, datetime | None]:
    present = [v for v in values if v is not None]
    return (min(present), max(present)) if present else (None, None)


def profile_of(analysis: BundleAnalysis, label: str | None = None) -> ServerProfile:
    """The profile of one analysed bundle; ``label`` names the server when the bundle's events name none."""
    obs = analysis.observations
    server = analysis.server or label or analysis.bundle
    first, last = _bounds([t for i in analysis.inputs for t in (i.first_time, i.last_time)])
    profile = ServerProfile(
        server=server,
        bundles=[analysis.bundle],
        granted=Counter(obs.granted),
        auth_events=obs.auth_events,
        first_auth=obs.first_auth,
        last_auth=obs.last_auth,
        first_time=first,
        last_time=last,
        clock_marks=dict(obs.clock_marks),
    )
    for inc in analysis.incidents:
        if inc.benign or inc.kind not in FAILURE_KINDS or not inc.user:
            continue
        key = user_key(inc.user)
        entry = profile.failures.setdefault(key, UserFailures(display=inc.user))
        entry.count += 1
        entry.codes[inc.primary_code] += 1
        entry.first = inc.first_seen if entry.first is None else min(entry.first, inc.first_seen)
        entry.last = inc.last_seen if entry.last is None else max(entry.last, inc.last_seen)
    profile.config = settings_of(analysis.server_config)
    return profile


def settings_of(rows: list[dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    """check id -> (title, evidence, status) of the state that ran: the After dump's rows when there are any
    (the Before rows then only repeat verdicts that changed), otherwise the only dump's (source "" or "before")."""
    sources = {str(row.get("source", "")) for row in rows}
    wanted = "after" if "after" in sources else ("" if "" in sources else "before")
    config = {}
    for row in rows:
        check_id = str(row.get("check_id", ""))
        if not check_id or check_id.startswith(_NOT_SETTINGS) or str(row.get("source", "")) != wanted:
            continue
        if row.get("status") == "unknown":
            continue
        config[check_id] = (str(row.get("title", "")), str(row.get("evidence", "")), str(row.get("status")))
    return config


def merge_profiles(profiles: list[ServerProfile]) -> ServerProfile:
    """Several bundles of one server as one profile (configuration: the latest bundle's)."""
    ordered = sorted(profiles, key=lambda p: (p.last_time.timestamp() if p.last_time else 0.0, p.bundles))
    merged = ServerProfile(server=ordered[0].server, bundles=[b for p in ordered for b in p.bundles])
    for p in ordered:
        for key, fail in p.failures.items():
            entry = merged.failures.setdefault(key, UserFailures(display=fail.display))
            entry.count += fail.count
            entry.codes.update(fail.codes)
            entry.first = min(t for t in (entry.first, fail.first) if t is not None) if fail.first else entry.first
            entry.last = max(t for t in (entry.last, fail.last) if t is not None) if fail.last else entry.last
        merged.granted.update(p.granted)
        merged.config.update(p.config)
        merged.auth_events += p.auth_events
        merged.first_auth, _ = _bounds([merged.first_auth, p.first_auth])
        _, merged.last_auth = _bounds([merged.last_auth, p.last_auth])
        merged.first_time, _ = _bounds([merged.first_time, p.first_time])
        _, merged.last_time = _bounds([merged.last_time, p.last_time])
        for key, when in p.clock_marks.items():
            merged.clock_marks[key] = min(when, merged.clock_marks.get(key, when))
    return merged


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def profile_to_dict(profile: ServerProfile) -> dict[str, Any]:
    """A JSON-ready form (fleet keeps one per analysed bundle, to compare servers again on later runs)."""
    return {
        "server": profile.server,
        "bundles": list(profile.bundles),
        "failures": {
            key: {
                "display": f.display,
                "count": f.count,
                "codes": dict(sorted(f.codes.items())),
                "first": _t(f.first),
                "last": _t(f.last),
            }
            for key, f in sorted(profile.failures.items())
        },
        "granted": dict(sorted(profile.granted.items())),
        "config": {key: list(value) for key, value in sorted(profile.config.items())},
        "auth_events": profile.auth_events,
        "first_auth": _t(profile.first_auth),
        "last_auth": _t(profile.last_auth),
        "first_time": _t(profile.first_time),
        "last_time": _t(profile.last_time),
        "clock_marks": {key: when.isoformat() for key, when in sorted(profile.clock_marks.items())},
    }


def profile_from_dict(doc: dict[str, Any]) -> ServerProfile:
    """The inverse of :func:`profile_to_dict`."""
    return ServerProfile(
        server=doc["server"],
        bundles=list(doc["bundles"]),
        failures={
            key: UserFailures(f["display"], f["count"], Counter(f["codes"]), _dt(f["first"]), _dt(f["last"]))
            for key, f in doc["failures"].items()
        },
        granted=Counter(doc["granted"]),
        config={key: (v[0], v[1], v[2]) for key, v in doc["config"].items()},
        auth_events=doc["auth_events"],
        first_auth=_dt(doc["first_auth"]),
        last_auth=_dt(doc["last_auth"]),
        first_time=_dt(doc["first_time"]),
        last_time=_dt(doc["last_time"]),
        clock_marks={key: datetime.fromisoformat(when) for key, when in doc["clock_marks"].items()},
    )
