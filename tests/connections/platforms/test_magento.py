"""The Magento connector against a fake Magento store: OAuth-signed REST, a pull that loses
and repeats nothing, MSI stock, shipments and cancellations, and a host's rate limit."""

from __future__ import annotations

from collections.abc import Sequence
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
from orderly.connections.platforms.magento.connector import MagentoConnector
from orderly.connections.platforms.magento.mapping import channel_order
from orderly.connections.platforms.magento.oauth import MagentoOAuth
from orderly.connections.port import (
    ChannelOrder,
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
from tests.clock import MovableClock
from tests.connections.fakes.magento import FakeMagento
from tests.connections.fakes.shop import FakeShop
from tests.transports import TimingOut

BASE_URL = "https://shop.test"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeMagento:
    return FakeMagento(clock)


def connect(
    fake: FakeMagento,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> MagentoConnector:
    client = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=fake.app))
    http = platform_client(client, platform="magento", clock=fake.clock)
    access = PlatformAccess(
        base_url=BASE_URL + fake.base_path,
        credentials=credentials or fake.credentials,
        settings={"first_pull_days": 3650, **(settings or {})},
        http=http,
    )
    return MagentoConnector(access)


def signed_client(fake: FakeMagento) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app),
        base_url=f"{BASE_URL}/rest/default/V1",
        auth=MagentoOAuth(fake.credentials),
    )


async def pull(connector: MagentoConnector, cursor: str | None) -> list[OrderPage]:
    return [page async for page in connector.orders_changed_since(cursor)]


def orders_of(pages: Sequence[OrderPage]) -> list[ChannelOrder]:
    return [order for page in pages for order in page.orders]


def test_the_fake_offers_what_every_fake_shop_offers(fake: FakeMagento) -> None:
    shop: FakeShop = fake
    assert shop.platform == MagentoConnector.platform == "magento"


class TestNoWebhooks:
    async def test_magento_is_pulled_and_refuses_any_webhook(self, fake: FakeMagento) -> None:
        connector = connect(fake)
        assert MagentoConnector.sends_webhooks is False
        request = InboundRequest(url="https://orderly.test/hooks/magento/1", headers={}, body=b"{}")
        with pytest.raises(WebhookRefused):
            connector.read_webhook(request)
        with pytest.raises(NotImplementedError):
            fake.order_webhook("1", "created")

    async def test_registering_webhooks_subscribes_nothing(self, fake: FakeMagento) -> None:
        assert await connect(fake).register_webhooks("https://orderly.test/hooks/magento/1") == []
        assert fake.requests == []


class TestOAuthSignature:
    async def test_a_signed_call_is_accepted_with_either_signature_method(
        self, fake: FakeMagento
    ) -> None:
        await connect(fake).check()
        await connect(fake, settings={"signature_method": "HMAC-SHA1"}).check()

    async def test_a_wrong_secret_is_refused_as_bad_credentials(self, fake: FakeMagento) -> None:
        wrong = {**fake.credentials, "consumer_secret": "not-the-secret"}
        with pytest.raises(CredentialsRefused):
            await connect(fake, credentials=wrong).check()

    async def test_an_unsigned_call_gets_magentos_401(self, fake: FakeMagento) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as client:
            response = await client.get(f"{BASE_URL}/rest/default/V1/orders/1")
        assert response.status_code == 401
        assert response.json()["message"] == "The consumer isn't authorized to access %resources."
        assert "resources" in response.json()["parameters"]

    async def test_a_replayed_nonce_is_refused(self, fake: FakeMagento) -> None:
        async with signed_client(fake) as client:
            first = await client.get("/store/storeConfigs")
            replay = httpx.Request(
                "GET",
                first.request.url,
                headers={"Authorization": first.request.headers["Authorization"]},
            )
            second = await client.send(replay, auth=None)
        assert first.status_code == 200
        assert second.status_code == 401
        assert second.json()["message"].startswith("The nonce is already being used")

    async def test_a_query_string_is_part_of_the_signature(self, fake: FakeMagento) -> None:
        async with signed_client(fake) as client:
            signed = await client.get("/products", params={"searchCriteria[pageSize]": "5"})
            tampered = httpx.Request(
                "GET",
                signed.request.url.copy_with(query=b"searchCriteria%5BpageSize%5D=6"),
                headers={"Authorization": signed.request.headers["Authorization"]},
            )
            fake.nonces.clear()  # only the signature differs now
            refused = await client.send(tampered, auth=None)
        assert signed.status_code == 200
        assert refused.status_code == 401
        assert refused.json()["message"] == "The signature is invalid. Verify and try again."


