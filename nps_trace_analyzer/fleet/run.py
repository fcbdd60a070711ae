"""``fleet ROOT -o OUT``: analyse every bundle under ROOT once, keep a Parquet dataset and fleet.html.

Layout of OUT (every file is written to a temporary name and renamed, so a file is complete or absent):

* ``dataset/<table>/server=<S>/day=<D>/<key>.parquet`` for the tables ``incidents``, ``inputs`` and ``bundles``
  (one row per bundle): Hive-style partitions any Parquet reader understands (pandas, DuckDB, Spark);
* ``dataset/fleet_findings/day=<D>/findings.parquet``: the cross-server findings of each day, recomputed on every
  run from the stored profiles;
* ``reports/<key>/``: each bundle's own report (report.html, incidents.csv, events.csv, findings.json);
* ``state/<key>.json``: the bundle's server profile, written last: its presence means "this content is done", so a
  rerun analyses only bundles whose key has no state file; ``state/signatures.json`` lets a rerun skip reading a
  bundle whose files' names, sizes and times did not change;
* ``fleet.html``.

With ``--redact`` (``options.redactor``) every one of these holds pseudonyms only (see ``fleet/redaction.py``): the
tasks redact what they return, the state files name paths by keyed tokens, and ``state/redaction.json`` records the
key's fingerprint so that a later run with another setting is refused instead of mixing names into the folder.

A bundle re-collected at the same path (new content, new key) replaces the old one's rows; a bundle that left
ROOT stays in the dataset (history).

Scheduling, retries and moving results back are Dask's (dask.distributed): one task per bundle, on the cluster
named by ``--scheduler`` or on a LocalCluster of ``--workers`` processes. ``workers=0`` runs the tasks in this
process without Dask (the reference the tests compare Dask runs with). Outputs depend only on bundle contents,
never on which worker ran what or in which order results came back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.fleet.compare import by_server, fleet_incidents, users_failing_everywhere
from nps_trace_analyzer.fleet.discover import FoundBundle, find_bundles, signature, symlinks_under
from nps_trace_analyzer.fleet.profile import ServerProfile, profile_from_dict
from nps_trace_analyzer.fleet.redaction import MARKER, check_marker, path_key
from nps_trace_analyzer.fleet.task import BundleOutcome, analyze_for_fleet
from nps_trace_analyzer.pipeline import AnalyzeOptions, Progress
from nps_trace_analyzer.report.frames import SCHEMAS, arrow_schema, incidents_frame

TABLES = ("incidents", "inputs", "bundles")
SIGNATURES = "signatures.json"  # not a bundle state: load_states skips it
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def partition_value(value: str) -> str:
    """A folder-safe Hive partition value (server names are host names; anything else is replaced)."""
    return _UNSAFE.sub("_", value).strip("._") or "unknown"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_parquet(path: Path, frame: pd.DataFrame, table_name: str, drop: tuple[str, ...] = ()) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    schema = arrow_schema(SCHEMAS[table_name], drop)
    table = pa.Table.from_pandas(frame.drop(columns=list(drop)), schema=schema, preserve_index=False)
    pq.write_table(table, tmp)
    os.replace(tmp, path)


@dataclass
class FleetRun:
    """What one ``fleet`` run did."""

    found: int = 0
    analysed: list[str] = field(default_factory=list)  # relative paths of bundles analysed in this run
    skipped: int = 0  # already analysed (same content key)
    failed: list[str] = field(default_factory=list)  # "path: error"
    replaced: list[str] = field(default_factory=list)  # paths whose earlier content was dropped from the dataset
    duplicates: list[str] = field(default_factory=list)  # bundles whose content is already under another path
    not_followed: list[str] = field(default_factory=list)  # symbolic links under ROOT (never followed)
    html: Path | None = None


def store_outcome(out: Path, outcome: BundleOutcome) -> None:
    """Write one bundle's tables, report and (last) its state file."""
    server, day = partition_value(outcome.server), partition_value(outcome.day)
    for table, frame in sorted(outcome.tables.items()):
        drop = tuple(c for c in ("server", "day") if c in frame.columns)
        target = out / "dataset" / table / f"server={server}" / f"day={day}" / f"{outcome.key}.parquet"
        _write_parquet(target, frame, table, drop)
    for name, data in sorted(outcome.report_files.items()):
        _atomic_write(out / "reports" / outcome.key / name, data)
    state = {
        "key": outcome.key,
        "path": outcome.shown or outcome.relative,
        "path_key": outcome.path_key or outcome.relative,
        "server": outcome.server,
        "day": outcome.day,
        "error": outcome.error,
        "profile": outcome.profile,
    }
    _atomic_write(out / "state" / f"{outcome.key}.json", (json.dumps(state, indent=1, sort_keys=True) + "\n").encode())


