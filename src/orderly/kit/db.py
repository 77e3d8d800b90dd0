"""Database access: one async engine per process, one transaction per request or job."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from orderly.kit.errors import OrderlyError

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

_AT_COMMIT = "orderly.execute_at_commit"


def async_url(url: str) -> str:
    """Normalise any PostgreSQL URL to the psycopg 3 async dialect."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("Orderly needs a PostgreSQL URL (postgresql://...)")


def plain_url(url: str) -> str:
    """The libpq form of a URL, for psycopg, pgbench and psql."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Database:
    """Owns the engine; hands out transactional connections."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 10, read_pool_size: int = 5
    ) -> None:
        self.url = plain_url(url)
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            pool_recycle=1800,
        )
        # Reads (GET requests): statements in autocommit on connections that PostgreSQL
        # keeps read-only. No connection is opened before the first read.
        self.reader: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=read_pool_size,
            max_overflow=0,
            pool_pre_ping=False,
            pool_recycle=1800,
            isolation_level="AUTOCOMMIT",
            connect_args={"options": "-c default_transaction_read_only=on"},
        )

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a request that only reads: each statement is its own read-only
        transaction, with no BEGIN and no COMMIT to wait for. Under READ COMMITTED a
        transaction would give each statement its own snapshot all the same; a statement
        that tries to write fails (default_transaction_read_only)."""
        async with self.reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Open a transaction that commits on success and rolls back on any exception.

        Statements handed to `execute_at_commit` are sent together with COMMIT, in one
        round trip (psycopg's pipeline mode).

        The transaction is psycopg's: it begins with the first statement, whether that runs
        through SQLAlchemy or on the driver connection (the hot path), and it ends here on the
        driver connection. SQLAlchemy's own transaction object, when a statement of its began
        one, is only told (a no-op for the driver): this saves SQLAlchemy's bookkeeping on every
        request that runs on the driver connection alone, such as order capture.
        """
        async with self.engine.connect() as conn:
            conn.info[_AT_COMMIT] = []
            pg = await driver_connection(conn)
            try:
                yield conn
            except BaseException:
                conn.info.pop(_AT_COMMIT, None)
                await _roll_back(conn, pg)
                raise
            # In the order queued, those queued `last` after the others (a stable sort).
            deferred = sorted(conn.info.pop(_AT_COMMIT), key=_queued_last)
            try:
                if deferred:
                    async with pg.pipeline():
                        for statement in deferred:
                            await pg.execute(compact_sql(statement.sql), statement.params)
                        await pg.commit()
                else:
                    await pg.commit()
            except Exception as exc:
                # The transaction is aborted on the server: end it, so that the connection goes
                # back to the pool clean. A lost connection cannot roll back; the original error
                # is the one to report.
                await _roll_back(conn, pg)
                # A statement that refused the transaction (orderly_refuse) names its error.
                refusal = next((d.refusal for d in deferred if _refused_with(exc, d.refusal)), None)
                if refusal is None:
                    raise
                raise refusal from exc
            if conn.in_transaction():
                await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.reader.dispose()


async def _roll_back(conn: AsyncConnection, pg: psycopg.AsyncConnection[Any]) -> None:
    """End a failed transaction. A connection that broke on the driver (the server went away)
    is discarded, so that the pool does not hand it out again: SQLAlchemy learns of a broken
    connection only from errors that pass through it."""
    if pg.broken or pg.closed:
        await conn.invalidate()
        return
    if conn.in_transaction():
        await conn.rollback()
    with contextlib.suppress(psycopg.Error):
        await pg.rollback()


def row_dict(row: sa.Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


# The hot path (order capture, authentication, idempotency) runs its statements on the psycopg
# connection under the SQLAlchemy one, in the same transaction: SQLAlchemy's own work per
# statement is a good share of an order's budget (docs/performance.md). SQL written for these
# helpers uses psycopg's %(name)s placeholders.

_SQL_TOKENS = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")|(--[^\n]*)|(\s+)""")


@lru_cache(maxsize=512)
def compact_sql(sql: str) -> str:
    """The statement on one line, without comments: psycopg converts placeholders of a
    statement up to 4 kB once and then reuses the result, but parses a longer one again on
    every call (the order write is longer). Quoted text is kept as it is."""

    def keep_quoted(token: re.Match[str]) -> str:
        quoted, comment, _ = token.groups()
        return quoted if quoted is not None else ("" if comment is not None else " ")

    without_comments = _SQL_TOKENS.sub(keep_quoted, sql)
    return _SQL_TOKENS.sub(keep_quoted, without_comments).strip()