def rich_order() -> dict[str, Any]:
    """An order as Magento's GET /V1/orders/{id} shows it: a configurable shirt (parent item
    with the price, child with the same SKU), a simple mug, a coupon, tax and shipping."""
    return {
        "entity_id": 42,
        "increment_id": "000000042",
        "state": "processing",
        "status": "processing",
        "created_at": "2025-03-01 10:00:00",
        "updated_at": "2025-03-01 10:05:07",
        "order_currency_code": "EUR",
        "customer_email": "grace@example.com",
        "customer_firstname": "Grace",
        "customer_lastname": "Hopper",
        "grand_total": 63.69,
        "subtotal": 55.0,
        "tax_amount": 9.69,
        "discount_amount": -6.0,
        "shipping_amount": 5.0,
        "shipping_tax_amount": 0.95,
        "shipping_discount_amount": 1.0,
        "total_paid": 63.69,
        "items": [
            {
                "item_id": 1,
                "sku": "SHIRT-M",
                "name": "Shirt",
                "product_id": 10,
                "product_type": "configurable",
                "qty_ordered": 2,
                "price": 20.0,
                "tax_amount": 7.6,
                "discount_amount": 4.0,
            },
            {
                "item_id": 2,
                "parent_item_id": 1,
                "sku": "SHIRT-M",
                "name": "Shirt M",
                "product_id": 11,
                "product_type": "simple",
                "qty_ordered": 2,
                "price": 0,
                "tax_amount": 0,
                "discount_amount": 0,
            },
            {
                "item_id": 3,
                "sku": "MUG",
                "name": "Mug",
                "product_id": 12,
                "product_type": "simple",
                "qty_ordered": 1.0,
                "price": 15.0,
                "tax_amount": 1.14,
                "discount_amount": 1.0,
            },
        ],
        "billing_address": {
            "firstname": "Grace",
            "lastname": "Hopper",
            "street": ["Hauptstrasse 1"],
            "city": "Berlin",
            "postcode": "10115",
            "country_id": "DE",
            "telephone": "+49 30 1234",
        },
        "payment": {"method": "checkmo", "amount_paid": 63.69},
        "extension_attributes": {
            "shipping_assignments": [
                {
                    "shipping": {
                        "address": {
                            "firstname": "Grace",
                            "lastname": "Hopper",
                            "company": "Navy",
                            "street": ["Unter den Linden 5", "Hof 2"],
                            "city": "Berlin",
                            "region_code": "BE",
                            "postcode": "10117",
                            "country_id": "DE",
                        }
                    }
                }
            ]
        },
    }


