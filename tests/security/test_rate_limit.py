"""Per-key rate limits: 429 with Retry-After once a key has used its minute, counted across
every API process through PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from orderly.app import create_app
from orderly.kit import rate_limit
from orderly.kit.db import Database
from orderly.settings import Settings
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for

LIMIT = 5


@pytest.fixture(autouse=True)
def one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 s into a minute, so the test never straddles two windows.
    monkeypatch.setattr(rate_limit, "_now", lambda: 1_800_000_020.0)


async def _process(
    settings: Settings, db: Database, **limits: int
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=limits), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


@pytest_asyncio.fixture
async def api_1(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _process(settings, db, rate_limit_per_minute=LIMIT):
        yield c


@pytest_asyncio.fixture
async def api_2(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _process(settings, db, rate_limit_per_minute=LIMIT):
        yield c


async def test_a_key_over_its_limit_gets_429_with_retry_after(
    api_1: httpx.AsyncClient, org: Org
) -> None:
    for _ in range(LIMIT):
        assert (await api_1.get("/v1/locations", headers=org.headers)).status_code == 200
    refused = await api_1.get("/v1/locations", headers=org.headers)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "40"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    # Refused before anything else is looked at, writes included.
    blocked = await api_1.post("/v1/products", json={"sku": "X", "name": "X"}, headers=org.headers)
    assert blocked.status_code == 429


async def test_the_limit_holds_across_processes(
    api_1: httpx.AsyncClient, api_2: httpx.AsyncClient, org: Org
) -> None:
    for api in (api_1, api_2, api_1, api_2, api_1):
        assert (await api.get("/v1/locations", headers=org.headers)).status_code == 200
    assert (await api_2.get("/v1/locations", headers=org.headers)).status_code == 429
    assert (await api_1.get("/v1/locations", headers=org.headers)).status_code == 429


async def test_each_key_has_its_own_minute(
    api_1: httpx.AsyncClient, db: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = await key_for(db, org, Role.VIEWER)
    for _ in range(LIMIT + 1):
        await api_1.get("/v1/locations", headers=org.headers)
    assert (await api_1.get("/v1/locations", headers=org.headers)).status_code == 429
    assert (await api_1.get("/v1/locations", headers=other)).status_code == 200
    monkeypatch.setattr(rate_limit, "_now", lambda: 1_800_000_080.0)
    assert (await api_1.get("/v1/locations", headers=org.headers)).status_code == 200


async def test_batched_counting_overshoots_by_less_than_a_batch_per_process(
    settings: Settings, db: Database, org: Org
) -> None:
    async for api in _process(settings, db, rate_limit_per_minute=20, rate_limit_batch=4):
        statuses = [
            (await api.get("/v1/locations", headers=org.headers)).status_code for _ in range(30)
        ]
    assert statuses.count(200) == 20 and statuses.count(429) == 10


async def test_zero_turns_the_limit_off(settings: Settings, db: Database, org: Org) -> None:
    async for api in _process(settings, db, rate_limit_per_minute=0):
        for _ in range(20):
            assert (await api.get("/v1/locations", headers=org.headers)).status_code == 200


async def test_the_counter_never_holds_the_key(
    api_1: httpx.AsyncClient, db: Database, org: Org
) -> None:
    import sqlalchemy as sa

    await api_1.get("/v1/locations", headers=org.headers)
    async with db.transaction() as transaction:
        conn = transaction.connection
        keys = (await conn.execute(sa.text("SELECT key_id FROM rate_limit_windows"))).scalars()
        stored = " ".join(keys)
    assert org.key not in stored and org.key[4:20] not in stored
    assert rate_limit.key_id(org.key.encode()) in stored
