"""What every feature's jobs share: the worker process's database, and the wrapper that runs a
job in one transaction of it."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

import procrastinate
from procrastinate.types import JSONValue
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database, driver_connection

P = ParamSpec("P")
R = TypeVar("R")

# A job worker silent for this many heartbeats is taken for dead (killed, or its host gone).
SILENT_HEARTBEATS = 3


def stalled_after(heartbeat_seconds: float) -> float:
    """Seconds without a heartbeat after which a worker is dead and its jobs are stalled."""
    return SILENT_HEARTBEATS * heartbeat_seconds


@functools.cache
def worker_database(database_url: Callable[[], str]) -> Database:
    """One pool for all the jobs of a worker process, made on the first job, never at import.
    Every task passes the same ``database_url`` (`settings.environment_database_url`)."""
    return Database(database_url(), pool_size=3, max_overflow=4)


def in_transaction(
    database_url: Callable[[], str],
) -> Callable[[Callable[Concatenate[AsyncConnection, P], Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """A decorator for a job whose body runs in one transaction of the worker's database: the
    body takes the transaction's connection first, the job's arguments after it."""

    def wrap(
        body: Callable[Concatenate[AsyncConnection, P], Awaitable[R]],
    ) -> Callable[P, Awaitable[R]]:
        @functools.wraps(body)
        async def job(*args: P.args, **kwargs: P.kwargs) -> R:
            async with worker_database(database_url).transaction() as transaction:
                return await body(transaction.connection, *args, **kwargs)

        return job

    return wrap


@functools.cache
def _deferral_app() -> procrastinate.App:
    """An App that only writes jobs, on connections it is handed: its own pool is never
    opened, so it needs no database URL and binds no task module (the worker's App does)."""
    return procrastinate.App(connector=procrastinate.PsycopgConnector())


async def defer_job(
    conn: AsyncConnection,
    task_name: str,
    *,
    lock: str | None = None,
    schedule_in: dict[str, int] | None = None,
    **arguments: JSONValue,
) -> None:
    """Defer a job by its task's name inside the caller's transaction: the job exists exactly
    when the change does. (No queueing lock here: its unique violation would abort the
    caller's transaction.)"""
    deferrer = _deferral_app().configure_task(
        task_name,
        lock=lock,
        schedule_in=schedule_in,
        connection=await driver_connection(conn),
    )
    await deferrer.defer_async(**arguments)
