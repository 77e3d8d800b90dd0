"""Statements on the psycopg connection under SQLAlchemy's, for the paths where SQLAlchemy's
own work per statement would be a good share of the request (docs/performance.md).

SQL written for these helpers uses psycopg's %(name)s placeholders; rows are named tuples.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy.ext.asyncio import AsyncConnection

_SQL_TOKENS = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")|(--[^\n]*)|(\s+)""")


@dataclass(frozen=True, slots=True)
class Query:
    """A statement and its parameters, to be sent with others in one round trip."""

    sql: str
    params: dict[str, Any]


@lru_cache(maxsize=512)
def compact_sql(sql: str) -> str:
    """The statement on one line, without comments: psycopg converts placeholders of a
    statement up to 4 kB once and then reuses the result, but parses a longer one again on
    every call. Quoted text is kept as it is."""

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


def row_dict(row: sa.Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


async def driver_connection(conn: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    raw = await conn.get_raw_connection()
    return cast(psycopg.AsyncConnection[Any], raw.driver_connection)


async def run_together(
    pg: psycopg.AsyncConnection[Any], queries: Iterable[Query]
) -> list[list[Any]]:
    """Run statements in one round trip (pipeline mode) and return each one's rows, in order.

    PostgreSQL runs them one after the other; an error in one ends the transaction, and the
    statements after it do not run. A statement that returns no rows gives an empty list."""
    async with contextlib.AsyncExitStack() as stack:
        pipeline = await stack.enter_async_context(pg.pipeline())
        cursors = []
        for query in queries:
            cursor = await stack.enter_async_context(pg.cursor(row_factory=namedtuple_row))
            await cursor.execute(compact_sql(query.sql), query.params)
            cursors.append(cursor)
        await pipeline.sync()
        return [await c.fetchall() if c.description is not None else [] for c in cursors]


async def run_one(pg: psycopg.AsyncConnection[Any], sql: str, params: dict[str, Any]) -> list[Any]:
    """Run one statement and return its rows (none for a statement that returns none). The
    statement that opens a transaction takes BEGIN along in its round trip (pipeline mode),
    where psycopg would send BEGIN in a trip of its own."""
    if pg.info.transaction_status is TransactionStatus.IDLE and not pg.autocommit:
        (rows,) = await run_together(pg, (Query(sql, params),))
        return rows
    async with pg.cursor(row_factory=namedtuple_row) as cursor:
        await cursor.execute(compact_sql(sql), params)
        return await cursor.fetchall() if cursor.description is not None else []


async def fetch_all(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run one statement that returns rows on the driver connection."""
    return await run_one(await driver_connection(conn), sql, params)


async def fetch_one(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> Any:
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None


async def execute(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> None:
    """Run one statement whose result is not needed."""
    await run_one(await driver_connection(conn), sql, params)


async def fetch_together(conn: AsyncConnection, *queries: Query) -> list[list[Any]]:
    """`run_together` on a SQLAlchemy connection's driver connection."""
    return await run_together(await driver_connection(conn), queries)
