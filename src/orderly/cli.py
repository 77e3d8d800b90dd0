"""The `orderly` command: serve the API, run workers, migrate, seed, manage tenants and keys.

Settings and the database are resolved when a command runs, never at import. Errors that a
user can act on (OrderlyError) are printed plainly with exit code 1, without a traceback.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.settings import Settings
from orderly.sourcing.cli import sourcing_app
from orderly.tenancy.domain import Role

T = TypeVar("T")

app = typer.Typer(
    name="orderly",
    help="Orderly, an open-source Order Management System.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
api_key_app = typer.Typer(help="API keys (only a hash is stored).", no_args_is_help=True)
import_app = typer.Typer(help="Bulk import from CSV files.", no_args_is_help=True)
db_app = typer.Typer(help="The database: its URL; stop the embedded one.", no_args_is_help=True)
user_app = typer.Typer(help="Dashboard users (passwords are stored as argon2id hashes).")
app.add_typer(org_app, name="org")
app.add_typer(api_key_app, name="api-key")
app.add_typer(import_app, name="import")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user", no_args_is_help=True)
app.add_typer(sourcing_app, name="sourcing")

console = Console()
errors = Console(stderr=True, soft_wrap=True)

WORKER_STOP_SECONDS = 15


def main() -> None:
    # The embedded PostgreSQL asks platformdirs for a runtime folder; its fallback is fine.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    app()


# --- shared plumbing -------------------------------------------------------------------


def resolve_database_url(settings: Settings) -> str:
    """ORDERLY_DATABASE_URL, else the embedded PostgreSQL (started if it is not running)."""
    from orderly.app import database_url

    return database_url(settings)


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except OrderlyError as error:
        errors.print(f"[red]error:[/red] {error.detail}", highlight=False)
        raise typer.Exit(1) from None
    except DBAPIError as error:
        hint = ""
        if "does not exist" in str(error.orig):
            hint = " (has `orderly migrate` run on this database?)"
        errors.print(f"[red]database error:[/red] {error.orig}{hint}", highlight=False)
        raise typer.Exit(1) from None


def _with_database(work: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run async work with a Database on the resolved URL; user errors exit 1."""
    settings = Settings()

    async def run() -> T:
        database = Database(resolve_database_url(settings), pool_size=2, max_overflow=2)
        try:
            return await work(database, settings)
        finally:
            await database.dispose()

    with _user_errors():
        return asyncio.run(run())


