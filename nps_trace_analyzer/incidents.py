"""Findings -> incidents: one failed sign-in attempt, one unanswered challenge, or one recurring server fault.

The rules (``docs``: README "How incidents are formed"):

1. AzureMfa findings with a CID form one ``sign-in`` incident per CID. Its primary code is the most specific
   non-benign code: a nested AADSTS code the catalog knows beats its ESTS_TOKEN_ERROR, extension error codes beat
   MFA response codes, which beat the challenge message.
2. A challenge ("Challenge requested ...") with nothing after it for the same user within 3 minutes — no result,
   no other extension event, no NPS grant or reject — is a ``challenge-no-result`` incident. A challenge followed by
   anything is part of a normal one-time-code flow and makes no incident by itself.
3. AzureMfa findings without a CID are grouped per (server, catalog entry) into ``server`` incidents.
4. Security 6273 with reason 21/9/10 (the extension rejected) joins the user's sign-in incident within the join
   window (default ±2 min).
5. Security 6273/6274 with any other reason is an ``nps-reject`` incident (primary authentication or policy), and
   the extension's "only performs Secondary Auth ... AccessReject" event of that user joins it.
6. NPS/IAS/Schannel System events form ``server`` incidents per (server, code); Schannel 36871 near an
   HTTPS_COMMUNICATION_ERROR on the same server joins that incident as corroborating evidence.
7. Grants (6272) and informational events make no incident.
8. Server-configuration findings (registry checks, NPS auditing disabled) form ``server-config`` incidents per
   (server, code).
9. Packet-capture findings join what they explain: a non-PAP protocol joins the user's unanswered challenge
   (or REQUEST_MISSING_CODE); DNS/TCP/TLS failures to the MFA endpoints join nearby HTTP_CONNECT_ERROR /
   HTTPS_COMMUNICATION_ERROR incidents; NAS retransmissions join the user's InvalidSession. NAS retransmissions
   and missing Message-Authenticators are also ``server`` incidents per NAS (the latter joins a System 4418
   incident instead when there is one); endpoint failures nothing explains become ``server`` incidents.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from nps_trace_analyzer.extract.azuremfa import CHALLENGE_REQUESTED
from nps_trace_analyzer.findings import NPSEXT_CHANNEL
from nps_trace_analyzer.identity import user_key
from nps_trace_analyzer.model import Event, Evidence, Finding, Incident

CHALLENGE_NO_RESULT = "CHALLENGE_NO_RESULT"
EXTENSION_REJECT_REASONS = frozenset({9, 10, 21})
MAX_EVIDENCE = 100
_RANK_AADSTS, _RANK_ERROR, _RANK_RESPONSE, _RANK_OTHER = 0, 1, 2, 3


class CatalogLookup(Protocol):
    def get(self, entry_id: str) -> Any: ...

    def match(self, code: str, text: str = "") -> Any: ...


@dataclass(frozen=True)
class IncidentOptions:
    join_window: timedelta = timedelta(minutes=2)
    challenge_timeout: timedelta = timedelta(minutes=3)
    schannel_window: timedelta = timedelta(minutes=5)
    repeat_window: timedelta = timedelta(minutes=10)


@dataclass
class _Draft:
    kind: str
    key: str
    findings: list[Finding] = field(default_factory=list)
    cid: str | None = None
    user: str | None = None
    server: str | None = None

    @property
    def ukey(self) -> str:
        return user_key(self.user)

    @property
    def first(self) -> datetime:
        return min(f.event.time for f in self.findings)

    @property
    def last(self) -> datetime:
        return max(f.event.time for f in self.findings)


def _rank(finding: Finding, entry: Any) -> tuple[int, int]:
    """Sort key for choosing an incident's primary code: lower wins (see rule 1 in the module docstring)."""
    if finding.kind == "nps-audit":
        return (2, 0)  # a joined NPS audit event corroborates; it explains nothing the extension did not say
    if finding.kind == "capture":
        return (1, 9)  # packets corroborate what a log says; they are primary only in an incident of their own
    benign = 1 if (entry is None and finding.code == CHALLENGE_REQUESTED) or (entry is not None and entry.benign) else 0
    if finding.kind == "aadsts":
        base = _RANK_AADSTS if entry is not None else 9
    elif finding.kind == "error":
        base = _RANK_ERROR
    elif finding.kind == "response":
        base = _RANK_RESPONSE
    elif finding.code == CHALLENGE_REQUESTED:
        base = 8
    else:
        base = _RANK_OTHER
    return (benign, base)


