"""Command line: a thin click layer over the library (``api.analyze_bundle``, the catalog, the generators).

Exit statuses are :class:`~nps_trace_analyzer.core.exit_codes.ExitCode` (documented in the README from that enum).
Every line printed that carries a name from the bundle passes through
:func:`~nps_trace_analyzer.core.safe_text.terminal_safe`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import click

from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.catalog import CatalogError
from nps_trace_analyzer.cli.catalog import catalog_option, fail_catalog
from nps_trace_analyzer.cli.catalog import register as register_catalog
from nps_trace_analyzer.cli.fleet import register as register_fleet
from nps_trace_analyzer.cli.progress import ProgressDisplay
from nps_trace_analyzer.core.exit_codes import ExitCode, exit_status_help, interrupted_code
from nps_trace_analyzer.core.interrupt import Interrupted, signals_raise
from nps_trace_analyzer.core.safe_text import terminal_safe
from nps_trace_analyzer.fleet.multi import analyze_servers, bundle_paths
from nps_trace_analyzer.intake import IntakeError, TempSpaceFull
from nps_trace_analyzer.pipeline import AnalyzeOptions, ReportPaths, report_paths
from nps_trace_analyzer.pipeline.gc_policy import no_full_collection_at_exit
from nps_trace_analyzer.report.output_dir import DiskFullError, OutputError
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.redact_cli import redact_options, redactor_from_options, refuse_map_inside, save_map
from nps_trace_analyzer.version import __version__


def _register_synth(group: click.Group) -> None:
    from nps_trace_analyzer.cli.synth import register  # the generator and its scenario tables: synth only

    register(group)


def _register_etl(group: click.Group) -> None:
    from nps_trace_analyzer.cli.etl import register  # the packet exporter: pcap only

    register(group)


#: Commands registered on first use: name -> the function that imports their module and adds them.
_LAZY_COMMANDS: dict[str, Callable[[click.Group], None]] = {"synth": _register_synth, "pcap": _register_etl}


class _LazyGroup(click.Group):
    """The main group, whose costlier commands are imported only when run or listed.

    ``synth`` needs the sample generator (its bundle writer and scenario tables, about a quarter of the CLI's
    import time) only for its own option choices; ``analyze`` should not pay for it at every start. ``--help``
    lists every command, so it still imports them all and prints the same text.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY_COMMANDS:
            _LAZY_COMMANDS[cmd_name](self)
            _accept_short_help(self)
        return super().get_command(ctx, cmd_name)


def _accept_short_help(group: click.Group) -> None:
    """Every command accepts -h as well as --help, whichever group it is attached to (click caches a command's
    help option the first time it is built, so relying on the parent group's settings makes help output
    order-dependent)."""
    for command in group.commands.values():
        command.context_settings.setdefault("help_option_names", ["-h", "--help"])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nps-trace-analyzer")
def main() -> None:
    """Diagnose NPS + Microsoft Entra MFA NPS-extension support bundles (C:\\NPS folders or their zips)."""


def _default_out_dir(inputs: tuple[str, ...], redactor: Redactor | None) -> Path:
    """``<bundle>-report`` next to the first input; redacting, ``bundle-<token>-report`` (the name the redacted
    report gives the bundle): a bundle is often named after a customer or a server."""
    first = Path(inputs[0])
    stem = first.name[: -len(first.suffix)] if first.is_file() and first.suffix else first.name
    base = first.parent if first.name else Path.cwd()
    if redactor is not None:
        stem = redactor.bundle_name(first.name or str(first.resolve()))
    return base / f"{stem or 'bundle'}-report"


def _report_line(paths: ReportPaths, chosen: bool, redacting: bool) -> str:
    """The closing line: the report as the user named it (``-o``), or, redacting, the default folder by its own
    name only (its parent is the input's folder, whose path may name the customer)."""
    if chosen or not redacting:
        return f"Report: {terminal_safe(str(paths.html))}  (ticket summary: {paths.summary.name})"
    shown = Path(paths.out_dir.name) / paths.html.name
    return f"Report: {shown}  (next to the input; ticket summary: {paths.summary.name})"


@main.command(epilog=exit_status_help())
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default: <bundle>-report next to the input; with --redact: bundle-<pseudonym>-report).",
)
@catalog_option
@click.option(
    "--join-window",
    type=click.IntRange(0, 3600),
    default=120,
    show_default=True,
    help="Seconds within which an NPS audit event joins an extension incident of the same user.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes reading the .evtx files (default: the machine's cores). The reports are the same for any value.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines or bar, only the summary.")
