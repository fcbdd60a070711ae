"""The incident engine: findings in (any order, any number of producers), incidents out.

``add`` only files each finding into a small store by what the rules will do with it; every decision is taken in
:meth:`IncidentEngine.incidents`, after all findings are in, by the rules of :mod:`.rules` run in a fixed order
over canonically sorted inputs. That is what makes the result independent of the order files are read (or
worker processes finish): the same findings always give byte-identical incidents.

What is kept until then, and how little of the healthy traffic, is :mod:`.intake`'s business.
"""

from __future__ import annotations

from collections import Counter

from nps_trace_analyzer.analysis.incidents.builder import build
from nps_trace_analyzer.analysis.incidents.compact import attr, expand, time_of
from nps_trace_analyzer.analysis.incidents.context import IncidentOptions, RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting, finding_order, sightings
from nps_trace_analyzer.analysis.incidents.intake import Intake
from nps_trace_analyzer.analysis.incidents.rules import (
    audit_text_duplicate,
    capture_endpoint_joins,
    capture_nas_per_client,
    capture_protocol_joins,
    challenge_no_result,
    extension_reject_joins,
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
from nps_trace_analyzer.core.model import Finding, Incident

ACCOUNTING_SOURCE = "accounting"


class IncidentEngine:
    """Collects findings (:meth:`add`, or :meth:`merge` of an :class:`Intake` filled elsewhere), then forms
    incidents (:meth:`incidents`)."""

    def __init__(self, catalog: Catalog, options: IncidentOptions | None = None) -> None:
        self.ctx = RuleContext(catalog, options or IncidentOptions())
        self.intake = Intake(self.ctx)
        self.trace_copies = 0
        self.text_log_duplicates = 0
        self.text_log_beyond_evtx = 0  # text-log rejects outside the Security.evtx's span: counted (audit-text rule)
        self.answered_challenges = 0

    @property
    def audit_sources(self) -> Counter[str]:
        return self.intake.audit_sources

    # -- intake: file each finding by what the rules will do with it (incidents/intake.py) -----------------------

    def add(self, finding: Finding) -> None:
        """Accept one finding; any order, from any source."""
        self.intake.add(finding)

    def add_all(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.intake.add(finding)

    def merge(self, intake: Intake) -> None:
        """Accept the findings another process filed (:func:`new_intake` there): as if each had been added."""
        self.intake.merge(intake)

    def add_auth_type(self, user: str, auth_type: str, count: int = 1) -> None:
        """Record how a user's requests authenticated according to the accounting log (PAP, MS-CHAPv2...)."""
        if user and auth_type:
            self.intake.count_auth_type(ACCOUNTING_SOURCE, user, auth_type, count)

    # -- resolution ------------------------------------------------------------------------------------------------

    @property
    def text_log_repeats_evtx(self) -> bool:
        return audit_text_duplicate.text_log_is_duplicate(self.audit_sources)

    def _auth_type_text(self) -> dict[str, str]:
        skip = audit_text_duplicate.TEXT_SOURCE_KIND if self.text_log_repeats_evtx else None
        merged: dict[str, Counter[str]] = {}
        for (source, ukey), counts in self.intake.auth_types.items():
            if source != skip:
                merged.setdefault(ukey, Counter()).update(counts)
        return {u: ", ".join(f"{name} x{n}" for name, n in sorted(c.items())) for u, c in merged.items()}

    def _default_server(self) -> str | None:
        servers = self.intake.servers
        if not servers:
            return None
        return max(servers.items(), key=lambda item: (item[1], item[0]))[0]

    def drafts(self) -> list[Draft]:
        """Run the rules in their fixed order (docs/diagnosis-contract.md) and return the drafts, sorted."""
        ctx, roles, intake = self.ctx, self.ctx.roles, self.intake
        intake.settle()
        logged = list(intake.success_marks)
        unplaced: list[trace_copy.WordMark] = []
        if intake.trace:  # marks of the event-log findings, only when there is a trace to compare with
            answered = (record for records in intake.answered.values() for record in records)
            for finding in (*intake.extension, *(expand(c) for c in (*intake.challenges, *answered))):
                logged.append(trace_copy.mark(finding))
                if ctx.roles.has(finding.code, "unrecognised"):
                    unplaced.append(trace_copy.word_mark(finding))
            for fold in intake.folds.values():  # folded notices are never unrecognised (that is a role)
                logged.extend(fold.trace_marks())
        kept, copies = trace_copy.apply(intake.trace, logged, ctx, unplaced)
        self.trace_copies = len(copies)
        intake.trace = []
        for finding in kept:
            intake.add_extension(finding)
        intake.settle()
        challenge_findings = self._challenges_that_matter()

        rejects, duplicates = audit_text_duplicate.apply(intake.audit_rejects, intake.audit_sources, intake.audit_spans)
        self.text_log_duplicates = len(duplicates)
        self.text_log_beyond_evtx = sum(f.event.source_kind == audit_text_duplicate.TEXT_SOURCE_KIND for f in rejects)

        events = sightings(intake.extension)
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
        unanswered = challenge_no_result.apply(challenges, sign_in_cids, intake.results, ctx).drafts
        groups: dict[str, Draft] = {}
        extension_server = server_event_group.apply(cidless, ctx, groups, intake.folds).drafts

        ordered = sorted(rejects, key=finding_order)
        by_extension = [f for f in ordered if roles.has(f.code, "extension-reject-reason")]
        by_nps = [f for f in ordered if not roles.has(f.code, "extension-reject-reason")]
        own_rejects = _joined(extension_reject_joins.apply(by_extension, signins + unanswered + extension_server, ctx))
        folder = nps_reject.RepeatFolder(ctx)
        nps_drafts = nps_reject.apply(by_nps, ctx, folder).drafts
        nps_drafts += _joined(secondary_reject_joins.apply(notices, list(nps_drafts), ctx, folder))

        events_drafts = signins + unanswered + own_rejects + nps_drafts
        server_drafts = (
            extension_server + system_per_code.apply(sorted(intake.system, key=finding_order), groups, ctx).drafts
        )
        tls = sorted(intake.tls_client, key=finding_order)
        server_drafts += _joined(tls_client_joins_https.apply(tls, events_drafts + server_drafts, groups, ctx))
        config_drafts = server_config.apply(sorted(intake.config, key=finding_order), ctx).drafts

        capture = sorted(intake.capture, key=finding_order)
        protocol = [f for f in capture if roles.has(f.code, "capture-protocol")]
        nas_roles = roles.of("nas-retransmission") | roles.of("missing-message-authenticator")
        nas = [f for f in capture if f.code in nas_roles]
        endpoint = [f for f in capture if f not in protocol and f not in nas]
        _joined(capture_protocol_joins.apply(protocol, events_drafts, ctx))
        server_drafts += _joined(capture_endpoint_joins.apply(endpoint, events_drafts + server_drafts, groups, ctx))
        server_drafts += _joined(capture_nas_per_client.apply(nas, events_drafts, server_drafts, groups, ctx))

        drafts = [d for d in events_drafts + server_drafts + config_drafts if not d.empty]
        default_server = self._default_server()
        for draft in drafts:
            draft.server = draft.server or default_server
        return sorted(drafts, key=Draft.sort_key)

    def _challenges_that_matter(self) -> list[Finding]:
        """Challenges as full findings again, but only those a rule will use: the ones of a CID that is a sign-in
        incident, and the unanswered ones. The answered rest (healthy sign-ins) is counted and let go here, so the
        end of the analysis does not re-inflate the healthy traffic. Challenges a worker already found answered
        (:meth:`Intake.answer_locally`, with a timeout no longer than ours) are only looked up by CID."""
        intake, ctx = self.intake, self.ctx
        sign_in_cids = {f.attrs["cid"] for f in intake.extension if f.attrs.get("cid")}
        pending = list(intake.challenges)
        answered = intake.answered
        if intake.answered_within > ctx.options.challenge_timeout.total_seconds():
            pending += [record for records in answered.values() for record in records]  # not proof for ours
        else:
            for cid in sign_in_cids & answered.keys():
                pending += answered[cid]
            self.answered_challenges += sum(map(len, answered.values())) - len(pending) + len(intake.challenges)
        kept: list[Finding] = []
        results, is_answered = intake.results, challenge_no_result.is_answered
        for record in pending:
            cid = attr(record, "cid")
            if cid in sign_in_cids or not is_answered(cid, attr(record, "user"), time_of(record), results, ctx):
                kept.append(expand(record))
            else:
                self.answered_challenges += 1
        intake.challenges, intake.answered = [], {}
        return kept

    def incidents(self) -> list[Incident]:
        """Form the incidents (numbered in time order) and release the stored findings.

        The store lets its findings go before the incidents are built, each draft its own once built: the findings
        of an incident are then freed as its incident is made, so findings and incidents are not both whole in
        memory at once (a bundle of failures only would otherwise peak at the sum of the two).
        """
        drafts = self.drafts()
        auth_types = self._auth_type_text()
        self.intake.release()  # the drafts hold what the incidents need
        built = []
        for number, draft in enumerate(drafts, 1):
            built.append(build(number, draft, self.ctx, auth_types))
            draft.findings, draft.folded = [], None  # the incident keeps only its evidence rows; let the events go
        return built


def _joined(result: RuleResult) -> list[Draft]:
    """Apply a rule's joins and return its new drafts."""
    result.apply_joins()
    return result.drafts