class TestOrderMapping:
    def test_a_rich_order_maps_to_minor_units_line_by_sku(self) -> None:
        order = channel_order(rich_order())
        assert (order.platform_order_id, order.number, order.currency) == ("42", "000000042", "EUR")
        assert order.updated_at == datetime(2025, 3, 1, 10, 5, 7, tzinfo=UTC)
        assert [(line.sku, line.quantity, line.unit_price_minor) for line in order.lines] == [
            ("SHIRT-M", 2, 2000),
            ("MUG", 1, 1500),
        ]
        assert [(line.tax_minor, line.discount_minor) for line in order.lines] == [
            (760, 400),
            (114, 100),
        ]
        assert order.order_discount_minor == 100  # the shipping discount
        assert (order.shipping_minor, order.shipping_tax_minor) == (500, 95)
        assert order.total_minor == 6369
        assert order.state is PlatformOrderState.OPEN
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.customer_name == "Grace Hopper"
        assert order.shipping_address is not None
        assert order.shipping_address.line2 == "Hof 2"
        assert order.shipping_address.company == "Navy"
        assert order.billing_address is not None
        assert order.billing_address.postal_code == "10115"

    def test_an_unpaid_order_is_pending_and_a_part_refund_is_partial(self) -> None:
        unpaid = {**rich_order(), "state": "pending_payment", "total_paid": None}
        assert channel_order(unpaid).payment_status is PlatformPaymentStatus.PENDING
        part = {**rich_order(), "total_refunded": 10.0}
        mapped = channel_order(part)
        assert mapped.payment_status is PlatformPaymentStatus.PARTIALLY_REFUNDED
        assert mapped.refunded_minor == 1000

    async def test_a_yen_order_from_the_store_has_no_decimals(self, fake: FakeMagento) -> None:
        fake.add_product("TEA")
        order_id = fake.place_order([("TEA", 3)], currency="JPY", unit_price="1500")
        order = await connect(fake).fetch_order(order_id)
        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1500
        assert (order.shipping_minor, order.total_minor) == (500, 5000)
        assert order.shipping_address is not None
        assert order.shipping_address.country == "US"

    async def test_a_variant_is_one_line_for_its_units(self, fake: FakeMagento) -> None:
        fake.add_product("SHIRT-L", variant=True)
        order = await connect(fake).fetch_order(fake.place_order([("SHIRT-L", 2)]))
        assert [(line.sku, line.quantity, line.unit_price_minor) for line in order.lines] == [
            ("SHIRT-L", 2, 1000)
        ]

    async def test_a_cancelled_order_is_cancelled(self, fake: FakeMagento) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.cancel_order(order_id)
        order = await connect(fake).fetch_order(order_id)
        assert order.state is PlatformOrderState.CANCELLED

    async def test_a_refunded_order_is_closed_and_refunded(self, fake: FakeMagento) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.refund_order(order_id)
        order = await connect(fake).fetch_order(order_id)
        assert order.state is PlatformOrderState.CANCELLED  # nothing had shipped
        assert order.payment_status is PlatformPaymentStatus.REFUNDED
        assert order.refunded_minor == 1500

    async def test_an_unknown_order_is_refused(self, fake: FakeMagento) -> None:
        with pytest.raises(PlatformRefused):
            await connect(fake).fetch_order("999")