@redact_options
def analyze_cmd(
    inputs: tuple[str, ...],
    output: Path | None,
    catalog: tuple[str, ...],
    join_window: int,
    jobs: int | None,
    quiet: bool,
    redact: bool,
    redact_key: str | None,
    redact_map: Path | None,
) -> None:
    """Analyse a bundle (folder, .zip or single files) and write report.html, summary.md, incidents.csv,
    events.csv and findings.json.

    Several bundles (two or more folders/zips, or one folder holding only bundles) are analysed per server and
    compared; each server's report goes to OUTPUT/servers/<server>/.
    """

    display = ProgressDisplay(quiet=quiet)

    def progress(message: str) -> None:
        display.say(terminal_safe(message))

    def fail(code: ExitCode, message: str) -> None:
        click.echo(f"error: {terminal_safe(message)}", err=True)
        sys.exit(code)

    redactor = redactor_from_options(redact, redact_key, redact_map, output or _default_out_dir(inputs, None))
    out_dir = output or _default_out_dir(inputs, redactor)
    if redactor is not None and redact_map is not None and output is None:
        refuse_map_inside(redact_map, out_dir)
    options = AnalyzeOptions(
        catalog_paths=catalog, join_window=timedelta(seconds=join_window), jobs=jobs, redactor=redactor
    )
    several = bundle_paths(inputs, skip=out_dir)
    no_full_collection_at_exit()  # the process ends after this command (pipeline/gc_policy.py)
    try:
        with signals_raise():
            if several:
                result = analyze_servers(several, out_dir, options, progress).combined
            else:
                result = analyze_bundle(
                    list(inputs), out_dir, options, keep_events=False, progress=progress, meter=display
                ).result
    except CatalogError as exc:
        fail_catalog(exc)
    except IntakeError as exc:
        raise click.UsageError(terminal_safe(str(exc))) from exc
    except (DiskFullError, TempSpaceFull) as exc:
        fail(ExitCode.DISK_FULL, f"disk full: {exc}; no report written")
    except OutputError as exc:
        fail(ExitCode.OUTPUT_UNWRITABLE, f"{exc}; no report written")
    except OSError as exc:
        fail(ExitCode.OUTPUT_UNWRITABLE, str(exc))
    except Interrupted as exc:
        message = f"interrupted by {exc.signal_name}: temp files removed, the report folder left as it was"
        fail(interrupted_code(exc.signum), message)
    finally:
        display.close()
    paths = report_paths(out_dir)
    if redactor is not None and redact_map is not None:
        save_map(redact_map, redactor)
    shown = redactor.text if redactor is not None else str
    analysed = result.content_read
    contents = [i for i in result.inputs if i.kind != "zip"]
    headline = [i for i in result.incidents if not i.benign]
    title = redactor.bundle_title(result.bundle_name) if redactor is not None else result.bundle_name
    click.echo(
        f"{terminal_safe(title)}: {len(analysed)} of {len(contents)} files analysed, "
        f"{sum(i.records_read for i in result.inputs):,} records read, "
        f"{sum(i.records_skipped for i in result.inputs):,} skipped, "
        f"{sum(i.records_lost for i in result.inputs):,} lost; "
        f"{len(headline)} incident(s), {len(result.incidents) - len(headline)} benign."
    )
    for inc in headline[:20]:
        click.echo(
            terminal_safe(f"  {shown(inc.id)} {inc.category:17} {inc.primary_code:40} {shown(inc.summary)[:100]}")
        )
    if len(headline) > 20:
        click.echo(f"  ... {len(headline) - 20} more in the report")
    for inp in result.inputs:
        if not inp.analysed:
            click.echo(terminal_safe(f"  not analysed: {shown(inp.name)}: {shown(inp.reason)}"), err=True)
        elif inp.records_skipped or inp.records_lost:
            click.echo(
                terminal_safe(
                    f"  damaged: {shown(inp.name)}: {inp.records_skipped} item(s) skipped, "
                    f"{inp.records_lost} record(s) announced by its headers not read"
                ),
                err=True,
            )
    click.echo(_report_line(paths, chosen=output is not None, redacting=redactor is not None))
    if not analysed:
        click.echo("error: nothing in the input could be read", err=True)
        sys.exit(ExitCode.NOTHING_READ)


analyze_cmd.name = "analyze"
register_catalog(main)
register_fleet(main)
_accept_short_help(main)