# --- database and processes ------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from orderly.migrate import upgrade_database

    with _user_errors():
        upgrade_database(resolve_database_url(Settings()))
    console.print("[green]database is up to date[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes.")] = 1,
    with_worker: Annotated[
        bool | None,
        typer.Option(
            "--with-worker/--no-with-worker",
            help="Also run a job worker next to the API "
            "[default: ORDERLY_RUN_WORKER_IN_PROCESS, else off].",
            show_default=False,
        ),
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the HTTP API (migrating the database first)."""
    import uvicorn

    from orderly.migrate import upgrade_database

    settings = Settings()
    with _user_errors():
        url = resolve_database_url(settings)
        # API processes and the worker read the same URL, even the embedded one.
        os.environ["ORDERLY_DATABASE_URL"] = url
        upgrade_database(url)
    run_worker = settings.run_worker_in_process if with_worker is None else with_worker
    worker = _start_worker_process() if run_worker else None
    # uvicorn re-raises the signal that stopped it; turn it into an exception so the
    # worker next to it is stopped too, and the command ends without a traceback.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(
            "orderly.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            loop="uvloop",
            http="httptools",
            access_log=access_log,
            log_level=settings.log_level,
        )
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if worker is not None:
            _stop_process(worker)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_worker_process() -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "orderly.cli", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command)  # noqa: S603 (our own interpreter, fixed arguments)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at the same time.")] = 1,
    parent_pid: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run background jobs until stopped (run as many as you like, anywhere)."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("procrastinate.blueprints").setLevel(logging.WARNING)
    if settings.log_level.lower() != "debug":
        # Periodic jobs run every few seconds: their start and end lines would drown the
        # console. Failures and retries are still logged (WARNING and above).
        for name in ("procrastinate.worker", "procrastinate.periodic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    with _user_errors():
        url = resolve_database_url(settings)
        with suppress(KeyboardInterrupt):
            asyncio.run(_work(url, concurrency=concurrency, parent_pid=parent_pid))


async def _work(url: str, *, concurrency: int, parent_pid: int | None) -> None:
    from orderly.worker import run_worker

    jobs = asyncio.create_task(run_worker(url, concurrency=concurrency))
    while parent_pid is not None and not jobs.done():
        # Started by `orderly serve`: stop (gracefully) if that process is gone.
        await asyncio.wait({jobs}, timeout=1)
        if os.getppid() != parent_pid and not jobs.done():
            os.kill(os.getpid(), signal.SIGTERM)
            break
    await jobs


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (starting the embedded PostgreSQL if it is the one in use)."""
    with _user_errors():
        typer.echo(resolve_database_url(Settings()))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL of this data directory."""
    from orderly.kit.embedded import stop_embedded_postgres

    data_dir = Settings().resolved_data_dir()
    if not (data_dir / "pg" / "postmaster.pid").exists():
        console.print(f"no embedded PostgreSQL is running under {data_dir}", highlight=False)
    elif stop_embedded_postgres(data_dir):
        console.print(f"stopped the embedded PostgreSQL under {data_dir}", highlight=False)


# --- tenants and keys ------------------------------------------------------------------


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Lowercase letters, digits and dashes.")],
    name: Annotated[str | None, typer.Option(help="Display name [default: the slug].")] = None,
) -> None:
    """Create an organization and print its id."""
    from orderly.tenancy import service as tenancy

    async def create(database: Database, _: Settings) -> int:
        async with database.transaction() as conn:
            return await tenancy.create_organization(conn, slug, name)

    typer.echo(_with_database(create))


@api_key_app.command("create")
def api_key_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "api key",
) -> None:
    """Create an API key; the key is printed once, alone on the last line."""
    from orderly.tenancy import service as tenancy

    async def create(database: Database, _: Settings) -> str:
        async with database.transaction() as conn:
            org_id = await tenancy.organization_id(conn, org)
            new = await tenancy.create_api_key(conn, org_id=org_id, role=role, name=name)
            return new.key

    key = _with_database(create)
    errors.print(f"API key for {org!r} with role {role.value!r}; it is shown only once:")
    typer.echo(key)


@user_app.command("create")
def user_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    email: Annotated[str, typer.Option(help="The user's e-mail, used to sign in.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when not given (at least 10 characters).",
        ),
    ],
    location: Annotated[
        list[str] | None,
        typer.Option(help="Limit the user to this location code (repeat for several)."),
    ] = None,
) -> None:
    """Create a dashboard user who signs in at /app."""
    from orderly.locations import service as locations
    from orderly.tenancy import service as tenancy
    from orderly.tenancy import users

    async def create(database: Database, _: Settings) -> str:
        async with database.transaction() as conn:
            org_id = await tenancy.organization_id(conn, org)
            found = await locations.locations_by_code(conn, org_id, location or [])
            unknown = sorted(set(location or []) - set(found))
            if unknown:
                raise OrderlyError(f"no location {unknown[0]!r} in {org!r}")
            user = await users.create_user(
                conn,
                org_id=org_id,
                email=email,
                password=password,
                role=role,
                location_ids=[ref.id for ref in found.values()],
            )
            return user.email

    created = _with_database(create)
    console.print(f"created user {created} ({role.value}) in {org!r}", highlight=False)


# --- demo data -------------------------------------------------------------------------


@app.command()
def seed(
    org: Annotated[str, typer.Option(help="Slug of the demo organization.")] = "demo",
) -> None:
    """Load the demo data if its organization does not exist yet, and print its admin key."""
    from orderly.demo import seed_demo
    from orderly.migrate import upgrade_database

    async def load(database: Database, settings: Settings) -> None:
        result = await seed_demo(
            settings, database, slug=org, on_step=lambda s: console.print(f"  demo: {s}")
        )
        if result.created:
            console.print(f"[green]loaded the demo organization {org!r}[/green]")
        else:
            console.print(f"the demo organization {org!r} is already loaded")
        console.print(f"demo admin API key: [bold]{result.api_key}[/bold]", highlight=False)
        console.print(f"dashboard sign-in: [bold]{result.login}[/bold]", highlight=False)

    with _user_errors():
        upgrade_database(resolve_database_url(Settings()))
    _with_database(load)


# --- imports ---------------------------------------------------------------------------

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
            async with database.transaction() as conn:
                org_id = await tenancy.organization_id(conn, org)
                return await run(conn, org_id, iter(csv.DictReader(f)), advance)

    return _with_database(work)


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


if __name__ == "__main__":
    main()
