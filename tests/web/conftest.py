from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from fastapi import FastAPI

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from tests.web.shop import Shop, open_shop


@pytest_asyncio.fixture(scope="session")
async def web_app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest_asyncio.fixture
async def web(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of its own: its own cookie jar, redirects not followed."""
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


@pytest_asyncio.fixture
async def shop(db: Database) -> Shop:
    return await open_shop(db)
