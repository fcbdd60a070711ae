"""The incident rules, one module each, in the order the engine runs them.

Each module has a ``NAME`` (a heading of docs/diagnosis-contract.md, checked by tests/incidents/test_contract.py),
a docstring saying what it decides and why, and unit tests of its own (tests/incidents/).
"""

from __future__ import annotations

from types import ModuleType

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

RULES: tuple[ModuleType, ...] = (
    healthy_traffic,
    trace_copy,
    audit_text_duplicate,
    sign_in_per_cid,
    challenge_no_result,
    server_event_group,
    extension_reject_joins,
    nps_reject,
    secondary_reject_joins,
    system_per_code,
    tls_client_joins_https,
    server_config,
    capture_protocol_joins,
    capture_endpoint_joins,
    capture_nas_per_client,
)
RULE_NAMES: tuple[str, ...] = tuple(rule.NAME for rule in RULES)
