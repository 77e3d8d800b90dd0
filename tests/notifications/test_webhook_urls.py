"""Webhook URLs may not reach private addresses (server-side request forgery): refused when
given, in any encoding, and again when called, after DNS; an admin may grant one webhook a
private network; a failed delivery keeps the status, never the receiver's answer."""

from __future__ import annotations

import asyncio
import importlib
import socket
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.notifications import repository
from orderly.notifications.deliveries import deliver_due_webhooks
from orderly.notifications.tasks import dispatch_all
from orderly.settings import Settings
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, place_order
from tests.fulfillment.helpers import setup_warehouses
from tests.notifications.conftest import Receiver
from tests.notifications.helpers import subscribe

MIGRATION_0018 = importlib.import_module("orderly.migrations.versions.0018_outbound_networks")
INSIDE = [
    "http://127.0.0.1/hooks",
    "http://0x7f000001/hooks",  # hex
    "http://2130706433/hooks",  # decimal
    "http://017700000001/hooks",  # octal
    "http://0x7f.1/hooks",  # short dotted, mixed
    "http://127.1/hooks",
    "http://[::1]:8080/hooks",
    "http://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/hooks",  # 169.254.169.254, mapped
    "http://localhost/hooks",
    "http://LOCALHOST./hooks",  # trailing dot
    "http://api.localhost/hooks",
    "http://10.1.2.3/hooks",
    "http://172.16.0.1/hooks",
    "http://192.168.1.10/hooks",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata
    "http://100.64.0.1/hooks",  # carrier-grade NAT
    "http://0.0.0.0/hooks",
    "http://0/hooks",
    "http://[fe80::1]/hooks",
    "http://[fc00::1]/hooks",
    "http://224.0.0.1/hooks",
    "http://[2002:7f00:1::]/hooks",  # 6to4 of 127.0.0.1
]


async def _webhooks(client: httpx.AsyncClient, org: Org) -> list[dict[str, Any]]:
    listed = await client.get("/v1/webhooks", headers=org.headers)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


async def _delivery(client: httpx.AsyncClient, org: Org, webhook_id: int) -> dict[str, Any]:
    response = await client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=org.headers)
    assert response.status_code == 200, response.text
    [delivery] = response.json()["items"]
    return dict(delivery)


class TestUrlsRefusedWhenGiven:
    @pytest.mark.parametrize("url", INSIDE)
    async def test_a_private_host_in_any_encoding_is_422_naming_url(
        self, strict_client: httpx.AsyncClient, org: Org, url: str
    ) -> None:
        response = await strict_client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=org.headers
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "url_address_not_allowed"
        assert response.json()["errors"][0]["field"] == "url"
        assert await _webhooks(strict_client, org) == []

    @pytest.mark.parametrize(
        "url",
        ["http://user:secret@hooks.example.com/", "http://%31%32%37.0.0.1/", "http://1.2.3.4.5/"],
    )
    async def test_credentials_and_broken_hosts_are_refused(
        self, strict_client: httpx.AsyncClient, org: Org, url: str
    ) -> None:
        response = await strict_client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=org.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_webhook_url"
        assert response.json()["errors"][0]["field"] == "url"

    async def test_a_patch_to_a_private_host_changes_nothing(
        self, strict_client: httpx.AsyncClient, org: Org
    ) -> None:
        hook = await subscribe(strict_client, org, "https://hooks.example.com/orderly", ["*"])
        response = await strict_client.patch(
            f"/v1/webhooks/{hook['id']}",
            json={"url": "http://0x7f000001/", "active": False},
            headers=org.headers,
        )
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url"
        [kept] = await _webhooks(strict_client, org)
        assert (kept["url"], kept["active"]) == ("https://hooks.example.com/orderly", True)

    async def test_a_public_url_is_kept_as_it_will_be_called(
        self, strict_client: httpx.AsyncClient, org: Org
    ) -> None:
        hook = await subscribe(strict_client, org, "https://Hooks.Example.COM./in?x=1", ["*"])
        assert hook["url"] == "https://hooks.example.com/in?x=1"
        assert hook["allowed_networks"] == []