class TestPull:
    def place_many(self, fake: FakeMagento, clock: MovableClock, count: int) -> list[str]:
        """Orders in bursts: many share a second, as they do in a sale."""
        ids = []
        for n in range(count):
            if n % 70 == 0:
                clock.advance(1)
            ids.append(fake.place_order([("MUG", 1)]))
        return ids

    async def test_every_order_comes_once_oldest_change_first(
        self, fake: FakeMagento, clock: MovableClock
    ) -> None:
        ids = self.place_many(fake, clock, 260)
        pages = await pull(connect(fake, settings={"page_size": 50}), None)
        orders = orders_of(pages)
        assert sorted(o.platform_order_id for o in orders) == sorted(ids)
        assert len(orders) == len(ids)
        assert [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)
        assert len(pages) > 5
        cursors = [page.cursor for page in pages]
        assert len(set(cursors)) == len(cursors)

    async def test_the_next_pull_brings_only_newer_changes(
        self, fake: FakeMagento, clock: MovableClock
    ) -> None:
        ids = self.place_many(fake, clock, 120)
        connector = connect(fake, settings={"page_size": 50})
        first = await pull(connector, None)
        assert await pull(connector, first[-1].cursor) == []
        clock.advance(5)
        fake.touch_order(ids[3])
        fresh = fake.place_order([("MUG", 2)])
        later = orders_of(await pull(connector, first[-1].cursor))
        assert [o.platform_order_id for o in later] == [ids[3], fresh]

    async def test_an_order_changed_in_the_cursors_second_is_not_lost(
        self, fake: FakeMagento, clock: MovableClock
    ) -> None:
        fake.place_order([("MUG", 1)])
        connector = connect(fake)
        first = await pull(connector, None)
        same_second = fake.place_order([("MUG", 1)])  # the clock has not moved
        second = orders_of(await pull(connector, first[-1].cursor))
        assert [o.platform_order_id for o in second] == [same_second]

    async def test_orders_changed_during_the_pull_still_arrive(
        self, fake: FakeMagento, clock: MovableClock
    ) -> None:
        ids = self.place_many(fake, clock, 150)
        connector = connect(fake, settings={"page_size": 40})
        seen: list[str] = []
        cursor = None
        async for page in connector.orders_changed_since(None):
            seen += [o.platform_order_id for o in page.orders]
            cursor = page.cursor
            if len(seen) == 40:
                clock.advance(2)
                fake.touch_order(ids[-1])  # not yet pulled: it moves to the end
                fake.touch_order(ids[0])  # pulled already: it comes again
        seen += [o.platform_order_id for o in orders_of(await pull(connector, cursor))]
        assert set(seen) == set(ids)
        assert seen.count(ids[0]) == 2


class TestRateLimit:
    async def test_a_long_pull_waits_out_the_hosts_429s(self, clock: MovableClock) -> None:
        fake = FakeMagento(clock, rate_limit=(5, 10.0))
        clock.advance(1)
        ids = [fake.place_order([("MUG", 1)]) for _ in range(120)]
        orders = orders_of(await pull(connect(fake, settings={"page_size": 10}), None))
        assert sorted(o.platform_order_id for o in orders) == sorted(ids)
        assert fake.rate_limited > 0
        assert sum(clock.slept) >= 20  # at least 13 calls at 5 per 10 s

    async def test_pacing_to_the_hosts_limit_avoids_429s(self, clock: MovableClock) -> None:
        fake = FakeMagento(clock, rate_limit=(5, 10.0))
        for n in range(60):
            fake.add_product(f"SKU-{n}")
        connector = connect(fake, settings={"requests_per_second": 0.5, "stock_batch_size": 5})
        quantities = [StockQuantity(Listing(f"SKU-{n}"), n) for n in range(60)]
        result = await connector.push_stock(quantities)
        assert result.pushed == 60
        assert fake.rate_limited == 0
        assert sum(clock.slept) >= 20


class TestPlatformDown:
    async def test_a_few_5xx_are_retried(self, fake: FakeMagento) -> None:
        fake.fail_next(2, status=503)
        await connect(fake).check()

    async def test_persistent_5xx_is_unavailable_and_nothing_is_pushed(
        self, fake: FakeMagento
    ) -> None:
        fake.add_product("MUG")
        fake.fail_next(20, status=500)
        with pytest.raises(PlatformUnavailable):
            await connect(fake).push_stock([StockQuantity(Listing("MUG"), 4)])
        assert fake.available("MUG") is None

    async def test_timeouts_are_retried_then_unavailable(self, fake: FakeMagento) -> None:
        retried = TimingOut(httpx.ASGITransport(app=fake.app), failures=2)
        await connect(fake, transport=retried).check()
        down = TimingOut(httpx.ASGITransport(app=fake.app), failures=50)
        with pytest.raises(PlatformUnavailable):
            await connect(fake, transport=down).check()

    async def test_a_revoked_token_is_refused_credentials(self, fake: FakeMagento) -> None:
        revoked = {**fake.credentials, "access_token": "r" * 32}
        with pytest.raises(CredentialsRefused):
            await connect(fake, credentials=revoked).check()


