"""The database of a process: one async engine for transactions, one for reads, and the schema's
metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from orderly.kit.db.driver import driver_connection
from orderly.kit.db.transaction import Transaction

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


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
    """Owns the engines; hands out transactions and read-only connections."""

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
        transaction, with no BEGIN and no COMMIT to wait for (a statement that tries to write
        fails)."""
        async with self.reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A transaction that commits when the block ends and rolls back on any exception.

        It is psycopg's: it begins with the first statement, whether that runs through
        SQLAlchemy or on the driver connection, and it ends on the driver connection, which
        saves SQLAlchemy's bookkeeping on requests that run on the driver alone (capture)."""
        async with self.engine.connect() as conn:
            transaction = Transaction(conn, await driver_connection(conn))
            try:
                yield transaction
            except BaseException:
                await transaction.roll_back()
                raise
            await transaction.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.reader.dispose()
