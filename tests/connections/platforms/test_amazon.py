"""The Amazon connector against a fake seller account that answers as the Selling Partner API
documents: tokens, usage plans, orders, listings, stock and shipment confirmations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
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
from orderly.connections.platforms.amazon import orders
from orderly.connections.platforms.amazon.connector import AmazonConnector
from orderly.connections.platforms.amazon.cursor import PullCursor, amazon_time
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
from orderly.connections.service import Installation
from orderly.kit.clock import utcnow
from orderly.kit.vault import Vault
from tests.clock import MovableClock
from tests.connections.fakes.amazon import FakeAmazon
from tests.transports import TimingOut

ORDERS = "/orders/v0/orders"
RDT = "/tokens/2021-03-01/restrictedDataToken"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeAmazon:
    return FakeAmazon(clock)


@pytest.fixture
def transport(fake: FakeAmazon) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def build(
    fake: FakeAmazon, clock: MovableClock, transport: httpx.AsyncBaseTransport, **overrides: Any
) -> AmazonConnector:
    client = httpx.AsyncClient(transport=transport)
    access = PlatformAccess(
        base_url="https://sellingpartnerapi-na.amazon.com",
        credentials=overrides.pop("credentials", fake.credentials),
        settings={**fake.settings, **overrides.pop("settings", {})},
        http=platform_client(client, platform="amazon", clock=clock),
        keep_credentials=overrides.pop("keep_credentials", None),
    )
    return AmazonConnector(access)


@pytest.fixture
def connector(fake: FakeAmazon, clock: MovableClock, transport: TimingOut) -> AmazonConnector:
    return build(fake, clock, transport)


@pytest.fixture(autouse=True)
def amazons_clock(fake: FakeAmazon, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connector's now is Amazon's: a change settles as Amazon's clock moves on."""
    monkeypatch.setattr(orders, "utcnow", fake.now)


async def pull(
    fake: FakeAmazon, connector: AmazonConnector, cursor: str | None
) -> tuple[list[OrderPage], str]:
    fake.settle()
    pages = [page async for page in connector.orders_changed_since(cursor)]
    last = next((p.cursor for p in reversed(pages) if p.cursor), cursor)
    assert last is not None
    return pages, last


def ids(pages: list[OrderPage]) -> list[str]:
    return [order.platform_order_id for page in pages for order in page.orders]


def shipped(order_id: str, *lines: tuple[str, int], **fields: Any) -> FulfillmentPush:
    values: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": None,
        "shipped_at": utcnow(),
        "reference": "push-1",
    }
    values.update(fields)
    return FulfillmentPush(
        platform_order_id=order_id,
        lines=tuple(FulfilledLine(line_id, "MUG-1", quantity) for line_id, quantity in lines),
        **values,
    )


def waited(clock: MovableClock) -> float:
    return sum(clock.slept)


