"""A pooled connection whose server process died: the request that meets it is a clean 503,
and the pool does not hand the dead connection out again."""

from __future__ import annotations

import httpx
import psycopg

from orderly.app import create_app
from orderly.kit.db import Database, driver_connection, plain_url
from orderly.settings import Settings
from tests.factories import Org, create_location, create_sku, order_body, receive_stock


async def test_a_dead_pooled_connection_is_a_503_then_replaced(
    db: Database, org: Org, settings: Settings, database_url: str
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 10)
    one_connection = Database(database_url, pool_size=1, max_overflow=0)
    app = create_app(settings, database=one_connection)
    transport = httpx.ASGITransport(app=app)
    try:
        async with one_connection.engine.connect() as conn:
            pid = (await driver_connection(conn)).info.backend_pid
        with psycopg.connect(plain_url(database_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as api:
            lost = await api.post("/v1/orders", json=order_body([("MUG", 1)]), headers=org.headers)
            again = await api.post("/v1/orders", json=order_body([("MUG", 1)]), headers=org.headers)

        assert lost.status_code == 503, lost.text
        assert lost.json()["code"] == "database_unavailable"
        assert lost.headers["retry-after"]
        assert again.status_code == 201, again.text
    finally:
        await one_connection.dispose()
