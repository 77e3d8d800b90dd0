"""The Square connector against a fake seller account that answers as Square documents."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from orderly.connections import registry
from orderly.connections.errors import (
    CredentialsRefused,
    PlatformRefused,
    PlatformUnavailable,
    WebhookRefused,
)
from orderly.connections.platform_http import platform_client
from orderly.connections.platforms.square.connector import ORDER_EVENTS, SquareConnector
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
from orderly.connections.service import Installation
from orderly.kit.clock import utcnow
from orderly.kit.vault import Vault
from tests.clock import MovableClock
from tests.connections.fakes.square import FakeSquare
from tests.transports import TimingOut

HOOK_URL = "https://orderly.example.com/hooks/square/7"
SEARCH = "/v2/orders/search"
BATCH_CHANGE = "/v2/inventory/changes/batch-create"
CATALOG_RETRIEVE = "/v2/catalog/batch-retrieve"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeSquare:
    fake = FakeSquare(clock)
    fake.notification_url = HOOK_URL
    return fake


@pytest.fixture
def transport(fake: FakeSquare) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def build(
    fake: FakeSquare, clock: MovableClock, transport: httpx.AsyncBaseTransport, **overrides: Any
) -> SquareConnector:
    client = httpx.AsyncClient(transport=transport)
    access = PlatformAccess(
        base_url="https://connect.squareup.test",
        credentials=overrides.pop("credentials", fake.credentials),
        settings=overrides.pop("settings", {}),
        http=platform_client(client, platform="square", clock=clock),
    )
    return SquareConnector(access)


@pytest.fixture
def connector(fake: FakeSquare, clock: MovableClock, transport: TimingOut) -> SquareConnector:
    return build(fake, clock, transport)


def inbound(headers: dict[str, str], body: bytes, url: str = HOOK_URL) -> InboundRequest:
    return InboundRequest(url=url, headers={k.lower(): v for k, v in headers.items()}, body=body)


async def pull_all(connector: SquareConnector, cursor: str | None) -> tuple[list[Any], str]:
    orders: list[Any] = []
    last = cursor
    async for page in connector.orders_changed_since(cursor):
        orders.extend(page.orders)
        assert page.cursor is not None
        last = page.cursor
    assert last is not None
    return orders, last


def shipped(order_id: str, line_id: str, quantity: int, **fields: Any) -> FulfillmentPush:
    values: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": None,
        "shipped_at": utcnow(),
        "reference": "ful_1",
    }
    values.update(fields)
    return FulfillmentPush(
        platform_order_id=order_id,
        lines=(FulfilledLine(line_id, "MUG-1", quantity),),
        **values,
    )


def fake_event_id(body: bytes) -> str:
    return str(json.loads(body)["event_id"])


class TestWebhookIn:
    def test_a_signed_delivery_gives_the_order_event(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "created")

        event = connector.read_webhook(inbound(headers, body))

        assert event is not None
        assert event.topic == "order.created"
        assert event.platform_order_id == order_id
        assert event.event_id == fake_event_id(body)

    def test_a_bad_a_missing_and_a_foreign_url_signature_are_refused(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "updated")
        unsigned = {k: v for k, v in headers.items() if k != "x-square-hmacsha256-signature"}
        other_url = fake.signed_webhook("order.updated", order_id=order_id, url=HOOK_URL + "/")

        for request in (
            inbound(headers, body.replace(order_id.encode(), b"ORD999999SQ")),
            inbound(unsigned, body),
            inbound({**headers, "x-square-hmacsha256-signature": "AAAA"}, body),
            inbound(*other_url),  # signed for another notification URL
            inbound(headers, body, url="https://orderly.example.com/hooks/square/8"),
        ):
            with pytest.raises(WebhookRefused):
                connector.read_webhook(request)

    def test_other_events_and_other_sellers_are_answered_and_not_kept(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        connector = build(fake, clock, transport, settings={"merchant_id": fake.merchant_id})

        payment = connector.read_webhook(inbound(*fake.signed_webhook("payment.created")))
        foreign = connector.read_webhook(
            inbound(*fake.signed_webhook("order.updated", order_id=order_id, merchant_id="MX"))
        )
        ours = connector.read_webhook(inbound(*fake.order_webhook(order_id, "fulfillment")))

        assert payment is None and foreign is None
        assert ours is not None and ours.topic == "order.fulfillment.updated"

    def test_the_webhook_url_given_out_from_the_public_url_is_the_one_square_signs(
        self, fake: FakeSquare, connector: SquareConnector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(registry, "_PLATFORMS", dict(registry._PLATFORMS))
        registry.register_platform(SquareConnector)
        installation = Installation(
            allow_private_urls=False, public_url="https://orderly.example.com/", vault=Vault("k")
        )
        url = installation.webhook_url("square", 7)
        fake.add_product("MUG-1")
        fake.notification_url = "https://orderly.example.com/hooks/square/7"

        event = connector.read_webhook(
            inbound(*fake.order_webhook(fake.place_order([("MUG-1", 1)]), "created"), url=url or "")
        )

        assert url == fake.notification_url
        assert event is not None


class TestOrdersIn:
    async def test_an_online_order_maps_skus_money_taxes_discounts_and_the_address(
        self, fake: FakeSquare, connector: SquareConnector
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
        assert mug.unit_price_minor == 1999 and tee.unit_price_minor == 1999
        assert mug.discount_minor + tee.discount_minor == 500  # the coupon, spread by Square
        assert mug.tax_minor + tee.tax_minor == fake.orders[order_id]["total_tax_money"]["amount"]
        assert tee.variant_id == fake.variation_of("TEE-M")
        assert order.shipping_minor == 450 and order.order_discount_minor == 0
        lines_total = sum(
            line.unit_price_minor * line.quantity - line.discount_minor + line.tax_minor
            for line in order.lines
        )
        assert lines_total + order.shipping_minor == order.total_minor == 5997 - 500 + 440 + 450
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.state is PlatformOrderState.OPEN
        assert (order.customer_email, order.customer_name) == ("jane@example.com", "Jane Doe")
        assert order.shipping_address is not None
        assert (order.shipping_address.line1, order.shipping_address.region) == (
            "666 Sussex St",
            "TX",
        )
        assert order.payment_method == "card"

    async def test_skus_come_from_the_catalog_in_one_batch_and_are_kept(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        for sku in ("A", "B", "C"):
            fake.add_product(sku)
        first = fake.place_order([("A", 1), ("B", 1), ("C", 1)])
        second = fake.place_order([("C", 2), ("A", 1)])

        one = await connector.fetch_order(first)
        two = await connector.fetch_order(second)

        assert [line.sku for line in one.lines] == ["A", "B", "C"]
        assert [line.sku for line in two.lines] == ["C", "A"]
        assert fake.calls("POST", CATALOG_RETRIEVE) == 1
        (asked,) = fake.sent("POST", CATALOG_RETRIEVE)
        assert set(asked["object_ids"]) == {fake.variation_of(s) for s in "ABC"}

    async def test_a_deleted_variation_still_gives_its_sku_and_one_without_sku_gives_none(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("OLD-1")
        fake.add_product("NEW-1")
        order_id = fake.place_order([("OLD-1", 1), ("NEW-1", 1)])
        fake.delete_variation("OLD-1")
        variation = fake.variation_of("NEW-1")
        assert variation is not None
        del fake.catalog[variation]["item_variation_data"]["sku"]

        order = await connector.fetch_order(order_id)

        assert [line.sku for line in order.lines] == ["OLD-1", None]
        assert order.lines[1].variant_id == variation  # kept, to be mapped by its id

    async def test_an_inclusive_tax_is_taken_out_of_the_unit_price(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order(
            [("MUG-1", 3)], unit_price="11.00", tax_rate="0.10", inclusive_tax=True
        )

        order = await connector.fetch_order(order_id)

        (line,) = order.lines
        assert line.tax_minor == 300  # 33.00 includes 3.00 of tax
        assert line.unit_price_minor * 3 - line.discount_minor == 3000
        assert line.unit_price_minor * 3 - line.discount_minor + line.tax_minor == 3300
        assert order.total_minor == 3300

    async def test_yen_has_no_minor_digits(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order = await connector.fetch_order(
            fake.place_order([("MUG-1", 3)], currency="JPY", unit_price="1200")
        )

        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1200 and order.total_minor == 3600

    async def test_cancelled_refunded_and_authorized_orders(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        cancelled = fake.place_order([("MUG-1", 1)], tender=None)
        fake.cancel_order(cancelled)
        refunded = fake.place_order([("MUG-1", 2)])
        fake.refund(refunded, "7.50")
        fake.refund(refunded, "1.00", status="PENDING")
        authorized = fake.place_order([("MUG-1", 1)], card_status="AUTHORIZED")

        gone = await connector.fetch_order(cancelled)
        part = await connector.fetch_order(refunded)
        held = await connector.fetch_order(authorized)

        assert gone.state is PlatformOrderState.CANCELLED
        assert gone.payment_status is PlatformPaymentStatus.VOIDED
        assert part.payment_status is PlatformPaymentStatus.PARTIALLY_REFUNDED
        assert part.refunded_minor == 750  # a pending refund has not given money back yet
        assert held.payment_status is PlatformPaymentStatus.AUTHORIZED

    async def test_an_unpaid_cart_is_no_order_until_it_is_paid(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)], tender=None)
        event = connector.read_webhook(inbound(*fake.order_webhook(order_id, "created")))
        assert event is not None

        assert await connector.order_of_event(event) is None
        fake.pay(order_id)
        paid = await connector.order_of_event(event)
        assert paid is not None and paid.payment_status is PlatformPaymentStatus.CAPTURED

    async def test_an_unknown_order_is_refused_with_squares_error(
        self, connector: SquareConnector
    ) -> None:
        with pytest.raises(PlatformRefused) as refused:
            await connector.fetch_order("NOPE")

        assert "NOT_FOUND" in refused.value.detail
        assert refused.value.extra["square_errors"][0]["code"] == "NOT_FOUND"


class TestCounterSale:
    async def test_a_counter_sale_comes_in_completed_with_no_one_to_ship_to(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.counter_sale([("MUG-1", 2)], custom_amount="3.00")

        orders, _ = await pull_all(connector, None)

        (order,) = orders
        assert order.platform_order_id == order_id
        assert order.state is PlatformOrderState.COMPLETED
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.payment_method == "cash"
        assert order.shipping_address is None and order.customer_email is None
        assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2)]
        assert order.total_minor == 2300  # the custom amount is paid, but is no product line

    async def test_a_paid_pickup_is_open_until_it_is_picked_up(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)], fulfillment="PICKUP", state="COMPLETED")

        order = await connector.fetch_order(order_id)

        assert order.state is PlatformOrderState.OPEN
        assert order.shipping_address is None
        assert order.customer_email == "jane@example.com"
        assert order.notes == "Pick up at the front desk"


class TestPull:
    async def test_orders_come_once_oldest_first_page_by_page_and_the_cursor_moves_on(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        connector = build(fake, clock, transport, settings={"page_size": 100})
        fake.add_product("MUG-1")
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(250)]

        orders, cursor = await pull_all(connector, None)

        assert [o.platform_order_id for o in orders] == placed
        searches = fake.sent("POST", SEARCH)
        assert len(searches) == 3 and "cursor" not in searches[0]
        assert searches[1]["cursor"] and searches[1]["query"] == searches[0]["query"]
        assert searches[0]["query"]["sort"] == {"sort_field": "UPDATED_AT", "sort_order": "ASC"}
        assert searches[0]["location_ids"] == [fake.location_id]

        fake.cancel_order(placed[5])
        newer = fake.place_order([("MUG-1", 2)])
        again, _ = await pull_all(connector, cursor)

        assert [o.platform_order_id for o in again] == [placed[5], newer]
        assert again[0].state is PlatformOrderState.CANCELLED

    async def test_changes_in_the_same_millisecond_are_neither_lost_nor_repeated(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.seconds_per_change = 0
        first = [fake.place_order([("MUG-1", 1)]) for _ in range(3)]
        taken, cursor = await pull_all(connector, None)
        later = fake.place_order([("MUG-1", 1)])  # the same instant as the cursor

        again, _ = await pull_all(connector, cursor)

        assert [o.platform_order_id for o in taken] == first
        assert [o.platform_order_id for o in again] == [later]

    async def test_carts_are_skipped_until_paid_and_the_named_locations_are_searched(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("MUG-1")
        second = fake.add_location("Airport")
        fake.add_location("Warehouse")
        connector = build(
            fake,
            clock,
            transport,
            settings={"location_id": fake.location_id, "location_map": {second: ["AIR"]}},
        )
        cart = fake.place_order([("MUG-1", 1)], tender=None)
        airport = fake.place_order([("MUG-1", 1)], location_id=second)

        taken, cursor = await pull_all(connector, None)
        fake.pay(cart)
        again, _ = await pull_all(connector, cursor)

        assert [o.platform_order_id for o in taken] == [airport]
        assert [o.platform_order_id for o in again] == [cart]
        assert fake.sent("POST", SEARCH)[0]["location_ids"] == [fake.location_id, second]

    async def test_a_measured_line_waits_for_a_person_and_does_not_stop_the_pull(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("COFFEE")
        fake.add_product("MUG-1")
        weighed = fake.place_order([("COFFEE", 2), ("MUG-1", 1)])
        fake.orders[weighed]["line_items"][0]["quantity"] = "2.25"
        after = fake.place_order([("MUG-1", 1)])

        orders, _ = await pull_all(connector, None)

        assert [o.platform_order_id for o in orders] == [weighed, after]
        coffee, mug = orders[0].lines
        assert (coffee.sku, coffee.quantity) == (None, 1)
        assert coffee.title is not None and "2.25" in coffee.title
        assert coffee.unit_price_minor == 2000 and mug.sku == "MUG-1"

    async def test_more_than_ten_locations_to_search_is_refused_before_any_search(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        for n in range(10):
            fake.add_location(f"Store {n}")

        with pytest.raises(PlatformRefused):
            await pull_all(connector, None)
        assert fake.calls("POST", SEARCH) == 0


class TestErrorsAndRetries:
    async def test_a_5xx_then_success_is_retried(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        fake.fail_next(2, status=503)

        assert (await connector.fetch_order(order_id)).platform_order_id == order_id

    async def test_persistent_5xx_pushes_nothing(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.fail_next(50, status=500)
        listing = Listing(sku="MUG-1", variant_id=fake.variation_of("MUG-1"))

        with pytest.raises(PlatformUnavailable):
            await connector.push_stock([StockQuantity(listing, 5, fake.location_id)])
        assert fake.available("MUG-1") is None

    async def test_timeouts_raise_unavailable(
        self, connector: SquareConnector, transport: TimingOut
    ) -> None:
        transport.time_out_next(50)

        with pytest.raises(PlatformUnavailable):
            await connector.check()

    async def test_a_wrong_token_is_refused(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        wrong = build(fake, clock, transport, credentials={**fake.credentials, "access_token": "x"})

        with pytest.raises(CredentialsRefused):
            await wrong.check()

    async def test_429s_are_waited_out_longer_each_time(
        self, fake: FakeSquare, clock: MovableClock, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        fake.rate_limit_next(3)
        start = clock.now()

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id and fake.rate_limited == 3
        pauses = [s for s in clock.slept if s >= 0.5]
        assert len(pauses) >= 3 and pauses[-1] > pauses[0]
        assert clock.now() - start >= 0.5 + 1 + 2  # half of 1, 2 and 4 s at least, plus waits

    async def test_every_call_names_the_pinned_square_version_and_none_is_refused(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        await connector.check()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url="https://sq.test"
        ) as raw:
            bare = await raw.get(
                "/v2/locations", headers={"Authorization": f"Bearer {fake.access_token}"}
            )

        assert fake.versions_seen[0] == "2025-08-20"
        assert bare.status_code == 400


class TestStockOut:
    async def test_counts_go_as_strings_in_batches_of_one_hundred(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        skus = [f"SKU-{n:03d}" for n in range(250)]
        for sku in skus:
            fake.add_product(sku)
        listings = {listing.sku: listing async for page in connector.listings() for listing in page}

        result = await connector.push_stock(
            [StockQuantity(listings[sku], n % 17) for n, sku in enumerate(skus)]
        )

        assert result.pushed == 250 and not result.refused
        sent = fake.sent("POST", BATCH_CHANGE)
        assert [len(body["changes"]) for body in sent] == [100, 100, 50]
        assert len({body["idempotency_key"] for body in sent}) == 3
        count = sent[0]["changes"][3]["physical_count"]
        assert count["quantity"] == "3" and count["state"] == "IN_STOCK"
        assert count["location_id"] == fake.location_id  # the seller's only location
        assert fake.available("SKU-000") == 0 and fake.available("SKU-249") == 249 % 17

    async def test_a_refused_change_is_reported_alone_and_the_rest_are_set(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        for sku in ("A", "B", "C"):
            fake.add_product(sku)
        ghost = Listing(sku="GHOST", variant_id="VAR-DELETED")
        listed = {s: Listing(sku=s, variant_id=fake.variation_of(s)) for s in "ABC"}
        quantities = [
            StockQuantity(listed["A"], 4),
            StockQuantity(listed["B"], 4),
            StockQuantity(ghost, 4),
            StockQuantity(listed["C"], 4),
        ]

        result = await connector.push_stock(quantities)

        assert result.pushed == 3
        assert set(result.refused) == {"GHOST"} and "NOT_FOUND" in result.refused["GHOST"]
        assert [fake.available(s) for s in "ABC"] == [4, 4, 4]
        assert fake.calls("POST", BATCH_CHANGE) == 2

    async def test_the_location_comes_from_the_quantity_or_the_setting_or_is_refused(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.add_product("A")
        airport = fake.add_location("Airport")
        listing = Listing(sku="A", variant_id=fake.variation_of("A"))
        at_airport = build(fake, clock, transport, settings={"location_id": airport})
        unsure = build(fake, clock, transport)

        await at_airport.push_stock([StockQuantity(listing, 9)])
        await at_airport.push_stock([StockQuantity(listing, 2, platform_location=fake.location_id)])
        result = await unsure.push_stock([StockQuantity(listing, 1)])

        assert fake.available("A", airport) == 9 and fake.available("A", fake.location_id) == 2
        assert result.pushed == 0 and "location_id" in result.refused["A"]

    async def test_the_fake_refuses_what_square_refuses(self, fake: FakeSquare) -> None:
        fake.add_product("A")
        variation = fake.variation_of("A")

        def change(quantity: Any) -> dict[str, Any]:
            count = {
                "catalog_object_id": variation,
                "location_id": fake.location_id,
                "state": "IN_STOCK",
                "quantity": quantity,
                "occurred_at": utcnow().isoformat(),
            }
            return {"type": "PHYSICAL_COUNT", "physical_count": count}

        headers = {"Authorization": f"Bearer {fake.access_token}", "Square-Version": "2025-08-20"}
        one, nowhere = change("1"), change("1")
        nowhere["physical_count"]["location_id"] = "NOWHERE"
        bodies = {
            "too_many": {"idempotency_key": "k1", "changes": [one] * 101},
            "number": {"idempotency_key": "k2", "changes": [change(1)]},
            "first": {"idempotency_key": "k3", "changes": [one]},
            "replay": {"idempotency_key": "k3", "changes": [one]},
            "reused": {"idempotency_key": "k3", "changes": [change("2")]},
            "nowhere": {"idempotency_key": "k4", "changes": [nowhere]},
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url="https://sq.test", headers=headers
        ) as raw:
            answers = {
                name: await raw.post(BATCH_CHANGE, json=body) for name, body in bodies.items()
            }

        too_many, number, reused = answers["too_many"], answers["number"], answers["reused"]
        first, replay, nowhere_answer = answers["first"], answers["replay"], answers["nowhere"]
        assert too_many.json()["errors"][0]["code"] == "ARRAY_LENGTH_TOO_LONG"
        assert number.json()["errors"][0]["code"] == "EXPECTED_STRING"
        assert first.status_code == replay.status_code == 200
        assert reused.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
        field = nowhere_answer.json()["errors"][0]["field"]
        assert field == "changes[0].physical_count.location_id"
        assert fake.available("A") == 1


class TestFulfillmentAndCancellationOut:
    async def test_a_shipment_is_recorded_with_tracking_once(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 2)])
        line = (await connector.fetch_order(order_id)).lines[0]

        uid = await connector.push_fulfillment(shipped(order_id, line.platform_line_id, 2))
        version = fake.orders[order_id]["version"]
        again = await connector.push_fulfillment(shipped(order_id, line.platform_line_id, 2))

        (shipment,) = fake.shipments_of(order_id)
        assert again == uid == shipment["uid"]
        assert shipment["state"] == "COMPLETED"
        assert (shipment["tracking_number"], shipment["carrier"]) == ("1Z999AA10123456784", "UPS")
        assert fake.orders[order_id]["version"] == version  # the retry changed nothing
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.COMPLETED

    async def test_two_parcels_complete_the_shipment_with_the_second(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 3)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        await connector.push_fulfillment(shipped(order_id, line, 1, reference="p1"))
        after_first = fake.shipments_of(order_id)[0]["state"]
        await connector.push_fulfillment(
            shipped(order_id, line, 2, reference="p2", tracking_number="1Z2")
        )

        assert after_first == "PROPOSED"
        (shipment,) = fake.shipments_of(order_id)
        assert (shipment["state"], shipment["tracking_number"]) == ("COMPLETED", "1Z2")
        with pytest.raises(PlatformRefused):
            await connector.push_fulfillment(shipped(order_id, line, 1, reference="p3"))

    async def test_an_update_that_lost_the_race_reads_the_order_again(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id
        fake.update_elsewhere_before_next_update()

        await connector.push_fulfillment(shipped(order_id, line, 1))

        assert fake.version_mismatches == 1
        assert fake.shipments_of(order_id)[0]["state"] == "COMPLETED"

    async def test_a_point_of_sale_order_cannot_be_updated(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)], made_in_pos=True)
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        with pytest.raises(PlatformRefused, match="Point of Sale"):
            await connector.push_fulfillment(shipped(order_id, line, 1))
        assert fake.calls("PUT", f"/v2/orders/{order_id}") == 0

    async def test_a_cancellation_cancels_the_order_and_its_fulfillment_with_the_reason(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 1)])

        await connector.push_cancellation(order_id, reason="customer asked " * 10)
        await connector.push_cancellation(order_id, reason="again")

        order = fake.orders[order_id]
        assert order["state"] == "CANCELED" and order["version"] == 2
        fulfillment = order["fulfillments"][0]
        assert fulfillment["state"] == "CANCELED"
        assert len(fulfillment["shipment_details"]["cancel_reason"]) == 100
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.CANCELLED


class TestSubscriptionsAndCatalog:
    async def test_register_webhooks_completes_the_subscription_to_the_url(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        subscription = fake.subscribe(HOOK_URL, ["order.created", "payment.created"])
        fake.subscribe("https://elsewhere.example.com/hook", ["order.created"])

        topics = await connector.register_webhooks(HOOK_URL)

        assert topics == list(ORDER_EVENTS)
        assert fake.subscriptions[subscription]["event_types"] == [
            "order.created",
            "payment.created",
            "order.updated",
            "order.fulfillment.updated",
        ]

    async def test_no_subscription_or_a_seller_token_registers_nothing(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        none = await connector.register_webhooks(HOOK_URL)
        fake.subscribe(HOOK_URL, ["order.created"])
        fake.personal_token = False
        oauth = await connector.register_webhooks(HOOK_URL)

        assert none == [] and oauth == []
        assert all(s["event_types"] == ["order.created"] for s in fake.subscriptions.values())

    async def test_listings_page_through_the_catalogs_variations(
        self, fake: FakeSquare, connector: SquareConnector
    ) -> None:
        for n in range(150):
            fake.add_product(f"SKU-{n}", variant=n % 2 == 0)

        pages = [page async for page in connector.listings()]

        assert len(pages) == 3  # 225 variations, 100 a page; the SKU-less ones are left out
        skus = [listing.sku for page in pages for listing in page]
        assert sorted(skus) == sorted(f"SKU-{n}" for n in range(150))
        assert all(listing.variant_id and listing.product_id for page in pages for listing in page)

    async def test_check_refuses_a_location_the_seller_does_not_have(
        self, fake: FakeSquare, clock: MovableClock, transport: TimingOut
    ) -> None:
        await build(fake, clock, transport, settings={"location_id": fake.location_id}).check()
        wrong = build(fake, clock, transport, settings={"location_id": "LNOPE"})

        with pytest.raises(PlatformRefused, match="LNOPE"):
            await wrong.check()
