"""The `orderly` command: serve the API, run workers, migrate, seed, manage tenants and keys.

Settings and the database are resolved when a command runs, never at import. Errors that a
user can act on (OrderlyError) are printed plainly with exit code 1, without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import warnings
from contextlib import suppress
from typing import Annotated, TypeVar

import typer

from orderly.cli_support import console, errors, resolve_database_url, user_errors, with_database
from orderly.import_cli import import_app
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
db_app = typer.Typer(help="The database: its URL; stop the embedded one.", no_args_is_help=True)
user_app = typer.Typer(help="Dashboard users (passwords are stored as argon2id hashes).")
privacy_app = typer.Typer(help="Buyers' personal data.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(api_key_app, name="api-key")
app.add_typer(import_app, name="import")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user", no_args_is_help=True)
app.add_typer(sourcing_app, name="sourcing")
app.add_typer(privacy_app, name="privacy")


WORKER_STOP_SECONDS = 15


def main() -> None:
    # The embedded PostgreSQL asks platformdirs for a runtime folder; its fallback is fine.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    app()


# --- database and processes ------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from orderly.migrate import upgrade_database

    with user_errors():
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
    with user_errors():
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
    with user_errors():
        url = resolve_database_url(settings)
        with suppress(KeyboardInterrupt):
            asyncio.run(
                _work(
                    url,
                    concurrency=concurrency,
                    heartbeat_seconds=settings.worker_heartbeat_seconds,
                    parent_pid=parent_pid,
                )
            )


async def _work(
    url: str, *, concurrency: int, heartbeat_seconds: float, parent_pid: int | None
) -> None:
    from orderly.worker import run_worker

    jobs = asyncio.create_task(
        run_worker(url, concurrency=concurrency, heartbeat_seconds=heartbeat_seconds)
    )
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
    with user_errors():
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
    from orderly.onboarding import service as onboarding

    async def create(database: Database, _: Settings) -> int:
        async with database.transaction() as transaction:
            conn = transaction.connection
            return await onboarding.create_organization(conn, slug, name)

    typer.echo(with_database(create))


@api_key_app.command("create")
def api_key_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "api key",
) -> None:
    """Create an API key; the key is printed once, alone on the last line."""
    from orderly.tenancy import service as tenancy

    async def create(database: Database, _: Settings) -> str:
        async with database.transaction() as transaction:
            conn = transaction.connection
            org_id = await tenancy.organization_id(conn, org)
            new = await tenancy.create_api_key(conn, org_id=org_id, role=role, name=name)
            return new.key

    key = with_database(create)
    errors.print(f"API key for {org!r} with role {role.value!r}; it is shown only once:")
    typer.echo(key)


@privacy_app.command("erase-customer")
def privacy_erase_customer(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    email: Annotated[str, typer.Option(help="The customer's e-mail address.")],
) -> None:
    """Erase a customer's personal data on their request: every order of theirs (e-mail,
    name, phone, addresses, notes, messages, labels, platform events) and their customer
    record. Prints the orders erased."""
    from orderly.privacy import service as privacy
    from orderly.tenancy import service as tenancy

    async def erase(database: Database, _: Settings) -> list[int]:
        async with database.transaction() as transaction:
            conn = transaction.connection
            org_id = await tenancy.organization_id(conn, org)
            return await privacy.erase_customer(conn, org_id, email)

    erased = with_database(erase)
    errors.print(f"erased the personal data of {len(erased)} order(s) of {email!r}")
    for order_id in erased:
        typer.echo(order_id)


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
        async with database.transaction() as transaction:
            conn = transaction.connection
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

    created = with_database(create)
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

    with user_errors():
        upgrade_database(resolve_database_url(Settings()))
    with_database(load)


# --- imports ---------------------------------------------------------------------------


if __name__ == "__main__":
    main()
