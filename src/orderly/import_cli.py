"""`orderly import products|stock|orders FILE.csv`: bulk imports with a progress bar.

A whole file is imported in one transaction: a bad row is reported by its line number and
nothing of that file is kept.
"""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.cli_support import console, errors, with_database
from orderly.kit.db import Database
from orderly.settings import Settings

import_app = typer.Typer(help="Bulk import from CSV files.", no_args_is_help=True)


CsvFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file.")
]
OrgSlug = Annotated[str, typer.Option(help="Organization slug.")]
Rows = Iterator[dict[str, str]]
OnProgress = Callable[[int], None]


@import_app.command("products")
def import_products(file: CsvFile, org: OrgSlug) -> None:
    """Import products and SKUs from a CSV file.

    Columns: sku,name[,product,gtin,weight_grams,length_mm,width_mm,height_mm,hazmat].
    Existing SKUs are updated. A bad row stops the import and nothing of the file is saved.
    """
    from orderly.catalog.importer import import_products as run_import

    async def run(conn: AsyncConnection, org_id: int, rows: Rows, advance: OnProgress) -> int:
        return await run_import(conn, org_id, rows, on_progress=advance)

    count = _import_csv(file, org, "products", run)
    console.print(f"[green]imported {count} products from {file}[/green]", highlight=False)


@import_app.command("stock")
def import_stock(file: CsvFile, org: OrgSlug) -> None:
    """Import stock counts from a CSV file.

    Columns: sku,location,on_hand[,safety_stock]. Each row sets a level's on-hand to the count
    and the ledger records the difference. A bad row stops the import and nothing of the file
    is saved.
    """
    from orderly.inventory.importer import import_stock as run_import

    async def run(conn: AsyncConnection, org_id: int, rows: Rows, advance: OnProgress) -> int:
        return await run_import(conn, org_id, "cli", rows, on_progress=advance, reference=file.name)

    count = _import_csv(file, org, "stock", run)
    console.print(f"[green]imported {count} stock rows from {file}[/green]", highlight=False)


@import_app.command("orders")
def import_orders(file: CsvFile, org: OrgSlug) -> None:
    """Import historical orders from a CSV file, one row per order line.

    Columns: external_id,channel,currency,customer_email,sku,quantity,unit_price[,customer_name,
    status,placed_at,ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postal_code,
    ship_country]. The rows of one order are consecutive. Orders are recorded as given (status
    shipped, delivered or cancelled; delivered by default), with no stock reserved; an order
    that exists already (same channel and external_id) is skipped. A bad row stops the import
    and nothing of the file is saved.
    """
    from orderly.orders.importer import OrdersImported
    from orderly.orders.importer import import_orders as run_import

    outcome: list[OrdersImported] = []

    async def run(conn: AsyncConnection, org_id: int, rows: Rows, advance: OnProgress) -> int:
        outcome.append(await run_import(conn, org_id, rows, actor="cli", on_progress=advance))
        return outcome[-1].orders

    count = _import_csv(file, org, "orders", run)
    skipped = outcome[-1].skipped if outcome else 0
    console.print(
        f"[green]imported {count} orders from {file}[/green] ({skipped} already imported)",
        highlight=False,
    )


def _import_csv(
    file: Path,
    org: str,
    what: str,
    run: Callable[[AsyncConnection, int, Rows, OnProgress], Awaitable[int]],
) -> int:
    """Stream the file into one transaction, with a progress bar over its rows."""
    from orderly.tenancy import service as tenancy

    total = _count_rows(file)

    async def work(database: Database, _: Settings) -> int:
        with (
            file.open(newline="", encoding="utf-8-sig") as f,
            _progress(f"{what} from {file.name}", total) as advance,
        ):
            async with database.transaction() as transaction:
                conn = transaction.connection
                org_id = await tenancy.organization_id(conn, org)
                return await run(conn, org_id, iter(csv.DictReader(f)), advance)

    return with_database(work)


def _count_rows(file: Path) -> int:
    with file.open("rb") as f:
        lines = sum(1 for _ in f)
    return max(lines - 1, 0)  # the header


@contextmanager
def _progress(label: str, total: int) -> Iterator[OnProgress]:
    """A progress bar; the callback takes the number of rows done so far."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)
