"""Idempotency-Keys over the API: they expire, expired ones run the request again, and a job
prunes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.kit.idempotency import prune_expired_keys
from orderly.settings import Settings
from tests.factories import Org, create_location, create_sku
from tests.inventory.helpers import ledger, level

ADJUSTMENTS = "/v1/inventory/adjustments"


def receipt(quantity: int) -> dict[str, object]:
    return {
        "adjustments": [
            {"sku": "TEE-M", "location": "WH1", "delta": quantity, "reason": "received"}
        ]
    }


@pytest.fixture
async def stocked(db: Database, org: Org) -> Org:
    await create_sku(db, org, "TEE-M")
    await create_location(db, org, "WH1")
    return org


async def expire(db: Database, org: Org, key: str) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        await conn.execute(
            sa.text(
                "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"
                " WHERE org_id = :org AND key = :key"
            ),
            {"org": org.id, "key": key},
        )


async def stored_keys(db: Database, org: Org) -> list[str]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        rows = await conn.execute(
            sa.text("SELECT key FROM idempotency_keys WHERE org_id = :org ORDER BY key"),
            {"org": org.id},
        )
        return [row.key for row in rows]


class TestExpiry:
    async def test_an_expired_key_runs_its_request_again(
        self, client: httpx.AsyncClient, stocked: Org, db: Database
    ) -> None:
        headers = {**stocked.headers, "Idempotency-Key": "receipt-1"}
        first = await client.post(ADJUSTMENTS, json=receipt(5), headers=headers)
        assert first.status_code == 201
        await expire(db, stocked, "receipt-1")

        again = await client.post(ADJUSTMENTS, json=receipt(5), headers=headers)
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again.headers
        assert (await level(client, stocked, "TEE-M", "WH1"))["on_hand"] == 10
        # The key now holds the second answer, and replays it.
        replay = await client.post(ADJUSTMENTS, json=receipt(5), headers=headers)
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json() == again.json()
        assert len(await ledger(client, stocked)) == 2

    async def test_an_expired_key_may_be_used_on_another_request(
        self, client: httpx.AsyncClient, stocked: Org, db: Database
    ) -> None:
        headers = {**stocked.headers, "Idempotency-Key": "receipt-2"}
        assert (await client.post(ADJUSTMENTS, json=receipt(5), headers=headers)).is_success
        refused = await client.post(ADJUSTMENTS, json=receipt(7), headers=headers)
        assert refused.status_code == 422
        assert refused.json()["code"] == "idempotency_key_reused"
        await expire(db, stocked, "receipt-2")

        other = await client.post(ADJUSTMENTS, json=receipt(7), headers=headers)
        assert other.status_code == 201
        assert (await level(client, stocked, "TEE-M", "WH1"))["on_hand"] == 12


@pytest_asyncio.fixture
async def kept_two_hours(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"idempotency_key_ttl_hours": 2}), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


async def test_a_key_is_kept_as_long_as_the_setting_says(
    kept_two_hours: httpx.AsyncClient, stocked: Org, db: Database
) -> None:
    headers = {**stocked.headers, "Idempotency-Key": "receipt-3"}
    response = await kept_two_hours.post(ADJUSTMENTS, json=receipt(1), headers=headers)
    assert response.status_code == 201
    async with db.transaction() as transaction:
        conn = transaction.connection
        kept = (
            await conn.execute(
                sa.text(
                    "SELECT expires_at - created_at FROM idempotency_keys"
                    " WHERE org_id = :org AND key = 'receipt-3'"
                ),
                {"org": stocked.id},
            )
        ).scalar_one()
    assert kept == timedelta(hours=2)


async def test_the_prune_job_forgets_expired_keys_only(
    client: httpx.AsyncClient, stocked: Org, db: Database
) -> None:
    for number, key in enumerate(("old", "recent"), start=1):
        headers = {**stocked.headers, "Idempotency-Key": key}
        assert (await client.post(ADJUSTMENTS, json=receipt(number), headers=headers)).is_success
    await expire(db, stocked, "old")

    async with db.transaction() as transaction:
        conn = transaction.connection
        assert await prune_expired_keys(conn) >= 1

    assert await stored_keys(db, stocked) == ["recent"]
    headers = {**stocked.headers, "Idempotency-Key": "recent"}
    replay = await client.post(ADJUSTMENTS, json=receipt(2), headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert (await level(client, stocked, "TEE-M", "WH1"))["on_hand"] == 3