class TestAllowedNetworks:
    async def test_an_admin_grants_a_private_network_to_one_webhook(
        self, strict_client: httpx.AsyncClient, org: Org
    ) -> None:
        url = "http://0x0a141e28:8080/erp/hooks"  # 10.20.30.40
        body = {"url": url, "event_types": ["*"], "allowed_networks": ["10.20.0.0/16"]}
        created = await strict_client.post("/v1/webhooks", json=body, headers=org.headers)
        assert created.status_code == 201, created.text
        assert created.json()["url"] == "http://10.20.30.40:8080/erp/hooks"
        assert created.json()["allowed_networks"] == ["10.20.0.0/16"]

        elsewhere = {**body, "allowed_networks": ["10.21.0.0/16"]}
        refused = await strict_client.post("/v1/webhooks", json=elsewhere, headers=org.headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"

        # Taking the grant back would leave the URL refused: nothing changes.
        hook_id = created.json()["id"]
        taken = await strict_client.patch(
            f"/v1/webhooks/{hook_id}", json={"allowed_networks": []}, headers=org.headers
        )
        assert taken.status_code == 422 and taken.json()["errors"][0]["field"] == "url"
        [kept] = await _webhooks(strict_client, org)
        assert kept["allowed_networks"] == ["10.20.0.0/16"]

    async def test_only_owners_and_admins_may_grant(
        self, strict_client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        manager = await key_for(db, org, Role.MANAGER)
        body = {
            "url": "http://10.20.30.40/hooks",
            "event_types": ["*"],
            "allowed_networks": ["10.20.0.0/16"],
        }
        refused = await strict_client.post("/v1/webhooks", json=body, headers=manager)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["field"] == "allowed_networks"
        hook = await subscribe(strict_client, org, "https://hooks.example.com/", ["*"])
        patch = await strict_client.patch(
            f"/v1/webhooks/{hook['id']}", json={"allowed_networks": ["10.0.0.0/8"]}, headers=manager
        )
        assert patch.status_code == 403
        [kept] = await _webhooks(strict_client, org)
        assert kept["allowed_networks"] == []

    @pytest.mark.parametrize(
        "network", ["10.0.0.1/8", "not-a-network", "0.0.0.0/0", "127.0.0.0/8", "169.254.0.0/16"]
    )
    async def test_a_network_that_is_not_one_or_opens_too_much_is_422(
        self, strict_client: httpx.AsyncClient, org: Org, network: str
    ) -> None:
        body = {"url": "http://10.1.1.1/", "event_types": ["*"], "allowed_networks": [network]}
        response = await strict_client.post("/v1/webhooks", json=body, headers=org.headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_network"
        assert response.json()["errors"][0]["field"] == "allowed_networks"
        assert await _webhooks(strict_client, org) == []


class TestCheckedWhenCalled:
    async def test_a_name_that_resolves_to_loopback_is_refused_at_send_time(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
    ) -> None:
        # Saved while private URLs were allowed; the workers now run without that setting.
        url = f"http://localhost:{receiver.port}/hooks/orderly"
        hook = await subscribe(client, org, url, ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        await dispatch_all(db)

        await deliver_due_webhooks(db, vault_for(settings), org_id=org.id)

        assert receiver.received == []
        delivery = await _delivery(client, org, hook["id"])
        assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
        assert delivery["last_status_code"] is None
        assert delivery["last_error"].startswith("Refused: localhost resolves to 127.0.0.1")

        # The same delivery, once the setting allows private URLs, is received.
        async with db.transaction() as transaction:
            conn = transaction.connection
            await repository.update_delivery(conn, delivery["id"], next_attempt_at=utcnow())
        await deliver_due_webhooks(db, vault_for(settings), org_id=org.id, allow_private_urls=True)
        assert len(receiver.received) == 1


class FakeDns:
    """Answers for names under .example as a DNS server under someone else's control would:
    `first` at the first lookup, `later` at every one after; other names resolve as usual."""

    def __init__(self, first: str, later: str) -> None:
        self.answers = [first, later]
        self.lookups = 0
        self._resolve = asyncio.get_running_loop().getaddrinfo

    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if not str(host).endswith(".example"):
            return await self._resolve(host, port, *args, **kw)
        self.lookups += 1
        address = self.answers[min(self.lookups - 1, 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]


@pytest.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns("127.0.0.1", "127.0.0.2")
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake.getaddrinfo)
    return fake


class TestResolvedWhenCalled:
    async def test_a_public_name_that_resolves_inside_is_refused(
        self,
        strict_client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
        dns: FakeDns,
    ) -> None:
        url = f"http://hooks.shop.example:{receiver.port}/hooks/orderly"
        hook = await subscribe(strict_client, org, url, ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        await dispatch_all(db)

        await deliver_due_webhooks(db, vault_for(settings), org_id=org.id)

        assert receiver.received == []
        delivery = await _delivery(strict_client, org, hook["id"])
        assert delivery["last_error"].startswith(
            "Refused: hooks.shop.example resolves to 127.0.0.1 (a loopback address)"
        )

    async def test_the_connection_goes_to_the_address_that_was_checked(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        settings: Settings,
        receiver: Receiver,
        dns: FakeDns,
    ) -> None:
        # DNS rebinding: a second lookup would answer another address (where nothing listens).
        url = f"http://hooks.shop.example:{receiver.port}/hooks/orderly"
        hook = await subscribe(client, org, url, ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        await dispatch_all(db)

        await deliver_due_webhooks(db, vault_for(settings), org_id=org.id, allow_private_urls=True)

        assert dns.lookups == 1
        assert len(receiver.received) == 1
        assert receiver.received[0].headers["host"] == f"hooks.shop.example:{receiver.port}"
        assert (await _delivery(client, org, hook["id"]))["status"] == "delivered"


class TestNoAnswerEchoed:
    async def test_a_failed_delivery_keeps_the_status_and_its_phrase_not_the_body(
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
        receiver.script = [500]
        await dispatch_all(db)

        await deliver_due_webhooks(db, vault_for(settings), org_id=org.id, allow_private_urls=True)

        delivery = await _delivery(client, org, hook["id"])
        assert (delivery["last_status_code"], delivery["last_error"]) == (
            500,
            "Internal Server Error",
        )
        assert delivery["log"][0]["status_code"] == 500
        for path in (f"/v1/webhook-deliveries/{delivery['id']}", "/v1/webhook-deliveries"):
            shown = await client.get(path, headers=org.headers)
            assert shown.status_code == 200
            assert "receiver unavailable" not in shown.text

    async def test_answers_kept_before_are_forgotten_by_the_migration(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        hook = await subscribe(client, org, "https://hooks.example.com/in", ["order.captured"])
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)])
        await dispatch_all(db)
        delivery = await _delivery(client, org, hook["id"])
        at = utcnow().isoformat()
        attempts = [
            {"at": at, "status_code": None, "error": "ConnectError: refused", "duration_ms": 3},
            {"at": at, "status_code": 500, "error": "<h1>Admin console</h1>", "duration_ms": 5},
        ]
        async with db.transaction() as transaction:
            conn = transaction.connection
            await repository.update_delivery(
                conn,
                delivery["id"],
                attempts=2,
                last_status_code=500,
                last_error="<h1>Admin console</h1>",
                log=attempts,
            )
            await conn.execute(sa.text(MIGRATION_0018.FORGET_ANSWERS))

        shown = await client.get(f"/v1/webhook-deliveries/{delivery['id']}", headers=org.headers)
        assert shown.status_code == 200 and "Admin console" not in shown.text
        assert (shown.json()["last_status_code"], shown.json()["last_error"]) == (500, None)
        assert [(a["status_code"], a["error"]) for a in shown.json()["log"]] == [
            (None, "ConnectError: refused"),
            (500, None),
        ]