def int_array(values: Iterable[int]) -> str:
    """An integer array literal for a `CAST(%(name)s AS bigint[])` parameter: psycopg adapts a
    Python list element by element in Python, a literal is one join."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


def text_array(values: Iterable[str]) -> str:
    """A text array literal for a `CAST(%(name)s AS text[])` parameter (see `int_array`):
    every element double-quoted, its backslashes and double quotes escaped."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


async def driver_connection(conn: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    raw = await conn.get_raw_connection()
    return cast(psycopg.AsyncConnection[Any], raw.driver_connection)


async def fetch_all(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run one statement that returns rows on the driver connection; rows are named tuples."""
    pg = await driver_connection(conn)
    async with pg.cursor(row_factory=namedtuple_row) as cursor:
        await cursor.execute(compact_sql(sql), params)
        return await cursor.fetchall()


async def execute(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> None:
    """Run one statement whose result is not needed. In pipeline mode it is only queued: it
    travels with the next statement that needs an answer, or with COMMIT."""
    pg = await driver_connection(conn)
    async with pg.cursor() as cursor:
        await cursor.execute(compact_sql(sql), params)


async def fetch_one(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> Any:
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None


@dataclass(frozen=True, slots=True)
class Query:
    """A statement and its parameters, to be sent with others (`fetch_together`)."""

    sql: str
    params: dict[str, Any]


async def fetch_together(conn: AsyncConnection, *queries: Query) -> list[list[Any]]:
    """Run statements in one round trip (pipeline mode) and return each one's rows, in order.

    PostgreSQL runs them one after the other; an error in one ends the transaction, and the
    statements after it do not run. Use it for statements whose parameters do not depend on
    each other's results. A statement that returns no rows (SET, ...) gives an empty list."""
    pg = await driver_connection(conn)
    async with contextlib.AsyncExitStack() as stack:
        pipeline = await stack.enter_async_context(pg.pipeline())
        cursors = [
            await stack.enter_async_context(pg.cursor(row_factory=namedtuple_row)) for _ in queries
        ]
        for cursor, query in zip(cursors, queries, strict=True):
            await cursor.execute(compact_sql(query.sql), query.params)
        await pipeline.sync()
        return [await c.fetchall() if c.description is not None else [] for c in cursors]


async def fetch_one_opening(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> Any:
    """`fetch_one` for the first statement of a transaction: BEGIN travels with it in one
    round trip (pipeline mode) instead of making a trip of its own."""
    pg = await driver_connection(conn)
    async with pg.pipeline():
        return await fetch_one(conn, sql, params)


@dataclass(frozen=True, slots=True)
class _Deferred:
    sql: str
    params: dict[str, Any]
    refusal: OrderlyError | None
    last: bool


def _queued_last(statement: _Deferred) -> bool:
    return statement.last


def execute_at_commit(
    conn: AsyncConnection,
    sql: str,
    params: dict[str, Any],
    *,
    refusal: OrderlyError | None = None,
    last: bool = False,
) -> None:
    """Queue a statement whose result nobody reads, to travel with COMMIT (`transaction`), in
    the order queued; those queued ``last`` after all others, right before COMMIT (for locks
    that should be held as briefly as can be).

    A statement that can refuse the transaction calls `orderly_refuse(code, message)` in SQL
    (migration 0011) with the code of ``refusal``: the transaction then rolls back and the
    commit raises ``refusal`` itself.
    """
    queue = conn.info.get(_AT_COMMIT)
    if queue is None:
        # Outside Database.transaction() nobody would send it: fail loudly, never lose it.
        raise RuntimeError("execute_at_commit needs a connection from Database.transaction()")
    queue.append(_Deferred(sql, params, refusal, last))


def _refused_with(exc: Exception, refusal: OrderlyError | None) -> bool:
    error = getattr(exc, "orig", exc)  # SQLAlchemy wraps what the driver raised at COMMIT
    return (
        refusal is not None
        and isinstance(error, psycopg.errors.RaiseException)
        and error.diag.message_hint == refusal.code
    )
