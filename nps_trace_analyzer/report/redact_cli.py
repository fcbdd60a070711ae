"""The ``--redact`` / ``--redact-key`` / ``--redact-map`` options, shared by ``analyze``, ``fleet`` and ``pcap``.

Kept apart from ``cli.py`` so both commands take the same options with the same rules: a key or a map file
implies redaction; the key may come from the ``NPS_REDACT_KEY`` environment variable (so it stays out of shell
history); the map, which undoes the redaction, may never be written inside the folder that is sent away.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from nps_trace_analyzer.report.pseudonym import Pseudonyms
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.writer import write_redaction_map

F = TypeVar("F", bound=Callable[..., Any])


def redact_options(func: F) -> F:
    func = click.option(
        "--redact-map",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the pseudonym -> original table to this file (never inside the report folder). Implies --redact.",
    )(func)
    func = click.option(
        "--redact-key",
        envvar="NPS_REDACT_KEY",
        metavar="TEXT",
        help="Passphrase keying the pseudonyms: the same key gives the same pseudonyms across runs and bundles "
        "(default: a random key per run). Also read from NPS_REDACT_KEY. Implies --redact.",
    )(func)
    func = click.option(
        "--redact",
        is_flag=True,
        help="Replace users, domains, host/NAS names, IP and MAC addresses, SIDs, tenant and other ids by "
        "consistent pseudonyms in every output (Microsoft endpoints, codes, catalog text and times are kept).",
    )(func)
    return func


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def redactor_from_options(
    redact: bool, key: str | None, map_path: Path | None, out: Path, *, out_is_folder: bool = True
) -> Redactor | None:
    """A redactor when any redaction option was given; a usage error when the map would land in what is sent.

    ``out`` is the report folder (``analyze``) or the output file (``pcap``, ``out_is_folder=False``).
    """
    if not (redact or key or map_path):
        return None
    if map_path is not None:
        refuse_map_inside(map_path, out, out_is_folder=out_is_folder)
    return Redactor(Pseudonyms.key_from_text(key) if key else None)


def refuse_map_inside(map_path: Path, out: Path, *, out_is_folder: bool = True) -> None:
    """A usage error when the map (which undoes the redaction) would be written into what is sent."""
    clash = _inside(map_path, out) if out_is_folder else map_path.resolve() == out.resolve()
    if clash:
        raise click.UsageError(
            f"--redact-map {map_path} is inside the output {out}: the map undoes the redaction and must be kept apart"
        )


def save_map(path: Path, redactor: Redactor, *, merge: bool = False) -> None:
    """Write the map; with ``merge`` (``fleet``, whose folder grows over runs with one key) the entries of an
    existing map file are kept beside this run's."""
    try:
        if merge and path.exists():
            earlier = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(earlier, dict):
                raise ValueError("not a JSON object")
            for pseudonym, original in sorted(earlier.items()):
                redactor.pseudonyms.remember(str(pseudonym), str(original))
        write_redaction_map(path, redactor)
    except ValueError as exc:
        raise click.ClickException(f"cannot extend the redaction map {path}: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write the redaction map {path}: {exc}") from exc
