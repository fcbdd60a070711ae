"""The ``fleet`` command (every bundle under a folder, on Dask) and ``synth-fleet`` (a generated farm)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from nps_trace_analyzer.catalog import CatalogError
from nps_trace_analyzer.cli.catalog import catalog_option, fail_catalog
from nps_trace_analyzer.pipeline import AnalyzeOptions
from nps_trace_analyzer.report.redact_cli import redact_options, redactor_from_options, save_map


@click.command("fleet")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Fleet folder: Parquet dataset, fleet.html, per-bundle reports, state (reused by later runs).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="dask.distributed scheduler to run on (tcp://HOST:8786); ROOT must be readable by its workers.",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 512),
    default=None,
    help="Local worker processes when no --scheduler is given (default: the machine's cores; 0: no Dask, "
    "analyse in this process).",
)
@catalog_option
@click.option("-q", "--quiet", is_flag=True, help="No progress lines, only the summary.")
@redact_options
def fleet_cmd(
    root: Path,
    output: Path,
    scheduler: str | None,
    workers: int | None,
    catalog: tuple[str, ...],
    quiet: bool,
    redact: bool,
    redact_key: str | None,
    redact_map: Path | None,
) -> None:
    """Analyse every bundle (folder or zip, any depth) under ROOT once and write a Parquet dataset partitioned by
    server and day, fleet.html and each bundle's report into OUTPUT.

    \b
    Bundles are keyed by content: a second run analyses only new or changed bundles.
    With --redact every file in OUTPUT (Parquet, fleet.html, reports, state) holds
    pseudonyms; a later run into the same OUTPUT needs the same --redact-key.
    Exit status: 0 done, 1 some bundle could not be analysed (listed), 2 usage error.
    """
    from nps_trace_analyzer.fleet.redaction import RedactionMismatch
    from nps_trace_analyzer.fleet.run import run_fleet

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    redactor = redactor_from_options(redact, redact_key, redact_map, output)
    try:
        run = run_fleet(
            root,
            output,
            options=AnalyzeOptions(catalog_paths=catalog, redactor=redactor),
            scheduler=scheduler,
            workers=workers,
            progress=progress,
        )
    except CatalogError as exc:
        fail_catalog(exc)
    except RedactionMismatch as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if run.html is None:
        click.echo(f"error: no bundle under {root} (a folder holding NPS logs, or a zip)", err=True)
        sys.exit(1)
    click.echo(
        f"{run.found} bundle(s) found: {len(run.analysed)} analysed, {run.skipped} unchanged since an earlier run, "
        f"{len(run.failed)} failed."
    )
    for path in run.replaced:
        click.echo(f"  replaced (new content at the same path): {path}")
    for path in run.duplicates:
        click.echo(f"  not analysed twice: {path}")
    for path in run.not_followed:
        click.echo(f"  symbolic link not followed: {path}", err=True)
    for failure in run.failed:
        click.echo(f"  failed: {failure}", err=True)
    if redactor is not None and redact_map is not None:
        save_map(redact_map, redactor, merge=True)
    click.echo(f"Fleet: {run.html}")
    if run.failed:
        sys.exit(1)


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-12") from exc


@click.command("synth-fleet")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write <HOST>/<HOST>-<day> bundles and fleet-expected.json into.",
)
@click.option("--servers", type=click.IntRange(1, 50), default=2, show_default=True, help="NPS servers.")
@click.option("--days", type=click.IntRange(1, 60), default=1, show_default=True, help="Days, one bundle each.")
@click.option("--first-day", callback=_parse_day, default="2025-03-12", show_default=True, help="UTC day of day 1.")
@click.option(
    "--healthy", type=click.IntRange(0, 500), default=20, show_default=True, help="Healthy sign-ins per server-day."
)
@click.option(
    "--skew",
    type=click.FloatRange(-3600, 3600),
    default=95.0,
    show_default=True,
    help="Seconds NPS02's clock runs ahead.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--zip-every",
    type=click.IntRange(0, 100),
    default=2,
    show_default=True,
    help="Write every n-th bundle as a zip only (0: folders only).",
)
def synth_fleet_cmd(
    output: Path, servers: int, days: int, first_day: date, healthy: int, skew: float, seed: int, zip_every: int
) -> None:
    """Write bundles of a farm of NPS servers behind Windows NLB over several days.

    \b
    NPS02 is the drifted member: another CLIENT_ID, a clock SKEW seconds ahead, and NLB copies of NPS01's
    requests in its capture. `synth-fleet --servers 2 -o pair` is the two-server scenario:
    `analyze pair -o report` diagnoses it. fleet-expected.json lists the cross-server findings built in.
    """
    from nps_trace_analyzer.synth.farm import generate_farm

    try:
        written = generate_farm(
            output,
            servers=servers,
            days=days,
            first_day=first_day,
            seed=seed,
            healthy=healthy,
            skew_seconds=skew,
            zip_every=zip_every,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc}") from exc
    click.echo(f"{len(written)} bundle(s) under {output}")


def register(group: click.Group) -> None:
    """Add ``fleet`` and ``synth-fleet`` to ``group`` (the main CLI)."""
    group.add_command(fleet_cmd)
    group.add_command(synth_fleet_cmd)