class Correlator:
    """Collects time-ordered findings, then forms incidents (:meth:`incidents`)."""

    def __init__(self, catalog: CatalogLookup, options: IncidentOptions | None = None) -> None:
        self.catalog = catalog
        self.options = options or IncidentOptions()
        self.by_cid: dict[str, _Draft] = {}
        # user key -> POSIX times of every result (grant, reject, extension event): 8 bytes each, so healthy
        # traffic costs little memory; challenges already answered by a known result are never stored.
        self.activity: dict[str, list[float]] = defaultdict(list)
        self.grants: dict[str, list[float]] = defaultdict(list)  # user key -> POSIX times of 6272 grants
        self.healthy_challenges = 0
        self.extension_rejects: list[Finding] = []
        self.nps_rejects: list[Finding] = []
        self.secondary_rejects: list[Finding] = []
        self.challenges_without_cid: list[Finding] = []
        self.server_groups: dict[tuple[str, str], _Draft] = {}
        self.schannel: list[Finding] = []
        self.capture_protocol: list[Finding] = []
        self.capture_nas: list[Finding] = []
        self.capture_endpoint: list[Finding] = []
        self.servers: Counter[str] = Counter()
        # (code, cid or user key) -> POSIX times of extension findings from the event logs, so the same message
        # in NPSExtension.etl (read later) is recognised as a copy instead of counted twice.
        self.logged: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.trace_copies = 0
        self.auth_types: dict[str, Counter[str]] = defaultdict(Counter)

    def add_auth_type(self, user: str, auth_type: str, count: int = 1) -> None:
        """Record how a user's requests authenticated (PAP, MS-CHAPv2...): evidence for unanswered challenges."""
        if user and auth_type:
            self.auth_types[user_key(user)][auth_type] += count

    def _entry(self, finding: Finding) -> Any:
        return self.catalog.get(finding.entry_id) if finding.entry_id else None

    def add(self, finding: Finding) -> None:
        attrs = finding.attrs
        ukey = user_key(attrs.get("user"))
        if attrs.get("server"):
            self.servers[attrs["server"]] += 1
        if finding.kind == "capture":
            if finding.code == "CAPTURE-NON-PAP-PROTOCOL":
                self.capture_protocol.append(finding)
            elif finding.code in ("CAPTURE-NAS-RETRANSMISSION", "CAPTURE-NO-MESSAGE-AUTHENTICATOR"):
                self.capture_nas.append(finding)
            else:
                self.capture_endpoint.append(finding)
            return
        if finding.kind == "config":
            self._group("server-config", attrs.get("server") or "", finding.code, finding)
            return
        if finding.kind == "nps-audit":
            # The catalog says which audits report no failure: grants (6272, 6278 "granted full access") and
            # the lockout release (6280). They answer challenges and make no incident.
            entry = self._entry(finding)
            healthy = entry is not None and entry.benign
            if ukey:
                self.activity[ukey].append(finding.event.time.timestamp())
                if healthy:
                    self.grants[ukey].append(finding.event.time.timestamp())
                if attrs.get("auth_type"):
                    self.add_auth_type(ukey, attrs["auth_type"])
            if healthy:
                return
            reason = attrs.get("reason_code", "")
            if reason.isdigit() and int(reason) in EXTENSION_REJECT_REASONS:
                self.extension_rejects.append(finding)
            else:
                self.nps_rejects.append(finding)
            return
        if finding.kind == "system":
            entry = self._entry(finding)
            if entry is not None and entry.benign:
                return
            if finding.code == "SYSTEM-SCHANNEL-36871":
                self.schannel.append(finding)
            else:
                self._server(finding)
            return
        # AzureMfa findings (event logs, or the extension's own trace)
        if self._is_trace_copy(finding, ukey):
            self.trace_copies += 1
            return
        if ukey and finding.code != CHALLENGE_REQUESTED:
            self.activity[ukey].append(finding.event.time.timestamp())
        cid = attrs.get("cid")
        if finding.code == CHALLENGE_REQUESTED and (not cid or cid not in self.by_cid):
            if self._has_result_after(ukey, finding.event.time, self.grants):
                # Granted soon after, and the grant is already read (NPS audits are read first): a normal
                # one-time-code sign-in. Rejections are not enough: the challenge belongs in their incident.
                self.healthy_challenges += 1
                return
        if cid:
            draft = self.by_cid.get(cid)
            if draft is None:
                draft = self.by_cid[cid] = _Draft("sign-in", cid, cid=cid)
            draft.findings.append(finding)
            draft.user = draft.user or attrs.get("user")
            draft.server = draft.server or attrs.get("server")
            return
        if finding.code == CHALLENGE_REQUESTED:
            self.challenges_without_cid.append(finding)
        elif finding.code == "SECONDARY_AUTH_ACCESS_REJECT":
            self.secondary_rejects.append(finding)
        else:
            self._server(finding)

    def _is_trace_copy(self, finding: Finding, ukey: str) -> bool:
        """Remember event-log findings; say whether a NPSExtension.etl finding repeats one (same code and CID or
        user within 2 s). The trace adds nothing the event log did not say, so its copy is not counted again."""
        key = (finding.code, finding.attrs.get("cid") or ukey)
        when = finding.event.time.timestamp()
        if finding.event.channel != NPSEXT_CHANNEL:
            self.logged[key].append(when)
            return False
        return any(abs(when - t) <= 2.0 for t in self.logged.get(key, ()))

    def _server(self, finding: Finding) -> None:
        server = finding.attrs.get("server") or finding.event.computer or ""
        self._group("server", server, finding.entry_id or finding.code, finding)

    def _group(self, kind: str, server: str, key: str, finding: Finding) -> _Draft:
        """Add ``finding`` to the (server, key) group of ``kind``; an empty server is resolved when building."""
        gkey = (f"{kind}|{server}", key)
        draft = self.server_groups.get(gkey)
        if draft is None:
            draft = self.server_groups[gkey] = _Draft(kind, f"{server}|{key}", server=server or None)
        draft.findings.append(finding)
        return draft

    # -- resolution -----------------------------------------------------------------------------------------

    def _has_result_after(self, ukey: str, when: datetime, times: dict[str, list[float]] | None = None) -> bool:
        """Did anything (of ``times``, default: any result) happen for this user within the challenge timeout?"""
        if not ukey:
            return False
        start = when.timestamp()
        end = start + self.options.challenge_timeout.total_seconds()
        return any(start < t <= end for t in (self.activity if times is None else times).get(ukey, ()))

    def incidents(self) -> list[Incident]:
        drafts: list[_Draft] = []
        for draft in self.by_cid.values():
            substantive = [f for f in draft.findings if f.code != CHALLENGE_REQUESTED]
            if substantive:
                drafts.append(draft)
                continue
            challenge = draft.findings[0]
            ukey = user_key(draft.user)
            if not self._has_result_after(ukey, challenge.event.time):
                draft.kind = "challenge-no-result"
                drafts.append(draft)
        for challenge in self.challenges_without_cid:
            ukey = user_key(challenge.attrs.get("user"))
            if not self._has_result_after(ukey, challenge.event.time):
                drafts.append(
                    _Draft(
                        "challenge-no-result",
                        f"{ukey}|{challenge.event.time.isoformat()}",
                        [challenge],
                        user=challenge.attrs.get("user"),
                        server=challenge.attrs.get("server"),
                    )
                )
        by_user: dict[str, list[_Draft]] = defaultdict(list)
        for draft in drafts:
            by_user[draft.ukey].append(draft)
        for reject in self.extension_rejects:
            target = self._nearest(by_user.get(user_key(reject.attrs.get("user")), []), reject)
            if target is not None:
                target.findings.append(reject)
            else:
                drafts.append(self._reject_draft(reject))
        reject_drafts: list[_Draft] = []
        latest: dict[tuple[str, str], _Draft] = {}
        for reject in self.nps_rejects:
            self._merge_repeat(reject_drafts, latest, reject)
        rejects_by_user: dict[str, list[_Draft]] = defaultdict(list)
        for draft in reject_drafts:
            rejects_by_user[draft.ukey].append(draft)
        for secondary in self.secondary_rejects:
            target = self._nearest(rejects_by_user.get(user_key(secondary.attrs.get("user")), []), secondary)
            if target is not None:
                target.findings.append(secondary)
            else:
                self._merge_repeat(reject_drafts, latest, secondary)
        drafts.extend(reject_drafts)
        server_drafts = list(self.server_groups.values())
        for schannel in self.schannel:
            hits = self._near(drafts + server_drafts, schannel, {"HTTPS_COMMUNICATION_ERROR"}, False, same_server=True)
            if hits:
                hits[0].findings.append(schannel)
            else:
                self._server(schannel)
                server_drafts = list(self.server_groups.values())
        self._join_capture(drafts, server_drafts)
        server_drafts = list(self.server_groups.values())
        drafts.extend(server_drafts)
        default_server = self.servers.most_common(1)[0][0] if self.servers else None
        for draft in drafts:
            draft.server = draft.server or default_server
        drafts.sort(key=lambda d: (d.first, d.kind, d.key))
        built = []
        for number, draft in enumerate(drafts, 1):
            built.append(self._build(number, draft))
            draft.findings = []  # the incident keeps only its evidence rows; let the events go
        self.by_cid.clear()
        self.server_groups.clear()
        self.activity.clear()
        self.logged.clear()
        return built

    def _near(
        self, drafts: list[_Draft], finding: Finding, codes: set[str], same_user: bool, same_server: bool = False
    ) -> list[_Draft]:
        """Drafts holding one of ``codes`` within the correlation window of ``finding`` (same user/server if asked)."""
        window = self.options.schannel_window
        ukey = user_key(finding.attrs.get("user"))
        server = (finding.attrs.get("server") or finding.event.computer or "").lower()
        hits = []
        for draft in drafts:
            if same_user and (not ukey or draft.ukey != ukey):
                continue
            if same_server and (draft.server or "").lower() != server:
                continue
            if not any(f.code in codes for f in draft.findings):
                continue
            if draft.first - window <= finding.event.time <= draft.last + window:
                hits.append(draft)
        return hits

    def _join_capture(self, drafts: list[_Draft], server_drafts: list[_Draft]) -> None:
        """Rule 9: attach capture findings to what they explain; the rest become server incidents."""
        challenge_like = [d for d in drafts if d.kind == "challenge-no-result"] + [
            d for d in drafts if d.kind == "sign-in" and any(f.code == "REQUEST_MISSING_CODE" for f in d.findings)
        ]
        for finding in self.capture_protocol:
            for draft in self._near(challenge_like, finding, {CHALLENGE_REQUESTED, "REQUEST_MISSING_CODE"}, True):
                draft.findings.append(finding)
        https = {"HTTP_CONNECT_ERROR", "HTTPS_COMMUNICATION_ERROR"}
        for finding in self.capture_endpoint:
            targets = self._near(drafts + server_drafts, finding, https, False)
            for draft in targets:
                draft.findings.append(finding)
            if not targets:
                self._group("server", "", finding.code, finding)
        system_4418 = [d for d in server_drafts if any(f.code == "SYSTEM-NPS-4418" for f in d.findings)]
        for finding in self.capture_nas:
            nas = finding.attrs.get("nas", "")
            if finding.code == "CAPTURE-NO-MESSAGE-AUTHENTICATOR" and system_4418:
                system_4418[0].findings.append(finding)
                continue
            if finding.code == "CAPTURE-NAS-RETRANSMISSION":
                for draft in self._near(drafts, finding, {"InvalidSession"}, True):
                    draft.findings.append(finding)
            self._group("server", "", f"{finding.code}|{nas}", finding)

    def _nearest(self, candidates: list[_Draft], finding: Finding) -> _Draft | None:
        ukey = user_key(finding.attrs.get("user"))
        if not ukey:
            return None
        when = finding.event.time
        best: tuple[timedelta, _Draft] | None = None
        for draft in candidates:
            if draft.ukey != ukey:
                continue
            lo, hi = draft.first - self.options.join_window, draft.last + self.options.join_window
            if lo <= when <= hi:
                gap = min(abs(when - draft.first), abs(when - draft.last))
                if best is None or gap < best[0]:
                    best = (gap, draft)
        return best[1] if best else None

    def _reject_draft(self, finding: Finding) -> _Draft:
        user = finding.attrs.get("user")
        return _Draft(
            "nps-reject",
            f"{user_key(user)}|{finding.code}|{finding.event.time.isoformat()}",
            [finding],
            user=user,
            server=finding.attrs.get("server") or finding.event.computer,
        )

    def _merge_repeat(self, drafts: list[_Draft], latest: dict[tuple[str, str], _Draft], finding: Finding) -> None:
        """Fold a repeat of the same rejection of the same user (within the repeat window) into one incident."""
        key = (user_key(finding.attrs.get("user")), finding.code)
        draft = latest.get(key)
        if draft is not None and finding.event.time - draft.last <= self.options.repeat_window:
            draft.findings.append(finding)
            return
        draft = self._reject_draft(finding)
        latest[key] = draft
        drafts.append(draft)

    # -- building ---------------------------------------------------------------------------------------------

    def _build(self, number: int, draft: _Draft) -> Incident:
        findings = sorted(draft.findings, key=lambda f: (f.event.time, f.event.source_file, f.event.record_id or 0))
        if draft.kind == "nps-reject":
            primary = draft.findings[0]  # the NPS decision that opened the incident
        else:
            ranked = sorted(
                ((self._rank_with_entry(f), i, f) for i, f in enumerate(findings)), key=lambda t: (t[0], t[1])
            )
            primary = ranked[0][2]
        primary_code = primary.code
        entry = self._entry(primary)
        if draft.kind == "challenge-no-result":
            primary_code = CHALLENGE_NO_RESULT
            entry = self.catalog.match(CHALLENGE_NO_RESULT)
        codes: list[str] = []
        for f in findings:
            if f.code not in codes:
                codes.append(f.code)
        if primary_code not in codes:
            codes.insert(0, primary_code)
        attrs: dict[str, str] = {}
        for f in findings:
            for key, value in f.attrs.items():
                attrs.setdefault(key, value)
        user = draft.user or attrs.get("user")
        if draft.kind == "challenge-no-result" and self.auth_types.get(user_key(user)):
            counts = self.auth_types[user_key(user)]
            attrs["auth_types"] = ", ".join(f"{name} x{n}" for name, n in sorted(counts.items()))
        server = draft.server or attrs.get("server") or primary.event.computer or None
        events: dict[tuple[str, int | None, str], Event] = {}
        code_of: dict[tuple[str, int | None, str], str] = {}
        for f in findings:
            ev = f.event
            ekey = (ev.source_file, ev.record_id, ev.time.isoformat())
            events.setdefault(ekey, ev)
            code_of.setdefault(ekey, f.code)
        evidence = [
            Evidence(ev.source_file, ev.channel, ev.event_id, ev.record_id, ev.time, ev.text, code_of[k])
            for k, ev in list(events.items())[:MAX_EVIDENCE]
        ]
        if len(events) > MAX_EVIDENCE:
            attrs["evidence_truncated"] = f"{len(events) - MAX_EVIDENCE} more events not listed"
        own = [f for f in findings if f.kind != "nps-audit"] if draft.kind != "nps-reject" else findings[:0]
        all_benign = bool(own) and all(self._is_benign(f) for f in own) and draft.kind != "challenge-no-result"
        if entry is not None:
            category, severity, title = entry.category, entry.severity, entry.title
            steps, links = list(entry.steps), list(entry.doc_links)
            benign = bool(entry.benign) or all_benign
        else:
            category, severity = "needs-support", "warning"
            title = f"{primary_code} is not in the catalog"
            steps = [
                "Look the code up in Microsoft's NPS extension error documentation.",
                "If it is not documented, open a support case with the evidence rows below.",
            ]
            links, benign = [], False
        repeats = sum(1 for f in findings if f.code == primary.code) if draft.kind == "nps-reject" else len(events)
        summary = self._summary(draft.kind, primary_code, user, attrs.get("cid"), server, repeats, title)
        return Incident(
            id=f"INC-{number:04d}",
            kind=draft.kind,
            cid=draft.cid,
            user=user,
            server=server,
            first_seen=findings[0].event.time,
            last_seen=findings[-1].event.time,
            count=len(events),
            codes=codes,
            primary_code=primary_code,
            category=category,
            severity=severity,
            benign=benign,
            in_catalog=entry is not None,
            title=title,
            summary=summary,
            steps=steps,
            doc_links=links,
            evidence=evidence,
            attrs=attrs,
        )

    def _rank_with_entry(self, finding: Finding) -> tuple[int, int]:
        return _rank(finding, self._entry(finding))

    def _is_benign(self, finding: Finding) -> bool:
        entry = self._entry(finding)
        return bool(entry is not None and entry.benign)

    @staticmethod
    def _summary(
        kind: str, code: str, user: str | None, cid: str | None, server: str | None, count: int, title: str
    ) -> str:
        who = user or "an unknown user"
        if kind == "sign-in":
            return f"Sign-in of {who} (CID {cid}) failed with {code}: {title}"
        if kind == "challenge-no-result":
            return f"An MFA challenge for {who} got no result within 3 minutes: {title}"
        if kind == "nps-reject":
            return f"NPS rejected {who} ({code}){f', {count} times' if count > 1 else ''}: {title}"
        times = "once" if count == 1 else f"{count} times"
        return f"{server or 'The server'} logged {code} {times}: {title}"
