"""Request dependencies: the per-request transaction and the installation's secret.

The caller's identity and permissions are `orderly.tenancy.deps`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database, Transaction
from orderly.kit.secrets import secret_key


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


# The database itself, for an endpoint that runs its own transactions (a call to a vendor
# between two of them: docs/architecture.md, "Calls to carriers").
Db = Annotated[Database, Depends(database)]

_READS = frozenset({"GET", "HEAD"})


async def _request_transaction(request: Request) -> AsyncIterator[Transaction | None]:
    """One transaction per request that may write: committed when the endpoint returns, before
    the response. A GET only reads, and has none (`_connection`)."""
    if request.method in _READS:
        yield None
        return
    async with database(request).transaction() as transaction:
        yield transaction


RequestTransaction = Annotated[Transaction | None, Depends(_request_transaction, scope="function")]


async def _connection(request: Request, tx: RequestTransaction) -> AsyncIterator[AsyncConnection]:
    """The request transaction's connection; for a GET, a connection whose every statement is a
    read-only transaction of its own (Database.reading)."""
    if tx is not None:
        yield tx.connection
        return
    async with database(request).reading() as conn:
        yield conn


Conn = Annotated[AsyncConnection, Depends(_connection, scope="function")]


def _transaction(tx: RequestTransaction) -> Transaction:
    if tx is None:
        raise RuntimeError("a GET has no transaction: it only reads")
    return tx


# The request's transaction itself, for a service that queues work for COMMIT or lets a query
# ride on a round trip (kit.db.Transaction): an Idempotency-Key's claim does.
Tx = Annotated[Transaction, Depends(_transaction)]


async def _writing_transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    async with database(request).transaction() as transaction:
        yield transaction.connection


def _installation_secret(request: Request) -> str:
    return secret_key(request.app.state.settings)


# The installation's secret key (kit.secrets), for what is derived from it or signed with it.
InstallationSecret = Annotated[str, Depends(_installation_secret)]


# For the rare GET that writes (a setting created the first time it is read).
WritingConn = Annotated[AsyncConnection, Depends(_writing_transaction, scope="function")]
