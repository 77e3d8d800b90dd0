"""The Shopify connector against a fake shop built from Shopify's documentation: webhooks in,
orders pulled, stock, fulfillments and cancellations out, and Shopify's cost-based rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise

import httpx
import pytest

from orderly.connections.errors import (
    CredentialsRefused,
    PlatformRefused,
    PlatformUnavailable,
    WebhookRefused,
)
from orderly.connections.platform_http import platform_client
from orderly.connections.platforms.shopify.connector import ShopifyConnector
from orderly.connections.port import (
    FulfilledLine,
    FulfillmentPush,
    InboundRequest,
    Listing,
    OrderPage,
    PlatformAccess,
    PlatformOrderState,
    PlatformPaymentStatus,
    StockQuantity,
)
from orderly.kit.vendor_http import RetryPolicy
from tests.clock import MovableClock
from tests.connections.fakes.shop import FakeShop
from tests.connections.fakes.shopify import RESTORE_RATE, FakeShopify
from tests.transports import TimingOut

HOOK_URL = "https://orderly.example.com/hooks/shopify/42"


@dataclass
class Harness:
    shop: FakeShopify
    connector: ShopifyConnector
    clock: MovableClock
    transport: TimingOut


@pytest.fixture
def harness() -> Harness:
    clock = MovableClock()
    shop = FakeShopify(clock)
    return _harness(shop, shop.credentials)


def _harness(shop: FakeShopify, credentials: dict[str, str], **settings: object) -> Harness:
    transport = TimingOut(httpx.ASGITransport(app=shop.app))
    client = httpx.AsyncClient(transport=transport, base_url="https://orderly-test.myshopify.com")
    http = platform_client(
        client, platform="shopify", clock=shop.clock, policy=RetryPolicy(attempts=3)
    )
    access = PlatformAccess(
        base_url="https://orderly-test.myshopify.com",
        credentials=credentials,
        settings=settings,
        http=http,
    )
    return Harness(shop, ShopifyConnector(access), shop.clock, transport)


def _inbound(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest(
        url=HOOK_URL, headers={k.lower(): v for k, v in headers.items()}, body=body
    )


async def _all(pages: AsyncIterator[OrderPage]) -> list[OrderPage]:
    return [page async for page in pages]


def test_the_fake_offers_what_every_fake_shop_offers() -> None:
    shop: FakeShop = FakeShopify(MovableClock())
    assert shop.platform == "shopify"


class TestWebhooksIn:
    def test_a_signed_webhook_gives_the_event(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        order_id = harness.shop.place_order([("MUG", 2)])
        headers, body = harness.shop.order_webhook(order_id, "created")
        event = harness.connector.read_webhook(_inbound(headers, body))
        assert event is not None
        assert event.topic == "orders/create"
        assert event.platform_order_id == order_id
        assert event.event_id == f"{headers['X-Shopify-Event-Id']}:orders/create"

    def test_the_same_delivery_twice_is_the_same_event(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        headers, body = harness.shop.order_webhook(
            harness.shop.place_order([("MUG", 1)]), "updated"
        )
        first = harness.connector.read_webhook(_inbound(headers, body))
        again = harness.connector.read_webhook(_inbound(headers, body))
        assert first is not None and again is not None
        assert first.event_id == again.event_id

    def test_one_action_on_two_topics_is_two_events(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        headers, body = harness.shop.order_webhook(
            harness.shop.place_order([("MUG", 1)]), "updated"
        )
        paid = {**headers, "X-Shopify-Topic": "orders/paid"}
        updated = harness.connector.read_webhook(_inbound(headers, body))
        also_paid = harness.connector.read_webhook(_inbound(paid, body))
        assert updated is not None and also_paid is not None
        assert updated.event_id != also_paid.event_id

    def test_a_bad_or_missing_signature_is_refused(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        headers, body = harness.shop.order_webhook(
            harness.shop.place_order([("MUG", 1)]), "created"
        )
        with pytest.raises(WebhookRefused):
            harness.connector.read_webhook(_inbound(headers, body.replace(b"MUG", b"CUP")))
        unsigned = {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}
        with pytest.raises(WebhookRefused):
            harness.connector.read_webhook(_inbound(unsigned, body))

    async def test_the_order_of_an_event_maps_in_minor_units(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        harness.shop.add_product("TEA")
        order_id = harness.shop.place_order(
            [("MUG", 2), ("TEA", 1)],
            unit_price="12.50",
            tax_rate="0.10",
            line_discount="1.00",
            shipping="4.90",
            shipping_tax="0.49",
            shipping_discount="0.90",
        )
        headers, body = harness.shop.order_webhook(order_id, "created")
        event = harness.connector.read_webhook(_inbound(headers, body))
        assert event is not None
        order = await harness.connector.order_of_event(event)
        assert order is not None
        mug = next(line for line in order.lines if line.sku == "MUG")
        assert (mug.quantity, mug.unit_price_minor, mug.discount_minor, mug.tax_minor) == (
            2, 1250, 100, 240,
        )  # fmt: skip
        assert order.currency == "USD"
        assert order.number.startswith("#")
        assert order.shipping_minor == 490 and order.shipping_tax_minor == 49
        assert order.order_discount_minor == 90
        assert order.total_minor == 2400 + 1150 + 240 + 115 + 490 + 49 - 90
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.state is PlatformOrderState.OPEN
        assert order.shipping_address is not None
        assert order.shipping_address.country == "US" and order.shipping_address.region == "IL"
        assert order.customer_email == "ada@example.com"
        # The pull reads the same order through the GraphQL API: it maps the same.
        assert await harness.connector.fetch_order(order_id) == order

    async def test_a_yen_order_has_no_minor_digits(self, harness: Harness) -> None:
        harness.shop.add_product("TEA")
        order_id = harness.shop.place_order([("TEA", 3)], currency="JPY", unit_price="1500")
        headers, body = harness.shop.order_webhook(order_id, "created")
        event = harness.connector.read_webhook(_inbound(headers, body))
        assert event is not None
        order = await harness.connector.order_of_event(event)
        assert order is not None
        assert order.currency == "JPY" and order.lines[0].unit_price_minor == 1500
        assert order.total_minor == 4500

    async def test_a_cancelled_and_refunded_order(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        order_id = harness.shop.place_order([("MUG", 2)])
        harness.shop.refund_order(order_id, "20.00")
        harness.shop.cancel_order(order_id)
        headers, body = harness.shop.order_webhook(order_id, "cancelled")
        event = harness.connector.read_webhook(_inbound(headers, body))
        assert event is not None and event.topic == "orders/cancelled"
        for order in (await harness.connector.order_of_event(event),
                      await harness.connector.fetch_order(order_id)):  # fmt: skip
            assert order is not None
            assert order.state is PlatformOrderState.CANCELLED
            assert order.payment_status is PlatformPaymentStatus.REFUNDED
            assert order.refunded_minor == 2000


class TestPull:
    async def test_pages_bring_every_order_once_oldest_change_first(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        placed = [harness.shop.place_order([("MUG", 1 + n % 3)]) for n in range(120)]
        pages = await _all(harness.connector.orders_changed_since(None))
        pulled = [order for page in pages for order in page.orders]
        assert [order.platform_order_id for order in pulled] == placed
        assert len(pages) == 24
        assert all(a.updated_at <= b.updated_at for a, b in pairwise(pulled))
        assert pages[-1].cursor is not None and pages[0].cursor != pages[-1].cursor

    async def test_a_pull_from_the_last_cursor_brings_only_newer_changes(
        self, harness: Harness
    ) -> None:
        harness.shop.add_product("MUG")
        for _ in range(7):
            harness.shop.place_order([("MUG", 1)])
        pages = await _all(harness.connector.orders_changed_since(None))
        cursor = pages[-1].cursor
        newer = harness.shop.place_order([("MUG", 2)])
        harness.shop.cancel_order(newer)
        again = await _all(harness.connector.orders_changed_since(cursor))
        pulled = [order for page in again for order in page.orders]
        assert [order.platform_order_id for order in pulled] == [newer]
        assert pulled[0].state is PlatformOrderState.CANCELLED

    async def test_an_order_with_many_lines_comes_whole(self, harness: Harness) -> None:
        skus = [f"SKU-{n:03}" for n in range(70)]
        for sku in skus:
            harness.shop.add_product(sku)
        order_id = harness.shop.place_order([(sku, 1) for sku in skus])
        order = await harness.connector.fetch_order(order_id)
        assert [line.sku for line in order.lines] == skus

    async def test_a_long_pull_stays_inside_the_cost_bucket(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        for _ in range(300):
            harness.shop.place_order([("MUG", 1)])
        start = harness.clock.now()
        pages = await _all(harness.connector.orders_changed_since(None))
        assert sum(len(page.orders) for page in pages) == 300
        assert harness.shop.rate_limited == 0
        # Each page asks for ~940 points and 60 pages outrun a 2,000-point bucket: the connector
        # waited for the bucket to refill rather than be throttled.
        assert harness.clock.now() - start > 0
        assert sum(harness.clock.slept) > 10

    async def test_a_throttled_answer_is_waited_out(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        harness.shop.place_order([("MUG", 1)])
        harness.shop._available = 0  # another app of the same shop drained the bucket
        pages = await _all(harness.connector.orders_changed_since(None))
        assert len(pages[0].orders) == 1
        assert harness.shop.rate_limited == 1
        assert sum(harness.clock.slept) >= 900 / RESTORE_RATE


class TestPlatformDown:
    async def test_5xx_then_success_is_retried(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        order_id = harness.shop.place_order([("MUG", 1)])
        harness.shop.fail_next(2, status=502)
        assert (await harness.connector.fetch_order(order_id)).platform_order_id == order_id

    async def test_persistent_5xx_pushes_nothing(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        harness.shop.fail_next(10)
        listing = Listing(sku="MUG")
        with pytest.raises(PlatformUnavailable):
            await harness.connector.push_stock([StockQuantity(listing=listing, available=5)])
        assert harness.shop.available("MUG") is None

    async def test_timeouts_are_unavailable(self, harness: Harness) -> None:
        harness.transport.time_out_next(10)
        with pytest.raises(PlatformUnavailable):
            await harness.connector.check()

    async def test_a_wrong_token_is_refused_credentials(self, harness: Harness) -> None:
        wrong = _harness(harness.shop, {**harness.shop.credentials, "access_token": "shpat_nope"})
        with pytest.raises(CredentialsRefused):
            await wrong.connector.check()
        await harness.connector.check()


class TestCatalogAndStock:
    async def test_listings_page_through_the_catalog(self, harness: Harness) -> None:
        for n in range(230):
            harness.shop.add_product(f"SKU-{n:03}", variant=n % 2 == 1)
        pages = [page async for page in harness.connector.listings()]
        assert len(pages) == 3
        listings = [listing for page in pages for listing in page]
        assert len({listing.sku for listing in listings}) == 230
        assert all(listing.inventory_item_id and listing.product_id for listing in listings)

    async def test_stock_goes_out_in_the_fewest_calls(self, harness: Harness) -> None:
        for n in range(600):
            harness.shop.add_product(f"SKU-{n:03}")
        listings = [listing async for page in harness.connector.listings() for listing in page]
        result = await harness.connector.push_stock(
            [StockQuantity(listing=listing, available=n) for n, listing in enumerate(listings)]
        )
        assert result.pushed == 600 and not result.refused
        assert harness.shop.mutations["inventorySetQuantities"] == 3
        assert harness.shop.available("SKU-599") == 599
        assert harness.shop.rate_limited == 0

    async def test_unknown_skus_are_refused_and_the_rest_set(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        harness.shop.add_product("TEA")
        result = await harness.connector.push_stock(
            [
                StockQuantity(listing=Listing(sku="MUG"), available=4),
                StockQuantity(listing=Listing(sku="GHOST"), available=1),
                StockQuantity(listing=Listing(sku="LOST", inventory_item_id="999"), available=2),
                StockQuantity(listing=Listing(sku="TEA"), available=9, platform_location="1002"),
            ]
        )
        assert result.pushed == 2
        assert set(result.refused) == {"GHOST", "LOST"}
        assert harness.shop.available("MUG") == 4
        assert harness.shop.available("TEA", "1002") == 9

    async def test_the_configured_location_is_used(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        at_warehouse = _harness(harness.shop, harness.shop.credentials, location_id="1002")
        await at_warehouse.connector.push_stock(
            [StockQuantity(listing=Listing(sku="MUG"), available=3)]
        )
        assert harness.shop.available("MUG", "1002") == 3
        assert harness.shop.available("MUG") is None


class TestFulfillmentAndCancellation:
    async def test_a_shipment_is_recorded_with_its_tracking(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        harness.shop.add_product("TEA")
        order_id = harness.shop.place_order([("MUG", 2), ("TEA", 1)])
        order = await harness.connector.fetch_order(order_id)
        mug = next(line for line in order.lines if line.sku == "MUG")
        push = FulfillmentPush(
            platform_order_id=order_id,
            lines=(FulfilledLine(platform_line_id=mug.platform_line_id, sku="MUG", quantity=2),),
            carrier="UPS",
            tracking_number="1Z999",
            tracking_url="https://ups.example/1Z999",
            shipped_at=datetime(2026, 11, 3, tzinfo=UTC),
        )
        made = await harness.connector.push_fulfillment(push)
        [shipment] = harness.shop.shipments_of(order_id)
        assert (shipment["tracking_number"], shipment["carrier"]) == ("1Z999", "UPS")
        assert [(line["sku"], line["quantity"]) for line in shipment["lines"]] == [("MUG", 2)]
        # A retry (its first answer lost) finds the fulfillment it made: nothing more recorded.
        assert await harness.connector.push_fulfillment(push) == made
        # The same lines under another parcel are more than is open: refused.
        with pytest.raises(PlatformRefused):
            await harness.connector.push_fulfillment(replace(push, tracking_number="1Z000"))
        assert len(harness.shop.shipments_of(order_id)) == 1

    async def test_cancellation_out_cancels_and_maps_back(self, harness: Harness) -> None:
        harness.shop.add_product("MUG")
        order_id = harness.shop.place_order([("MUG", 1)])
        await harness.connector.push_cancellation(order_id, reason="customer")
        order = await harness.connector.fetch_order(order_id)
        assert order.state is PlatformOrderState.CANCELLED
        assert order.payment_status is PlatformPaymentStatus.REFUNDED
        with pytest.raises(PlatformRefused):
            await harness.connector.push_cancellation(order_id, reason="customer")

    async def test_an_unknown_order_is_refused(self, harness: Harness) -> None:
        with pytest.raises(PlatformRefused):
            await harness.connector.fetch_order("123")


class TestWebhookSubscriptions:
    async def test_register_subscribes_each_topic_once(self, harness: Harness) -> None:
        topics = await harness.connector.register_webhooks(HOOK_URL)
        assert topics == [
            "orders/create", "orders/updated", "orders/cancelled", "orders/paid", "refunds/create",
        ]  # fmt: skip
        assert {s["uri"] for s in harness.shop.subscriptions} == {HOOK_URL}
        assert await harness.connector.register_webhooks(HOOK_URL) == topics
        assert len(harness.shop.subscriptions) == 5

    async def test_a_plain_http_address_is_refused(self, harness: Harness) -> None:
        with pytest.raises(PlatformRefused):
            await harness.connector.register_webhooks("http://orderly.example.com/hooks")
