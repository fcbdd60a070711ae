"""The incident engine: findings in (any order, any number of producers), incidents out.

``add`` only files each finding into a small store by what the rules will do with it; every decision is taken in
:meth:`IncidentEngine.incidents`, after all findings are in, by the rules of :mod:`.rules` run in a fixed order
over canonically sorted inputs. That is what makes the result independent of the order files are read (or
worker processes finish): the same findings always give byte-identical incidents.

Memory follows the failures, not the traffic: a grant or the extension's success result is kept only as a
(user, time) or CID mark for answering challenges; a challenge is kept as a compact record (:mod:`.compact`);
System events the catalog marks benign are not kept at all.
"""

from __future__ import annotations

from collections import Counter

from nps_trace_analyzer.analysis.incidents.builder import build
from nps_trace_analyzer.analysis.incidents.compact import CompactFinding
from nps_trace_analyzer.analysis.incidents.context import IncidentOptions, RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting, finding_order, sightings
from nps_trace_analyzer.analysis.incidents.rules import (
    audit_text_duplicate,
    capture_endpoint_joins,
    capture_nas_per_client,
    capture_protocol_joins,
    challenge_no_result,
    extension_reject_joins,
    healthy_traffic,
    nps_reject,
    secondary_reject_joins,
    server_config,
    server_event_group,
    sign_in_per_cid,
    system_per_code,
    tls_client_joins_https,
    trace_copy,
)
from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Finding, Incident

ACCOUNTING_SOURCE = "accounting"


