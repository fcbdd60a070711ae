"""The ``catalog`` and ``explain`` commands, and the ``--catalog PATH`` option other commands reuse.

A malformed user catalog is the user's own file, so it is reported as one line naming the file and the
entry (exit status 2, like click's usage errors), never as a traceback.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from nps_trace_analyzer.catalog import (
    AUDIENCES,
    CATEGORIES,
    SEVERITIES,
    Catalog,
    CatalogError,
    Entry,
    load_catalog,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CATALOG_ERROR = 2
EXIT_NOT_FOUND = 1


def catalog_option(func: F) -> F:
    """``--catalog PATH`` (repeatable): user catalog files or folders that add or override entries.

    The value reaches the command as the parameter ``catalog`` (a tuple of strings).
    """
    return click.option(
        "--catalog",
        "catalog",
        multiple=True,
        metavar="PATH",
        type=click.Path(dir_okay=True, file_okay=True),
        help="User catalog file or folder of .yaml files; adds or overrides entries (repeatable).",
    )(func)


def fail_catalog(exc: CatalogError) -> NoReturn:
    """Print a catalog error as one line on stderr and exit with status 2."""
    click.echo(f"nps-trace-analyzer: catalog error: {exc}", err=True)
    sys.exit(EXIT_CATALOG_ERROR)


def load_catalog_or_exit(paths: Sequence[str | Path] = ()) -> Catalog:
    """Load the built-in catalog plus ``paths``; on a bad file print one line and exit 2."""
    try:
        return load_catalog(paths)
    except CatalogError as exc:
        fail_catalog(exc)


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))


def _wrap(text: str, indent: str, width: int, first: str | None = None) -> str:
    """Fill ``text`` to ``width``; the first line starts with ``first`` (default: ``indent``)."""
    return textwrap.fill(
        " ".join(text.split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def format_entry(entry: Entry, width: int = 100) -> str:
    """The full human-readable view of one entry (what ``explain`` prints)."""
    lines = [entry.id, "=" * min(len(entry.id), width), _wrap(entry.title, "", width), ""]
    facts = [
        ("Category", entry.category),
        ("Severity", entry.severity),
        ("Audience", ", ".join(entry.audience)),
    ]
    if entry.reason_code is not None:
        facts.append(("Reason code", str(entry.reason_code)))
    if entry.event_id is not None:
        facts.append(("Event", f"{entry.event_id} ({entry.provider})"))
    facts.append(("Benign", f"yes - {entry.benign_condition}" if entry.benign else "no"))
    if entry.derived:
        facts.append(("Derived", "yes (found by correlating events, not logged as such)"))
    if entry.is_fallback and entry.code_pattern is not None:
        pattern = entry.code_pattern.pattern
        facts.append(("Generic", f"yes - the fallback for any code matching {pattern} that has no entry of its own"))
    for label, value in facts:
        lines.append(_wrap(value, " " * 14, width, first=f"{label + ':':<14}"))
    if entry.messages:
        lines += ["", "Documented message(s):"]
        lines += [_wrap(m, "    ", width, first="  - ") for m in entry.messages]
    lines += ["", "What it means:", _wrap(entry.meaning, "  ", width), "", "What to do:"]
    for number, step in enumerate(entry.steps, 1):
        prefix = f"  {number}. "
        lines.append(_wrap(step, " " * len(prefix), width, first=prefix))
    if entry.related:
        lines += ["", f"Related: {', '.join(entry.related)}"]
    if entry.doc_links:
        versions = f" (listed in: {', '.join(entry.doc_versions)})" if entry.doc_versions else ""
        lines += ["", f"Docs{versions}:"] + [f"  {link}" for link in entry.doc_links]
    if entry.patterns:
        lines += ["", "Match patterns:"] + [f"  {p}" for p in entry.pattern_texts]
    lines += ["", "Where these facts come from:"]
    lines += [_wrap(item, "    ", width, first="  - ") for item in entry.source] or ["  - not stated"]
    if entry.source_name:
        lines.append(_wrap(f"(row in our copy of the source table: {entry.source_name})", "    ", width, first="    "))
    lines += ["", "Example event text:" if len(entry.examples) == 1 else "Example event texts:"]
    lines += [
        _wrap(example, "    ", width, first="  - (synthetic) " if example in entry.synthetic_examples else "  - ")
        for example in entry.examples
    ]
    if entry.synthetic_examples:
        lines.append("  (synthetic = written for this catalog as a test vector; no source shows this text)")
    lines += ["", f"Catalog file: {entry.source_file}"]
    return "\n".join(lines)


def only_fallback(query: str, entries: Sequence[Entry]) -> bool:
    """True when ``query`` found nothing but a family fallback (``AADSTS99999999`` -> the ``AADSTS`` entry).

    Asking for the fallback itself (``explain AADSTS``) is not a miss: the entry is what was asked for.
    """
    wanted = query.strip().casefold()
    return bool(entries) and all(e.is_fallback and wanted not in (e.id.casefold(), e.code.casefold()) for e in entries)


def _emit_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


@click.command("catalog")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only entries of this category.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only entries of this severity.")
@click.option("--audience", type=click.Choice(AUDIENCES), help="Only entries for this audience.")
@click.option("-s", "--search", "search", metavar="TEXT", help="Only entries containing every word of TEXT.")
@click.option("--check", is_flag=True, help="Also check that every entry's examples match it (exit 1 if not).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@catalog_option
def catalog_cmd(
    category: str | None,
    severity: str | None,
    audience: str | None,
    search: str | None,
    check: bool,
    as_json: bool,
    catalog: tuple[str, ...],
) -> None:
    """List the catalog of known errors (filter by category, severity, audience or text)."""
    cat = load_catalog_or_exit(catalog)
    entries = cat.search(search) if search else list(cat.entries)
    wanted = {e.id for e in cat.filter(category=category, severity=severity, audience=audience)}
    entries = [e for e in entries if e.id in wanted]
    problems = cat.check_examples() if check else []
    if as_json:
        payload: dict[str, Any] = {
            "catalog_version": cat.version,
            "sources": cat.sources,
            "count": len(entries),
            "entries": [e.to_dict() for e in entries],
        }
        if check:
            payload["problems"] = [{"file": f, "entry": i, "problem": p} for f, i, p in problems]
        _emit_json(payload)
    else:
        click.echo(f"Catalog {cat.version}: {len(entries)} of {len(cat)} entries")
        if entries:
            id_width = min(max(len(e.id) for e in entries), 44)
            for e in entries:
                flag = (" (benign)" if e.benign else "") + (" (generic fallback)" if e.is_fallback else "")
                click.echo(f"{e.id:<{id_width}}  {e.category:<17}  {e.severity:<8}  {e.title}{flag}")
        for file, entry_id, problem in problems:
            click.echo(f"{file}: entry {entry_id}: {problem}", err=True)
    if problems:
        sys.exit(EXIT_NOT_FOUND)


@click.command("explain")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@catalog_option
def explain_cmd(query: str, as_json: bool, catalog: tuple[str, ...]) -> None:
    """Explain one code: an error code (ESTS_TOKEN_ERROR, UserNotFound), an entry id (CODE#slug),
    an NPS reason code (21 or reason:21) or a Windows event id (6273 or event:6273)."""
    cat = load_catalog_or_exit(catalog)
    entries = cat.resolve(query)
    generic = only_fallback(query, entries)
    if as_json:
        payload: dict[str, Any] = {"query": query, "catalog_version": cat.version}
        if entries:
            payload["in_catalog"] = not generic
            payload["generic"] = generic
        payload["entries"] = [e.to_dict() for e in entries]
        _emit_json(payload)
    else:
        width = _width()
        if generic:
            click.echo(
                _wrap(
                    f"{query.strip()} is not in the catalog; generic fallback: what follows is the entry "
                    f"{entries[0].id} for any code of its family, not an explanation of this particular code.",
                    "",
                    width,
                )
                + "\n"
            )
        if len(entries) > 1:
            click.echo(f"{len(entries)} entries match {query!r}: {', '.join(e.id for e in entries)}\n")
        click.echo(("\n\n" + "-" * min(width, 60) + "\n\n").join(format_entry(e, width) for e in entries))
    if not entries:
        click.echo(
            f"nps-trace-analyzer: {query!r} is not in the catalog (try: nps-trace-analyzer catalog --search TEXT)",
            err=True,
        )
        sys.exit(EXIT_NOT_FOUND)


def register(group: click.Group) -> None:
    """Add the ``catalog`` and ``explain`` commands to the CLI group."""
    group.add_command(catalog_cmd)
    group.add_command(explain_cmd)
