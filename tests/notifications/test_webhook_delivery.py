"""Outbound webhooks to a real local HTTP receiver: signed, retried, dead-lettered, redelivered."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.notifications.deliveries import deliver_due_webhooks
from orderly.notifications.domain import WEBHOOK_MAX_ATTEMPTS, verify_signature
from orderly.notifications.tasks import dispatch_all
from orderly.settings import Settings
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org, place_order
from tests.fulfillment.helpers import setup_warehouses
from tests.notifications.conftest import Receiver
from tests.notifications.helpers import subscribe


async def deliveries(
    client: httpx.AsyncClient, org: Org, webhook_id: int, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/webhooks/{webhook_id}/deliveries", params=params, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def deliver(db: Database, settings: Settings, org: Org, **kw: Any) -> int:
    await dispatch_all(db)
    return await deliver_due_webhooks(
        db,
        vault_for(settings),
        org_id=org.id,
        allow_private_urls=settings.allow_private_urls,
        **kw,
    )


class TestSignedDelivery:
    async def test_the_receiver_verifies_every_delivery(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["order.*"])
        secret = hook["secret"]
        assert secret.startswith("whsec_")
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])

        await deliver(db, settings, org)

        assert receiver.received, "nothing was delivered"
        types = []
        for request in receiver.received:
            assert request.path == "/hooks/orderly"
            assert verify_signature(
                secret, request.headers["orderly-signature"], request.body, now=int(time.time())
            )
            payload = json.loads(request.body)
            assert request.headers["orderly-event-id"] == payload["id"]
            assert payload["order_id"] == placed["id"]
            types.append(payload["type"])
        assert "order.captured" in types and "order.allocated" in types
        assert not any(t.startswith(("check.", "sourcing.")) for t in types)
        log = await deliveries(client, org, hook["id"])
        assert {d["status"] for d in log} == {"delivered"}
        assert all(d["attempts"] == 1 and d["log"][0]["status_code"] == 200 for d in log)

        again = await deliver(db, settings, org)  # nothing new: nothing sent twice
        assert again == 0

    async def test_the_secret_is_shown_once(
        self, client: httpx.AsyncClient, org: Org, receiver: Receiver
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["*"], **{"Idempotency-Key": "wh-1"})
        replay = await client.post(
            "/v1/webhooks",
            json={"url": receiver.url, "event_types": ["*"], "description": "ERP"},
            headers={**org.headers, "Idempotency-Key": "wh-1"},
        )
        assert replay.status_code == 409
        assert replay.json()["code"] == "idempotency_secret_not_replayable"
        assert replay.json()["resource"]["id"] == hook["id"]
        assert hook["secret"] not in replay.text and "secret" not in replay.json()["resource"]
        shown = await client.get(f"/v1/webhooks/{hook['id']}", headers=org.headers)
        listed = await client.get("/v1/webhooks", headers=org.headers)
        for text in (shown.text, listed.text):
            assert hook["secret"] not in text and "secret" not in text

    async def test_patch_pause_and_delete(
        self, client: httpx.AsyncClient, org: Org, receiver: Receiver
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["order.shipped"])
        patched = await client.patch(
            f"/v1/webhooks/{hook['id']}",
            json={"event_types": ["order.*", "fulfillment.shipped"], "active": False},
            headers=org.headers,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["event_types"] == ["fulfillment.shipped", "order.*"]
        assert patched.json()["active"] is False
        bad = await client.patch(
            f"/v1/webhooks/{hook['id']}", json={"url": "ftp://x.example"}, headers=org.headers
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"
        deleted = await client.delete(f"/v1/webhooks/{hook['id']}", headers=org.headers)
        assert deleted.status_code == 204
        gone = await client.get(f"/v1/webhooks/{hook['id']}", headers=org.headers)
        assert gone.status_code == 404


class TestRetries:
    async def test_a_receiver_failing_twice_gets_it_on_the_third_attempt(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        receiver.script = [500, 503]
        await dispatch_all(db)
        start = utcnow()

        await deliver(db, settings, org, now=start)
        [first] = await deliveries(client, org, hook["id"])
        assert (first["status"], first["attempts"], first["last_status_code"]) == (
            "pending",
            1,
            500,
        )
        assert _at(first["next_attempt_at"]) - start == timedelta(minutes=1)

        await deliver(db, settings, org, now=start + timedelta(seconds=30))  # not due yet
        assert len(receiver.received) == 1

        await deliver(db, settings, org, now=start + timedelta(minutes=1))
        [second] = await deliveries(client, org, hook["id"])
        assert (second["attempts"], second["last_status_code"]) == (2, 503)
        assert _at(second["next_attempt_at"]) - start == timedelta(minutes=6)

        await deliver(db, settings, org, now=start + timedelta(minutes=6))
        [third] = await deliveries(client, org, hook["id"])
        assert (third["status"], third["attempts"]) == ("delivered", 3)
        assert [a["status_code"] for a in third["log"]] == [500, 503, 200]
        ids = {r.headers["orderly-event-id"] for r in receiver.received}
        assert len(receiver.received) == 3 and len(ids) == 1  # one event, three tries

    async def test_dead_after_the_last_attempt_then_redelivered_by_hand(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        receiver.script = [500] * WEBHOOK_MAX_ATTEMPTS
        await dispatch_all(db)
        now = utcnow()
        for _ in range(WEBHOOK_MAX_ATTEMPTS):
            await deliver(db, settings, org, now=now)
            now += timedelta(hours=9)
        [dead] = await deliveries(client, org, hook["id"])
        assert (dead["status"], dead["attempts"]) == ("dead", WEBHOOK_MAX_ATTEMPTS)
        assert dead["next_attempt_at"] is None
        first, last = _at(dead["log"][0]["at"]), _at(dead["log"][-1]["at"])
        assert last - first >= timedelta(hours=4)
        await deliver(db, settings, org, now=now + timedelta(days=2))
        assert len(receiver.received) == WEBHOOK_MAX_ATTEMPTS  # nothing after the last

        letters = await client.get(
            "/v1/webhook-deliveries", params={"status": "dead"}, headers=org.headers
        )
        assert [d["id"] for d in letters.json()["items"]] == [dead["id"]]

        viewer = await key_for(db, org, Role.VIEWER)
        refused = await client.post(
            f"/v1/webhook-deliveries/{dead['id']}/redeliver", headers=viewer
        )
        assert refused.status_code == 403
        again = await client.post(
            f"/v1/webhook-deliveries/{dead['id']}/redeliver", headers=org.headers
        )
        assert again.status_code == 202, again.text
        assert again.json()["status"] == "pending"
        twice = await client.post(
            f"/v1/webhook-deliveries/{dead['id']}/redeliver", headers=org.headers
        )
        assert twice.status_code == 409
        await deliver(db, settings, org)
        redelivered = await client.get(f"/v1/webhook-deliveries/{dead['id']}", headers=org.headers)
        assert redelivered.json()["status"] == "delivered"
        assert receiver.received[-1].headers["orderly-event-id"] == str(dead["event_id"])


class TestWebhookAccess:
    async def test_other_org_404_and_viewer_403(
        self, client: httpx.AsyncClient, db: Database, org: Org, receiver: Receiver
    ) -> None:
        hook = await subscribe(client, org, receiver.url, ["*"])
        other = await make_org(db)
        for method, path in (
            ("GET", f"/v1/webhooks/{hook['id']}"),
            ("PATCH", f"/v1/webhooks/{hook['id']}"),
            ("DELETE", f"/v1/webhooks/{hook['id']}"),
            ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
        ):
            body = {"active": False} if method == "PATCH" else None
            response = await client.request(method, path, json=body, headers=other.headers)
            assert response.status_code == 404, (method, path)
        listed = await client.get("/v1/webhooks", headers=other.headers)
        assert listed.json()["items"] == []

        viewer = await key_for(db, org, Role.VIEWER)
        create = await client.post(
            "/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=viewer
        )
        assert create.status_code == 403
        patch = await client.patch(
            f"/v1/webhooks/{hook['id']}", json={"active": False}, headers=viewer
        )
        assert patch.status_code == 403
        assert (await client.get("/v1/webhooks", headers=viewer)).status_code == 200


def _at(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)