def load_states(out: Path) -> list[dict[str, Any]]:
    """Every stored bundle state, sorted by key."""
    folder = out / "state"
    if not folder.is_dir():
        return []
    files = [p for p in sorted(folder.glob("*.json")) if p.name not in (SIGNATURES, MARKER)]
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


Lost = Callable[[FoundBundle, str], None]


def _run_in_process(
    todo: list[FoundBundle], options: AnalyzeOptions, done: Callable[[BundleOutcome], None], lost: Lost
) -> None:
    for bundle in todo:
        try:
            outcome = analyze_for_fleet(str(bundle.path), bundle.key, bundle.relative, options)
        except Exception as exc:  # a bug on one bundle must not cost the others
            lost(bundle, f"internal error (please report): {type(exc).__name__}: {exc}")
            continue
        done(outcome)


def _run_on_dask(
    todo: list[FoundBundle],
    options: AnalyzeOptions,
    done: Callable[[BundleOutcome], None],
    lost: Lost,
    *,
    scheduler: str | None,
    workers: int,
    client: Any = None,
) -> None:
    from distributed import Client, LocalCluster, as_completed

    own_cluster = None
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            own_cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(own_cluster)
    try:
        futures = client.map(
            analyze_for_fleet,
            [str(b.path) for b in todo],
            [b.key for b in todo],
            [b.relative for b in todo],
            options=options,
            key=[f"nps-bundle-{b.key}" for b in todo],
            retries=2,
            pure=False,
        )
        by_key = {f"nps-bundle-{b.key}": b for b in todo}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # failed after Dask's retries (a bug, or workers lost again and again)
                lost(by_key[str(future.key)], f"task failed: {type(exc).__name__}: {exc}")
                continue
            done(outcome)
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
        elif scheduler and client is not None:
            client.close()


def run_fleet(
    root: Path,
    out: Path,
    *,
    options: AnalyzeOptions | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    progress: Progress | None = None,
    on_result: Callable[[BundleOutcome], None] | None = None,
) -> FleetRun:
    """Analyse the new bundles under ``root`` into ``out`` and rewrite the fleet views (module docstring).

    ``client``: an existing ``distributed.Client`` to use (tests); ``on_result`` is called after each bundle is
    stored (tests use it to kill a worker mid-run).
    """
    say = progress or (lambda _msg: None)
    options = options or AnalyzeOptions()
    redactor = options.redactor
    keyed = partial(path_key, redactor=redactor)
    shown = redactor.text if redactor is not None else str  # for what is said: names learned in this run replaced
    known = _load_signatures(out)
    bundles = find_bundles(root, skip=out, known=known, path_key=keyed)
    stored = {state["key"] for state in load_states(out)}
    run = FleetRun(found=len(bundles))
    if not bundles and not stored:
        return run  # nothing to show: OUT is not created (the caller says so)
    out.mkdir(parents=True, exist_ok=True)
    check_marker(out, redactor, has_results=bool(stored))
    todo: list[FoundBundle] = []
    first_path: dict[str, str] = {}
    for bundle in bundles:
        if bundle.key in first_path:
            run.duplicates.append(f"{bundle.relative} (same content as {first_path[bundle.key]})")
        first_path.setdefault(bundle.key, bundle.relative)
        if bundle.key in stored or any(t.key == bundle.key for t in todo):
            run.skipped += 1
        else:
            todo.append(bundle)
    not_followed = symlinks_under(root, skip=out)
    say(f"{len(bundles)} bundle(s) under {shown(str(root))}: {len(todo)} to analyse, {run.skipped} already done")

    def done(outcome: BundleOutcome) -> None:
        store_outcome(out, outcome)
        if redactor is not None and outcome.redactor is not None:
            redactor.merge(outcome.redactor)  # one map for the run; its names replaced in what is said
        name = outcome.shown or outcome.relative
        run.analysed.append(name)
        if outcome.error:
            run.failed.append(f"{name}: {outcome.error}")
        say(f"  {name}: {outcome.server} {outcome.day}" + (f" ERROR {outcome.error}" if outcome.error else ""))
        if on_result is not None:
            on_result(outcome)

    def lost(bundle: FoundBundle, message: str) -> None:
        """Not stored: the next run tries the bundle again."""
        line = shown(f"{bundle.relative}: {message}")
        run.failed.append(line)
        say(f"  {line}")

    if todo:
        if client is None and scheduler is None and workers == 0:
            _run_in_process(todo, options, done, lost)
        else:
            count = workers if workers else (os.cpu_count() or 1)
            _run_on_dask(todo, options, done, lost, scheduler=scheduler, workers=count, client=client)
    run.analysed.sort()
    run.duplicates = [shown(line) for line in run.duplicates]
    run.not_followed = [shown(path) for path in not_followed]
    _save_signatures(out, bundles, keyed)
    run.replaced = retire_replaced(out, bundles, keyed)
    run.html = write_fleet_views(out, options)
    return run


