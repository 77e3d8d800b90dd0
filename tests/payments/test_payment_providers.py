"""The payment provider port: the manual provider, the registry, and a provider that says no."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.payments.base import PaymentProvider, PaymentResult, RefundResult
from orderly.payments.providers.manual import ManualProvider
from orderly.payments.registry import payment_provider, register_provider
from tests.factories import (
    Org,
    create_location,
    create_sku,
    order_body,
    place_order,
    receive_stock,
    set_channel_settings,
)
from tests.fulfillment.helpers import ok, order


class DecliningProvider:
    name = "declining"
    remote = False
    multicapture = True
    can_reauthorize = False

    async def refund(
        self, payment_reference: str | None, amount_minor: int, currency: str, key: str
    ) -> RefundResult:
        return RefundResult(False, None, "card expired")

    async def capture(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        final: bool = True,
    ) -> PaymentResult:
        return PaymentResult(False, None, "no")

    async def void(self, payment_reference: str | None, key: str) -> PaymentResult:
        return PaymentResult(False, None, "no")


@pytest.fixture
def declining() -> Iterator[None]:
    register_provider("declining", lambda _account: DecliningProvider())
    yield
    register_provider("declining", None)


async def test_manual_provider_gives_the_same_reference_for_the_same_key() -> None:
    provider: PaymentProvider = ManualProvider()
    first = await provider.refund("pay_1", 500, "USD", "k1")
    again = await provider.refund("pay_1", 500, "USD", "k1")
    other = await provider.refund("pay_1", 500, "USD", "k2")
    assert first.succeeded and first == again and other != first
    assert (await provider.capture("pay_1", 500, "USD", "c")).succeeded
    assert (await provider.void("pay_1", "v")).succeeded


def test_unknown_provider_is_a_named_error() -> None:
    with pytest.raises(OrderlyError) as caught:
        payment_provider("nope")
    assert caught.value.code == "unknown_payment_provider"


async def _paid_order(db: Database, org: Org) -> dict[str, object]:
    """An order whose 19.99 were captured at checkout."""
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    return await place_order(db, org, [("MUG", 1)], payment=CAPTURED)


CAPTURED = {"status": "captured", "amount": "19.99"}


async def test_a_declined_refund_writes_nothing(
    db: Database, client: httpx.AsyncClient, org: Org, declining: None
) -> None:
    await set_channel_settings(db, org, "web", {"payment_provider": "declining"})
    placed = await _paid_order(db, org)
    refused = await client.post(
        f"/v1/orders/{placed['id']}/refunds", json={"amount": "5.00"}, headers=org.headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "refund_declined"
    listed = await client.get(f"/v1/orders/{placed['id']}/refunds", headers=org.headers)
    assert listed.json() == []
    after = await order(client, org, int(str(placed["id"])))
    assert after["payment"]["status"] == "captured" and after["payment"]["refunded"] == "0.00"


async def test_goodwill_refund_and_its_key(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    placed = await _paid_order(db, org)
    path = f"/v1/orders/{placed['id']}/refunds"
    body = {"amount": "5.00", "idempotency_key": "gw-1", "reason": "late"}
    first = await client.post(path, json=body, headers=org.headers)
    assert first.status_code == 201, first.text
    assert first.json()["provider"] == "manual"
    assert first.json()["provider_reference"].startswith("manual-refund-")
    again = await client.post(path, json=body, headers=org.headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    reused = await client.post(path, json={**body, "amount": "6.00"}, headers=org.headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "refund_key_reused"
    bad = await client.post(path, json={"amount": "0.001"}, headers=org.headers)
    assert bad.status_code == 422
    assert (await order(client, org, int(str(placed["id"]))))["payment"]["status"] == (
        "partially_refunded"
    )


async def test_concurrent_refunds_stay_within_what_was_paid(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    placed = await _paid_order(db, org)  # 19.99 captured
    path = f"/v1/orders/{placed['id']}/refunds"
    responses = await asyncio.gather(
        *(client.post(path, json={"amount": "5.00"}, headers=org.headers) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 201, 201, 422, 422, 422]
    listed = await client.get(path, headers=org.headers)
    assert sum(Decimal(r["amount"]) for r in listed.json()) == Decimal("15.00")


async def test_one_idempotency_key_refunds_one_order_only(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    """The key is bound to the order in the path: on another order it is refused, and that
    order is not mistaken for the first one."""
    first_order = await _paid_order(db, org)
    second_order = await ok(
        await client.post(
            "/v1/orders", json=order_body([("MUG", 1)], payment=CAPTURED), headers=org.headers
        ),
        201,
    )
    headers = {**org.headers, "Idempotency-Key": "refund-once"}
    body = {"amount": "5.00"}
    refunded = await client.post(
        f"/v1/orders/{first_order['id']}/refunds", json=body, headers=headers
    )
    assert refunded.status_code == 201, refunded.text
    elsewhere = await client.post(
        f"/v1/orders/{second_order['id']}/refunds", json=body, headers=headers
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["code"] == "idempotency_key_reused"
    assert elsewhere.json()["errors"][0]["field"] == "Idempotency-Key"
    listed = await client.get(f"/v1/orders/{second_order['id']}/refunds", headers=org.headers)
    assert listed.json() == []
    again = await client.post(f"/v1/orders/{first_order['id']}/refunds", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == refunded.json()["id"]


class TestCancellingReleasesTheAuthorization:
    async def test_an_authorized_payment_is_voided_at_its_provider(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await _shop(db, org)
        placed = await place_order(db, org, [("MUG", 1)])
        cancelled = await ok(
            await client.post(
                f"/v1/orders/{placed['id']}/cancel", json={"reason": "changed mind"},
                headers=org.headers,
            )
        )  # fmt: skip
        assert cancelled["status"] == "cancelled"
        assert cancelled["payment"]["status"] == "voided"
        events = await _events(client, org, placed["id"])
        [voided] = [e for e in events if e["type"] == "payment.voided"]
        assert voided["data"]["provider"] == "manual"
        assert voided["data"]["reason"] == "changed mind"

    async def test_a_captured_payment_is_left_for_a_refund(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await _shop(db, org)
        placed = await place_order(
            db, org, [("MUG", 1)], payment={"status": "captured", "amount": "19.99"}
        )
        cancelled = await ok(
            await client.post(
                f"/v1/orders/{placed['id']}/cancel", json={"reason": "x"}, headers=org.headers
            )
        )
        assert cancelled["payment"]["status"] == "captured"
        assert "payment.voided" not in [e["type"] for e in await _events(client, org, placed["id"])]

    @pytest.mark.usefixtures("declining")
    async def test_a_provider_that_declines_does_not_stop_the_cancellation(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await _shop(db, org)
        await set_channel_settings(db, org, "web", {"payment_provider": "declining"})
        placed = await place_order(db, org, [("MUG", 1)])
        cancelled = await ok(
            await client.post(
                f"/v1/orders/{placed['id']}/cancel", json={"reason": "x"}, headers=org.headers
            )
        )
        assert cancelled["status"] == "cancelled"
        assert cancelled["payment"]["status"] == "authorized"
        assert "declined" in cancelled["payments"][0]["problem"]
        events = await _events(client, org, placed["id"])
        [failed] = [e for e in events if e["type"] == "payment.void_declined"]
        assert "no" in failed["data"]["problem"]


async def _shop(db: Database, org: Org) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)


async def _events(client: httpx.AsyncClient, org: Org, order_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/events", headers=org.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


async def test_a_channel_may_name_only_a_payment_account_the_organization_has(
    client: httpx.AsyncClient, org: Org
) -> None:
    channels = await ok(await client.get("/v1/channels", headers=org.headers))
    web = channels["items"][0]
    refused = await client.patch(
        f"/v1/channels/{web['id']}",
        json={"settings": {"payment_account": "nowhere"}},
        headers=org.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "settings.payment_account"
    unchanged = await ok(await client.get(f"/v1/channels/{web['id']}", headers=org.headers))
    assert "payment_account" not in unchanged["settings"]