class IncidentEngine:
    """Collects findings (:meth:`add`), then forms incidents (:meth:`incidents`)."""

    def __init__(self, catalog: Catalog, options: IncidentOptions | None = None) -> None:
        self.ctx = RuleContext(catalog, options or IncidentOptions())
        self._extension: list[Finding] = []
        self._challenges: list[CompactFinding] = []
        self._trace: list[Finding] = []
        self._success_marks: list[tuple[tuple[str, str], float]] = []
        self._audit_rejects: list[Finding] = []
        self._system: list[Finding] = []
        self._tls_client: list[Finding] = []
        self._config: list[Finding] = []
        self._capture: list[Finding] = []
        self._results = challenge_no_result.Results()
        self._servers: Counter[str] = Counter()
        self._auth_types: dict[tuple[str, str], Counter[str]] = {}
        self.audit_sources: Counter[str] = Counter()
        self.trace_copies = 0
        self.text_log_duplicates = 0
        self.answered_challenges = 0

    # -- intake: file each finding by what the rules will do with it ---------------------------------------------

    def add(self, finding: Finding) -> None:
        """Accept one finding; any order, from any source."""
        ctx = self.ctx
        attrs = finding.attrs
        if attrs.get("server"):
            self._servers[attrs["server"]] += 1
        if finding.kind == "capture":
            self._capture.append(finding)
        elif finding.kind == "config":
            self._config.append(finding)
        elif finding.kind == "nps-audit":
            source = finding.event.source_kind
            self.audit_sources[source] += 1
            if not ctx.roles.has(finding.code, "extension-reject-reason"):
                # NPS only saying "the extension rejected" is no answer to a challenge: the code never reached the
                # MFA service (no result event of the extension); it joins the unanswered challenge instead.
                self._results.add(attrs.get("user"), finding.event.time)
            if attrs.get("user") and attrs.get("auth_type"):
                self._count_auth_type(source, attrs["user"], attrs["auth_type"])
            if not healthy_traffic.is_result_only(finding, ctx) and not healthy_traffic.is_ignored(finding, ctx):
                self._audit_rejects.append(finding)
        elif finding.kind == "system":
            if healthy_traffic.is_ignored(finding, ctx):
                return
            if ctx.roles.has(finding.code, "tls-client-failure"):
                self._tls_client.append(finding)
            else:
                self._system.append(finding)
        elif trace_copy.is_trace(finding):
            self._trace.append(finding)  # decided at the end: it may repeat an event-log finding not read yet
        else:
            self._add_extension(finding)

    def add_all(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def add_auth_type(self, user: str, auth_type: str, count: int = 1) -> None:
        """Record how a user's requests authenticated according to the accounting log (PAP, MS-CHAPv2...)."""
        if user and auth_type:
            self._count_auth_type(ACCOUNTING_SOURCE, user, auth_type, count)

    def _count_auth_type(self, source: str, user: str, auth_type: str, count: int = 1) -> None:
        self._auth_types.setdefault((source, user_key(user)), Counter())[auth_type] += count

    def _add_extension(self, finding: Finding) -> None:
        ctx = self.ctx
        if ctx.roles.has(finding.code, "challenge"):
            # Healthy traffic that must wait for the end (its answer may be in a file read later): kept compact.
            self._challenges.append(CompactFinding(finding))
            return
        self._results.add(finding.attrs.get("user"), finding.event.time)
        if healthy_traffic.is_result_only(finding, ctx):
            self._results.add(None, finding.event.time, finding.attrs.get("cid"))
            if not trace_copy.is_trace(finding):
                self._success_marks.append(trace_copy.mark(finding))
            return
        self._extension.append(finding)

    # -- resolution ------------------------------------------------------------------------------------------------

    @property
    def text_log_repeats_evtx(self) -> bool:
        return audit_text_duplicate.text_log_is_duplicate(self.audit_sources)

    def _auth_type_text(self) -> dict[str, str]:
        skip = audit_text_duplicate.TEXT_SOURCE_KIND if self.text_log_repeats_evtx else None
        merged: dict[str, Counter[str]] = {}
        for (source, ukey), counts in self._auth_types.items():
            if source != skip:
                merged.setdefault(ukey, Counter()).update(counts)
        return {u: ", ".join(f"{name} x{n}" for name, n in sorted(c.items())) for u, c in merged.items()}

    def _default_server(self) -> str | None:
        if not self._servers:
            return None
        return max(self._servers.items(), key=lambda item: (item[1], item[0]))[0]

    def drafts(self) -> list[Draft]:
        """Run the rules in their fixed order (docs/diagnosis-contract.md) and return the drafts, sorted."""
        ctx, roles = self.ctx, self.ctx.roles
        logged = list(self._success_marks)
        unplaced: list[trace_copy.WordMark] = []
        if self._trace:  # marks of the event-log findings, only when there is a trace to compare with
            for finding in (*self._extension, *(c.finding() for c in self._challenges)):
                logged.append(trace_copy.mark(finding))
                if ctx.roles.has(finding.code, "unrecognised"):
                    unplaced.append(trace_copy.word_mark(finding))
        kept, copies = trace_copy.apply(self._trace, logged, ctx, unplaced)
        self.trace_copies = len(copies)
        self._trace = []
        for finding in kept:
            self._add_extension(finding)
        challenge_findings = self._challenges_that_matter()

        rejects, duplicates = audit_text_duplicate.apply(self._audit_rejects, self.audit_sources)
        self.text_log_duplicates = len(duplicates)

        events = sightings(self._extension)
        challenges = sightings(challenge_findings)
        with_cid = [s for s in events if s.attr("cid")]
        notices: list[Sighting] = []
        cidless: list[Sighting] = []
        for s in events:
            if s.attr("cid"):
                continue
            (notices if any(roles.has(c, "secondary-reject") for c in s.codes) else cidless).append(s)

        signins = _joined(sign_in_per_cid.apply(with_cid, challenges, ctx))
        sign_in_cids = {d.cid for d in signins if d.cid}
        unanswered = challenge_no_result.apply(challenges, sign_in_cids, self._results, ctx).drafts
        groups: dict[str, Draft] = {}
        extension_server = server_event_group.apply(cidless, ctx, groups).drafts

        ordered = sorted(rejects, key=finding_order)
        by_extension = [f for f in ordered if roles.has(f.code, "extension-reject-reason")]
        by_nps = [f for f in ordered if not roles.has(f.code, "extension-reject-reason")]
        own_rejects = _joined(extension_reject_joins.apply(by_extension, signins + unanswered + extension_server, ctx))
        folder = nps_reject.RepeatFolder(ctx)
        nps_drafts = nps_reject.apply(by_nps, ctx, folder).drafts
        nps_drafts += _joined(secondary_reject_joins.apply(notices, list(nps_drafts), ctx, folder))

        events_drafts = signins + unanswered + own_rejects + nps_drafts
        server_drafts = (
            extension_server + system_per_code.apply(sorted(self._system, key=finding_order), groups, ctx).drafts
        )
        tls = sorted(self._tls_client, key=finding_order)
        server_drafts += _joined(tls_client_joins_https.apply(tls, events_drafts + server_drafts, groups, ctx))
        config_drafts = server_config.apply(sorted(self._config, key=finding_order), ctx).drafts

        capture = sorted(self._capture, key=finding_order)
        protocol = [f for f in capture if roles.has(f.code, "capture-protocol")]
        nas_roles = roles.of("nas-retransmission") | roles.of("missing-message-authenticator")
        nas = [f for f in capture if f.code in nas_roles]
        endpoint = [f for f in capture if f not in protocol and f not in nas]
        _joined(capture_protocol_joins.apply(protocol, events_drafts, ctx))
        server_drafts += _joined(capture_endpoint_joins.apply(endpoint, events_drafts + server_drafts, groups, ctx))
        server_drafts += _joined(capture_nas_per_client.apply(nas, events_drafts, server_drafts, groups, ctx))

        drafts = [d for d in events_drafts + server_drafts + config_drafts if d.findings]
        default_server = self._default_server()
        for draft in drafts:
            draft.server = draft.server or default_server
        return sorted(drafts, key=Draft.sort_key)

    def _challenges_that_matter(self) -> list[Finding]:
        """Challenges as full findings again, but only those a rule will use: the ones of a CID that is a sign-in
        incident, and the unanswered ones. The answered rest (healthy sign-ins) is counted and let go here, so the
        end of the analysis does not re-inflate the healthy traffic."""
        sign_in_cids = {f.attrs["cid"] for f in self._extension if f.attrs.get("cid")}
        kept: list[Finding] = []
        for compact in self._challenges:
            attrs = dict(compact.attrs)
            cid = attrs.get("cid")
            if cid in sign_in_cids or not challenge_no_result.is_answered(
                cid, attrs.get("user"), compact.time, self._results, self.ctx
            ):
                kept.append(compact.finding())
            else:
                self.answered_challenges += 1
        self._challenges = []
        return kept

    def incidents(self) -> list[Incident]:
        """Form the incidents (numbered in time order) and release the stored findings."""
        drafts = self.drafts()
        auth_types = self._auth_type_text()
        built = []
        for number, draft in enumerate(drafts, 1):
            built.append(build(number, draft, self.ctx, auth_types))
            draft.findings = []  # the incident keeps only its evidence rows; let the events go
        self._extension, self._challenges, self._audit_rejects = [], [], []
        self._system, self._tls_client, self._config, self._capture = [], [], [], []
        self._success_marks = []
        return built


def _joined(result: RuleResult) -> list[Draft]:
    """Apply a rule's joins and return its new drafts."""
    result.apply_joins()
    return result.drafts