class TestStock:
    async def test_skus_go_in_the_fewest_batches(self, fake: FakeMagento) -> None:
        for n in range(1200):
            fake.add_product(f"SKU-{n}")
        quantities = [StockQuantity(Listing(f"SKU-{n}"), n % 7) for n in range(1200)]
        result = await connect(fake).push_stock(quantities)
        assert (result.pushed, dict(result.refused)) == (1200, {})
        assert len([r for r in fake.requests if r[1].endswith("/source-items")]) == 3
        assert fake.available("SKU-13") == 6
        assert fake.source_items[("SKU-14", "default")][1] == 0  # out of stock

    async def test_an_unknown_sku_is_refused_alone(self, fake: FakeMagento) -> None:
        for n in range(40):
            fake.add_product(f"SKU-{n}")
        quantities = [StockQuantity(Listing(f"SKU-{n}"), 3) for n in range(40)]
        quantities.insert(17, StockQuantity(Listing("GHOST"), 1))
        result = await connect(fake).push_stock(quantities)
        assert result.pushed == 40
        assert list(result.refused) == ["GHOST"]
        assert "Could not save Source Item" in result.refused["GHOST"]
        assert fake.available("SKU-39") == 3

    async def test_a_shop_with_input_limits_gets_batches_of_its_limit(
        self, clock: MovableClock
    ) -> None:
        fake = FakeMagento(clock, input_limits=True, input_list_limit=20)
        for n in range(100):
            fake.add_product(f"SKU-{n}")
        quantities = [StockQuantity(Listing(f"SKU-{n}"), 1) for n in range(100)]
        result = await connect(fake).push_stock(quantities)
        assert result.pushed == 100
        # One refused batch of 100 told the limit, then 5 batches of 20.
        assert len([r for r in fake.requests if r[1].endswith("/source-items")]) == 6

    async def test_a_platform_location_is_the_msi_source(self, fake: FakeMagento) -> None:
        fake.add_product("MUG")
        fake.sources.add("paris")
        connector = connect(fake, settings={"source_code": "paris"})
        await connector.push_stock([StockQuantity(Listing("MUG"), 8)])
        assert fake.available("MUG", "paris") == 8
        result = await connector.push_stock([StockQuantity(Listing("MUG"), 2, "lyon")])
        assert list(result.refused) == ["MUG"]

    async def test_the_store_refuses_a_request_without_source_items(
        self, fake: FakeMagento
    ) -> None:
        async with signed_client(fake) as client:
            missing = await client.post("/inventory/source-items", json={})
            empty = await client.post("/inventory/source-items", json={"sourceItems": []})
            as_text = await client.post(
                "/inventory/source-items",
                content=b"sku=MUG",
                headers={"Content-Type": "text/plain"},
            )
        assert missing.status_code == 400
        assert missing.json()["parameters"] == {"fieldName": "sourceItems"}
        assert (empty.status_code, empty.json()["message"]) == (400, "Input data is empty")
        assert as_text.status_code == 400


def shipment(
    order_id: str, lines: list[FulfilledLine], reference: str = "ful_1"
) -> FulfillmentPush:
    return FulfillmentPush(
        platform_order_id=order_id,
        lines=tuple(lines),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        tracking_url=None,
        shipped_at=datetime(2025, 3, 2, tzinfo=UTC),
        reference=reference,
    )


