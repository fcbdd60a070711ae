"""Every code the tool itself can emit has a catalog entry, and ``explain`` answers for it.

The codes are collected from the source, not listed here, so a new code cannot be added without an entry:

- string literals of the prefixed derived/Windows families anywhere in the package (``CAPTURE-*``, ``CONFIG-*``,
  ``NPSEXT-*``, ``NPS-AUDITING-*``, ``SYSTEM-*``, ``SECURITY-*``, ``NPS-REASON-*``);
- module-level constants of the findings and incidents stages (``findings``, ``incidents``, ``cross_source``,
  ``extract``, ...) whose values are code-shaped (``UNRECOGNISED_AZUREMFA_EVENT``, ``CHALLENGE_REQUESTED``, the
  ``SECONDARY_AUTH_*`` table, ...);
- ``SECURITY-<id>`` for every NPS audit event id the findings stage reads.

Open families whose members come from the logs (extension ``ErrorCode::`` tokens, MFA responses, AADSTS numbers,
reason codes, System event ids) are checked against their own tables elsewhere (test_catalog.py,
test_aadsts_table.py); an unknown member of them is reported as "not in catalog", by design.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

import nps_trace_analyzer
from nps_trace_analyzer.analysis.findings import UNRECOGNISED, findings_for
from nps_trace_analyzer.catalog import Catalog, load_catalog
from nps_trace_analyzer.cli.catalog import format_entry, only_fallback
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.extract.nps_audit import NPS_AUDIT_IDS

PACKAGE = Path(nps_trace_analyzer.__file__).parent
PREFIXED_CODE = re.compile(r"^(?:CAPTURE|CONFIG|NPSEXT|NPS-AUDITING|SYSTEM|SECURITY|NPS-REASON)-[A-Z0-9-]*[A-Z0-9]$")
UNDERSCORE_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Parts of the package that emit no codes of their own (readers, reports, the scenario generator, the catalog) or,
# for config_checks, whose constants are registry value names; its codes are all CONFIG-* literals.
NOT_CODE_EMITTERS = {"synth", "catalog", "report", "net", "sources", "intake", "analysis/config_checks.py"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _prefixed_literals() -> set[str]:
    found: set[str] = set()
    for path in _modules():
        if path.relative_to(PACKAGE).parts[0] == "synth":
            continue  # the generator's expected results are not output of the analyzer
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and PREFIXED_CODE.match(node.value):
                found.add(node.value)
    return found


def _stage_constants() -> set[str]:
    found: set[str] = set()
    for path in _modules():
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in NOT_CODE_EMITTERS or relative.as_posix() in NOT_CODE_EMITTERS:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not isinstance(target, ast.Name):
                continue
            if not target.id.lstrip("_").isupper() or node.value is None:
                continue
            for item in ast.walk(node.value):
                if isinstance(item, ast.Constant) and isinstance(item.value, str) and UNDERSCORE_CODE.match(item.value):
                    found.add(item.value)
    return found


def emitted_codes() -> list[str]:
    codes = _prefixed_literals() | _stage_constants() | {f"SECURITY-{n}" for n in NPS_AUDIT_IDS}
    return sorted(codes)


def test_the_collector_finds_the_codes_of_every_producer() -> None:
    """Guards the collector itself: one code of each producer must be among what it finds.

    (Codes the incident rules choose through catalog roles, such as CHALLENGE_NO_RESULT, are catalog entries by
    construction; a constant for them is collected when one exists.)
    """
    assert {
        "UNRECOGNISED_AZUREMFA_EVENT",  # findings.py
        "NPSEXT-TRACE-ERROR",  # findings.py
        "CHALLENGE_REQUESTED",  # extract/azuremfa.py
        "SECONDARY_AUTH_ACCESS_ACCEPT",  # extract/azuremfa.py, SECONDARY_AUTH_CODES
        "NAS_ATTRIBUTES_MISSING",  # extract/azuremfa.py
        "NPS-AUDITING-DISABLED",  # cross_source.py
        "CONFIG-CHANGED-DURING-CAPTURE",  # config_checks.py
        "CAPTURE-TLS-LEGACY-ONLY",  # sources/etl_source.py
        "SECURITY-6280",  # NPS audit ids
    } <= set(emitted_codes())


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("code", emitted_codes())
def test_every_emitted_code_has_an_entry_and_explain_answers(catalog: Catalog, code: str) -> None:
    entries = catalog.resolve(code)  # what `explain CODE` looks up
    assert entries, f"{code}: no catalog entry"
    assert not only_fallback(code, entries), f"{code}: only a generic fallback"
    assert all(e.code == code for e in entries)
    assert "What to do:" in format_entry(entries[0])


def test_the_unrecognised_entry_describes_what_the_findings_stage_labels_so(catalog: Catalog) -> None:
    """The entry's example is an extension text the grammar cannot place: the findings stage must label it so."""
    entry = catalog.get(UNRECOGNISED)
    assert entry is not None and entry.category == "needs-support"
    for example in entry.examples:
        event = Event(
            datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc),
            "AuthZAdminCh.evtx",
            "Microsoft-AzureMfa-AuthZ/AuthZAdminCh",
            "Microsoft-AzureMfa-AuthZ",
            3,
            2,
            1,
            "NPS01",
            ((None, example),),
            example,
        )
        assert [f.code for f in findings_for(event, catalog)] == [UNRECOGNISED]
