"""What every rule may consult: the catalog, the role table, the time windows, and the primary-code ranking.

The ranking lives here because two rules need it before any incident exists (grouping a CID-less event by its
most specific code) and the builder needs it again to choose the primary code: one definition for all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from nps_trace_analyzer.analysis.incidents.roles import Roles
from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.model import Finding


@dataclass(frozen=True)
class IncidentOptions:
    """Time windows of the rules (the contract names each one where it is used)."""

    join_window: timedelta = timedelta(minutes=2)
    challenge_timeout: timedelta = timedelta(minutes=3)
    schannel_window: timedelta = timedelta(minutes=5)
    repeat_window: timedelta = timedelta(minutes=10)
    trace_copy_window: timedelta = timedelta(seconds=2)


# Ranks of a finding's own code, lower wins (rule sign-in-per-cid in docs/diagnosis-contract.md).
RANK_KNOWN_AADSTS, RANK_ERROR, RANK_RESPONSE, RANK_OTHER, RANK_CHALLENGE, RANK_UNKNOWN = 0, 1, 2, 3, 8, 9


@dataclass
class RuleContext:
    catalog: Catalog
    options: IncidentOptions = field(default_factory=IncidentOptions)
    roles: Roles = field(init=False)
    #: Every code some rule acts on (any role): a finding with such a code is never only counted.
    role_codes: frozenset[str] = field(init=False)

    # Memos: what a finding's code, kind and entry say never changes during a run, and the rules and the builder
    # ask it again for every finding of every incident (tens of thousands of incidents in an outage).
    _entries: dict[str, Any] = field(init=False, default_factory=dict, repr=False)
    _ranks: dict[tuple[str, str, str | None], tuple[int, int]] = field(init=False, default_factory=dict, repr=False)
    _benign: dict[str | None, bool] = field(init=False, default_factory=dict, repr=False)
    #: The builder's catalog advice per (code, entry id) (builder._advice): the same for every incident of a code.
    advice: dict[tuple[str, str | None], dict[str, Any]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.roles = Roles.from_catalog(self.catalog)
        self.role_codes = frozenset().union(*self.roles.codes.values())

    def entry(self, finding: Finding) -> Any:
        entry_id = finding.entry_id
        if not entry_id:
            return None
        try:
            return self._entries[entry_id]
        except KeyError:
            entry = self._entries[entry_id] = self.catalog.get(entry_id)
            return entry

    def is_known(self, finding: Finding) -> bool:
        """The catalog explains this very code (not only its family: a fallback entry knows nothing specific)."""
        entry = self.entry(finding)
        return entry is not None and not entry.is_fallback

    def is_benign(self, finding: Finding) -> bool:
        benign = self._benign.get(finding.entry_id)
        if benign is None:
            entry = self.entry(finding)
            benign = self._benign[finding.entry_id] = entry is not None and not entry.is_fallback and bool(entry.benign)
        return benign

    def rank(self, finding: Finding) -> tuple[int, int]:
        key = (finding.kind, finding.code, finding.entry_id)
        rank = self._ranks.get(key)
        if rank is None:
            rank = self._ranks[key] = self._rank(finding)
        return rank

    def _rank(self, finding: Finding) -> tuple[int, int]:
        """Sort key for the primary code of an incident: (benign, specificity), lower wins.

        A joined NPS audit event or a capture finding corroborates and is primary only of an incident of its
        own. Among the extension's codes: a known nested AADSTS code beats its wrapper (ESTS_TOKEN_ERROR), error
        codes beat MFA response codes, which beat other messages, which beat the challenge. A code the catalog
        only matches through a family fallback (``AADSTS<n>``) ranks as unknown, after all of them.
        """
        if finding.kind == "nps-audit":
            return (2, 0)
        if finding.kind == "capture":
            return (1, 9)
        entry = self.entry(finding)
        benign = 1 if self.is_benign(finding) or self.roles.has(finding.code, "challenge") else 0
        if entry is not None and entry.is_fallback:
            return (benign, RANK_UNKNOWN)
        if finding.kind == "aadsts":
            base = RANK_KNOWN_AADSTS if entry is not None else RANK_UNKNOWN
        elif finding.kind == "error":
            base = RANK_ERROR
        elif finding.kind == "response":
            base = RANK_RESPONSE
        elif self.roles.has(finding.code, "challenge"):
            base = RANK_CHALLENGE
        else:
            base = RANK_OTHER
        return (benign, base)

    def primary(self, findings: list[Finding]) -> Finding:
        """The best-ranked finding (ties: the earliest in the given, canonical, order)."""
        if len(findings) == 1:
            return findings[0]
        rank = self.rank
        best, best_rank = findings[0], rank(findings[0])
        for finding in findings[1:]:
            candidate = rank(finding)
            if candidate < best_rank:  # strictly better: the earlier one wins ties
                best, best_rank = finding, candidate
        return best
