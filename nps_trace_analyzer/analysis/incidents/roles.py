"""Which codes play which part in the rules, read from the catalog's ``roles:`` tags.

Why: a rule must never spell a catalog code (``"CHALLENGE_REQUESTED"``, ``"NPS-REASON-21"``...). The catalog
says, per entry, what the rules do with the code (``catalog/schema.py`` ``ROLES``), so adding a code that plays
an existing part (another reject reason that means "the extension rejected", say) is a YAML edit, not a code
change, and the contract test can check every role a rule uses exists in the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nps_trace_analyzer.catalog.schema import ROLES


@dataclass(frozen=True)
class Roles:
    """Role name -> the codes whose catalog entry carries it (exact codes, as findings spell them)."""

    codes: dict[str, frozenset[str]]

    @classmethod
    def from_catalog(cls, catalog: Any) -> Roles:
        found: dict[str, set[str]] = {role: set() for role in ROLES}
        for entry in catalog:
            for role in getattr(entry, "roles", ()):
                found.setdefault(role, set()).add(entry.code)
        return cls({role: frozenset(codes) for role, codes in found.items()})

    def of(self, role: str) -> frozenset[str]:
        """The codes with ``role``; KeyError for a role the schema does not define (a typo in a rule)."""
        if role not in ROLES:
            raise KeyError(f"unknown role {role!r}")
        return self.codes.get(role, frozenset())

    def has(self, code: str, role: str) -> bool:
        if role not in ROLES:
            raise KeyError(f"unknown role {role!r}")
        return code in self.codes.get(role, ())

    def first(self, role: str) -> str:
        """The one code of a role that names a single derived code (e.g. ``challenge-no-result``)."""
        codes = sorted(self.of(role))
        if not codes:
            raise LookupError(f"the catalog has no entry with role {role!r}")
        return codes[0]
