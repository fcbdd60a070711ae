"""Data flows one way (sources -> events -> findings -> incidents -> reports) and each domain constant is defined
once (nps_trace_analyzer/core/domain.py). Checked on the source code itself, so a shortcut across stages fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from nps_trace_analyzer.core.domain import AZUREMFA_CHANNELS, MFA_ENDPOINTS, NPSEXT_TRACE_CHANNEL

PACKAGE = Path(__file__).resolve().parents[2] / "nps_trace_analyzer"


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else sorted(PACKAGE.glob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def _forbidden(folder: str, prefixes: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _modules(folder)
        for name in _imports(path)
        if name.startswith(prefixes)
    ]


def test_net_does_not_import_sources() -> None:
    """sources uses net to decode what it reads; net importing sources would close a cycle."""
    assert _forbidden("net", ("nps_trace_analyzer.sources",)) == []


def test_readers_yield_events_only() -> None:
    later = ("catalog", "analysis", "report", "pipeline")
    assert _forbidden("sources", tuple(f"nps_trace_analyzer.{name}" for name in later)) == []


def test_findings_and_rules_do_not_reach_into_other_stages() -> None:
    assert _modules("analysis/incidents")
    assert _forbidden("analysis/incidents", ("nps_trace_analyzer.sources", "nps_trace_analyzer.pipeline")) == []
    for name in ("findings.py", "cross_source.py", "capture_codes.py"):
        imports = _imports(PACKAGE / "analysis" / name)
        assert not {
            i for i in imports if i.startswith(("nps_trace_analyzer.analysis.incidents", "nps_trace_analyzer.report"))
        }


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def test_domain_constants_are_defined_once() -> None:
    """Hosts, channel names and the NPS audit id range live in domain.py; the generator (synth) writes bundles
    and may spell what Windows writes."""
    facts = {*MFA_ENDPOINTS, *AZUREMFA_CHANNELS, *(c.lower() for c in AZUREMFA_CHANNELS), NPSEXT_TRACE_CHANNEL}
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "synth" or relative.name == "domain.py":
            continue
        found = _string_constants(path) & facts
        if found:
            copies.append(f"{relative}: {sorted(found)}")
        if "range(6272" in path.read_text(encoding="utf-8"):
            copies.append(f"{relative}: range(6272, ...)")
    assert copies == []