class TestTokens:
    async def test_one_token_serves_until_its_hour_is_nearly_up(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])

        await connector.fetch_order(order_id)
        await connector.fetch_order(order_id)
        clock.advance(3600 - 200)
        await connector.fetch_order(order_id)
        clock.advance(150)  # within the last two minutes of the hour
        await connector.fetch_order(order_id)

        assert fake.grants == 2
        assert all(kind in ("lwa", "rdt") for _, kind in fake.tokens_used)

    async def test_a_token_amazon_ends_early_is_fetched_again_once(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        await connector.fetch_order(order_id)
        fake.expire_tokens()

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id
        assert fake.grants == 2 and fake.rdt_grants == 2  # an order's RDT is used once

    async def test_a_refresh_token_handed_back_anew_is_kept_and_used(
        self, fake: FakeAmazon, clock: MovableClock, transport: TimingOut
    ) -> None:
        kept: list[dict[str, str]] = []

        async def keep(credentials: Mapping[str, str]) -> None:
            kept.append(dict(credentials))

        fake.rotate_refresh_tokens = True
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        connector = build(fake, clock, transport, keep_credentials=keep)

        await connector.fetch_order(order_id)
        await connector.fetch_order(order_id)
        clock.advance(3600)
        await connector.fetch_order(order_id)

        assert fake.grants == 2 and len(kept) == 2
        assert kept[-1] == {**fake.credentials, "refresh_token": fake.refresh_token}

    async def test_a_refused_refresh_token_or_client_is_credentials_refused(
        self, fake: FakeAmazon, clock: MovableClock, transport: TimingOut
    ) -> None:
        revoked = build(
            fake, clock, transport, credentials={**fake.credentials, "refresh_token": "Atzr|x"}
        )
        wrong_secret = build(
            fake, clock, transport, credentials={**fake.credentials, "client_secret": "nope"}
        )

        with pytest.raises(CredentialsRefused, match="invalid_grant"):
            await revoked.check()
        with pytest.raises(CredentialsRefused, match="invalid_client"):
            await wrong_secret.check()
        assert fake.grants == 0

    async def test_check_proves_the_seller_the_marketplace_and_the_restricted_roles(
        self, fake: FakeAmazon, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.pii_roles = False
        with pytest.raises(CredentialsRefused, match="Direct-to-Consumer Shipping"):
            await build(fake, clock, transport).check()
        fake.pii_roles = True
        await build(fake, clock, transport).check()
        other_seller = build(fake, clock, transport, settings={"seller_id": "AOTHER"})
        no_market = build(fake, clock, transport, settings={"marketplace_id": ""})

        with pytest.raises(CredentialsRefused):
            await other_seller.check()
        with pytest.raises(PlatformRefused) as missing:
            await no_market.check()
        assert missing.value.field == "settings.marketplace_id"

    async def test_the_order_searchs_restricted_data_token_is_kept_for_its_hour(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        _, cursor = await pull(fake, connector, None)
        _, cursor = await pull(fake, connector, cursor)
        kept = fake.rdt_grants
        clock.advance(3600)
        await pull(fake, connector, cursor)

        assert kept == 1 and fake.rdt_grants == 2


class TestOrdersIn:
    async def test_an_order_maps_money_taxes_promotions_shipping_and_the_buyer(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.add_product("TEE-M")
        order_id = fake.place_order(
            [("MUG-1", 2), ("TEE-M", 1)],
            unit_price="19.99",
            tax_rate="0.10",
            promotion="5.00",
            shipping="4.99",
        )

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order.number == order_id and order.currency == "USD"
        mug, tee = order.lines
        assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2), ("TEE-M", 1)]
        assert (mug.unit_price_minor, mug.discount_minor, mug.tax_minor) == (1999, 500, 350)
        assert (tee.unit_price_minor, tee.discount_minor, tee.tax_minor) == (1999, 0, 200)
        assert mug.product_id == fake.listings["MUG-1"]["asin"] and mug.title == "Product MUG-1"
        assert (order.shipping_minor, order.shipping_tax_minor) == (499, 50)
        charged = sum(
            line.unit_price_minor * line.quantity - line.discount_minor + line.tax_minor
            for line in order.lines
        )
        assert charged + order.shipping_minor + order.shipping_tax_minor == order.total_minor
        assert order.total_minor == 5997 - 500 + 550 + 499 + 50
        assert order.customer_email == "x7pk3@marketplace.amazon.com"
        assert order.customer_name == "Jane Doe" and order.customer_phone == "+1 206-555-0100"
        address = order.shipping_address
        assert address is not None
        assert (address.line1, address.line2, address.city, address.region) == (
            "410 Terry Ave N",
            "Apt 2",
            "Seattle",
            "WA",
        )
        assert (address.postal_code, address.country) == ("98109-5210", "US")
        assert order.ship_by == amazon_time(fake.orders[order_id]["LatestShipDate"])
        assert order.state is PlatformOrderState.OPEN
        assert order.payment_status is PlatformPaymentStatus.AUTHORIZED
        assert not order.fulfilled_by_platform

    async def test_item_price_is_for_the_whole_quantity(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 3)], unit_price="3.3333")
        fake.items[order_id][0]["ItemPrice"]["Amount"] = "10.00"  # 3 for 10.00

        (line,) = (await connector.fetch_order(order_id)).lines

        assert (line.quantity, line.unit_price_minor, line.discount_minor) == (3, 334, 2)
        assert line.unit_price_minor * 3 - line.discount_minor == 1000

    async def test_buyer_and_address_come_under_a_restricted_data_token(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])

        pages, _ = await pull(fake, connector, None)

        (order,) = [o for page in pages for o in page.orders]
        assert order.customer_email and order.shipping_address and order.shipping_address.line1
        assert {kind for path, kind in fake.tokens_used if path == ORDERS} == {"rdt"}
        assert {kind for path, kind in fake.tokens_used if path.endswith("/orderItems")} == {"lwa"}
        (asked,) = {str(body) for body in fake.sent("POST", RDT)}
        assert "buyerInfo" in asked and "shippingAddress" in asked and ORDERS in asked
        assert order.platform_order_id == order_id

    async def test_statuses_amazon_fulfilment_and_a_buyers_cancel_request(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        cancelled = fake.place_order([("MUG-1", 1)])
        fake.cancel_order(cancelled)
        sent = fake.place_order([("MUG-1", 1)], status="Shipped")
        by_amazon = fake.place_order([("MUG-1", 1)], channel="AFN", status="Shipped")
        asked = fake.place_order([("MUG-1", 1)], buyer_cancel="Ordered by mistake")

        gone = await connector.fetch_order(cancelled)
        done = await connector.fetch_order(sent)
        fba = await connector.fetch_order(by_amazon)
        wants_out = await connector.fetch_order(asked)

        assert (gone.state, gone.payment_status) == (
            PlatformOrderState.CANCELLED,
            PlatformPaymentStatus.VOIDED,
        )
        assert gone.lines == () and fake.calls("GET", f"{ORDERS}/{cancelled}/orderItems") == 0
        assert (done.state, done.payment_status) == (
            PlatformOrderState.COMPLETED,
            PlatformPaymentStatus.CAPTURED,
        )
        assert fba.fulfilled_by_platform and fba.ship_by is None
        assert wants_out.notes == "Buyer asked Amazon to cancel: Ordered by mistake"

    async def test_yen_has_no_minor_digits(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 3)], currency="JPY", unit_price="1200")

        order = await connector.fetch_order(order_id)

        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1200 and order.total_minor == 3600

    async def test_every_item_is_read_across_pages(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        skus = [f"SKU-{n}" for n in range(5)]
        for sku in skus:
            fake.add_product(sku)
        fake.items_per_page = 2
        order_id = fake.place_order([(sku, 1) for sku in skus])

        order = await connector.fetch_order(order_id)

        assert [line.sku for line in order.lines] == skus
        assert fake.calls("GET", f"{ORDERS}/{order_id}/orderItems") == 3

    async def test_an_unknown_order_is_refused_with_amazons_error(
        self, connector: AmazonConnector
    ) -> None:
        with pytest.raises(PlatformRefused):
            await connector.fetch_order("111-0000000-0000000")


class TestPull:
    async def test_orders_come_once_page_by_page_and_the_next_pull_starts_at_the_cursor(
        self, fake: FakeAmazon, clock: MovableClock, transport: TimingOut
    ) -> None:
        connector = build(fake, clock, transport, settings={"page_size": 100})
        fake.add_product("MUG-1")
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(250)]

        pages, cursor = await pull(fake, connector, None)

        assert ids(pages) == placed
        searches = [q for q in fake.queries(ORDERS) if "LastUpdatedAfter" in q]
        paged = [q for q in searches if q.get("NextToken")]
        assert len(paged) == 2
        assert all({**q, "NextToken": ""} == {**searches[-3], "NextToken": ""} for q in paged)
        assert searches[0]["OrderStatuses"].split(",") == [
            "Unshipped",
            "PartiallyShipped",
            "Shipped",
            "InvoiceUnconfirmed",
            "Canceled",
        ]
        assert [p.cursor is None for p in pages[-3:]] == [True, True, False]
        assert PullCursor.parse(cursor).since == amazon_time(
            fake.orders[placed[-1]]["LastUpdateDate"]
        )

        fake.cancel_order(placed[5])
        newer = fake.place_order([("MUG-1", 2)])
        again, _ = await pull(fake, connector, cursor)

        assert ids(again) == [placed[5], newer]
        assert again[-1].orders[0].state is PlatformOrderState.CANCELLED
        resumed = amazon_time(fake.queries(ORDERS)[-1]["LastUpdatedAfter"])
        assert resumed == PullCursor.parse(cursor).since

    async def test_the_cursor_is_the_latest_update_whatever_order_amazon_answers_in(
        self, fake: FakeAmazon, clock: MovableClock, transport: TimingOut
    ) -> None:
        connector = build(fake, clock, transport, settings={"page_size": 1})
        fake.add_product("MUG-1")
        first, second = fake.place_order([("MUG-1", 1)]), fake.place_order([("MUG-1", 1)])
        fake.touch(first)  # bought first, changed last: Amazon still answers it first

        pages, cursor = await pull(fake, connector, None)
        again, _ = await pull(fake, connector, cursor)

        assert ids(pages) == [first, second]
        assert PullCursor.parse(cursor).since == amazon_time(fake.orders[first]["LastUpdateDate"])
        assert ids(again) == []

    async def test_changes_in_the_same_second_are_neither_lost_nor_repeated(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        a, b = fake.place_order([("MUG-1", 1)]), fake.place_order([("MUG-1", 1)])
        fake.orders[a]["LastUpdateDate"] = fake.orders[b]["LastUpdateDate"]
        taken, cursor = await pull(fake, connector, None)
        c = fake.place_order([("MUG-1", 1)])
        fake.orders[c]["LastUpdateDate"] = fake.orders[b]["LastUpdateDate"]  # the cursor's second

        again, _ = await pull(fake, connector, cursor)

        assert sorted(ids(taken)) == sorted([a, b]) and ids(again) == [c]
        assert PullCursor.parse(cursor).seen == {a, b}

    async def test_a_pending_order_waits_until_amazon_has_the_payment(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)], status="Pending")

        first, cursor = await pull(fake, connector, None)
        fake.set_status(order_id, "Unshipped")
        then, _ = await pull(fake, connector, cursor)

        assert ids(first) == [] and ids(then) == [order_id]
        assert then[-1].orders[0].customer_email is not None

    async def test_a_first_pull_reads_the_last_thirty_days_in_settled_windows(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        pages, cursor = await pull(fake, connector, None)
        started = fake.now()

        windows = fake.queries(ORDERS)
        assert len(windows) == 10 and all(p.orders == () for p in pages)
        starts = [amazon_time(q["LastUpdatedAfter"]) for q in windows]
        ends = [amazon_time(q["LastUpdatedBefore"]) for q in windows]
        assert started - starts[0] == timedelta(days=30)
        assert starts[1:] == ends[:-1]
        assert started - ends[-1] > timedelta(minutes=2)
        assert PullCursor.parse(cursor).since == ends[-1]


class TestUsagePlans:
    async def test_a_burst_is_spent_then_calls_wait_out_the_rate(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        for _ in range(40):
            fake.place_order([("MUG-1", 1)])

        pages, _ = await pull(fake, connector, None)

        assert len(ids(pages)) == 40 and fake.rate_limited == 0
        assert waited(clock) >= (40 - 30) / 0.5 - 0.01  # getOrderItems: burst 30, then 0.5/s

    async def test_a_429_from_a_bucket_shared_with_another_process_is_waited_out(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        fake.spend("getOrderItems", 30)

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id and fake.rate_limited == 1
        assert waited(clock) >= 1.99  # one token at 0.5 a second

    async def test_the_rate_amazon_reports_replaces_the_documented_one(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.usage["getOrderItems"] = (0.25, 5)  # this seller's plan: slower, smaller burst
        for _ in range(12):
            fake.place_order([("MUG-1", 1)])

        pages, _ = await pull(fake, connector, None)

        assert len(ids(pages)) == 12
        assert fake.rate_limited == 1  # the sixth call, before the bucket knew the burst
        assert waited(clock) >= 7 * 4 - 0.01

    async def test_a_wait_longer_than_a_job_holds_is_left_for_later(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.usage["getOrders"] = (0.005, 20)  # one search every 200 s
        _, cursor = await pull(fake, connector, None)
        fake.spend("getOrders", 20)
        fake.place_order([("MUG-1", 1)])

        with pytest.raises(PlatformBusy) as busy:
            await pull(fake, connector, cursor)
        assert busy.value.extra["retry_after"] > 60


class TestStockOut:
    async def test_each_sku_gets_a_merge_patch_of_its_availability(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        for sku in ("MUG-1", "TEE-M", "CAP/RED"):
            fake.add_product(sku)
        listed = {listing.sku: listing async for page in connector.listings() for listing in page}

        result = await connector.push_stock(
            [
                StockQuantity(listed["MUG-1"], 7),
                StockQuantity(listed["TEE-M"], -2),
                StockQuantity(listed["CAP/RED"], 3),
            ]
        )

        assert result.pushed == 3 and not result.refused
        assert [fake.available(s) for s in ("MUG-1", "TEE-M", "CAP/RED")] == [7, 0, 3]
        path = f"/listings/2021-08-01/items/{fake.seller_id}/MUG-1"
        (body,) = fake.sent("PATCH", path)
        assert body["productType"] == "PRODUCT"
        assert body["patches"] == [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}],
            }
        ]
        assert fake.queries(path)[0]["marketplaceIds"] == fake.marketplace_id

    async def test_a_sku_amazon_refuses_is_reported_and_the_others_are_set(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.add_product("GUN-1")
        fake.refuse_listing("GUN-1", "This product is restricted in this marketplace.")
        fake.add_product("TEE-M")

        result = await connector.push_stock(
            [StockQuantity(Listing(sku), 4) for sku in ("MUG-1", "GUN-1", "GHOST", "TEE-M")]
        )

        assert result.pushed == 2 and set(result.refused) == {"GUN-1", "GHOST"}
        assert result.refused["GUN-1"].startswith("INVALID: 90220: This product is restricted")
        assert "not found" in result.refused["GHOST"]
        assert [fake.available(s) for s in ("MUG-1", "TEE-M")] == [4, 4]

    async def test_pushes_keep_to_five_a_second_and_a_platform_location_is_its_channel(
        self, fake: FakeAmazon, clock: MovableClock, connector: AmazonConnector
    ) -> None:
        skus = [f"SKU-{n:02d}" for n in range(25)]
        for sku in skus:
            fake.add_product(sku)

        result = await connector.push_stock(
            [StockQuantity(Listing(sku), 1, platform_location="SEATTLE-1") for sku in skus]
        )

        assert result.pushed == 25 and fake.rate_limited == 0
        assert waited(clock) >= (25 - 5) / 5 - 0.01
        assert fake.available("SKU-00", "SEATTLE-1") == 1 and fake.available("SKU-00") is None


class TestListings:
    async def test_listings_page_twenty_at_a_time_with_their_asins(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        for n in range(45):
            fake.add_product(f"SKU-{n:02d}")

        pages = [page async for page in connector.listings()]

        assert [len(page) for page in pages] == [20, 20, 5]
        assert all(
            listing.product_id == fake.listings[listing.sku]["asin"]
            for page in pages
            for listing in page
        )
        assert {
            q["pageSize"] for q in fake.queries(f"/listings/2021-08-01/items/{fake.seller_id}")
        } == {"20"}

    async def test_a_catalog_past_amazons_search_cap_is_read_in_further_searches(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.search_cap = 50  # Amazon's is 1,000
        for n in range(120):
            fake.add_product(f"SKU-{n:03d}")

        skus = [listing.sku async for page in connector.listings() for listing in page]

        assert sorted(skus) == sorted(fake.listings) and len(skus) == 120
        searches = fake.queries(f"/listings/2021-08-01/items/{fake.seller_id}")
        assert [q.get("createdAfter") is not None for q in searches if not q.get("pageToken")] == [
            False,
            True,
            True,
        ]


class TestShipmentsOut:
    async def test_a_parcel_is_confirmed_with_its_items_and_a_retry_edits_it(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 3)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        reference = await connector.push_fulfillment(shipped(order_id, (line, 2)))
        again = await connector.push_fulfillment(shipped(order_id, (line, 2)))

        (package,) = fake.shipments_of(order_id)
        assert again == reference == package["packageReferenceId"] and reference.isdigit()
        assert (package["carrierCode"], package["trackingNumber"]) == ("UPS", "1Z999AA10123456784")
        assert package["orderItems"] == [{"orderItemId": line, "quantity": 2}]
        assert fake.orders[order_id]["OrderStatus"] == "PartiallyShipped"
        (body, _) = fake.sent("POST", f"{ORDERS}/{order_id}/shipmentConfirmation")
        assert body["marketplaceId"] == fake.marketplace_id and body["packageDetail"][
            "shipDate"
        ].endswith("Z")

        await connector.push_fulfillment(shipped(order_id, (line, 1), reference="push-2"))
        assert fake.orders[order_id]["OrderStatus"] == "Shipped"
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.COMPLETED

    async def test_a_carrier_without_an_amazon_code_goes_as_other_with_its_name(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        await connector.push_fulfillment(shipped(order_id, (line, 1), carrier="Evri"))

        (package,) = fake.shipments_of(order_id)
        assert (package["carrierCode"], package["carrierName"]) == ("Other", "Evri")

    async def test_no_tracking_number_or_a_cancelled_order_is_refused(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        with pytest.raises(PlatformRefused, match="tracking number"):
            await connector.push_fulfillment(shipped(order_id, (line, 1), tracking_number=None))
        assert fake.calls("POST", f"{ORDERS}/{order_id}/shipmentConfirmation") == 0
        fake.cancel_order(order_id)
        with pytest.raises(PlatformRefused, match="Canceled"):
            await connector.push_fulfillment(shipped(order_id, (line, 1)))


class TestCancellationsAndWebhooks:
    async def test_a_cancellation_is_refused_pointing_at_seller_central(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        before = len(fake.requests)

        with pytest.raises(PlatformRefused, match="Seller Central"):
            await connector.push_cancellation(order_id, reason="customer asked")
        assert len(fake.requests) == before
        assert fake.orders[order_id]["OrderStatus"] == "Unshipped"

    async def test_amazon_sends_no_webhooks(
        self, connector: AmazonConnector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(registry, "_PLATFORMS", dict(registry._PLATFORMS))
        registry.register_platform(AmazonConnector)
        installation = Installation(
            allow_private_urls=False, public_url="https://orderly.example.com", vault=Vault("k")
        )
        request = InboundRequest(
            url="https://orderly.example.com/hooks/amazon/7", headers={}, body=b"{}"
        )

        assert registry.connector_class("amazon") is AmazonConnector
        assert installation.webhook_url("amazon", 7) is None
        assert await connector.register_webhooks("https://orderly.example.com/hooks/amazon/7") == []
        with pytest.raises(WebhookRefused):
            connector.read_webhook(request)


class TestFailures:
    async def test_a_5xx_then_success_is_retried(
        self, fake: FakeAmazon, connector: AmazonConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        await connector.check()
        fake.fail_next(2, status=503)

        assert (await connector.fetch_order(order_id)).platform_order_id == order_id

    async def test_persistent_5xx_or_timeouts_push_nothing(
        self, fake: FakeAmazon, connector: AmazonConnector, transport: TimingOut
    ) -> None:
        fake.add_product("MUG-1")
        await connector.check()
        fake.fail_next(50, status=500)

        with pytest.raises(PlatformUnavailable):
            await connector.push_stock([StockQuantity(Listing("MUG-1"), 5)])
        assert fake.available("MUG-1") is None
        transport.time_out_next(50)
        with pytest.raises(PlatformUnavailable):
            await connector.check()