class TestFulfillment:
    async def test_the_store_records_the_shipment_with_its_tracking(
        self, fake: FakeMagento
    ) -> None:
        fake.add_product("SHIRT-L", variant=True)
        connector = connect(fake)
        order = await connector.fetch_order(fake.place_order([("SHIRT-L", 2), ("MUG", 1)]))
        lines = [
            FulfilledLine(line.platform_line_id, line.sku or "", line.quantity)
            for line in order.lines
        ]
        shipment_id = await connector.push_fulfillment(shipment(order.platform_order_id, lines))
        [recorded] = fake.shipments_of(order.platform_order_id)
        assert str(recorded["entity_id"]) == shipment_id
        assert recorded["tracking_number"] == "1Z999AA10123456784"
        assert recorded["tracks"][0]["carrier_code"] == "ups"
        assert {(i["order_item_id"], i["qty"]) for i in recorded["items"]} == {
            (int(line.platform_line_id), line.quantity) for line in lines
        }
        shipped = await connector.fetch_order(order.platform_order_id)
        assert shipped.state is PlatformOrderState.COMPLETED

    async def test_a_retried_shipment_is_not_shipped_twice(self, fake: FakeMagento) -> None:
        connector = connect(fake)
        order = await connector.fetch_order(fake.place_order([("MUG", 3)]))
        line = order.lines[0]
        push = shipment(order.platform_order_id, [FulfilledLine(line.platform_line_id, "MUG", 1)])
        first = await connector.push_fulfillment(push)
        assert await connector.push_fulfillment(push) == first
        assert len(fake.shipments_of(order.platform_order_id)) == 1

    async def test_more_than_ordered_or_a_cancelled_order_is_refused(
        self, fake: FakeMagento
    ) -> None:
        connector = connect(fake)
        order = await connector.fetch_order(fake.place_order([("MUG", 1)]))
        line = order.lines[0]
        too_many = shipment(
            order.platform_order_id, [FulfilledLine(line.platform_line_id, "MUG", 2)]
        )
        with pytest.raises(PlatformRefused, match="invalid quantity"):
            await connector.push_fulfillment(too_many)
        fake.cancel_order(order.platform_order_id)
        one = shipment(
            order.platform_order_id, [FulfilledLine(line.platform_line_id, "MUG", 1)], "ful_2"
        )
        with pytest.raises(PlatformRefused, match="status of canceled"):
            await connector.push_fulfillment(one)
        assert fake.shipments_of(order.platform_order_id) == []


class TestCancellation:
    async def test_cancelling_cancels_on_the_store_with_the_reason(self, fake: FakeMagento) -> None:
        order_id = fake.place_order([("MUG", 1)])
        connector = connect(fake)
        await connector.push_cancellation(order_id, reason="customer asked")
        assert fake.orders[int(order_id)]["state"] == "canceled"
        assert "customer asked" in fake.orders[int(order_id)]["status_histories"][0]["comment"]
        await connector.push_cancellation(order_id, reason="customer asked")  # a retry is fine
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.CANCELLED

    async def test_a_shipped_order_cannot_be_cancelled(self, fake: FakeMagento) -> None:
        order_id = fake.place_order([("MUG", 1)])
        fake.orders[int(order_id)].update(state="complete", status="complete")
        with pytest.raises(PlatformRefused, match="would not cancel"):
            await connect(fake).push_cancellation(order_id, reason="too late")


class TestInputLimits:
    async def test_a_page_over_the_shops_maximum_is_refused(self, clock: MovableClock) -> None:
        fake = FakeMagento(clock, input_limits=True, max_page_size=300)
        fake.place_order([("MUG", 1)])
        with pytest.raises(PlatformRefused, match="pageSize"):
            await pull(connect(fake, settings={"page_size": 500}), None)
        assert len(orders_of(await pull(connect(fake), None))) == 1


class TestListings:
    async def test_the_catalog_comes_page_by_page(self, fake: FakeMagento) -> None:
        for n in range(230):
            fake.add_product(f"SKU-{n}")
        fake.add_product("SHIRT-L", variant=True)
        pages = [page async for page in connect(fake).listings()]
        skus = [listing.sku for page in pages for listing in page]
        assert len(pages) == 3
        assert sorted(skus) == sorted([f"SKU-{n}" for n in range(230)] + ["SHIRT-L"])
        assert all(listing.product_id for page in pages for listing in page)
