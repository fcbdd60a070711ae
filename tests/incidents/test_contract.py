"""The rules are written once (docs/diagnosis-contract.md) and the code follows them: these tests fail when a rule
exists in code but not in the contract (or the reverse), when a role a rule or the contract names is not in the
catalog schema, or when the README starts repeating the rules or lists other incident kinds than the code makes."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from nps_trace_analyzer.analysis.incidents.rules import RULE_NAMES, RULES
from nps_trace_analyzer.catalog.schema import ROLES
from nps_trace_analyzer.synth.scenarios.contract import INCIDENT_KINDS

REPO = Path(__file__).resolve().parents[2]
CONTRACT = (REPO / "docs" / "diagnosis-contract.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
_ROLE_USE = re.compile(r"""roles\.(?:of|has|first)\((?:[^()"]*?,\s*)?"([a-z-]+)"\)""")


def _rules_section() -> str:
    start = CONTRACT.index("## Incident rules")
    end = CONTRACT.index("\n## ", start + 1)
    return CONTRACT[start:end]


def test_every_rule_in_code_is_a_heading_of_the_contract_and_the_reverse_in_the_same_order() -> None:
    headings = re.findall(r"^### (\S+)\s*$", _rules_section(), re.MULTILINE)
    assert headings == list(RULE_NAMES)


def test_rule_names_are_unique_and_every_rule_explains_itself() -> None:
    assert len(set(RULE_NAMES)) == len(RULE_NAMES)
    for rule in RULES:
        assert rule.__doc__ and len(rule.__doc__.split()) >= 15, f"{rule.NAME} needs a docstring saying why"


def test_roles_used_by_rules_and_contract_exist_in_the_schema() -> None:
    used = {role for rule in RULES for role in _ROLE_USE.findall(inspect.getsource(rule))}
    from nps_trace_analyzer.analysis.incidents import engine

    used |= set(_ROLE_USE.findall(inspect.getsource(engine)))
    assert used, "the role pattern found nothing: the test would be vacuous"
    assert used <= set(ROLES), used - set(ROLES)
    in_contract = set(re.findall(r"\[([a-z-]+)(?:[:\]])", _rules_section()))
    assert in_contract <= set(ROLES), in_contract - set(ROLES)
    assert used <= in_contract, f"roles the code uses that the contract does not name: {used - in_contract}"


def test_no_rule_module_spells_a_catalog_code() -> None:
    """Codes come from roles: a literal like "CHALLENGE_REQUESTED" or "NPS-REASON-21" in a rule would drift."""
    code_like = re.compile(
        r"""["'](?:[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+|(?:NPS-REASON|SECURITY|SYSTEM|CAPTURE|CONFIG)-[A-Z0-9-]+)["']"""
    )
    for rule in RULES:
        source = inspect.getsource(rule)
        body = source.split('"""', 2)[-1]  # the docstring may name codes to explain the rule
        assert not code_like.findall(body), (rule.NAME, code_like.findall(body))


def test_the_readme_points_to_the_contract_instead_of_repeating_the_rules() -> None:
    start = README.index("### How incidents are formed")
    section = README[start : README.index("\n### ", start + 1)]
    assert "docs/diagnosis-contract.md" in section
    assert len([line for line in section.splitlines()[1:] if line.strip()]) <= 3


def test_incident_kinds_agree_between_code_readme_and_contract() -> None:
    kinds = {rule.KIND for rule in RULES if hasattr(rule, "KIND")}
    assert kinds == set(INCIDENT_KINDS)
    readme = re.search(r'"kind": "sign-in",\s*// (.+)', README)
    assert readme is not None
    assert {k.strip() for k in readme.group(1).split("|")} == kinds
    contract = re.search(r'\{"kind": ([^\n]+?),\n', CONTRACT)
    assert contract is not None
    assert set(re.findall(r'"([a-z-]+)"', contract.group(1))) == kinds
