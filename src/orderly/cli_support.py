"""Plumbing shared by the `orderly` command's modules: the database URL, a Database for async
work, and plain error messages instead of tracebacks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.settings import Settings

T = TypeVar("T")

console = Console()
errors = Console(stderr=True, soft_wrap=True)


def resolve_database_url(settings: Settings) -> str:
    """ORDERLY_DATABASE_URL, else the embedded PostgreSQL (started if it is not running)."""
    return settings.resolved_database_url()


@contextmanager
def user_errors() -> Iterator[None]:
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


def with_database(work: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run async work with a Database on the resolved URL; user errors exit 1."""
    settings = Settings()

    async def run() -> T:
        database = Database(resolve_database_url(settings), pool_size=2, max_overflow=2)
        try:
            return await work(database, settings)
        finally:
            await database.dispose()

    with user_errors():
        return asyncio.run(run())
