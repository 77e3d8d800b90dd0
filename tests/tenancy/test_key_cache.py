"""API keys a process has checked are kept in memory, and forgotten as soon as any key changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.key_cache import ApiKeyCache, listening
from tests.factories import Org

KEY = Principal(org_id=1, role=Role.ADMIN, actor="api_key:oly_abc")


async def until(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Wait for ``condition()`` to hold (a notification to arrive), or fail naming it."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


def test_a_cache_that_is_not_listening_keeps_nothing() -> None:
    cache = ApiKeyCache()
    cache.keep(b"hash", KEY, generation=cache.generation)
    assert cache.find(b"hash") is None


def test_a_lookup_overtaken_by_a_key_change_is_not_kept() -> None:
    cache = ApiKeyCache()
    cache.listening = True
    started_at = cache.generation
    cache.forget_all()  # a key changed while the lookup was on its way
    cache.keep(b"hash", KEY, generation=started_at)
    assert cache.find(b"hash") is None
    cache.keep(b"hash", KEY, generation=cache.generation)
    assert cache.find(b"hash") == KEY


def test_the_cache_is_bounded() -> None:
    cache = ApiKeyCache(max_keys=2)
    cache.listening = True
    for n in range(5):
        cache.keep(bytes([n]), KEY, generation=cache.generation)
    assert sum(cache.find(bytes([n])) is not None for n in range(5)) <= 2


async def test_a_key_changed_by_another_process_is_forgotten(db: Database) -> None:
    cache = ApiKeyCache()
    async with listening(cache, db.url):
        await until(lambda: cache.listening, "the listener connects")
        cache.keep(b"hash", KEY, generation=cache.generation)
        assert cache.find(b"hash") == KEY
        # Another process revokes a key (any key): its commit is announced.
        async with await psycopg.AsyncConnection.connect(db.url, autocommit=True) as other:
            await other.execute("UPDATE api_keys SET name = name WHERE false")
        await until(lambda: cache.find(b"hash") is None, "the change's notification")
    assert not cache.listening


async def test_a_revoked_key_is_refused_at_once(served: httpx.AsyncClient, org: Org) -> None:
    issued = (
        await served.post(
            "/v1/api-keys", json={"name": "shop", "role": "viewer"}, headers=org.headers
        )
    ).json()
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert (await served.get("/v1/orders", headers=headers)).status_code == 200
    assert (await served.get("/v1/orders", headers=headers)).status_code == 200  # from memory

    revoked = await served.post(f"/v1/api-keys/{issued['id']}/revoke", headers=org.headers)

    assert revoked.status_code == 200
    refused = await served.get("/v1/orders", headers=headers)
    assert refused.status_code == 401


async def test_a_key_revoked_in_the_database_is_refused_once_announced(
    served: httpx.AsyncClient, org: Org, db: Database
) -> None:
    assert (await served.get("/v1/orders", headers=org.headers)).status_code == 200
    # Another API process (or an operator) revokes the key.
    async with db.transaction() as transaction:
        conn = transaction.connection
        await conn.execute(
            sa.text("UPDATE api_keys SET revoked_at = now() WHERE org_id = :org"), {"org": org.id}
        )

    async def refused() -> bool:
        return (await served.get("/v1/orders", headers=org.headers)).status_code == 401

    for _ in range(500):
        if await refused():
            break
        await asyncio.sleep(0.01)
    assert await refused()


async def test_a_get_cannot_write(db: Database) -> None:
    async with db.reading() as conn:
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            await conn.execute(sa.text("UPDATE api_keys SET name = name WHERE false"))
