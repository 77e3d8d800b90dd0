"""One transaction of a request or job, and the work that travels with its round trips.

A service that only runs statements takes the transaction's `connection`; one that queues a
statement for COMMIT (`at_commit`) or lets a query ride on the next round trip (`ride`) takes the
`Transaction`: docs/architecture.md, "Fewer round trips on the capture path".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db.driver import Query, compact_sql, run_one, run_together
from orderly.kit.errors import OrderlyError

Settle = Callable[[list[Any]], None]


@dataclass(frozen=True, slots=True)
class _AtCommit:
    query: Query
    refusal: OrderlyError | None
    last: bool


@dataclass(frozen=True, slots=True)
class _Rider:
    query: Query
    settle: Settle


class Transaction:
    """The transaction `Database.transaction()` opened: it commits when the block ends and rolls
    back on any exception.

    Statements run through SQLAlchemy on `connection` or, on the hot path, through this object
    on the driver connection under it: both are the same PostgreSQL transaction."""

    def __init__(self, connection: AsyncConnection, driver: psycopg.AsyncConnection[Any]) -> None:
        self.connection = connection
        self._driver = driver
        self._at_commit: list[_AtCommit] = []
        self._riders: list[_Rider] = []

    # Work that travels with a round trip -------------------------------------------------

    def at_commit(
        self,
        sql: str,
        params: dict[str, Any],
        *,
        refusal: OrderlyError | None = None,
        last: bool = False,
    ) -> None:
        """Queue a statement whose result nobody reads, to travel with COMMIT in the order
        queued; those queued ``last`` go after all others, right before COMMIT (for locks to be
        held as briefly as can be).

        A statement that can refuse the transaction calls `orderly_refuse(code, message)` in SQL
        (migration 0011) with the code of ``refusal``: the transaction then rolls back and
        COMMIT raises ``refusal`` itself."""
        self._at_commit.append(_AtCommit(Query(sql, params), refusal, last))

    def ride(self, query: Query, settle: Settle) -> None:
        """Send ``query`` in front of the statements of the next round trip, and hand its rows
        to ``settle`` as soon as the trip is back, before anyone reads the others' rows. What
        ``settle`` raises ends the transaction, rolled back: with it whatever travelled in the
        same trip."""
        self._riders.append(_Rider(query, settle))

    async def send_riders(self) -> None:
        """Send the riding queries now, in a round trip of their own (none if there are none)."""
        if self._riders:
            await self.fetch_together()

    # Round trips ------------------------------------------------------------------------

    async def fetch_together(self, *queries: Query) -> list[list[Any]]:
        """Run statements in one round trip, the riders in front, and return each one's rows
        in order (see `kit.db.driver.run_together`). BEGIN travels with them."""
        riders, self._riders = self._riders, []
        rows = await run_together(self._driver, [*(r.query for r in riders), *queries])
        for rider, answer in zip(riders, rows, strict=False):
            rider.settle(answer)
        return rows[len(riders) :]

    async def fetch_all(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """One statement's rows, the riders in front if there are any."""
        if self._riders:
            (rows,) = await self.fetch_together(Query(sql, params))
            return rows
        return await run_one(self._driver, sql, params)

    async def fetch_one(self, sql: str, params: dict[str, Any]) -> Any:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    # The end ----------------------------------------------------------------------------

    async def send_queued(self) -> None:
        """Send the statements queued for COMMIT now, for a caller that goes on to read what
        they write; a statement that refuses the transaction raises its refusal here."""
        await self._send_queued(commit=False)

    async def commit(self) -> None:
        """COMMIT, with the statements queued for it in one round trip (pipeline mode)."""
        if self._riders:
            # Nobody made the trip they were waiting for: their answers still count.
            await self.send_riders()
        await self._send_queued(commit=True)
        if self.connection.in_transaction():
            # SQLAlchemy's own transaction object, when a statement of its began one, is only
            # told: the driver committed already.
            await self.connection.commit()

    async def _send_queued(self, *, commit: bool) -> None:
        queued = sorted(self._at_commit, key=_queued_last)
        self._at_commit = []
        pg = self._driver
        try:
            if queued:
                async with pg.pipeline():
                    for statement in queued:
                        await pg.execute(compact_sql(statement.query.sql), statement.query.params)
                    if commit:
                        await pg.commit()
            elif commit:
                await pg.commit()
        except Exception as exc:
            # The transaction is aborted on the server: end it, so that the connection goes
            # back to the pool clean. A lost connection cannot roll back; the original error
            # is the one to report.
            await self.roll_back()
            refusal = next((q.refusal for q in queued if _refused_with(exc, q.refusal)), None)
            if refusal is None:
                raise
            raise refusal from exc

    async def roll_back(self) -> None:
        """End a failed transaction. A connection that broke on the driver (the server went
        away) is discarded, so that the pool does not hand it out again: SQLAlchemy learns of a
        broken connection only from errors that pass through it."""
        self._at_commit = []
        self._riders = []
        pg = self._driver
        if pg.broken or pg.closed:
            await self.connection.invalidate()
            return
        if self.connection.in_transaction():
            await self.connection.rollback()
        with contextlib.suppress(psycopg.Error):
            await pg.rollback()


def _queued_last(statement: _AtCommit) -> bool:
    return statement.last


def _refused_with(exc: Exception, refusal: OrderlyError | None) -> bool:
    error = getattr(exc, "orig", exc)  # SQLAlchemy wraps what the driver raised at COMMIT
    return (
        refusal is not None
        and isinstance(error, psycopg.errors.RaiseException)
        and error.diag.message_hint == refusal.code
    )
