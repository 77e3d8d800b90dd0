"""An order's money through its life: captured as units ship (all at once, or shipment by
shipment), released when the order is cancelled, refunded after capture, split over several
tenders, and sent by a job to a provider reached over the network."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from orderly.fulfillment import dispatch, packing, picking
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.schemas import PickListIn
from orderly.kit.db import Database
from orderly.kit.vault import Vault
from orderly.payments import lifecycle
from orderly.payments.base import Authorization, PaymentResult, ProviderAccount, RefundResult
from orderly.payments.registry import register_provider
from tests.factories import (
    Org,
    create_location,
    create_sku,
    fulfillment_orders_of,
    install_demo_carriers,
    order_view,
    place_order,
    receive_stock,
    set_channel_settings,
)
from tests.fulfillment.helpers import BOXES

# Two lines at 19.99 from two warehouses, 5.00 shipping: 44.98 in all.
TOTAL = {"status": "authorized", "amount": "44.98"}


class RecordingProvider:
    """A provider that records what it was asked; `single` captures an authorization only
    once, as most card payments."""

    name = "recording"
    can_reauthorize = False

    def __init__(self, *, remote: bool = False, multicapture: bool = True) -> None:
        self.remote = remote
        self.multicapture = multicapture
        self.calls: list[tuple[str, int, bool]] = []

    async def capture(
        self, reference: str | None, amount: int, currency: str, key: str, *, final: bool = True
    ) -> PaymentResult:
        self.calls.append(("capture", amount, final))
        return PaymentResult(True, f"cap-{key}")

    async def void(self, reference: str | None, key: str) -> PaymentResult:
        self.calls.append(("void", 0, True))
        return PaymentResult(True, f"void-{key}")

    async def refund(
        self, reference: str | None, amount: int, currency: str, key: str
    ) -> RefundResult:
        self.calls.append(("refund", amount, True))
        return RefundResult(True, f"re-{key}")

    async def reauthorize(
        self, reference: str | None, amount: int, currency: str, key: str
    ) -> Authorization:
        return Authorization(False, None, "no")


@pytest.fixture
def recording() -> Iterator[RecordingProvider]:
    provider = RecordingProvider(remote=True, multicapture=False)

    def factory(account: ProviderAccount | None) -> RecordingProvider:
        return provider

    register_provider("recording", factory, remote=True, multicapture=False)
    yield provider
    register_provider("recording", None)


async def _shop(db: Database, org: Org) -> None:
    await create_location(
        db, org, "WH1", city="Newark", priority=10, boxes=BOXES, capabilities=("ship", "returns")
    )
    await create_location(db, org, "WH2", city="Chicago", priority=20, boxes=BOXES)
    await create_sku(db, org, "MUG")
    await create_sku(db, org, "CUP")
    await receive_stock(db, org, "MUG", "WH1", 5)
    await receive_stock(db, org, "CUP", "WH2", 5)
    await install_demo_carriers(db, org)


async def _place(db: Database, org: Org, **overrides: Any) -> dict[str, Any]:
    if "payments" not in overrides:
        overrides.setdefault("payment", TOTAL)
    return await place_order(db, org, [("MUG", 1), ("CUP", 1)], shipping_price="5.00", **overrides)


async def _ship_from(db: Database, org: Org, order_id: int, location: str) -> None:
    principal = org.principal
    [fo] = [f for f in await fulfillment_orders_of(db, org, order_id) if f["location"] == location]
    async with db.transaction() as transaction:
        conn = transaction.connection
        await fulfillment.accept(conn, principal, fo["id"])
        wave = PickListIn(location=location, fulfillment_order_ids=[fo["id"]])
        pick_list = await picking.create_pick_list(conn, principal, wave)
        await picking.confirm_pick_list(conn, principal, pick_list.id, [])
        await packing.pack(conn, principal, fo["id"], None)
    await dispatch.ship(db, principal, fo["id"], parcel_ids=None, service_code=None)


class TestCaptureOnShipment:
    async def test_each_shipment_captures_what_it_sent_and_the_first_the_shipping(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org)
        assert placed["payment"]["authorized"] == "44.98"
        assert placed["payment"]["captured"] == "0.00"
        await _ship_from(db, org, placed["id"], "WH1")
        half = await order_view(db, org, placed["id"])
        assert half["payment"]["status"] == "partially_captured"
        assert half["payments"][0]["captured"] == "24.99"  # the mug and the shipping
        await _ship_from(db, org, placed["id"], "WH2")
        whole = await order_view(db, org, placed["id"])
        assert whole["payment"]["status"] == "captured"
        assert whole["payment"]["captured"] == "44.98"

    async def test_a_payment_captured_once_takes_the_first_shipment_and_releases_the_rest(
        self, db: Database, org: Org, client: httpx.AsyncClient, recording: RecordingProvider
    ) -> None:
        await _shop(db, org)
        await set_channel_settings(db, org, "web", {"payment_provider": "recording"})
        placed = await _place(db, org)
        await _ship_from(db, org, placed["id"], "WH1")
        await _run_pending(db, placed["id"])
        assert recording.calls == [("capture", 2499, True)]
        shipped = await order_view(db, org, placed["id"])
        assert shipped["payments"][0]["status"] == "captured"
        assert shipped["payments"][0]["captured"] == "24.99"
        await _ship_from(db, org, placed["id"], "WH2")
        assert recording.calls == [("capture", 2499, True)]  # nothing left to capture
        events = await _events(db, org, placed["id"])
        [short] = [e for e in events if e["type"] == "payment.uncollected"]
        assert short["data"]["amount"] == "19.99"


class TestCancelAndRefund:
    async def test_a_cancel_releases_the_authorization(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org)
        cancelled = await client.post(
            f"/v1/orders/{placed['id']}/cancel",
            json={"reason": "changed mind"},
            headers=org.headers,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["payment"]["status"] == "voided"
        assert cancelled.json()["payments"][0]["captured"] == "0.00"

    async def test_a_return_refunds_what_was_captured_for_its_units(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org)
        await _ship_from(db, org, placed["id"], "WH1")
        await _ship_from(db, org, placed["id"], "WH2")
        opened = await client.post(
            "/v1/returns",
            json={
                "order_id": placed["id"],
                "location": "WH1",
                "lines": [{"line_no": 1, "quantity": 1, "reason": "too_large"}],
            },
            headers=org.headers,
        )
        assert opened.status_code == 201, opened.text
        path = f"/v1/returns/{opened.json()['id']}"
        received = await client.post(
            f"{path}/receive", json={"lines": [{"line_no": 1, "restock": 1}]}, headers=org.headers
        )
        assert received.status_code == 200, received.text
        refunded = await client.post(f"{path}/refund", json={}, headers=org.headers)
        assert refunded.status_code == 201, refunded.text
        after = await order_view(db, org, placed["id"])
        assert after["payments"][0]["captured"] == "44.98"
        assert after["payments"][0]["refunded"] == refunded.json()["refund"]["amount"] == "19.99"
        assert after["payment"]["status"] == "partially_refunded"

    async def test_a_refund_before_any_capture_is_refused_with_what_to_do(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org)
        refused = await client.post(
            f"/v1/orders/{placed['id']}/refunds", json={"amount": "5.00"}, headers=org.headers
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "refund_exceeds_captured"
        assert "cancel" in refused.json()["detail"]

    async def test_a_refund_after_capture_gives_back_no_more_than_was_captured(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org)
        await _ship_from(db, org, placed["id"], "WH1")  # 24.99 captured
        path = f"/v1/orders/{placed['id']}/refunds"
        too_much = await client.post(path, json={"amount": "25.00"}, headers=org.headers)
        assert too_much.status_code == 422
        refunded = await client.post(path, json={"amount": "19.99"}, headers=org.headers)
        assert refunded.status_code == 201, refunded.text
        assert refunded.json()["status"] == "succeeded"
        after = await order_view(db, org, placed["id"])
        assert after["payments"][0]["refunded"] == "19.99"
        assert after["payment"]["status"] == "partially_refunded"


class TestSplitTenders:
    async def test_store_credit_and_a_card_each_pay_their_part(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org, payments=[
            {"status": "captured", "amount": "10.00", "method": "gift_card", "reference": "GC-1"},
            {"status": "authorized", "amount": "34.98", "method": "card", "reference": "pi_1"},
        ])  # fmt: skip
        assert [p["status"] for p in placed["payments"]] == ["captured", "authorized"]
        assert placed["payment"]["status"] == "partially_captured"
        assert placed["status"] == "allocated"  # the two together cover the total
        await _ship_from(db, org, placed["id"], "WH1")  # worth 24.99 with the shipping
        half = await order_view(db, org, placed["id"])
        assert [p["captured"] for p in half["payments"]] == ["10.00", "14.99"]
        refunded = await client.post(
            f"/v1/orders/{placed['id']}/refunds", json={"amount": "20.00"}, headers=org.headers
        )
        assert refunded.status_code == 201, refunded.text
        after = await order_view(db, org, placed["id"])
        # The last payment gives back first, then the one before it.
        assert [p["refunded"] for p in after["payments"]] == ["5.01", "14.99"]

    async def test_payment_and_payments_together_are_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {
            "currency": "USD",
            "customer": {"email": "a@example.com"},
            "delivery_method": "pickup",
            "pickup_location": "X",
            "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "1.00"}],
            "payment": {"status": "captured", "amount": "1.00"},
            "payments": [{"status": "captured", "amount": "1.00"}],
        }
        refused = await client.post("/v1/orders", json=body, headers=org.headers)
        assert refused.status_code == 422
        assert "payments" in refused.text

    async def test_two_tenders_short_of_the_total_hold_the_order(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _shop(db, org)
        placed = await _place(db, org, payments=[
            {"status": "captured", "amount": "10.00", "method": "cash"},
            {"status": "authorized", "amount": "10.00", "method": "card"},
        ])  # fmt: skip
        assert placed["status"] == "on_hold"
        assert "payment" in placed["hold_reasons"]


class TestProvidersOverTheNetwork:
    async def test_a_capture_waits_for_its_job_and_is_sent_once(
        self, db: Database, org: Org, client: httpx.AsyncClient, recording: RecordingProvider
    ) -> None:
        await _shop(db, org)
        await set_channel_settings(db, org, "web", {"payment_provider": "recording"})
        placed = await _place(db, org)
        await _ship_from(db, org, placed["id"], "WH1")
        waiting = await order_view(db, org, placed["id"])
        assert waiting["payments"][0]["captured"] == "0.00"  # the provider was not called yet
        assert recording.calls == []
        [operation_id] = await _pending(db, placed["id"])
        assert await lifecycle.run_operation(db, Vault("k" * 32), operation_id) == "succeeded"
        assert await lifecycle.run_operation(db, Vault("k" * 32), operation_id) == "done before"
        assert recording.calls == [("capture", 2499, True)]
        captured = await order_view(db, org, placed["id"])
        assert captured["payments"][0]["captured"] == "24.99"

    async def test_two_shipments_before_the_job_runs_capture_each_once(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        provider = RecordingProvider(remote=True, multicapture=True)
        register_provider("multi", lambda _account: provider, remote=True, multicapture=True)
        try:
            await _shop(db, org)
            await set_channel_settings(db, org, "web", {"payment_provider": "multi"})
            # Two shipments of the same worth (no shipping price), both sent before any answer.
            placed = await place_order(
                db, org, [("MUG", 1), ("CUP", 1)],
                payment={"status": "authorized", "amount": "39.98"},
            )  # fmt: skip
            await _ship_from(db, org, placed["id"], "WH1")
            await _ship_from(db, org, placed["id"], "WH2")
            assert len(await _pending(db, placed["id"])) == 2
            await _run_pending(db, placed["id"])
        finally:
            register_provider("multi", None)
        assert provider.calls == [("capture", 1999, False), ("capture", 1999, True)]
        captured = await order_view(db, org, placed["id"])
        assert captured["payments"][0]["captured"] == "39.98"
        assert captured["payments"][0]["status"] == "captured"

    async def test_a_refund_is_pending_until_the_provider_answers(
        self, db: Database, org: Org, client: httpx.AsyncClient, recording: RecordingProvider
    ) -> None:
        await _shop(db, org)
        await set_channel_settings(db, org, "web", {"payment_provider": "recording"})
        placed = await _place(db, org)
        await _ship_from(db, org, placed["id"], "WH1")
        await _run_pending(db, placed["id"])
        refund = await client.post(
            f"/v1/orders/{placed['id']}/refunds", json={"amount": "4.00"}, headers=org.headers
        )
        assert refund.status_code == 201, refund.text
        assert refund.json()["status"] == "pending"
        # What is set aside cannot be refunded twice while the provider is asked.
        rest = await client.post(
            f"/v1/orders/{placed['id']}/refunds", json={"amount": "21.00"}, headers=org.headers
        )
        assert rest.status_code == 422
        await _run_pending(db, placed["id"])
        listed = await client.get(f"/v1/orders/{placed['id']}/refunds", headers=org.headers)
        assert [r["status"] for r in listed.json()] == ["succeeded"]
        assert recording.calls[-1] == ("refund", 400, True)


async def _pending(db: Database, order_id: int) -> list[int]:
    async with db.transaction() as tx:
        rows = await tx.connection.exec_driver_sql(
            "SELECT id FROM payment_operations WHERE order_id = %(o)s AND status = 'pending' "
            "ORDER BY id",
            {"o": order_id},
        )
        return [r.id for r in rows]


async def _run_pending(db: Database, order_id: int) -> None:
    for operation_id in await _pending(db, order_id):
        await lifecycle.run_operation(db, Vault("k" * 32), operation_id)


async def _events(db: Database, org: Org, order_id: int) -> list[dict[str, Any]]:
    async with db.transaction() as tx:
        rows = await tx.connection.exec_driver_sql(
            "SELECT type, data FROM order_events WHERE order_id = %(o)s ORDER BY id",
            {"o": order_id},
        )
        return [{"type": r.type, "data": r.data} for r in rows]


class RenewingProvider(RecordingProvider):
    name = "renewing"
    can_reauthorize = True

    async def reauthorize(
        self, reference: str | None, amount: int, currency: str, key: str
    ) -> Authorization:
        self.calls.append(("reauthorize", amount, True))
        return Authorization(True, datetime(2031, 1, 1, tzinfo=UTC))


class TestAuthorizationsThatLapse:
    """The hourly watch, run at a given time: an order placed with an authorization that lapses
    soon, and never shipped (a backorder, a staged line)."""

    async def _placed(self, db: Database, org: Org, expires: datetime) -> dict[str, Any]:
        await _shop(db, org)
        return await _place(
            db, org, payment={**TOTAL, "authorization_expires_at": expires.isoformat()}
        )

    async def test_one_about_to_lapse_is_flagged_for_a_person(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        now = datetime.now(UTC)
        placed = await self._placed(db, org, now + timedelta(hours=5))
        await lifecycle.watch_authorizations(db, now)
        flagged = await order_view(db, org, placed["id"])
        assert flagged["payments"][0]["status"] == "authorized"
        assert "ship and capture before" in flagged["payments"][0]["problem"]
        await lifecycle.watch_authorizations(db, now)  # flagged once
        events = [e["type"] for e in await _events(db, org, placed["id"])]
        assert events.count("payment.authorization_lapsing") == 1

    async def test_one_that_lapsed_is_released_and_flagged(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        now = datetime.now(UTC)
        placed = await self._placed(db, org, now + timedelta(hours=5))
        await lifecycle.watch_authorizations(db, now + timedelta(hours=6))
        lapsed = await order_view(db, org, placed["id"])
        assert lapsed["payments"][0]["status"] == "voided"
        assert "ask the customer to pay again" in lapsed["payments"][0]["problem"]
        # Shipping now captures nothing: the money is no longer held.
        await _ship_from(db, org, placed["id"], "WH1")
        shipped = await order_view(db, org, placed["id"])
        assert shipped["payment"]["captured"] == "0.00"
        events = [e["type"] for e in await _events(db, org, placed["id"])]
        assert "payment.authorization_expired" in events and "payment.uncollected" in events

    async def test_a_provider_that_can_renews_it(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        provider = RenewingProvider()
        register_provider("renewing", lambda _account: provider)
        try:
            await set_channel_settings(db, org, "web", {"payment_provider": "renewing"})
            now = datetime.now(UTC)
            placed = await self._placed(db, org, now + timedelta(hours=5))
            await lifecycle.watch_authorizations(db, now)
        finally:
            register_provider("renewing", None)
        renewed = await order_view(db, org, placed["id"])
        assert renewed["payments"][0]["problem"] is None
        assert renewed["payments"][0]["authorization_expires_at"].startswith("2031-01-01")
        assert provider.calls == [("reauthorize", 4498, True)]
