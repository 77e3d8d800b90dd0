"""The WooCommerce connector against a fake shop that answers as WooCommerce documents: webhooks
in, orders pulled, stock, shipments and cancellations out, through its auth and its limits."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
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
from orderly.connections.platforms.woocommerce.connector import ORDER_TOPICS, WooCommerceConnector
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
from tests.clock import MovableClock
from tests.connections.fakes.shop import FakeShop
from tests.connections.fakes.woocommerce import FakeWooCommerce
from tests.transports import TimingOut

HOOK_URL = "https://orderly.example/hooks/woocommerce/42"


def connect(
    fake: FakeWooCommerce,
    *,
    scheme: str = "https",
    credentials: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WooCommerceConnector:
    client = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=fake.app))
    http = platform_client(client, platform="woocommerce", clock=fake.clock)
    access = PlatformAccess(
        base_url=f"{scheme}://{fake.host}{fake.base_path}",
        credentials=credentials or fake.credentials,
        settings=settings or {},
        http=http,
    )
    return WooCommerceConnector(access)


def inbound(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest(
        url=HOOK_URL, headers={k.lower(): v for k, v in headers.items()}, body=body
    )


def test_the_fake_offers_what_every_fake_shop_does() -> None:
    shop: FakeShop = FakeWooCommerce(MovableClock())
    assert shop.platform == WooCommerceConnector.platform


@pytest.fixture
def fake() -> FakeWooCommerce:
    shop = FakeWooCommerce(MovableClock())
    for sku in ("MUG", "TEE", "CAP"):
        shop.add_product(sku)
    for sku in ("SOCK-S", "SOCK-M"):
        shop.add_product(sku, variant=True)
    return shop


class TestWebhooksIn:
    def test_a_signed_delivery_gives_its_event(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 2)])
        headers, body = fake.order_webhook(order_id, "created")
        event = connect(fake).read_webhook(inbound(headers, body))
        assert event is not None
        assert event.topic == "order.created"
        assert event.platform_order_id == order_id
        assert event.event_id.startswith(headers["X-WC-Webhook-Delivery-ID"])

    def test_the_same_delivery_twice_is_the_same_event(self, fake: FakeWooCommerce) -> None:
        headers, body = fake.order_webhook(fake.place_order([("MUG", 1)]), "updated")
        shop = connect(fake)
        first, again = (
            shop.read_webhook(inbound(headers, body)),
            shop.read_webhook(inbound(headers, body)),
        )
        assert first is not None and again is not None
        assert first.event_id == again.event_id

    def test_two_changes_sent_in_one_second_stay_two_events(self, fake: FakeWooCommerce) -> None:
        # WooCommerce's delivery id hashes the webhook id and the second it was sent.
        fake.wall_time = lambda: 1_800_000_000.0
        order_id = fake.place_order([("MUG", 1)])
        first = fake.order_webhook(order_id, "updated")
        fake.touch(order_id, status="on-hold")
        second = fake.order_webhook(order_id, "updated")
        assert first[0]["X-WC-Webhook-Delivery-ID"] == second[0]["X-WC-Webhook-Delivery-ID"]
        shop = connect(fake)
        a, b = shop.read_webhook(inbound(*first)), shop.read_webhook(inbound(*second))
        assert a is not None and b is not None and a.event_id != b.event_id

    def test_a_bad_or_missing_signature_is_refused(self, fake: FakeWooCommerce) -> None:
        headers, body = fake.order_webhook(fake.place_order([("MUG", 1)]), "created")
        shop = connect(fake)
        with pytest.raises(WebhookRefused):
            shop.read_webhook(inbound(headers, body.replace(b'"MUG"', b'"TEE"')))
        unsigned = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
        with pytest.raises(WebhookRefused):
            shop.read_webhook(inbound(unsigned, body))
        other = connect(fake, credentials={**fake.credentials, "webhook_secret": "other"})
        with pytest.raises(WebhookRefused):
            other.read_webhook(inbound(headers, body))

    def test_the_ping_is_answered_and_not_kept(self, fake: FakeWooCommerce) -> None:
        assert connect(fake).read_webhook(inbound(*fake.ping(7))) is None

    def test_only_the_ping_goes_unsigned(self, fake: FakeWooCommerce) -> None:
        with pytest.raises(WebhookRefused):
            connect(fake).read_webhook(inbound({}, b'{"id": 7}'))

    async def test_a_deleted_order_event_is_the_trashed_order(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.touch(order_id, status="trash")
        event = connect(fake).read_webhook(inbound(*fake.order_webhook(order_id, "deleted")))
        assert event is not None and event.payload == {"id": int(order_id)}
        order = await connect(fake).order_of_event(event)
        assert order is not None and order.state == PlatformOrderState.CANCELLED


class TestOrderMapping:
    async def test_the_event_maps_lines_taxes_discounts_shipping_and_addresses(
        self, fake: FakeWooCommerce
    ) -> None:
        order_id = fake.place_order(
            [("MUG", 3), ("SOCK-M", 1)],
            unit_price="12.50",
            tax_rate="0.1",
            discount="5.00",
            shipping="4.99",
        )
        event = connect(fake).read_webhook(inbound(*fake.order_webhook(order_id, "created")))
        assert event is not None
        order = await connect(fake).order_of_event(event)
        assert order is not None
        mug, sock = order.lines
        assert (mug.sku, mug.quantity, mug.unit_price_minor) == ("MUG", 3, 1250)
        assert (mug.discount_minor, mug.tax_minor) == (500, 325)
        assert sock.sku == "SOCK-M" and sock.variant_id is not None and sock.product_id
        assert (sock.unit_price_minor, sock.tax_minor) == (1250, 125)
        assert (order.shipping_minor, order.total_minor) == (499, 3250 + 1250 + 325 + 125 + 499)
        assert order.payment_status == PlatformPaymentStatus.CAPTURED
        assert order.state == PlatformOrderState.OPEN
        assert order.shipping_address is not None
        assert order.shipping_address.country == "US" and order.shipping_address.region == "CA"
        assert order.customer_email == "ada@example.com"
        assert order.customer_name == "Ada Lovelace"
        assert order.created_at.tzinfo is UTC

    async def test_yen_have_no_minor_digits(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("TEE", 2)], currency="JPY", unit_price="1500", shipping="500")
        order = await connect(fake).fetch_order(order_id)
        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1500
        assert (order.shipping_minor, order.total_minor) == (500, 3500)

    async def test_cancelled_and_refunded_orders(self, fake: FakeWooCommerce) -> None:
        cancelled = fake.place_order([("MUG", 1)], status="pending")
        fake.cancel_order(cancelled)
        order = await connect(fake).fetch_order(cancelled)
        assert order.state == PlatformOrderState.CANCELLED
        assert order.payment_status == PlatformPaymentStatus.VOIDED

        refunded = fake.place_order([("MUG", 2)])
        fake.refund_order(refunded, "5.00")
        partly = await connect(fake).fetch_order(refunded)
        assert partly.payment_status == PlatformPaymentStatus.PARTIALLY_REFUNDED
        assert partly.refunded_minor == 500 and partly.state == PlatformOrderState.OPEN
        fake.refund_order(refunded, "20.00")
        whole = await connect(fake).fetch_order(refunded)
        assert whole.payment_status == PlatformPaymentStatus.REFUNDED
        assert whole.state == PlatformOrderState.CANCELLED

    async def test_cash_on_delivery_is_processing_but_unpaid(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.touch(order_id, date_paid_gmt=None, payment_method="cod")
        order = await connect(fake).fetch_order(order_id)
        assert order.payment_status == PlatformPaymentStatus.PENDING

    async def test_an_unknown_order_is_refused(self, fake: FakeWooCommerce) -> None:
        with pytest.raises(PlatformRefused, match="woocommerce_rest_shop_order_invalid_id"):
            await connect(fake).fetch_order("999999")


async def pull(shop: WooCommerceConnector, cursor: str | None) -> tuple[list[str], str | None]:
    seen: list[str] = []
    async for page in shop.orders_changed_since(cursor):
        seen += [order.platform_order_id for order in page.orders]
        cursor = page.cursor
    return seen, cursor


class TestPull:
    async def test_hundreds_of_orders_come_once_oldest_change_first(
        self, fake: FakeWooCommerce
    ) -> None:
        placed = [fake.place_order([("MUG", 1)]) for _ in range(250)]
        shop = connect(fake)
        seen, cursor = await pull(shop, None)
        assert seen == placed
        assert cursor is not None

        fake.touch(placed[10], status="completed")
        newer = fake.place_order([("TEE", 1)])
        again, moved = await pull(shop, cursor)
        assert again == [placed[10], newer]
        assert moved != cursor
        assert (await pull(shop, moved))[0] == []

    async def test_orders_changed_in_the_same_second_are_not_lost(
        self, fake: FakeWooCommerce
    ) -> None:
        fake.step = fake.step * 0  # the shop's clock stands still: one second for all
        placed = [fake.place_order([("CAP", 1)]) for _ in range(230)]
        seen, cursor = await pull(connect(fake), None)
        assert seen == placed
        late = fake.place_order([("CAP", 2)])
        assert (await pull(connect(fake), cursor))[0] == [late]

    async def test_an_order_changed_during_the_pull_is_not_skipped(
        self, fake: FakeWooCommerce
    ) -> None:
        placed = [fake.place_order([("MUG", 1)]) for _ in range(150)]
        seen: list[str] = []
        async for page in connect(fake).orders_changed_since(None):
            if not seen:
                fake.touch(placed[5], status="on-hold")  # moves to the end
            seen += [o.platform_order_id for o in page.orders]
        assert set(seen) == set(placed)

    async def test_a_host_rate_limit_is_waited_out(self) -> None:
        fake = FakeWooCommerce(MovableClock(), rate_limit=(2, 10.0))
        fake.add_product("MUG")
        placed = [fake.place_order([("MUG", 1)]) for _ in range(500)]
        start = fake.clock.now()
        seen, _ = await pull(connect(fake), None)
        assert seen == placed
        assert fake.rate_limited > 0
        assert fake.clock.now() - start >= 10.0  # six calls at two per ten seconds
        assert sum(fake.clock.slept) >= 10.0


class TestPlatformDown:
    async def test_a_5xx_then_success_is_retried(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.fail_next(2, status=503)
        assert (await connect(fake).fetch_order(order_id)).platform_order_id == order_id

    async def test_persistent_5xx_is_unavailable_and_nothing_is_pushed(
        self, fake: FakeWooCommerce
    ) -> None:
        listing = Listing(sku="MUG", product_id=str(fake.product_of("MUG")["id"]))  # type: ignore[index]
        fake.fail_next(50, status=502)
        with pytest.raises(PlatformUnavailable):
            await connect(fake).push_stock([StockQuantity(listing, 5)])
        assert fake.available("MUG") is None

    async def test_timeouts_are_unavailable(self, fake: FakeWooCommerce) -> None:
        transport = TimingOut(httpx.ASGITransport(app=fake.app))
        transport.time_out_next(50)
        with pytest.raises(PlatformUnavailable, match="timed out"):
            await connect(fake, transport=transport).check()
        transport.failures = 0
        transport.time_out_next(1)
        await connect(fake, transport=transport).check()

    async def test_wrong_keys_are_refused(self, fake: FakeWooCommerce) -> None:
        wrong = {**fake.credentials, "consumer_secret": "cs_wrong"}
        with pytest.raises(CredentialsRefused, match="Consumer secret is invalid"):
            await connect(fake, credentials=wrong).check()
        unknown = {**fake.credentials, "consumer_key": "ck_unknown"}
        with pytest.raises(CredentialsRefused, match="woocommerce_rest_cannot_view"):
            await connect(fake, credentials=unknown).check()


class TestPlainHttp:
    async def test_oauth_signing_is_accepted(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 1)])
        shop = connect(fake, scheme="http")
        await shop.check()
        assert (await shop.fetch_order(order_id)).platform_order_id == order_id
        await shop.push_cancellation(order_id, reason="customer asked")
        assert fake.orders[int(order_id)]["status"] == "cancelled"

    async def test_basic_auth_over_plain_http_is_refused(self, fake: FakeWooCommerce) -> None:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
        keys = fake.credentials
        response = await client.get(
            f"http://{fake.host}/wp-json/wc/v3/orders",
            auth=(keys["consumer_key"], keys["consumer_secret"]),
        )
        assert response.status_code == 401
        assert response.json()["code"] == "woocommerce_rest_cannot_view"

    async def test_a_stale_timestamp_or_wrong_secret_is_refused(
        self, fake: FakeWooCommerce
    ) -> None:
        fake.wall_time = lambda: time.time() + 3600
        with pytest.raises(CredentialsRefused, match="Invalid timestamp"):
            await connect(fake, scheme="http").check()
        fake.wall_time = time.time
        wrong = {**fake.credentials, "consumer_secret": "cs_wrong"}
        with pytest.raises(CredentialsRefused, match="signature does not match"):
            await connect(fake, scheme="http", credentials=wrong).check()

    async def test_a_replayed_nonce_is_refused(self, fake: FakeWooCommerce) -> None:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
        shop = connect(fake, scheme="http")
        request = client.build_request("GET", f"http://{fake.host}/wp-json/wc/v3/orders")
        signed = next(shop._auth.auth_flow(request))
        assert (await client.send(signed)).status_code == 200
        replay = await client.send(signed)
        assert replay.status_code == 401
        assert "nonce" in replay.json()["message"]


class TestStockOut:
    async def test_skus_go_in_the_fewest_batches_and_the_shop_holds_them(self) -> None:
        fake = FakeWooCommerce(MovableClock())
        for n in range(230):
            fake.add_product(f"SKU-{n:03}")
        for n in range(30):
            fake.add_product(f"VAR-{n:02}", variant=True)
        shop = connect(fake)
        listings = [listing async for page in shop.listings() for listing in page]
        assert len(listings) == 260
        result = await shop.push_stock([StockQuantity(li, 7) for li in listings])
        assert (result.pushed, dict(result.refused)) == (260, {})
        assert [count for _, count in fake.batch_calls] == [100, 100, 30, 30]
        assert fake.available("SKU-229") == 7 and fake.available("VAR-29") == 7

    async def test_unknown_items_come_back_refused(self, fake: FakeWooCommerce) -> None:
        mug = fake.product_of("MUG")
        assert mug is not None
        result = await connect(fake).push_stock(
            [
                StockQuantity(Listing(sku="MUG", product_id=str(mug["id"])), 3),
                StockQuantity(Listing(sku="GONE", product_id="999999"), 1),
                StockQuantity(Listing(sku="NEVER-SYNCED"), 1),
                StockQuantity(Listing(sku="ORPHAN", product_id="999998", variant_id="5"), 1),
            ]
        )
        assert result.pushed == 1 and fake.available("MUG") == 3
        assert "woocommerce_rest_product_invalid_id" in result.refused["GONE"]
        assert set(result.refused) == {"GONE", "NEVER-SYNCED", "ORPHAN"}

    async def test_a_rate_limited_big_push_finishes(self) -> None:
        fake = FakeWooCommerce(MovableClock(), rate_limit=(1, 5.0))
        for n in range(300):
            fake.add_product(f"SKU-{n:03}")
        listings = [Listing(sku=p["sku"], product_id=str(p["id"])) for p in fake.products.values()]
        result = await connect(fake).push_stock([StockQuantity(li, 2) for li in listings])
        assert result.pushed == 300
        assert fake.rate_limited >= 2 and sum(fake.clock.slept) >= 10.0

    async def test_the_shop_refuses_a_batch_over_its_limit(self, fake: FakeWooCommerce) -> None:
        shop = connect(fake)
        with pytest.raises(PlatformRefused, match="woocommerce_rest_request_entity_too_large"):
            await shop.api("POST", "/products/batch", json={"update": [{"id": 1}] * 101})


def shipment(order_id: str, fake: FakeWooCommerce, **extra: Any) -> FulfillmentPush:
    lines = tuple(
        FulfilledLine(platform_line_id=str(item["id"]), sku=item["sku"], quantity=item["quantity"])
        for item in fake.orders[int(order_id)]["line_items"]
    )
    return FulfillmentPush(
        platform_order_id=order_id,
        lines=lines,
        carrier=extra.get("carrier", "UPS"),
        tracking_number=extra.get("tracking_number", "1Z999"),
        tracking_url=extra.get("tracking_url"),
        shipped_at=datetime(2026, 11, 26, 12, tzinfo=UTC),
        reference="fo_1",
    )


class TestFulfillmentOut:
    async def test_tracking_lines_and_completion(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 2), ("TEE", 1)])
        shop = connect(fake)
        answer = await shop.push_fulfillment(shipment(order_id, fake))
        [recorded] = fake.shipments_of(order_id)
        assert recorded["tracking_number"] == "1Z999" and recorded["carrier"] == "UPS"
        assert answer == fake.trackings[int(order_id)][0]["tracking_id"]
        [note] = fake.notes_of(order_id)
        assert "2 x MUG" in note["note"] and "1 x TEE" in note["note"]
        assert fake.orders[int(order_id)]["status"] == "completed"
        again = await shop.push_fulfillment(shipment(order_id, fake))
        assert again == answer and len(fake.shipments_of(order_id)) == 1

    async def test_without_the_extension_the_customer_gets_a_note(self) -> None:
        fake = FakeWooCommerce(MovableClock(), shipment_tracking=False)
        fake.add_product("MUG")
        order_id = fake.place_order([("MUG", 1)])
        await connect(fake).push_fulfillment(
            shipment(order_id, fake, carrier="DHL", tracking_number="JD01")
        )
        [recorded] = fake.shipments_of(order_id)
        assert recorded["tracking_number"] == "JD01" and "DHL" in recorded["note"]
        assert fake.notes_of(order_id)[0]["customer_note"] is True
        assert fake.orders[int(order_id)]["status"] == "completed"

    async def test_a_partial_shipment_leaves_the_order_open(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 2), ("TEE", 1)])
        push = shipment(order_id, fake)
        partial = dataclasses.replace(push, lines=push.lines[:1])
        await connect(fake).push_fulfillment(partial)
        assert fake.orders[int(order_id)]["status"] == "processing"
        assert len(fake.shipments_of(order_id)) == 1


class TestCancellation:
    async def test_cancellation_out_and_back_in(self, fake: FakeWooCommerce) -> None:
        order_id = fake.place_order([("MUG", 1)])
        shop = connect(fake)
        await shop.push_cancellation(order_id, reason="out of stock")
        assert fake.orders[int(order_id)]["status"] == "cancelled"
        assert "out of stock" in fake.notes_of(order_id)[0]["note"]
        event = shop.read_webhook(inbound(*fake.order_webhook(order_id, "updated")))
        assert event is not None
        order = await shop.order_of_event(event)
        assert order is not None and order.state == PlatformOrderState.CANCELLED


class TestSetup:
    async def test_register_webhooks_subscribes_each_order_topic_once(
        self, fake: FakeWooCommerce
    ) -> None:
        shop = connect(fake)
        assert await shop.register_webhooks(HOOK_URL) == list(ORDER_TOPICS)
        assert sorted(h["topic"] for h in fake.webhooks.values()) == sorted(ORDER_TOPICS)
        assert all(
            h["secret"] == fake.credentials["webhook_secret"] for h in fake.webhooks.values()
        )
        next(iter(fake.webhooks.values()))["status"] = "disabled"
        await shop.register_webhooks(HOOK_URL)
        assert len(fake.webhooks) == 4
        assert all(h["status"] == "active" for h in fake.webhooks.values())

    async def test_the_shop_refuses_a_webhook_without_a_url(self, fake: FakeWooCommerce) -> None:
        with pytest.raises(PlatformRefused, match="rest_missing_callback_param"):
            await connect(fake).api("POST", "/webhooks", json={"topic": "order.created"})

    async def test_listings_page_through_products_and_variations(self) -> None:
        fake = FakeWooCommerce(MovableClock())
        for n in range(120):
            fake.add_product(f"SKU-{n:03}")
        fake.add_product("VAR-A", variant=True)
        pages = [page async for page in connect(fake).listings()]
        flat = [listing for page in pages for listing in page]
        assert len(pages) == 3 and len(flat) == 121
        [variation] = [li for li in flat if li.sku == "VAR-A"]
        assert variation.variant_id is not None and variation.product_id is not None

    async def test_the_shop_refuses_a_page_over_100(self, fake: FakeWooCommerce) -> None:
        with pytest.raises(PlatformRefused, match="rest_invalid_param"):
            await connect(fake).api("GET", "/orders", params={"per_page": 101})

    async def test_the_shop_reads_a_body_only_when_sent_as_json(
        self, fake: FakeWooCommerce
    ) -> None:
        order_id = fake.place_order([("MUG", 1)])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
        keys = fake.credentials
        response = await client.post(
            f"https://{fake.host}/wp-json/wc/v3/orders/{order_id}/notes",
            content=b'{"note": "hello"}',
            headers={"Content-Type": "text/plain"},
            auth=(keys["consumer_key"], keys["consumer_secret"]),
        )
        assert response.status_code == 400
        assert response.json()["code"] == "rest_missing_callback_param"
