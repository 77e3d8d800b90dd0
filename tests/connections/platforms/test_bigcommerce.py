"""The BigCommerce connector against a fake store that answers as BigCommerce documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderly.connections.errors import (
    CredentialsRefused,
    PlatformRefused,
    PlatformUnavailable,
    WebhookRefused,
)
from orderly.connections.platform_http import platform_client
from orderly.connections.platforms.bigcommerce.connector import BigCommerceConnector
from orderly.connections.port import (
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
from tests.connections.fakes.bigcommerce import FakeBigCommerce
from tests.transports import TimingOut

HOOK_URL = "https://orderly.example.com/hooks/bigcommerce/7"
ADJUST = "/v3/inventory/adjustments/absolute"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeBigCommerce:
    return FakeBigCommerce(clock)


@pytest.fixture
def transport(fake: FakeBigCommerce) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def build(
    fake: FakeBigCommerce,
    clock: MovableClock,
    transport: httpx.AsyncBaseTransport,
    **overrides: Any,
) -> BigCommerceConnector:
    client = httpx.AsyncClient(transport=transport)
    access = PlatformAccess(
        base_url=f"http://bigcommerce.test{fake.base_path}",
        credentials=overrides.pop("credentials", fake.credentials),
        settings=overrides.pop("settings", {}),
        http=platform_client(client, platform="bigcommerce", clock=clock),
    )
    return BigCommerceConnector(access)


@pytest.fixture
def connector(
    fake: FakeBigCommerce, clock: MovableClock, transport: TimingOut
) -> BigCommerceConnector:
    return build(fake, clock, transport)


def inbound(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest(
        url=HOOK_URL, headers={k.lower(): v for k, v in headers.items()}, body=body
    )


async def pull_all(connector: BigCommerceConnector, cursor: str | None) -> tuple[list[Any], str]:
    orders: list[Any] = []
    last = cursor
    pages: AsyncIterator[Any] = connector.orders_changed_since(cursor)
    async for page in pages:
        orders.extend(page.orders)
        assert page.cursor is not None
        last = page.cursor
    assert last is not None
    return orders, last


class TestWebhookIn:
    def test_a_signed_delivery_gives_the_event(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "created")

        event = connector.read_webhook(inbound(headers, body))

        assert event is not None
        assert event.event_id == headers["webhook-id"]
        assert event.topic == "store/order/created"
        assert event.platform_order_id == order_id

    def test_the_same_delivery_twice_is_the_same_event(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        headers, body = fake.order_webhook(fake.place_order([("MUG-1", 1)]), "updated")

        first = connector.read_webhook(inbound(headers, body))
        again = connector.read_webhook(inbound(headers, body))

        assert first is not None and again is not None
        assert first.event_id == again.event_id

    def test_a_bad_signature_a_missing_one_and_a_stale_one_are_refused(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "created")
        tampered = body.replace(order_id.encode(), b"999999")
        unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
        stale_headers, stale_body = fake.signed_webhook(
            order_id, "created", sent_at=utcnow() - timedelta(minutes=6)
        )

        for request in (
            inbound(headers, tampered),
            inbound(unsigned, body),
            inbound({**headers, "webhook-signature": "v1,AAAA"}, body),
            inbound(stale_headers, stale_body),
        ):
            with pytest.raises(WebhookRefused):
                connector.read_webhook(request)

    def test_a_delivery_for_another_store_of_the_same_app_is_refused(
        self, fake: FakeBigCommerce, clock: MovableClock, transport: TimingOut
    ) -> None:
        other = FakeBigCommerce(clock, store_hash="zzz999")
        other.client_secret = fake.client_secret  # one app, installed on two stores
        other.add_product("MUG-1")
        headers, body = other.order_webhook(other.place_order([("MUG-1", 1)]), "created")

        with pytest.raises(WebhookRefused):
            build(fake, clock, transport).read_webhook(inbound(headers, body))


class TestOrdersIn:
    async def test_the_order_of_an_event_maps_lines_money_and_addresses(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.add_product("TEE-M", variant=True)
        order_id = fake.place_order(
            [("MUG-1", 2), ("TEE-M", 1)],
            unit_price="19.99",
            tax_rate="0.08",
            discount="5.00",
            shipping="4.50",
        )
        event = connector.read_webhook(inbound(*fake.order_webhook(order_id, "created")))
        assert event is not None

        order = await connector.order_of_event(event)

        assert order is not None
        assert order.platform_order_id == order_id and order.currency == "USD"
        assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2), ("TEE-M", 1)]
        mug, tee = order.lines
        assert mug.unit_price_minor == 1999
        assert mug.tax_minor == 320  # 39.98 x 8% = 3.1984
        assert mug.discount_minor == 500
        assert tee.variant_id == str(fake.variant_of("TEE-M"))
        assert order.order_discount_minor == 0  # the coupon is already on the line
        assert order.shipping_minor == 450
        assert order.total_minor == 5997 + 480 + 450 - 500
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.state is PlatformOrderState.OPEN
        assert order.customer_email == "jane@example.com"
        assert order.shipping_address is not None
        assert order.shipping_address.country == "US"
        assert order.shipping_address.line1 == "666 Sussex St"
        assert order.shipping_address.postal_code == "78251"
        assert order.billing_address is not None and order.billing_address.city == "Austin"
        assert order.payment_reference == f"ch_{order_id}"

    async def test_yen_has_no_minor_digits(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order = await connector.fetch_order(
            fake.place_order([("MUG-1", 3)], currency="JPY", unit_price="1200")
        )

        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1200
        assert order.total_minor == 3600

    async def test_a_cancelled_order_comes_in_cancelled(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        fake.cancel_order(order_id)
        event = connector.read_webhook(inbound(*fake.order_webhook(order_id, "cancelled")))
        assert event is not None and event.topic == "store/order/statusUpdated"

        order = await connector.order_of_event(event)

        assert order is not None and order.state is PlatformOrderState.CANCELLED

    async def test_refunds_set_the_payment_status_and_amount(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        refunded = fake.place_order([("MUG-1", 2)])
        fake.set_status(refunded, 4, payment_status="refunded")
        partly = fake.place_order([("MUG-1", 2)])
        fake.set_status(partly, 14, payment_status="partially refunded", refunded_amount="7.5")

        whole = await connector.fetch_order(refunded)
        part = await connector.fetch_order(partly)

        assert whole.payment_status is PlatformPaymentStatus.REFUNDED
        assert whole.refunded_minor == 2000
        assert whole.state is PlatformOrderState.CANCELLED  # nothing had shipped
        assert part.payment_status is PlatformPaymentStatus.PARTIALLY_REFUNDED
        assert part.refunded_minor == 750 and part.state is PlatformOrderState.OPEN

    async def test_an_unknown_order_is_refused(self, connector: BigCommerceConnector) -> None:
        with pytest.raises(PlatformRefused):
            await connector.fetch_order("424242")


class TestPull:
    async def test_hundreds_of_orders_come_once_oldest_first_and_the_cursor_moves_on(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(320)]
        incomplete = fake.place_order([("MUG-1", 1)], status_id=0)

        orders, cursor = await pull_all(connector, None)

        assert [o.platform_order_id for o in orders] == placed
        assert incomplete not in {o.platform_order_id for o in orders}
        assert fake.calls("GET", "/v2/orders") >= 2
        assert [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)

        fake.cancel_order(placed[5])
        newer = fake.place_order([("MUG-1", 2)])
        again, _ = await pull_all(connector, cursor)

        assert [o.platform_order_id for o in again] == [placed[5], newer]
        assert again[0].state is PlatformOrderState.CANCELLED

    async def test_changes_within_one_second_are_neither_lost_nor_repeated(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.seconds_per_change = 0
        first = [fake.place_order([("MUG-1", 1)]) for _ in range(3)]
        _, cursor = await pull_all(connector, None)
        later = fake.place_order([("MUG-1", 1)])  # the same second as the cursor

        again, _ = await pull_all(connector, cursor)

        assert len(first) == 3
        assert [o.platform_order_id for o in again] == [later]

    async def test_a_long_pull_stays_within_the_quota(
        self, fake: FakeBigCommerce, clock: MovableClock, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        for _ in range(260):
            fake.place_order([("MUG-1", 1)])
        start = clock.now()

        orders, _ = await pull_all(connector, None)

        # Two calls an order plus the pages: about 523 requests at 150 per 30 s.
        assert len(orders) == 260
        assert fake.rate_limited == 0
        assert clock.now() - start >= 3 * 29

    async def test_a_429_from_a_shared_quota_is_waited_out(
        self, fake: FakeBigCommerce, clock: MovableClock, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        await connector.check()
        fake.use_quota(200)  # another app on the store spends the rest of the window
        start = clock.now()

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id
        assert fake.rate_limited == 1
        assert clock.now() - start >= 29


class TestPlatformDown:
    async def test_a_5xx_then_success_is_retried(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        fake.fail_next(2, status=503)

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id

    async def test_persistent_5xx_pushes_nothing(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.fail_next(50, status=500)

        with pytest.raises(PlatformUnavailable):
            await connector.push_stock([StockQuantity(Listing(sku="MUG-1"), 5)])
        assert fake.available("MUG-1") is None

    async def test_timeouts_raise_unavailable(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector, transport: TimingOut
    ) -> None:
        transport.time_out_next(50)

        with pytest.raises(PlatformUnavailable):
            await connector.check()

    async def test_a_wrong_token_is_refused(
        self, fake: FakeBigCommerce, clock: MovableClock, transport: TimingOut
    ) -> None:
        wrong = build(fake, clock, transport, credentials={**fake.credentials, "access_token": "x"})

        with pytest.raises(CredentialsRefused):
            await wrong.check()


class TestStockOut:
    async def test_skus_go_in_the_fewest_batches_and_the_store_holds_them(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        skus = [f"SKU-{n:04d}" for n in range(4500)]
        for sku in skus:
            fake.add_product(sku)
        listings = {listing.sku: listing async for page in connector.listings() for listing in page}

        result = await connector.push_stock(
            [StockQuantity(listings[sku], n % 17) for n, sku in enumerate(skus)]
        )

        assert result.pushed == 4500 and not result.refused
        assert fake.calls("PUT", ADJUST) == 3
        assert fake.available("SKU-0000") == 0 and fake.available("SKU-4499") == 4499 % 17

    async def test_an_unknown_sku_is_refused_alone(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        for sku in ("A", "B", "C"):
            fake.add_product(sku)

        result = await connector.push_stock(
            [StockQuantity(Listing(sku=s), 4) for s in ("A", "GHOST", "B", "C")]
        )

        assert result.pushed == 3
        assert set(result.refused) == {"GHOST"} and "not found" in result.refused["GHOST"]
        assert [fake.available(s) for s in ("A", "B", "C")] == [4, 4, 4]

    async def test_the_location_comes_from_the_quantity_or_the_setting(
        self, fake: FakeBigCommerce, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        fake.locations.add(3)
        at_three = build(fake, clock, transport, settings={"location_id": 3})

        await at_three.push_stock([StockQuantity(Listing(sku="A"), 9)])
        await at_three.push_stock([StockQuantity(Listing(sku="A"), 2, platform_location="1")])

        assert fake.available("A", "3") == 9 and fake.available("A", "1") == 2


class TestFulfillmentAndCancellationOut:
    async def test_a_shipment_is_recorded_with_tracking_and_lines(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.add_product("TEE-M")
        order_id = fake.place_order([("MUG-1", 2), ("TEE-M", 1)])
        order = await connector.fetch_order(order_id)
        mug = order.lines[0]
        push = FulfillmentPush(
            platform_order_id=order_id,
            lines=(FulfilledLine(mug.platform_line_id, "MUG-1", 2),),
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            tracking_url=None,
            shipped_at=utcnow(),
            reference="ful_1",
        )

        shipment_id = await connector.push_fulfillment(push)
        again = await connector.push_fulfillment(push)

        (shipment,) = fake.shipments_of(order_id)
        assert again == shipment_id == str(shipment["id"])
        assert shipment["tracking_number"] == "1Z999AA10123456784"
        assert shipment["shipping_provider"] == "ups"
        assert shipment["items"] == [{"order_product_id": int(mug.platform_line_id), "quantity": 2}]
        assert fake.orders[int(order_id)]["status"] == "Partially Shipped"

    async def test_an_unlisted_carrier_goes_as_a_tracking_carrier(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        line = (await connector.fetch_order(order_id)).lines[0]

        await connector.push_fulfillment(
            FulfillmentPush(
                platform_order_id=order_id,
                lines=(FulfilledLine(line.platform_line_id, "MUG-1", 1),),
                carrier="DHL Express",
                tracking_number="JD0123",
                tracking_url=None,
                shipped_at=utcnow(),
            )
        )

        (shipment,) = fake.shipments_of(order_id)
        assert (shipment["shipping_provider"], shipment["tracking_carrier"]) == ("", "dhl-express")
        assert fake.orders[int(order_id)]["status"] == "Shipped"

    async def test_shipping_more_than_is_unshipped_is_refused(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        line = (await connector.fetch_order(order_id)).lines[0]

        with pytest.raises(PlatformRefused):
            await connector.push_fulfillment(
                FulfillmentPush(
                    platform_order_id=order_id,
                    lines=(FulfilledLine(line.platform_line_id, "MUG-1", 2),),
                    carrier=None,
                    tracking_number=None,
                    tracking_url=None,
                    shipped_at=utcnow(),
                )
            )
        assert fake.shipments_of(order_id) == []

    async def test_a_cancellation_sets_the_status_cancelled(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])

        await connector.push_cancellation(order_id, reason="customer asked")

        assert fake.orders[int(order_id)]["status_id"] == 5
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.CANCELLED


class TestSubscriptionsAndCatalog:
    async def test_register_webhooks_subscribes_each_order_scope_once(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        topics = await connector.register_webhooks(HOOK_URL)
        await connector.register_webhooks(HOOK_URL)

        assert sorted(h["scope"] for h in fake.hooks.values()) == sorted(topics)
        assert "store/order/statusUpdated" in topics
        assert all(h["destination"] == HOOK_URL for h in fake.hooks.values())

    async def test_a_destination_that_is_not_https_on_443_is_refused(
        self, connector: BigCommerceConnector
    ) -> None:
        with pytest.raises(PlatformRefused):
            await connector.register_webhooks("https://orderly.example.com:8443/hooks")

    async def test_listings_page_through_the_catalog(
        self, fake: FakeBigCommerce, connector: BigCommerceConnector
    ) -> None:
        for n in range(600):
            fake.add_product(f"SKU-{n}", variant=n % 2 == 0)

        pages = [page async for page in connector.listings()]

        skus = [listing.sku for page in pages for listing in page]
        assert len(pages) == 4  # 900 variants, 250 a page; base variants of options have no SKU
        assert sorted(skus) == sorted(f"SKU-{n}" for n in range(600))
        assert all(listing.variant_id and listing.product_id for page in pages for listing in page)
