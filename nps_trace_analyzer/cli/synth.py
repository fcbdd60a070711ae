"""The ``synth`` command: write sample C:\\NPS bundles from the documented failure-mode scenarios."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from nps_trace_analyzer.synth.bundle import (
    DEFAULT_DAY,
    DEFAULT_HEALTHY,
    DEFAULT_HOST,
    DEFAULT_SEED,
    DEMO_NAME,
    PARTS,
    expected_path,
    generate_bundle,
    generate_demo,
    zip_bundle,
)
from nps_trace_analyzer.synth.scenarios import BY_NAME, DEMO_SCENARIOS, SCENARIOS
from nps_trace_analyzer.synth.scenarios.context import BookingError
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-12") from exc


def _list_scenarios() -> None:
    width = max(len(s.name) for s in SCENARIOS)
    for scenario in SCENARIOS:
        click.echo(f"{scenario.name:<{width}}  {scenario.summary}")
    solo = ", ".join(s.name for s in SCENARIOS if s.solo)
    click.echo(
        f"{'all':<{width}}  Every scenario above in one bundle, except those that change the whole server ({solo})."
    )
    click.echo(f"{DEMO_NAME:<{width}}  The committed demo day: {', '.join(DEMO_SCENARIOS)}.")


@click.command("synth")
@click.argument("scenarios", nargs=-1)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Bundle folder to write (created if needed).",
)
@click.option("--seed", type=int, default=None, help=f"Random seed (default {DEFAULT_SEED}; demo: its own).")
@click.option("--host", default=None, help=f"NPS server name, short or FQDN (default {DEFAULT_HOST}).")
@click.option(
    "--day", callback=_parse_day, default=None, help=f"UTC day of the logs, YYYY-MM-DD (default {DEFAULT_DAY})."
)
@click.option(
    "--healthy",
    type=click.IntRange(0, 5000),
    default=None,
    help=f"Healthy sign-ins added to the scenarios' events (default {DEFAULT_HEALTHY}).",
)
@click.option(
    "--layout",
    type=click.Choice(sorted(LAYOUTS)),
    default=None,
    help="AzureMfa event layout for the whole bundle (default: the first scenario's).",
)
@click.option(
    "--skip",
    "skip",
    multiple=True,
    type=click.Choice(PARTS),
    help="Leave a part of the bundle out (repeatable): registry dumps, NPS_EventLog.log, Security.evtx, "
    "nettrace.etl, the accounting log. The expected diagnosis follows.",
)
@click.option("--zip", "make_zip", is_flag=True, help="Also write <folder>.zip (deterministic) beside the folder.")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios with one-line descriptions and exit.")
def synth_cmd(
    scenarios: tuple[str, ...],
    output: Path | None,
    seed: int | None,
    host: str | None,
    day: date | None,
    healthy: int | None,
    layout: str | None,
    skip: tuple[str, ...],
    make_zip: bool,
    list_only: bool,
) -> None:
    """Write a sample NPS bundle for SCENARIO... and its expected diagnosis beside it (<OUTPUT>.expected.json).

    The bundle holds what the health-check script collects (<HOST>_AuthNOptCh/AuthZOptCh/AuthZAdminCh.evtx,
    BeforeRegAdd_*/AfterRegAdd_* registry dumps, NPS_EventLog.log, nettrace.etl) plus Security.evtx and
    System.evtx, and an NPS accounting log (IN<yymmdd>.log) for scenarios that keep one.

    SCENARIO is a name from --list, "all" for every scenario, or "demo" for the committed demo day
    (samples/demo-bundle: regenerate it with `synth demo -o samples/demo-bundle --zip`). The same arguments
    always give byte-identical files.
    """
    if list_only:
        _list_scenarios()
        return
    if not scenarios:
        raise click.UsageError("name at least one SCENARIO (see --list), or 'all'")
    unknown = [name for name in scenarios if name not in BY_NAME and name not in ("all", DEMO_NAME)]
    if unknown:
        raise click.BadParameter(f"unknown scenario(s): {', '.join(unknown)} (see --list)", param_hint="SCENARIO")
    if output is None:
        raise click.UsageError("missing option -o/--output")
    is_demo = scenarios == (DEMO_NAME,)
    plain = (seed, host, day, healthy, layout) == (None, None, None, None, None) and not skip
    try:
        if is_demo and plain:
            folder = generate_demo(output)
        else:
            folder = generate_bundle(
                output,
                list(scenarios),
                seed=DEFAULT_SEED if seed is None else seed,
                host=host or DEFAULT_HOST,
                day=day or DEFAULT_DAY,
                healthy=DEFAULT_HEALTHY if healthy is None else healthy,
                layout=layout,
                name=DEMO_NAME if is_demo else None,
                skip=skip,
            )
    except BookingError as exc:
        raise click.UsageError(f"cannot fit the scenarios into one day: {exc}; use fewer --healthy") from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc}") from exc
    click.echo(f"Bundle: {folder}")
    click.echo(f"Expected diagnosis: {expected_path(folder)}")
    if make_zip:
        click.echo(f"Zip: {zip_bundle(folder)}")


def register(group: click.Group) -> None:
    """Add the ``synth`` command to ``group`` (the main CLI)."""
    group.add_command(synth_cmd)
