"""The package's import graph keeps the one-way flow: no import cycle, and no module imports a higher stage.

Stages, lowest first: shared lower layers (core, catalog, net) -> sources/intake -> extract -> findings ->
incidents -> report -> the pipeline and its library/fleet front ends -> the CLI and the sample generator. Imports
are read from the source with :mod:`ast` (also those inside functions: a lazy import is still a dependency;
``if TYPE_CHECKING:`` blocks are left out, they never run). ``from pkg import name`` counts as an import of
``pkg.name`` when that is a module, else of ``pkg``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import nps_trace_analyzer

PACKAGE = "nps_trace_analyzer"
ROOT = Path(nps_trace_analyzer.__file__).resolve().parent

#: Rank of each part of the package (longest dotted prefix wins; a module may only import equal or lower ranks).
LAYERS: dict[str, int] = {
    # shared lower layers
    "core": 0,
    "version": 0,
    "catalog": 0,
    "net": 0,
    # stages
    "sources": 1,
    "intake": 1,
    "extract": 2,
    "analysis": 3,  # findings, config_checks, capture_codes
    "analysis.incidents": 4,
    "analysis.cross_source": 4,
    "analysis.observations": 4,
    "analysis.activity": 4,
    "report": 5,
    "pipeline": 6,
    "api": 6,
    "fleet": 6,
    "": 6,  # the package itself (its __init__ re-exports the library entry point)
    "cli": 7,
    "__main__": 7,
    "synth": 7,  # the sample generator: a tool on top, never imported by the analysis
}

# No exception list: every back-edge and cycle the package once had was fixed in the code (the NPSExtension.etl
# reader no longer runs the AzureMfa grammar, the synth scenario tables no longer import each other). A new one
# fails the tests below; fix the code, do not add an allowance.


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    package = module if is_package else module.rpartition(".")[0]
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else target


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = set(_imports(tree, module, path.name == "__init__.py", known))
        graph[module] = {m for m in found if m in known and m != module}
    return graph


def _rank(module: str) -> int:
    parts = module.split(".")[1:]
    # Longest prefix first; "" (the package root) only for the root itself, so a new module is never silently
    # ranked with the top layers.
    for length in range(len(parts), 0 if parts else -1, -1):
        key = ".".join(parts[:length])
        if key in LAYERS:
            return LAYERS[key]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _short(module: str) -> str:
    return module.partition(".")[2]


def test_no_import_cycle() -> None:
    cycles = sorted(tuple(_short(m) for m in cycle) for cycle in _cycles(_graph()))
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_import_from_a_lower_stage_to_a_higher_one() -> None:
    graph = _graph()
    back = sorted(
        (_short(a), _rank(a), _short(b), _rank(b))
        for a, targets in graph.items()
        for b in targets
        if _rank(b) > _rank(a)
    )
    assert not back, "imports from a lower stage to a higher one:\n" + "\n".join(
        f"{a} (layer {ra}) imports {b} (layer {rb})" for a, ra, b, rb in back
    )


def test_the_check_sees_a_back_edge_and_a_cycle() -> None:
    """The checks above must be able to fail: a made-up graph with one back-edge and one cycle."""
    graph = {f"{PACKAGE}.core.model": {f"{PACKAGE}.report.html"}, f"{PACKAGE}.report.html": {f"{PACKAGE}.core.model"}}
    assert _cycles(graph) == [[f"{PACKAGE}.core.model", f"{PACKAGE}.report.html"]]
    assert _rank(f"{PACKAGE}.core.model") < _rank(f"{PACKAGE}.report.html")
    with pytest.raises(AssertionError, match="in no layer"):
        _rank(f"{PACKAGE}.brand_new_module")
