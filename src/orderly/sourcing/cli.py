"""`orderly sourcing ...`: the routing engine from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.settings import Settings
from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.replay import Outcome, ReplayReport, replay_orders
from orderly.tenancy import service as tenancy

sourcing_app = typer.Typer(help="The routing engine: replay past orders.", no_args_is_help=True)
console = Console()


@sourcing_app.command("replay")
def replay(
    since: Annotated[datetime, typer.Option(help="Replay orders captured on or after this date.")],
    org: Annotated[str, typer.Option(help="Organization slug.")],
    config: Annotated[
        Path | None,
        typer.Option(
            help="A routing configuration (JSON) to try; each channel's saved one if omitted.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many orders.")] = 10_000,
) -> None:
    """Replay past orders under a configuration; compare cost, split rate and distance."""
    try:
        routing = RoutingConfig.model_validate_json(config.read_bytes()) if config else None
    except ValidationError as error:
        console.print(f"[red]error:[/red] {config} is not a valid routing configuration")
        console.print(str(error), highlight=False)
        raise typer.Exit(1) from None

    async def run() -> ReplayReport:

        database = Database(Settings().resolved_database_url(), pool_size=1, max_overflow=1)
        try:
            async with database.transaction() as transaction:
                conn = transaction.connection
                org_id = await tenancy.organization_id(conn, org)
                return await replay_orders(
                    conn, org_id, since=since.date(), config=routing, limit=limit
                )
        finally:
            await database.dispose()

    try:
        report = asyncio.run(run())
    except OrderlyError as error:
        console.print(f"[red]error:[/red] {error.detail}", highlight=False)
        raise typer.Exit(1) from None
    console.print(_table(report))


def _table(report: ReplayReport) -> Table:
    table = Table(title=f"{report.actual.orders} order(s) since {report.since.isoformat()}")
    table.add_column("")
    table.add_column("what happened", justify="right")
    table.add_column("replayed", justify="right")

    def row(label: str, get: Callable[[Outcome], str]) -> None:
        table.add_row(label, get(report.actual), get(report.replayed))

    row("estimated cost", lambda o: _money(o.cost_minor))
    row("shipments", lambda o: str(o.shipments))
    row("split rate", lambda o: f"{100 * o.split_rate:.1f}%")
    row("mean distance (km)", _distance)
    row("units short", lambda o: str(o.short_units))
    table.caption = f"{report.changed_orders} order(s) would ship from other locations"
    return table


def _distance(outcome: Outcome) -> str:
    km = outcome.mean_distance_km
    return "-" if km is None else f"{km:,.0f}"


def _money(minor: int) -> str:
    return f"{minor // 100:,}.{minor % 100:02d}"
