"""The Flipkart connector against a fake seller account built from Flipkart's Marketplace
Seller API documentation: notifications in, shipments pulled as orders, tokens, throttling,
stock, labels, dispatch (Flipkart's logistics and self-ship) and cancellations out."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from orderly.connections import registry
from orderly.connections.errors import (
    CredentialsRefused,
    PlatformBusy,
    PlatformRefused,
    PlatformUnavailable,
    WebhookRefused,
)
from orderly.connections.platform_http import platform_client
from orderly.connections.platforms.flipkart import signature
from orderly.connections.platforms.flipkart.connector import FlipkartConnector
from orderly.connections.port import (
    ChannelOrder,
    FulfilledLine,
    FulfillmentPush,
    InboundRequest,
    Listing,
    PlatformAccess,
    PlatformOrderState,
    PlatformPaymentStatus,
    StockQuantity,
)
from orderly.kit.clock import utcnow
from tests.clock import MovableClock
from tests.connections.fakes.flipkart import FakeFlipkart
from tests.transports import TimingOut

HOOK_URL = "https://orderly.example.com/hooks/flipkart/9"
BASE_URL = "https://api.flipkart.test"
FILTER = "/sellers/v3/shipments/filter"
INVENTORY = "/sellers/listings/v3/update/inventory"
LABELS = "/sellers/v3/shipments/labels"
TOKEN = "/oauth-service/oauth/token"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeFlipkart:
    fake = FakeFlipkart(clock)
    fake.notification_url = HOOK_URL
    return fake


@pytest.fixture
def transport(fake: FakeFlipkart) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def build(
    fake: FakeFlipkart, clock: MovableClock, transport: httpx.AsyncBaseTransport, **overrides: Any
) -> FlipkartConnector:
    client = httpx.AsyncClient(transport=transport)
    access = PlatformAccess(
        base_url=overrides.pop("base_url", BASE_URL),
        credentials=overrides.pop("credentials", fake.credentials),
        settings={"location_id": fake.location_id, **overrides.pop("settings", {})},
        http=platform_client(client, platform="flipkart", clock=clock),
    )
    return FlipkartConnector(access)


@pytest.fixture
def connector(fake: FakeFlipkart, clock: MovableClock, transport: TimingOut) -> FlipkartConnector:
    return build(fake, clock, transport)


def inbound(headers: dict[str, str], body: bytes, url: str = HOOK_URL) -> InboundRequest:
    return InboundRequest(url=url, headers={k.lower(): v for k, v in headers.items()}, body=body)


async def pull_all(
    connector: FlipkartConnector, cursor: str | None
) -> tuple[list[ChannelOrder], str]:
    taken: list[ChannelOrder] = []
    last = cursor
    async for page in connector.orders_changed_since(cursor):
        taken.extend(page.orders)
        assert page.cursor is not None
        last = page.cursor
    assert last is not None
    return taken, last


def shipped(order: ChannelOrder, **fields: Any) -> FulfillmentPush:
    values: dict[str, Any] = {
        "carrier": "Delhivery",
        "tracking_number": "DLV123456789",
        "tracking_url": None,
        "shipped_at": utcnow(),
        "reference": "ful_1",
    }
    values.update(fields)
    lines = tuple(
        FulfilledLine(line.platform_line_id, line.sku or "", line.quantity) for line in order.lines
    )
    return FulfillmentPush(platform_order_id=order.platform_order_id, lines=lines, **values)


class TestNotificationsIn:
    def test_flipkarts_own_worked_example_verifies(self) -> None:
        headers = {
            "x_date": "Tue, 19 May 2015 09:02:15 GMT",
            "x_authorization": "FKLOGIN NjExM2NhNGEtZmUwNS0xMWU0LWEzMjItMTY5N2Y5MjVlYzdiOjgzNzYy"
            "YWJkODdiNDFlNjZkZGQ1ODMyMGE0ZTgwMzI1MWU3MmI3NzY=",
        }

        signature.verify(
            app_id="6113ca4a-fe05-11e4-a322-1697f925ec7b",
            app_secret="669a57f4-fe05-11e4-a322-1697f925ec7b",
            headers=headers,
            url="http://seller.api.pilotseller.com/notify/fki",
            now=datetime(2015, 5, 19, 9, 5, tzinfo=UTC),
            max_age=timedelta(hours=1),
        )

    def test_a_signed_shipment_notification_points_at_its_shipment(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M")
        shipment_id = fake.place_order([("KURTA-M", 1)])
        epoch = connector.read_webhook(inbound(*fake.order_webhook(shipment_id, "created")))
        http_date = connector.read_webhook(
            inbound(*fake.notification("shipment_created", shipment_id, sign_epoch=False))
        )

        assert epoch is not None and http_date is not None
        assert epoch.topic == "shipment_created"
        assert epoch.platform_order_id == shipment_id
        assert epoch.event_id.startswith(f"{shipment_id}:shipment_created:")

    def test_a_forged_a_missing_an_old_and_a_foreign_signature_are_refused(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M")
        shipment_id = fake.place_order([("KURTA-M", 1)])
        headers, body = fake.order_webhook(shipment_id, "created")
        unsigned = {k: v for k, v in headers.items() if k != "X_Authorization"}
        old = fake.notification(
            "shipment_created", shipment_id, sent_at=utcnow() - timedelta(days=3)
        )
        other_secret = fake.notification("shipment_created", shipment_id, app_secret="guess")
        other_url = fake.notification("shipment_created", shipment_id, url=HOOK_URL + "0")

        for request in (
            inbound(unsigned, body),
            inbound({**headers, "X_Authorization": "FKLOGIN bm90LWEtc2lnbmF0dXJl"}, body),
            inbound({**headers, "X_Authorization": "Bearer abc"}, body),
            inbound(*old),
            inbound(*other_secret),
            inbound(*other_url),
            inbound(headers, body, url="https://orderly.example.com/hooks/flipkart/10"),
        ):
            with pytest.raises(WebhookRefused):
                connector.read_webhook(request)

    def test_return_notifications_are_answered_and_not_kept(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        assert connector.read_webhook(inbound(*fake.notification("return_created"))) is None

    async def test_the_event_is_read_from_the_api_not_from_the_unsigned_body(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M")
        shipment_id = fake.place_order([("KURTA-M", 2)], unit_price="650.00")
        headers, body = fake.order_webhook(shipment_id, "created")
        tampered = json.loads(body)
        tampered["attributes"]["orderItems"][0]["quantity"] = 99
        event = connector.read_webhook(inbound(headers, json.dumps(tampered).encode()))
        assert event is not None

        order = await connector.order_of_event(event)

        assert order is not None and order.lines[0].quantity == 2


class TestOrdersIn:
    async def test_a_shipment_maps_paise_discounts_shipping_hsn_and_the_dispatch_deadline(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M", hsn="62114290")
        fake.add_product("DUPATTA")
        shipment_id = fake.place_order(
            [("KURTA-M", 2), ("DUPATTA", 1)],
            unit_price="499.50",
            shipping="40",
            flipkart_discount="100",
        )

        order = await connector.fetch_order(shipment_id)

        raw = fake.shipments[shipment_id]
        assert order.platform_order_id == shipment_id
        assert order.number == raw["orderItems"][0]["orderId"] and order.currency == "INR"
        kurta, dupatta = order.lines
        assert (kurta.sku, kurta.quantity, kurta.unit_price_minor) == ("KURTA-M", 2, 49950)
        assert (
            kurta.hs_code == "62114290"
            and kurta.product_id == fake.listings["KURTA-M"]["product_id"]
        )
        assert kurta.discount_minor + dupatta.discount_minor == 10000  # Flipkart's discount
        assert order.shipping_minor == 4000 and all(line.tax_minor == 0 for line in order.lines)
        assert order.total_minor == 3 * 49950 - 10000 + 4000
        goods = sum(
            line.unit_price_minor * line.quantity - line.discount_minor for line in order.lines
        )
        assert goods + order.shipping_minor == order.total_minor
        assert order.ship_by == datetime.fromisoformat(raw["dispatchByDate"]).astimezone(UTC)
        assert order.state is PlatformOrderState.OPEN
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.payment_method == "prepaid" and not order.fulfilled_by_platform
        assert order.notes is not None and "E-Kart" in order.notes

    async def test_the_buyer_and_address_come_from_the_shipping_details(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M")
        ekart = await connector.fetch_order(fake.place_order([("KURTA-M", 1)]))
        own = await connector.fetch_order(fake.place_order([("KURTA-M", 1)], self_ship=True))

        address = ekart.shipping_address
        assert address is not None
        assert (address.country, address.city, address.region, address.postal_code) == (
            "IN",
            "Bengaluru",
            "Karnataka",
            "560001",
        )
        assert address.line2 == "Flat 3B, Near Trinity Metro" and address.name == "Asha Rao"
        assert ekart.customer_name == "Asha Rao" and ekart.customer_email is None
        assert (own.customer_email, own.customer_phone) == ("asha@example.in", "9876543210")
        assert own.notes is not None and "self-ship" in own.notes

    async def test_cash_on_delivery_is_pending_until_delivered(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("KURTA-M")
        shipment_id = fake.place_order([("KURTA-M", 1)], payment="COD")

        placed = await connector.fetch_order(shipment_id)
        fake.set_status(shipment_id, "SHIPPED")
        on_the_way = await connector.fetch_order(shipment_id)
        fake.set_status(shipment_id, "DELIVERED")
        delivered = await connector.fetch_order(shipment_id)

        assert (
            placed.payment_status is PlatformPaymentStatus.PENDING
            and placed.payment_method == "cod"
        )
        assert on_the_way.state is PlatformOrderState.COMPLETED
        assert on_the_way.payment_status is PlatformPaymentStatus.PENDING
        assert delivered.payment_status is PlatformPaymentStatus.CAPTURED

    async def test_cancelled_partly_cancelled_and_warehouse_shipments(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        for sku in ("A", "B"):
            fake.add_product(sku)
        gone = fake.place_order([("A", 1)])
        fake.cancel_order(gone)
        part = fake.place_order([("A", 1), ("B", 1)])
        second = fake.shipments[part]["orderItems"][1]["orderItemId"]
        fake.cancel_items(part, [second], kind="buyerCancellation")
        warehouse = fake.place_order([("A", 1)], warehouse=True)

        cancelled = await connector.fetch_order(gone)
        partly = await connector.fetch_order(part)
        fbf = await connector.fetch_order(warehouse)

        assert cancelled.state is PlatformOrderState.CANCELLED
        assert cancelled.payment_status is PlatformPaymentStatus.VOIDED
        assert [line.sku for line in partly.lines] == ["A"] and partly.total_minor == 49900
        assert partly.notes is not None and "1 item(s) cancelled" in partly.notes
        assert fbf.fulfilled_by_platform

    async def test_an_unknown_shipment_is_refused(self, connector: FlipkartConnector) -> None:
        with pytest.raises(PlatformRefused, match="no shipment"):
            await connector.fetch_order("nope")


class TestPull:
    async def test_every_kind_of_shipment_comes_page_by_page_and_the_next_pull_takes_only_changes(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        placed = [fake.place_order([("A", 1)]) for _ in range(45)]
        held = fake.place_order([("A", 1)], hold=True)
        sent = fake.place_order([("A", 1)])
        fake.set_status(sent, "SHIPPED")
        gone = fake.place_order([("A", 1)])
        fake.cancel_order(gone, kind="marketplaceCancellation")

        orders, cursor = await pull_all(connector, None)
        searches, follows = fake.sent("POST", FILTER), fake.calls("GET", FILTER)
        fake.touch(placed[3])
        again, _ = await pull_all(connector, cursor)

        assert sorted(o.platform_order_id for o in orders) == sorted([*placed, held, sent, gone])
        assert len(searches) == 6  # before dispatch, held, after dispatch, three cancellations
        assert follows == 2  # 45 shipments, 20 a page
        assert {s["filter"]["type"] for s in searches} == {
            "preDispatch",
            "postDispatch",
            "cancelled",
        }
        assert all(s["pagination"]["pageSize"] == 20 for s in searches)
        by_id = {o.platform_order_id: o for o in orders}
        assert by_id[gone].state is PlatformOrderState.CANCELLED
        assert by_id[sent].state is PlatformOrderState.COMPLETED
        held_notes = by_id[held].notes
        assert held_notes is not None and "on hold" in held_notes
        # The next window starts five minutes early: recent changes are read again, older
        # ones are not.
        assert {o.platform_order_id for o in again} == {placed[3], sent, gone}

    async def test_a_pull_that_stopped_mid_window_resumes_at_its_stream(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        waiting = fake.place_order([("A", 1)])
        sent = fake.place_order([("A", 1)])
        fake.set_status(sent, "DELIVERED")

        first = connector.orders_changed_since(None)
        assert isinstance(first, AsyncGenerator)
        page = await anext(first)
        await first.aclose()
        resumed, _ = await pull_all(connector, page.cursor)

        assert [o.platform_order_id for o in page.orders] == [waiting]
        assert [o.platform_order_id for o in resumed] == [
            sent
        ]  # the first stream is not read again
        assert fake.sent("POST", FILTER)[1]["filter"]["hold"] is True

    def test_a_next_page_url_is_followed_only_on_flipkarts_host(
        self, connector: FlipkartConnector
    ) -> None:
        api = connector.api

        assert api.page_url("/v3/shipments/filter?next_token=a") == (
            f"{BASE_URL}/sellers/v3/shipments/filter?next_token=a"
        )
        assert api.page_url("/sellers/v3/shipments/filter?next_token=b").startswith(BASE_URL)
        assert api.page_url(f"{BASE_URL}/sellers/v3/x?y=1") == f"{BASE_URL}/sellers/v3/x?y=1"
        with pytest.raises(PlatformRefused, match="another host"):
            api.page_url("https://evil.example.com/sellers/v3/shipments/filter")


class TestTokens:
    async def test_one_token_serves_every_call_until_it_expires(
        self, fake: FakeFlipkart, clock: MovableClock, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 1)])

        await connector.fetch_order(shipment_id)
        await connector.fetch_order(shipment_id)
        issued = fake.tokens_issued
        clock.advance(fake.token_lifetime)
        await connector.fetch_order(shipment_id)

        assert issued == 1 and fake.tokens_issued == 2 and fake.calls("GET", TOKEN) == 2

    async def test_a_revoked_token_is_fetched_again_once(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 1)])
        await connector.fetch_order(shipment_id)
        fake.revoke_tokens()

        order = await connector.fetch_order(shipment_id)

        assert order.platform_order_id == shipment_id and fake.tokens_issued == 2

    async def test_a_wrong_secret_is_refused_by_check(
        self, fake: FakeFlipkart, clock: MovableClock, transport: TimingOut
    ) -> None:
        wrong = build(fake, clock, transport, credentials={**fake.credentials, "app_secret": "x"})

        with pytest.raises(CredentialsRefused):
            await wrong.check()
        await build(fake, clock, transport).check()

    async def test_the_base_url_may_name_the_sellers_prefix(
        self, fake: FakeFlipkart, clock: MovableClock, transport: TimingOut
    ) -> None:
        await build(fake, clock, transport, base_url=f"{BASE_URL}/sellers/").check()

        assert fake.calls("POST", FILTER) == 1


class TestThrottlingAndErrors:
    async def test_a_429_is_waited_out_by_its_retry_after(
        self, fake: FakeFlipkart, clock: MovableClock, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 1)])
        await connector.fetch_order(shipment_id)
        fake.rate_limit_next(2)

        order = await connector.fetch_order(shipment_id)

        assert order.platform_order_id == shipment_id and fake.rate_limited == 2
        assert clock.slept.count(1.0) >= 2

    async def test_a_burst_over_flipkarts_rate_is_slowed_and_finishes(
        self, fake: FakeFlipkart, clock: MovableClock, connector: FlipkartConnector
    ) -> None:
        fake.burst = 5
        skus = [f"SKU-{n:02d}" for n in range(60)]
        for sku in skus:
            fake.add_product(sku)
        listed = {listing.sku: listing async for page in connector.listings() for listing in page}

        result = await connector.push_stock([StockQuantity(listed[s], 3) for s in skus])

        assert result.pushed == 60 and not result.refused
        assert fake.rate_limited > 0 and sum(clock.slept) >= 1
        assert all(fake.available(s) == 3 for s in skus)

    async def test_5xx_is_retried_and_persistent_5xx_pushes_nothing(
        self, fake: FakeFlipkart, connector: FlipkartConnector, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 1)])
        fake.fail_next(2)
        assert (await connector.fetch_order(shipment_id)).platform_order_id == shipment_id

        fake.fail_next(50, status=500)
        listing = Listing("A", product_id=fake.listings["A"]["product_id"])
        with pytest.raises(PlatformUnavailable):
            await connector.push_stock([StockQuantity(listing, 4)])
        assert fake.available("A") is None
        transport.time_out_next(50)
        with pytest.raises(PlatformUnavailable):
            await connector.check()


class TestStockOut:
    async def test_ten_skus_a_call_with_refusals_reported_by_sku(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        skus = [f"SKU-{n:02d}" for n in range(23)]
        for sku in skus:
            fake.add_product(sku)
        listed = {listing.sku: listing async for page in connector.listings() for listing in page}
        ghost = Listing("GHOST", product_id="FSNGHOST")
        quantities = [StockQuantity(listed[s], n) for n, s in enumerate(skus)]

        result = await connector.push_stock([*quantities, StockQuantity(ghost, 1)])

        sent = fake.sent("POST", INVENTORY)
        assert [len(body) for body in sent] == [10, 10, 4]
        entry = sent[0]["SKU-03"]
        assert entry["product_id"] == fake.listings["SKU-03"]["product_id"]
        assert entry["locations"] == [{"id": fake.location_id, "status": "ENABLED", "inventory": 3}]
        assert result.pushed == 23 and set(result.refused) == {"GHOST"}
        assert "Listing not found" in result.refused["GHOST"]
        assert fake.available("SKU-22") == 22

    async def test_locations_product_ids_by_sku_and_a_sku_flipkart_does_not_list(
        self, fake: FakeFlipkart, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        second = fake.add_location()
        nowhere = build(fake, clock, transport, settings={"location_id": None})
        connector = build(fake, clock, transport)

        result = await connector.push_stock(
            [
                StockQuantity(Listing("A"), 5),
                StockQuantity(Listing("A"), 7, platform_location=second),
                StockQuantity(Listing("NEVER-LISTED"), 1),
            ]
        )
        lost = await nowhere.push_stock([StockQuantity(Listing("A"), 9)])

        assert (fake.available("A"), fake.available("A", second)) == (5, 7)
        assert result.pushed == 1 and result.refused == {"NEVER-LISTED": "not listed on Flipkart"}
        assert lost.pushed == 0 and "location_id" in lost.refused["A"]

    async def test_a_batch_refused_whole_is_sent_again_sku_by_sku(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        for sku in ("A", "B", "C"):
            fake.add_product(sku)
        listed = {s: Listing(s, product_id=fake.listings[s]["product_id"]) for s in "ABC"}
        fake.refuse_whole.add("B")

        result = await connector.push_stock(
            [
                StockQuantity(listed["A"], 2),
                StockQuantity(listed["B"], 2),
                StockQuantity(listed["C"], -4),
            ]
        )

        assert result.pushed == 2 and set(result.refused) == {"B"}
        assert "400" in result.refused["B"]
        assert (fake.available("A"), fake.available("B"), fake.available("C")) == (2, None, 0)
        assert [sorted(body) for body in fake.sent("POST", INVENTORY)] == [
            ["A", "B", "C"],
            ["A"],
            ["B"],
            ["C"],
        ]


class TestListings:
    async def test_listings_come_five_hundred_a_page(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        for n in range(1100):
            fake.add_product(f"SKU-{n:04d}")

        pages = [page async for page in connector.listings()]

        assert [len(page) for page in pages] == [500, 500, 100]
        first = pages[0][0]
        assert first.product_id == fake.listings[first.sku]["product_id"]
        assert first.variant_id == fake.listings[first.sku]["listing_id"]


class TestLabels:
    async def test_labels_are_generated_then_downloaded_as_a_pdf(
        self, fake: FakeFlipkart, clock: MovableClock, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A", gst=12)
        shipment_id = fake.place_order([("A", 2)])

        asked = await connector.generate_labels([shipment_id])
        with pytest.raises(PlatformRefused):
            await connector.label_pdf([shipment_id])  # still being made
        clock.advance(fake.label_seconds)
        pdf = await connector.label_pdf([shipment_id])
        invoice = await connector.invoice_pdf([shipment_id])

        assert asked.generating == (shipment_id,) and not asked.refused
        (packed,) = fake.sent("POST", LABELS)
        item = fake.shipments[shipment_id]["orderItems"][0]
        entry = packed["shipments"][0]
        assert entry["taxItems"] == [
            {"orderItemId": item["orderItemId"], "taxRate": 12, "quantity": 2}
        ]
        assert entry["locationId"] == fake.location_id and entry["invoices"][0]["orderId"]
        assert pdf.startswith(b"%PDF") and invoice.startswith(b"%PDF")
        assert fake.status_of(shipment_id) == ["PACKED"]

    async def test_shipments_without_a_flipkart_label_are_refused_by_id(
        self, fake: FakeFlipkart, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        fake.add_product("NO-GST", gst=None)
        own = fake.place_order([("A", 1)], self_ship=True)
        untaxed = fake.place_order([("NO-GST", 1)])
        held = fake.place_order([("A", 1)], hold=True)
        connector = build(fake, clock, transport)

        asked = await connector.generate_labels([own, untaxed, held, "nope"])
        with_rate = await build(fake, clock, transport, settings={"gst_rate": "5"}).generate_labels(
            [untaxed]
        )

        assert asked.generating == ()
        assert set(asked.refused) == {own, untaxed, held, "nope"}
        assert "GST" in asked.refused[untaxed] and "no Flipkart label" in asked.refused[own]
        assert with_rate.generating == (untaxed,)
        with pytest.raises(PlatformRefused, match="at most 50"):
            await connector.label_pdf([own] * 51)


class TestFulfillmentOut:
    async def test_a_flipkart_shipped_order_is_packed_and_marked_ready_for_the_courier(
        self, fake: FakeFlipkart, clock: MovableClock, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 2)])
        order = await connector.fetch_order(shipment_id)

        pushed = await connector.push_fulfillment(shipped(order))
        again = await connector.push_fulfillment(shipped(order))

        assert pushed == again == shipment_id
        assert fake.status_of(shipment_id) == ["READY_TO_DISPATCH"]
        assert (
            fake.calls("POST", LABELS) == 1
            and fake.calls("POST", "/sellers/v3/shipments/dispatch") == 1
        )
        assert sum(clock.slept) >= fake.label_seconds  # waited for Flipkart to make the labels

    async def test_labels_slower_than_the_push_waits_make_it_retry_later(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        fake.label_seconds = 600
        order = await connector.fetch_order(fake.place_order([("A", 1)]))

        with pytest.raises(PlatformBusy) as busy:
            await connector.push_fulfillment(shipped(order))

        assert busy.value.extra["retry_after"] > 0
        assert fake.status_of(order.platform_order_id) == ["PACKING_IN_PROGRESS"]

    async def test_a_self_ship_order_is_dispatched_with_its_courier_and_tracking(
        self, fake: FakeFlipkart, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        connector = build(fake, clock, transport, settings={"delivery_partner_code": "DELHIVERY"})
        order = await connector.fetch_order(fake.place_order([("A", 1)], self_ship=True))

        await connector.push_fulfillment(shipped(order))

        (dispatch,) = fake.shipments_of(order.platform_order_id)
        assert dispatch["tracking_number"] == "DLV123456789"
        assert dispatch["deliveryPartnerCode"] == "DELHIVERY"
        assert dispatch["invoice"]["items"][0]["orderItemId"] == order.lines[0].platform_line_id
        assert fake.status_of(order.platform_order_id) == ["SHIPPED"]
        assert fake.calls("POST", LABELS) == 0

    async def test_refusals_a_courier_flipkart_does_not_allow_and_a_parcel_short_of_items(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        fake.add_product("B")
        own = await connector.fetch_order(fake.place_order([("A", 1)], self_ship=True))
        pair = await connector.fetch_order(fake.place_order([("A", 1), ("B", 1)]))

        with pytest.raises(PlatformRefused, match="INVALID_DELIVERY_PARTNER"):
            await connector.push_fulfillment(shipped(own, carrier="Pigeon Post"))
        short = FulfillmentPush(
            platform_order_id=pair.platform_order_id,
            lines=(FulfilledLine(pair.lines[0].platform_line_id, "A", 1),),
            carrier=None,
            tracking_number=None,
            tracking_url=None,
            shipped_at=utcnow(),
        )
        with pytest.raises(PlatformRefused, match="whole"):
            await connector.push_fulfillment(short)
        assert fake.calls("POST", LABELS) == 0

    async def test_held_early_and_warehouse_shipments_are_not_dispatched(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        held = await connector.fetch_order(fake.place_order([("A", 1)], hold=True))
        early = await connector.fetch_order(
            fake.place_order([("A", 1)], dispatch_after=timedelta(hours=3))
        )
        warehouse = await connector.fetch_order(fake.place_order([("A", 1)], warehouse=True))

        with pytest.raises(PlatformBusy, match="holds"):
            await connector.push_fulfillment(shipped(held))
        with pytest.raises(PlatformBusy) as wait:
            await connector.push_fulfillment(shipped(early))
        with pytest.raises(PlatformRefused, match="own warehouse"):
            await connector.push_fulfillment(shipped(warehouse))
        assert 3 * 3600 - 60 < wait.value.extra["retry_after"] <= 3 * 3600 + 1
        assert fake.calls("POST", LABELS) == 0


class TestCancellationOut:
    async def test_a_cancellation_names_flipkarts_reason_and_the_items_groups(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        fake.add_product("B")
        shipment_id = fake.place_order([("A", 1), ("B", 2)])

        await connector.push_cancellation(shipment_id, reason="out of stock at the warehouse")
        await connector.push_cancellation(shipment_id, reason="again")

        (sent,) = fake.sent("POST", "/sellers/v3/shipments/cancel")
        entry = sent["shipments"][0]
        items = fake.shipments[shipment_id]["orderItems"]
        assert entry["reason"] == "not_enough_inventory"
        assert entry["cancellationGroupIds"] == [i["cancellationGroupId"] for i in items]
        assert fake.status_of(shipment_id) == ["CANCELLED", "CANCELLED"]
        assert (await connector.fetch_order(shipment_id)).state is PlatformOrderState.CANCELLED

    async def test_a_packed_shipment_cannot_be_cancelled_by_the_seller(
        self, fake: FakeFlipkart, connector: FlipkartConnector
    ) -> None:
        fake.add_product("A")
        shipment_id = fake.place_order([("A", 1)])
        fake.set_status(shipment_id, "PACKED")

        with pytest.raises(PlatformRefused, match="before it is packed"):
            await connector.push_cancellation(shipment_id, reason="customer asked")
        assert fake.calls("POST", "/sellers/v3/shipments/cancel") == 0


class TestRegistry:
    async def test_the_registry_builds_the_connector_by_name(
        self,
        fake: FakeFlipkart,
        clock: MovableClock,
        transport: TimingOut,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(registry, "_PLATFORMS", dict(registry._PLATFORMS))
        registry.register_platform(FlipkartConnector)
        access = build(fake, clock, transport).access

        channel = registry.sales_channel("flipkart", access)

        assert isinstance(channel, FlipkartConnector) and channel.sends_webhooks
        assert await channel.register_webhooks(HOOK_URL) == []
        assert set(FlipkartConnector.credential_keys) == set(fake.credentials)


class TestTheFake:
    async def test_the_fake_refuses_what_flipkart_refuses(self, fake: FakeFlipkart) -> None:
        fake.add_product("A")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url=BASE_URL
        ) as raw:
            wrong_grant = await raw.get(
                TOKEN, params={"grant_type": "password"}, auth=(fake.app_id, fake.app_secret)
            )
            no_basic = await raw.get(TOKEN, params={"grant_type": "client_credentials"})
            token = (
                await raw.get(
                    TOKEN,
                    params={"grant_type": "client_credentials", "scope": "Seller_Api"},
                    auth=(fake.app_id, fake.app_secret),
                )
            ).json()["access_token"]
            raw.headers["Authorization"] = f"Bearer {token}"
            bodies = {
                "no_type": {"filter": {"states": ["APPROVED"]}},
                "wrong_states": {"filter": {"type": "postDispatch", "states": ["APPROVED"]}},
                "no_cancellation_type": {"filter": {"type": "cancelled", "states": ["CANCELLED"]}},
                "page_too_big": {
                    "filter": {"type": "preDispatch", "states": ["APPROVED"]},
                    "pagination": {"pageSize": 21},
                },
            }
            searches = {name: await raw.post(FILTER, json=body) for name, body in bodies.items()}
            eleven = {
                f"S{n}": {"product_id": "X", "locations": [{"id": "L", "status": "ENABLED"}]}
                for n in range(11)
            }
            too_many = await raw.post(INVENTORY, json=eleven)
            bearer_less = await raw.get(
                "/sellers/v3/shipments", params={"shipmentIds": "x"}, headers={"Authorization": ""}
            )

        assert wrong_grant.status_code == 400 and no_basic.status_code == 401
        assert {name: r.status_code for name, r in searches.items()} == dict.fromkeys(bodies, 400)
        assert too_many.status_code == 400 and bearer_less.status_code == 401
