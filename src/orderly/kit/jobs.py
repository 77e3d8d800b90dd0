"""What every feature's jobs share: the worker process's database, and the wrapper that runs a
job in one transaction of it."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database

P = ParamSpec("P")
R = TypeVar("R")


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