def _load_signatures(out: Path) -> dict[str, tuple[str, str]]:
    """relative path -> (file-system signature, content key) of the bundles seen by the last run."""
    path = out / "state" / SIGNATURES
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {rel: (str(v[0]), str(v[1])) for rel, v in doc.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError):
        return {}  # absent or damaged: every bundle is hashed again, nothing else changes


def _save_signatures(out: Path, bundles: list[FoundBundle], keyed: Callable[[str], str]) -> None:
    doc = {keyed(b.relative): [signature(b.path), b.key] for b in bundles}
    _atomic_write(out / "state" / SIGNATURES, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())


def retire(out: Path, key: str) -> None:
    """Remove one stored bundle: its Parquet files and report first, its state file last (so an interrupted
    removal is finished by the next run)."""
    for table in (out / "dataset").glob("*"):
        for file in sorted(table.rglob(f"{key}.parquet")):
            file.unlink()
            for parent in (file.parent, file.parent.parent):
                if parent != table and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
    shutil.rmtree(out / "reports" / key, ignore_errors=True)
    (out / "state" / f"{key}.json").unlink(missing_ok=True)


def retire_replaced(out: Path, bundles: list[FoundBundle], keyed: Callable[[str], str] = str) -> list[str]:
    """Drop stored bundles whose path now holds other content (the bundle was re-collected in place). Bundles
    that left ROOT altogether are kept: the dataset is the fleet's history, not a mirror of ROOT."""
    current = {keyed(b.relative): b.key for b in bundles}
    replaced = []
    for state in load_states(out):
        path = state.get("path_key") or state.get("path", "")
        if path in current and current[path] != state["key"] and (out / "state" / f"{current[path]}.json").exists():
            retire(out, state["key"])
            replaced.append(state.get("path", path))
    return sorted(replaced)


def _profiles_by_day(states: Iterable[dict[str, Any]]) -> dict[str, list[ServerProfile]]:
    days: dict[str, list[ServerProfile]] = {}
    for state in states:
        if state.get("profile"):
            days.setdefault(state["day"], []).append(profile_from_dict(state["profile"]))
    return dict(sorted(days.items()))


def write_fleet_views(out: Path, options: AnalyzeOptions) -> Path:
    """Cross-server findings per day (Parquet) and fleet.html, from every stored bundle."""
    from nps_trace_analyzer.fleet.html import write_fleet_html

    catalog = load_catalog(options.catalog_paths)
    states = load_states(out)
    findings: dict[str, list[Any]] = {}
    everywhere: dict[str, list[tuple[str, list[str], Any]]] = {}
    for day, profiles in _profiles_by_day(states).items():
        incidents = fleet_incidents(profiles, catalog, prefix=f"FLEET-{day}")
        findings[day] = incidents
        everywhere[day] = users_failing_everywhere(by_server(profiles))
        frame = incidents_frame(incidents, bundle="(servers compared)", server="")
        target = out / "dataset" / "fleet_findings" / f"day={partition_value(day)}" / "findings.parquet"
        _write_parquet(target, frame, "incidents")
    return write_fleet_html(out, states, findings, everywhere)
