"""Request dependencies: the per-request transaction and the installation's secret.

The caller's identity and permissions are `orderly.tenancy.deps`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.secrets import secret_key


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


_READS = frozenset({"GET", "HEAD"})


async def _transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed when the endpoint returns, before the response.
    A GET only reads, each statement in a read-only transaction of its own (Database.reading)."""
    db = database(request)
    async with db.reading() if request.method in _READS else db.transaction() as conn:
        yield conn


Conn = Annotated[AsyncConnection, Depends(_transaction, scope="function")]


async def _writing_transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    async with database(request).transaction() as conn:
        yield conn


def _installation_secret(request: Request) -> str:
    return secret_key(request.app.state.settings)


# The installation's secret key (kit.secrets), for what is derived from it or signed with it.
InstallationSecret = Annotated[str, Depends(_installation_secret)]


# For the rare GET that writes (a setting created the first time it is read).
WritingConn = Annotated[AsyncConnection, Depends(_writing_transaction, scope="function")]
