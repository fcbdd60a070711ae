"""Compare NPS servers with each other: the findings no single bundle can give.

Works on :class:`~nps_trace_analyzer.fleet.profile.ServerProfile` records only (one per server; several bundles
of one server are merged first), after every per-server analysis is done: data flows one way, from per-server
results to these cross-server incidents. Each rule writes one evidence line whose wording is fixed by
:data:`FORMATS` and matched by the code's entry in ``catalog/fleet.yaml`` (see catalog/README.md, "Evidence text
of multi-server findings").

Rules, each independent of the order in which servers are given (profiles are sorted by name first):

* ``SERVERS-CONFIG-DIFFER``: a registry check whose quoted values differ between servers that both have it.
* ``SERVERS-CLOCK-SKEW``: a pair of servers whose captures hold at least :data:`MIN_SHARED_MARKS` of the same
  RADIUS request packets, with a median time difference of at least :data:`CLOCK_SKEW_SECONDS`.
* ``SERVER-SILENT``: a server without any authentication event while another server logged some.
* ``USER-FAILS-ON-ONE-SERVER``: a user refused on one server and granted on another that never refused them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import combinations

from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.model import Evidence, Incident, iso_z
from nps_trace_analyzer.core.times import human_time
from nps_trace_analyzer.fleet.profile import ServerProfile, merge_profiles

CLOCK_SKEW_SECONDS = 2.0  # below this, capture timestamps and log buffering explain the difference
MIN_SHARED_MARKS = 3  # fewer shared packets could be a coincidence of identifiers
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

FORMATS: dict[str, str] = {
    "SERVERS-CONFIG-DIFFER": "Registry check '{title}' differs between servers: {values}",
    "SERVERS-CLOCK-SKEW": (
        "Clock of {server} is {offset} s {direction} {reference} (median over {count} RADIUS requests seen in "
        "both captures, from {low} to {high} s)"
    ),
    "SERVER-SILENT": (
        "{server} logged no authentication (no NPS audit or AzureMfa event) between {first} and {last} UTC while "
        "{others}"
    ),
    "USER-FAILS-ON-ONE-SERVER": (
        "User {user} failed {failures} time(s) on {server} ({codes}) and was granted access {grants} time(s) on "
        "{other} with no failure there"
    ),
}


@dataclass(frozen=True)
class FleetFinding:
    """One cross-server observation before it becomes an incident."""

    code: str
    text: str
    server: str
    user: str | None
    first: datetime
    last: datetime
    attrs: tuple[tuple[str, str], ...] = ()


def _canonical_names(names: Iterable[str]) -> dict[str, str]:
    """Lower-cased name -> the name to group under: a short name (``NPS01``, as accounting logs write it) joins the
    one fully qualified name with that first label (``NPS01.contoso.local``); with none or several it stays apart
    (two customers' ``NPS01`` in different domains are different servers)."""
    lowered = {n.lower() for n in names}
    fqdns: dict[str, list[str]] = {}
    for name in sorted(lowered):
        if "." in name:
            fqdns.setdefault(name.split(".", 1)[0], []).append(name)
    return {n: (fqdns[n][0] if "." not in n and len(fqdns.get(n, [])) == 1 else n) for n in lowered}


def by_server(profiles: Iterable[ServerProfile]) -> list[ServerProfile]:
    """One profile per server (bundles of the same server merged), sorted by name (case-insensitive)."""
    profiles = list(profiles)
    canonical = _canonical_names(p.server for p in profiles)
    groups: dict[str, list[ServerProfile]] = {}
    for profile in profiles:
        groups.setdefault(canonical[profile.server.lower()], []).append(profile)
    merged = []
    for key in sorted(groups):
        members = groups[key]
        profile = merge_profiles(members) if len(members) > 1 else members[0]
        named = max(members, key=lambda p: (p.server.count("."), p.server))
        profile.server = named.server
        merged.append(profile)
    return merged


def _span(profiles: Sequence[ServerProfile]) -> tuple[datetime, datetime]:
    times = [t for p in profiles for t in (p.first_time, p.last_time, p.first_auth, p.last_auth) if t is not None]
    return (min(times), max(times)) if times else (EPOCH, EPOCH)


def config_differences(servers: Sequence[ServerProfile]) -> list[FleetFinding]:
    out = []
    checks = sorted({check for p in servers for check in p.config})
    for check in checks:
        having = [p for p in servers if check in p.config]
        if len(having) < 2 or len({p.config[check][1] for p in having}) < 2:
            continue
        title = having[0].config[check][0]
        # Name the server(s) in the minority: with NPS01..NPS05 and one odd value, the odd one is the finding.
        votes = Counter(p.config[check][1] for p in having)
        odd = [p for p in having if votes[p.config[check][1]] == min(votes.values())]
        values = "; ".join(f"{p.server}: {p.config[check][1] or '(no value)'} ({p.config[check][2]})" for p in having)
        first, last = _span(having)
        text = FORMATS["SERVERS-CONFIG-DIFFER"].format(title=title, values=values)
        out.append(
            FleetFinding("SERVERS-CONFIG-DIFFER", text, odd[-1].server, None, first, last, (("check_id", check),))
        )
    return out


def clock_offset(reference: ServerProfile, other: ServerProfile) -> tuple[float, list[float]] | None:
    """Median seconds by which ``other``'s clock is ahead of ``reference``'s, and every sample; None without
    enough shared packets."""
    shared = sorted(set(reference.clock_marks) & set(other.clock_marks))
    if len(shared) < MIN_SHARED_MARKS:
        return None
    samples = sorted((other.clock_marks[k] - reference.clock_marks[k]).total_seconds() for k in shared)
    return statistics.median(samples), samples


def clock_skews(servers: Sequence[ServerProfile]) -> list[FleetFinding]:
    out = []
    for reference, other in combinations(servers, 2):
        measured = clock_offset(reference, other)
        if measured is None:
            continue
        offset, samples = measured
        if abs(offset) < CLOCK_SKEW_SECONDS:
            continue
        text = FORMATS["SERVERS-CLOCK-SKEW"].format(
            server=other.server,
            offset=f"{abs(offset):.1f}",
            direction="ahead of" if offset > 0 else "behind",
            reference=reference.server,
            count=len(samples),
            low=f"{samples[0]:.1f}",
            high=f"{samples[-1]:.1f}",
        )
        first, last = _span([reference, other])
        attrs = (
            ("offset_seconds", f"{offset:.3f}"),
            ("reference", reference.server),
            ("shared_packets", str(len(samples))),
        )
        out.append(FleetFinding("SERVERS-CLOCK-SKEW", text, other.server, None, first, last, attrs))
    return out


def silent_servers(servers: Sequence[ServerProfile]) -> list[FleetFinding]:
    """Servers without authentication events while others had some, over a time their bundle covers (a bundle
    of other hours says nothing about the busy servers' hours)."""
    out = []
    busy = [p for p in servers if p.auth_events]
    if not busy:
        return out
    auth = [t for p in busy for t in (p.first_auth, p.last_auth) if t is not None]
    first, last = (min(auth), max(auth)) if auth else _span(busy)
    for profile in servers:
        if profile.auth_events:
            continue
        if profile.first_time is not None and profile.last_time is not None:
            if profile.last_time < first or profile.first_time > last:
                continue
        others = ", ".join(f"{p.server} logged {p.auth_events}" for p in busy)
        text = FORMATS["SERVER-SILENT"].format(
            server=profile.server, first=human_time(iso_z(first)), last=human_time(iso_z(last)), others=others
        )
        out.append(FleetFinding("SERVER-SILENT", text, profile.server, None, first, last))
    return out


def users_failing_on_one_server(servers: Sequence[ServerProfile]) -> list[FleetFinding]:
    out = []
    for failing in servers:
        for key in sorted(failing.failures):
            fail = failing.failures[key]
            working = [p for p in servers if p is not failing and p.granted.get(key) and key not in p.failures]
            if not working:
                continue
            other = max(working, key=lambda p: (p.granted[key], -servers.index(p)))
            codes = ", ".join(code for code, _ in sorted(fail.codes.items(), key=lambda kv: (-kv[1], kv[0])))
            text = FORMATS["USER-FAILS-ON-ONE-SERVER"].format(
                user=fail.display,
                failures=fail.count,
                server=failing.server,
                codes=codes,
                grants=other.granted[key],
                other=other.server,
            )
            first = fail.first or EPOCH
            last = fail.last or first
            attrs = (("working_server", other.server),)
            out.append(FleetFinding("USER-FAILS-ON-ONE-SERVER", text, failing.server, fail.display, first, last, attrs))
    return out


def users_failing_everywhere(servers: Sequence[ServerProfile]) -> list[tuple[str, list[str], Counter[str]]]:
    """Users refused on every server that saw them (at least two), granted nowhere: the cause is the account
    or its MFA methods, not a server. ``(user, servers, codes)``, sorted by user."""
    rows = []
    keys = sorted({k for p in servers for k in p.failures})
    for key in keys:
        seen = [p for p in servers if key in p.failures or p.granted.get(key)]
        if len(seen) < 2 or any(p.granted.get(key) for p in seen) or any(key not in p.failures for p in seen):
            continue
        codes: Counter[str] = Counter()
        for p in seen:
            codes.update(p.failures[key].codes)
        rows.append((seen[0].failures[key].display, [p.server for p in seen], codes))
    return rows


def fleet_findings(profiles: Iterable[ServerProfile]) -> list[FleetFinding]:
    """Every cross-server finding, in a fixed order whatever the order of ``profiles``."""
    servers = by_server(profiles)
    if len(servers) < 2:
        return []
    return [
        *config_differences(servers),
        *clock_skews(servers),
        *silent_servers(servers),
        *users_failing_on_one_server(servers),
    ]


def fleet_incidents(profiles: Iterable[ServerProfile], catalog: Catalog, *, prefix: str = "FLEET") -> list[Incident]:
    """The cross-server findings as incidents (kind ``fleet``) described by their catalog entries."""
    incidents = []
    for number, finding in enumerate(fleet_findings(profiles), 1):
        entry = catalog.match(finding.code, finding.text)
        incidents.append(
            Incident(
                id=f"{prefix}-{number:04d}",
                kind="fleet",
                cid=None,
                user=finding.user,
                server=finding.server,
                first_seen=finding.first,
                last_seen=finding.last,
                count=1,
                codes=[finding.code],
                primary_code=finding.code,
                category=entry.category if entry else "needs-support",
                severity=entry.severity if entry else "warning",
                benign=bool(entry and entry.benign),
                in_catalog=entry is not None,
                title=entry.title if entry else finding.code,
                summary=finding.text,
                steps=list(entry.steps) if entry else [],
                doc_links=list(entry.doc_links) if entry else [],
                evidence=[Evidence("(servers compared)", "fleet", 0, None, finding.first, finding.text, finding.code)],
                attrs=dict(finding.attrs),
            )
        )
    return incidents
