"""ShipBob's webhooks: a signed delivery has the provider polled at once, kept once by its
id; a forged one is refused."""

from __future__ import annotations

import httpx
import pytest

from orderly.kit.db import Database
from orderly.outside import access
from orderly.outside.access import Installation
from tests.factories import Org
from tests.outside.fakes.shipbob import FakeShipBob
from tests.outside.helpers import (
    Jobs,
    connect,
    order_out,
    order_status,
    outside_location,
    provider_id,
)

pytestmark = pytest.mark.usefixtures("shipbob_transport")


class TestWebhooks:
    async def test_a_signed_delivery_has_the_provider_polled_and_a_forged_one_is_refused(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        installation: Installation,
    ) -> None:
        await outside_location(db, org, "TPL")
        settings = {"channel_id": shipbob.channel_id, "webhooks": True}
        body = {"kind": "shipbob", "settings": settings, "credentials": {"token": shipbob.token}}
        shown = await connect(client, org, "TPL", body)
        jobs = Jobs(db, installation, await provider_id(db, org, "TPL"))
        assert await access.check(db, installation, jobs.provider) == "ok"
        [subscription] = shipbob.subscriptions
        assert subscription["url"] == f"https://shop.example/hooks/outside/{jobs.provider}"
        assert shown["webhook_url"].endswith(f"/hooks/outside/{jobs.provider}")
        keys = (await client.get("/v1/locations/TPL/provider", headers=org.headers)).json()
        assert keys["credential_keys"] == ["token", "webhook_secret"]

        placed, fo = await order_out(db, client, org, jobs)
        shipbob.ship(f"FO-{fo['id']}")
        headers, payload = shipbob.delivery(f"FO-{fo['id']}")
        hook = f"/hooks/outside/{jobs.provider}"
        forged = {**headers, "webhook-signature": "v1,bm90IGl0"}
        refused = await client.post(hook, content=payload, headers=forged)
        assert (refused.status_code, refused.json()["code"]) == (401, "webhook_signature_invalid")
        assert await _polls_queued(db, jobs.provider) == 0
        for _ in range(2):  # ShipBob retries a delivery: kept once
            taken = await client.post(hook, content=payload, headers=headers)
            assert taken.status_code == 204, taken.text
        assert await _polls_queued(db, jobs.provider) == 1
        await jobs.poll()
        assert await order_status(client, org, placed["id"]) == "shipped"


async def _polls_queued(db: Database, provider: int) -> int:
    async with db.reading() as conn:
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'outside:poll_provider'"
            " AND (args->>'provider_id')::bigint = %(p)s",
            {"p": provider},
        )
        return int(found.scalar_one())
