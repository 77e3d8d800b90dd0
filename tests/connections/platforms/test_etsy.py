"""The Etsy connector against a fake shop that answers as Etsy's Open API v3 documents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from orderly.connections.platforms.etsy import oauth
from orderly.connections.platforms.etsy.connector import EtsyConnector
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
from tests.connections.fakes.etsy import FakeEtsy
from tests.transports import TimingOut

ROOT = "https://openapi.etsy.test"
HOOK_URL = "https://orderly.example.com/hooks/etsy/7"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake(clock: MovableClock) -> FakeEtsy:
    return FakeEtsy(clock)


@pytest.fixture
def transport(fake: FakeEtsy) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def build(
    fake: FakeEtsy, clock: MovableClock, transport: httpx.AsyncBaseTransport, **overrides: Any
) -> EtsyConnector:
    client = httpx.AsyncClient(transport=transport)
    settings = {"shop_id": str(fake.shop_id), **overrides.pop("settings", {})}
    access = PlatformAccess(
        base_url=ROOT,
        credentials=overrides.pop("credentials", fake.credentials),
        settings=settings,
        http=platform_client(client, platform="etsy", clock=clock),
    )
    return EtsyConnector(access)


@pytest.fixture
def connector(fake: FakeEtsy, clock: MovableClock, transport: TimingOut) -> EtsyConnector:
    return build(fake, clock, transport)


def inbound(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest(
        url=HOOK_URL, headers={k.lower(): v for k, v in headers.items()}, body=body
    )


def receipts_path(fake: FakeEtsy) -> str:
    return f"/v3/application/shops/{fake.shop_id}/receipts"


def inventory_path(listing_id: int) -> str:
    return f"/v3/application/listings/{listing_id}/inventory"


async def pull_all(connector: EtsyConnector, cursor: str | None) -> tuple[list[Any], str]:
    orders: list[Any] = []
    last = cursor
    async for page in connector.orders_changed_since(cursor):
        orders.extend(page.orders)
        last = page.cursor
    assert last is not None
    return orders, last


async def listed(connector: EtsyConnector) -> dict[str, Listing]:
    return {listing.sku: listing async for page in connector.listings() for listing in page}


def shipped(order_id: str, line_id: str, **fields: Any) -> FulfillmentPush:
    values: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": None,
        "shipped_at": utcnow(),
        "reference": "ful_1",
    }
    values.update(fields)
    return FulfillmentPush(
        platform_order_id=order_id, lines=(FulfilledLine(line_id, "MUG-1", 1),), **values
    )


class TestOAuthStart:
    def test_the_code_challenge_is_s256_as_rfc_7636_and_etsys_own_example_give_it(self) -> None:
        rfc = oauth.challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        etsys = oauth.challenge_of("vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid")
        pair = oauth.new_pkce()

        assert rfc == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        assert etsys == "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI"
        assert len(pair.verifier) == 43 and pair.challenge == oauth.challenge_of(pair.verifier)
        assert set(pair.verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )

    def test_the_authorize_url_names_what_etsy_asks_for(self) -> None:
        url = oauth.authorize_url(
            keystring="1aa2bb33c44d55eeeeee6fff",
            redirect_uri="https://orderly.example.com/etsy/callback",
            state="superstate",
            challenge="DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI",
        )

        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert (
            f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.etsy.com/oauth/connect"
        )
        assert query == {
            "response_type": "code",
            "client_id": "1aa2bb33c44d55eeeeee6fff",
            "redirect_uri": "https://orderly.example.com/etsy/callback",
            "scope": "transactions_r transactions_w listings_r listings_w shops_r",
            "state": "superstate",
            "code_challenge": "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI",
            "code_challenge_method": "S256",
        }
        assert "scope=transactions_r%20transactions_w" in url

    async def test_the_sellers_code_and_verifier_give_a_working_pair(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        redirect = "https://orderly.example.com/etsy/callback"
        pkce = oauth.new_pkce()
        code = fake.authorize(challenge=pkce.challenge, redirect_uri=redirect)
        http = platform_client(httpx.AsyncClient(transport=transport), platform="etsy", clock=clock)

        with pytest.raises(CredentialsRefused):
            await oauth.exchange_code(
                http, ROOT, keystring=fake.keystring, redirect_uri=redirect, code=code,
                verifier=oauth.new_pkce().verifier,
            )  # fmt: skip
        code = fake.authorize(challenge=pkce.challenge, redirect_uri=redirect)
        pair = await oauth.exchange_code(
            http, ROOT, keystring=fake.keystring, redirect_uri=redirect, code=code,
            verifier=pkce.verifier,
        )  # fmt: skip
        credentials = {
            **fake.credentials,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
        }

        await build(fake, clock, transport, credentials=credentials).check()
        assert pair.access_token.startswith(f"{fake.user_id}.")


class TestTokens:
    async def test_an_expired_token_is_refreshed_once_and_the_new_pair_is_offered(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        before = fake.credentials
        clock.advance(3601)

        await connector.fetch_order(order_id)
        await connector.fetch_order(order_id)

        assert fake.refreshes == 1 and fake.expired_tokens_seen == 1
        (form,) = fake.sent("POST", "/v3/public/oauth/token")
        assert form == {
            "grant_type": "refresh_token",
            "client_id": fake.keystring,
            "refresh_token": before["refresh_token"],
        }
        assert connector.refreshed_credentials == {
            **before,
            "access_token": fake.access_token,
            "refresh_token": fake.refresh_token,
        }

    async def test_the_rotated_pair_is_handed_to_the_connection_to_keep_at_once(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        kept: list[Mapping[str, str]] = []

        async def keep(rotated: Mapping[str, str]) -> None:
            kept.append(rotated)

        client = httpx.AsyncClient(transport=transport)
        connector = EtsyConnector(
            PlatformAccess(
                base_url=ROOT,
                credentials=fake.credentials,
                settings={"shop_id": str(fake.shop_id)},
                http=platform_client(client, platform="etsy", clock=clock),
                keep_credentials=keep,
            )
        )
        order_id = fake.place_order([("MUG-1", 1)])
        clock.advance(3601)
        await connector.fetch_order(order_id)
        assert kept == [{"access_token": fake.access_token, "refresh_token": fake.refresh_token}]

    async def test_a_connector_built_from_the_spent_pair_starts_from_the_rotated_one(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        stale = fake.credentials
        clock.advance(3601)
        await build(fake, clock, transport).fetch_order(order_id)

        second = build(fake, clock, transport, credentials=stale)
        await second.fetch_order(order_id)

        assert fake.refreshes == 1  # the spent refresh token was not sent again
        assert second.refreshed_credentials is not None
        assert second.refreshed_credentials["refresh_token"] == fake.refresh_token

    async def test_a_known_lifetime_is_refreshed_before_etsy_refuses_it(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        clock.advance(3601)
        await connector.fetch_order(order_id)  # refused once, refreshed: the hour is known now
        clock.advance(3590)

        await connector.fetch_order(order_id)

        assert fake.refreshes == 2 and fake.expired_tokens_seen == 1

    async def test_a_revoked_refresh_token_asks_for_the_shop_to_be_connected_again(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        fake.revoke_refresh_tokens()
        clock.advance(3601)

        with pytest.raises(CredentialsRefused, match="connect the Etsy shop again"):
            await connector.fetch_order(order_id)
        assert connector.refreshed_credentials is None

    async def test_a_wrong_shared_secret_is_refused_without_spending_a_refresh(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        wrong = build(
            fake, clock, transport, credentials={**fake.credentials, "shared_secret": "nope"}
        )

        with pytest.raises(CredentialsRefused, match="Shared secret"):
            await wrong.check()
        assert fake.refreshes == 0


class TestWebhookIn:
    def test_a_signed_paid_order_event_names_its_receipt(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "created")

        event = connector.read_webhook(inbound(headers, body))

        assert event is not None
        assert (event.topic, event.platform_order_id) == ("order.paid", order_id)
        assert event.event_id == headers["webhook-id"]

    def test_bad_missing_stale_and_foreign_signatures_are_refused(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        headers, body = fake.order_webhook(order_id, "created")
        stale = fake.signed_webhook(
            "order.paid", receipt_id=order_id, sent_at=int(utcnow().timestamp()) - 600
        )
        unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
        connector = build(fake, clock, transport)
        placeholder = build(
            fake, clock, transport, credentials={**fake.credentials, "webhook_secret": "pending"}
        )

        for request in (
            inbound(headers, body.replace(order_id.encode(), b"999")),
            inbound(unsigned, body),
            inbound({**headers, "webhook-signature": "v1,AAAA"}, body),
            inbound(*stale),
        ):
            with pytest.raises(WebhookRefused):
                connector.read_webhook(request)
        with pytest.raises(WebhookRefused):
            placeholder.read_webhook(inbound(headers, body))

    def test_another_shops_event_and_other_events_are_answered_and_not_kept(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        foreign = fake.signed_webhook("order.paid", receipt_id=order_id, shop_id=1234)
        other = fake.signed_webhook("listing.updated", receipt_id=order_id)

        assert connector.read_webhook(inbound(*foreign)) is None
        assert connector.read_webhook(inbound(*other)) is None

    async def test_the_event_brings_the_receipt(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.add_product("MUG-1")
        order_id = fake.place_order([("MUG-1", 2)])
        event = connector.read_webhook(inbound(*fake.order_webhook(order_id, "created")))
        assert event is not None

        order = await connector.order_of_event(event)

        assert order is not None and order.platform_order_id == order_id
        assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2)]


class TestOrdersIn:
    async def test_a_receipt_maps_money_taxes_discount_address_and_ship_by(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.add_product("MUG-1")
        fake.add_product("TEE-M", variant=True)
        order_id = fake.place_order(
            [("MUG-1", 2), ("TEE-M", 1)],
            unit_price="19.99",
            tax="4.01",
            vat="1.00",
            discount="5.00",
            shipping="4.50",
            ship_within_days=[5, 2],
        )

        order = await connector.fetch_order(order_id)

        receipt = fake.receipts[int(order_id)]
        mug, tee = order.lines
        assert order.currency == "USD" and order.number == order_id
        assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2), ("TEE-M", 1)]
        assert mug.unit_price_minor == tee.unit_price_minor == 1999
        assert mug.tax_minor + tee.tax_minor == 501  # sales tax and VAT, spread by value
        assert mug.tax_minor == 334 and mug.discount_minor == tee.discount_minor == 0
        assert order.order_discount_minor == 500 and order.shipping_minor == 450
        assert order.total_minor == 5997 - 500 + 501 + 450 == receipt["grandtotal"]["amount"]
        lines_total = sum(
            line.unit_price_minor * line.quantity + line.tax_minor for line in order.lines
        )
        assert lines_total + order.shipping_minor - order.order_discount_minor == order.total_minor
        assert (mug.product_id, mug.variant_id) == (
            str(receipt["transactions"][0]["listing_id"]),
            str(receipt["transactions"][0]["product_id"]),
        )
        assert order.ship_by == datetime.fromtimestamp(
            receipt["transactions"][1]["expected_ship_date"], tz=UTC
        )
        assert order.payment_status is PlatformPaymentStatus.CAPTURED
        assert order.state is PlatformOrderState.OPEN
        assert (order.customer_email, order.customer_name) == ("buyer@example.com", "Jane Doe")
        address = order.shipping_address
        assert address is not None
        assert (address.line1, address.line2, address.city, address.region) == (
            "666 Sussex St",
            "Unit 4",
            "San Antonio",
            "TX",
        )
        assert (address.postal_code, address.country) == ("78251", "US")
        assert order.notes == "Please wrap it" and order.payment_method == "cc"

    async def test_yen_has_no_minor_digits(self, fake: FakeEtsy, connector: EtsyConnector) -> None:
        order = await connector.fetch_order(
            fake.place_order([("MUG-1", 3)], currency="JPY", unit_price="1200")
        )

        assert order.currency == "JPY"
        assert order.lines[0].unit_price_minor == 1200 and order.total_minor == 3600

    async def test_unpaid_cancelled_refunded_and_shipped_receipts(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        unpaid = fake.place_order([("MUG-1", 1)], paid=False)
        cancelled = fake.place_order([("MUG-1", 1)])
        fake.cancel_order(cancelled)
        partly = fake.place_order([("MUG-1", 2)])
        fake.refund(partly, "7.50")
        sent = fake.place_order([("MUG-1", 1)])
        fake.receipts[int(sent)].update(is_shipped=True, status="completed")

        waiting = await connector.fetch_order(unpaid)
        gone = await connector.fetch_order(cancelled)
        part = await connector.fetch_order(partly)
        done = await connector.fetch_order(sent)

        assert waiting.payment_status is PlatformPaymentStatus.PENDING
        assert waiting.state is PlatformOrderState.OPEN
        assert gone.state is PlatformOrderState.CANCELLED
        assert gone.payment_status is PlatformPaymentStatus.REFUNDED
        assert part.payment_status is PlatformPaymentStatus.PARTIALLY_REFUNDED
        assert part.refunded_minor == 750 and part.state is PlatformOrderState.OPEN
        assert done.state is PlatformOrderState.COMPLETED

    async def test_digital_downloads_are_no_lines_and_a_line_without_sku_keeps_its_ids(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.add_product("MUG-1")
        mixed = fake.place_order([("MUG-1", 1), ("PDF-PATTERN", 1)], digital=["PDF-PATTERN"])
        fake.receipts[int(mixed)]["transactions"][0]["sku"] = ""
        only_digital = fake.place_order([("PDF-PATTERN", 1)], digital=["PDF-PATTERN"])
        event = connector.read_webhook(inbound(*fake.order_webhook(only_digital, "created")))
        assert event is not None

        order = await connector.fetch_order(mixed)

        (line,) = order.lines
        assert line.sku is None and line.product_id and line.variant_id
        assert await connector.order_of_event(event) is None


class TestPull:
    async def test_receipts_come_once_oldest_first_page_by_page_and_the_cursor_moves_on(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(250)]

        orders, cursor = await pull_all(connector, None)

        assert [o.platform_order_id for o in orders] == placed
        asked = [p for m, p in fake.requests if p == receipts_path(fake)]
        assert len(asked) == 3
        fake.cancel_order(placed[5])
        newer = fake.place_order([("MUG-1", 2)])
        again, _ = await pull_all(connector, cursor)
        assert [o.platform_order_id for o in again] == [placed[5], newer]
        assert again[0].state is PlatformOrderState.CANCELLED

    async def test_a_receipt_changed_during_the_pull_shifts_no_page(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(150)]
        changes = iter([lambda: fake.touch(placed[10])])
        fake.after_receipts_page = lambda: next(changes, lambda: None)()

        orders, _ = await pull_all(connector, None)

        taken = [o.platform_order_id for o in orders]
        assert set(taken) == set(placed)  # offset paging alone would skip one
        assert taken[-1] == placed[10] and taken.count(placed[10]) == 2

    async def test_changes_in_the_same_second_are_neither_lost_nor_repeated(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.seconds_per_change = 0
        first = [fake.place_order([("MUG-1", 1)]) for _ in range(3)]
        taken, cursor = await pull_all(connector, None)
        later = fake.place_order([("MUG-1", 1)])

        again, _ = await pull_all(connector, cursor)

        assert [o.platform_order_id for o in taken] == first
        assert [o.platform_order_id for o in again] == [later]

    async def test_more_changes_in_one_second_than_a_page_holds_are_all_taken(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        connector = build(fake, clock, transport, settings={"page_size": 10})
        fake.seconds_per_change = 0
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(25)]

        orders, _ = await pull_all(connector, None)

        assert [o.platform_order_id for o in orders] == placed


class TestRateLimits:
    async def test_a_burst_is_spaced_to_ten_calls_a_second_and_counted(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(25)]
        start = clock.now()

        for order_id in placed:
            await connector.fetch_order(order_id)

        assert fake.rate_limited == 0
        assert clock.now() - start >= 2.0  # 25 calls at 10 a second
        budget = connector.budget_used()
        assert (budget.calls, budget.limit_per_day, budget.remaining_today) == (25, 10_000, 9_975)

    async def test_a_429_is_waited_out_as_its_retry_after_asks(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        fake.rate_limit_next(2)

        order = await connector.fetch_order(order_id)

        assert order.platform_order_id == order_id and fake.rate_limited == 2
        assert clock.slept.count(1.0) >= 2

    async def test_a_429_without_retry_after_backs_off_longer_each_time(
        self, fake: FakeEtsy, clock: MovableClock, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        fake.retry_after_on_429 = False
        fake.rate_limit_next(3)
        start = clock.now()

        await connector.fetch_order(order_id)

        assert fake.rate_limited == 3
        assert clock.now() - start >= 0.5 + 1 + 2  # half of 1, 2 and 4 s at least

    async def test_a_spent_day_stops_the_calls_until_it_refills(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        fake.per_day = 3
        for _ in range(3):
            await connector.fetch_order(order_id)
        asked = len(fake.requests)

        with pytest.raises(PlatformBusy) as busy:
            await connector.fetch_order(order_id)

        assert busy.value.extra["retry_after"] > 0
        assert len(fake.requests) == asked and fake.rate_limited == 0

    async def test_stock_pushes_leave_the_last_calls_of_the_day_to_orders(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        fake.per_day = 100
        connector = build(fake, clock, transport, settings={"stock_reserve": 98})
        for sku in ("A", "B", "C"):
            fake.add_product(sku)
        listings = await listed(connector)  # one call: 99 left

        result = await connector.push_stock([StockQuantity(listings[s], 7) for s in "ABC"])

        assert result.pushed == 1 and [fake.available(s) for s in "ABC"] == [7, 5, 5]
        assert set(result.refused) == {"B", "C"} and "daily allowance" in result.refused["B"]
        order_id = fake.place_order([("A", 1)])
        assert (await connector.fetch_order(order_id)).platform_order_id == order_id


class TestStockOut:
    async def test_only_the_skus_quantity_changes_and_the_rest_goes_back_as_it_was(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        listing_id = fake.add_listing(
            [("TEE-S", 4), ("TEE-M", 6), ("TEE-L", 8)], prices=["19.99", "21.50", "23.00"]
        )
        before = json.loads(json.dumps(fake.listings[listing_id]["inventory"]))
        listings = await listed(connector)

        result = await connector.push_stock([StockQuantity(listings["TEE-M"], 2)])

        assert result.pushed == 1 and not result.refused
        assert [fake.available(s) for s in ("TEE-S", "TEE-M", "TEE-L")] == [4, 2, 8]
        assert [fake.price_of(s) for s in ("TEE-S", "TEE-M", "TEE-L")] == [
            (1999, 100),
            (2150, 100),
            (2300, 100),
        ]
        (body,) = fake.sent("PUT", inventory_path(listing_id))
        product = body["products"][1]
        assert set(product) == {"sku", "property_values", "offerings"}
        assert product["offerings"] == [
            {"price": 21.5, "quantity": 2, "is_enabled": True, "readiness_state_id": 5551}
        ]
        assert "scale_name" not in product["property_values"][0]
        assert product["property_values"][0]["value_ids"] == [8001]
        after = fake.listings[listing_id]["inventory"]
        assert [p["property_values"][0]["values"] for p in after["products"]] == [
            p["property_values"][0]["values"] for p in before["products"]
        ]
        assert after["quantity_on_property"] == before["quantity_on_property"]

    async def test_two_skus_of_one_listing_cost_one_read_and_one_write_even_with_new_ids(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        listing_id = fake.add_listing([("TEE-S", 4), ("TEE-M", 6)])
        listings = await listed(connector)
        quantities = [StockQuantity(listings["TEE-S"], 1), StockQuantity(listings["TEE-M"], 9)]

        await connector.push_stock(quantities)
        await connector.push_stock([StockQuantity(listings["TEE-S"], 3)])  # ids changed since

        assert fake.calls("GET", inventory_path(listing_id)) == 2
        assert fake.calls("PUT", inventory_path(listing_id)) == 2
        assert [fake.available(s) for s in ("TEE-S", "TEE-M")] == [3, 9]

    async def test_an_unchanged_quantity_is_not_written(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        listing_id = fake.add_listing([("MUG-1", 5)])
        listings = await listed(connector)

        result = await connector.push_stock([StockQuantity(listings["MUG-1"], 5)])

        assert result.pushed == 1 and fake.calls("PUT", inventory_path(listing_id)) == 0

    async def test_etsy_cannot_show_a_listing_sold_out_and_caps_an_offering_at_999(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        single = fake.add_listing([("MUG-1", 5)])
        fake.add_listing([("TEE-S", 4), ("TEE-M", 6)])
        listings = await listed(connector)

        result = await connector.push_stock(
            [
                StockQuantity(listings["MUG-1"], 0),
                StockQuantity(listings["TEE-S"], 0),
                StockQuantity(listings["TEE-M"], 5_000),
            ]
        )

        assert result.pushed == 2 and set(result.refused) == {"MUG-1"}
        assert "at least one unit" in result.refused["MUG-1"]
        assert fake.calls("PUT", inventory_path(single)) == 0
        assert [fake.available(s) for s in ("MUG-1", "TEE-S", "TEE-M")] == [5, 0, 999]

    async def test_a_gone_listing_or_an_unlisted_sku_is_refused_and_the_rest_is_set(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.add_product("MUG-1")
        listings = await listed(connector)
        quantities = [
            StockQuantity(Listing(sku="GONE", product_id="999"), 3),
            StockQuantity(Listing(sku="NEVER"), 3),
            StockQuantity(listings["MUG-1"], 3),
        ]

        result = await connector.push_stock(quantities)

        assert result.pushed == 1 and fake.available("MUG-1") == 3
        assert "not found" in result.refused["GONE"] and "no listing id" in result.refused["NEVER"]

    async def test_persistent_5xx_pushes_nothing(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        fake.add_product("MUG-1")
        listings = await listed(connector)
        fake.fail_next(50, status=500)

        with pytest.raises(PlatformUnavailable):
            await connector.push_stock([StockQuantity(listings["MUG-1"], 1)])
        assert fake.available("MUG-1") == 5

    async def test_the_fake_refuses_what_etsy_refuses(self, fake: FakeEtsy) -> None:
        listing_id = fake.add_listing([("MUG-1", 5)])
        read_shape = json.loads(json.dumps(fake.listings[listing_id]["inventory"]))
        headers = {"x-api-key": f"{fake.keystring}:{fake.shared_secret}"}
        bearer = {**headers, "Authorization": f"Bearer {fake.access_token}"}
        zero = json.loads(json.dumps(read_shape))
        zero_product = zero["products"][0]
        zero["products"] = [
            {
                "sku": zero_product["sku"],
                "property_values": [],
                "offerings": [
                    {"price": 10.0, "quantity": 0, "is_enabled": True, "readiness_state_id": 5551}
                ],
            }
        ]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url=ROOT
        ) as raw:
            as_read = await raw.put(inventory_path(listing_id), json=read_shape, headers=bearer)
            all_zero = await raw.put(inventory_path(listing_id), json=zero, headers=bearer)
            no_secret = await raw.get(
                "/v3/application/users/me",
                headers={**bearer, "x-api-key": fake.keystring},
            )
            too_many = await raw.get(receipts_path(fake), params={"limit": 101}, headers=bearer)

        assert as_read.status_code == 400 and "Unknown" in as_read.json()["error"]
        assert all_zero.json() == {"error": "One offering must have quantity greater than 0"}
        assert no_secret.status_code == 403 and too_many.status_code == 400
        assert fake.available("MUG-1") == 5


class TestListings:
    async def test_listings_page_through_active_and_inactive_with_their_inventory(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        for n in range(150):
            fake.add_product(f"SKU-{n}", variant=n % 2 == 0)
        fake.add_listing([("OFF-1", 1)], state="inactive")
        fake.add_listing([("SOLD-1", 0)], state="sold_out")
        fake.add_listing([("DRAFT-1", 1)], state="draft")

        pages = [page async for page in connector.listings()]

        skus = [listing.sku for page in pages for listing in page]
        assert len(pages) == 3 and len(skus) == 150 + 75 + 1
        assert "OFF-1" in skus and "SOLD-1" not in skus and "DRAFT-1" not in skus
        assert not any(p.endswith("/inventory") for _, p in fake.requests)
        assert all(listing.product_id and listing.variant_id for page in pages for listing in page)


class TestFulfillmentOut:
    async def test_tracking_is_sent_once_with_etsys_carrier_name(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 2)])
        line = (await connector.fetch_order(order_id)).lines[0].platform_line_id

        first = await connector.push_fulfillment(shipped(order_id, line))
        again = await connector.push_fulfillment(shipped(order_id, line))

        (shipment,) = fake.shipments_of(order_id)
        assert first == again == str(shipment["receipt_shipping_id"])
        assert (shipment["carrier_name"], shipment["tracking_code"]) == (
            "ups",
            "1Z999AA10123456784",
        )
        (body,) = fake.sent("POST", f"{receipts_path(fake)}/{order_id}/tracking")
        assert body == {
            "tracking_code": "1Z999AA10123456784",
            "carrier_name": "ups",
            "send_bcc": False,
        }
        assert (await connector.fetch_order(order_id)).state is PlatformOrderState.COMPLETED

    async def test_a_carrier_etsy_does_not_know_goes_as_other_named_to_the_buyer(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])

        await connector.push_fulfillment(
            shipped(order_id, "t1", carrier="Parcelforce", tracking_url="https://pf.example/1")
        )

        (shipment,) = fake.shipments_of(order_id)
        assert shipment["carrier_name"] == "other"
        assert "Parcelforce" in shipment["note_to_buyer"]
        assert "https://pf.example/1" in shipment["note_to_buyer"]

    async def test_a_lost_answer_is_not_repeated_blindly(
        self, fake: FakeEtsy, clock: MovableClock
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        inner = httpx.ASGITransport(app=fake.app)

        class LoseTrackingAnswer(httpx.AsyncBaseTransport):
            lost = 0

            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                response = await inner.handle_async_request(request)
                if request.url.path.endswith("/tracking") and not self.lost:
                    self.lost += 1
                    raise httpx.ReadTimeout("the answer was lost", request=request)
                return response

        connector = build(fake, clock, LoseTrackingAnswer())

        with pytest.raises(PlatformUnavailable):
            await connector.push_fulfillment(shipped(order_id, "t1"))
        made = await connector.push_fulfillment(shipped(order_id, "t1"))

        (shipment,) = fake.shipments_of(order_id)
        assert made == str(shipment["receipt_shipping_id"])

    async def test_a_cancelled_receipt_is_not_shipped(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])
        fake.cancel_order(order_id)

        with pytest.raises(PlatformRefused, match="canceled"):
            await connector.push_fulfillment(shipped(order_id, "t1"))
        assert fake.calls("POST", f"{receipts_path(fake)}/{order_id}/tracking") == 0


class TestCancellationOut:
    async def test_etsy_cannot_cancel_for_an_app_so_the_seller_is_told_where_to(
        self, fake: FakeEtsy, connector: EtsyConnector
    ) -> None:
        order_id = fake.place_order([("MUG-1", 1)])

        with pytest.raises(PlatformRefused, match="Shop Manager"):
            await connector.push_cancellation(order_id, reason="customer asked")
        fake.cancel_order(order_id)
        await connector.push_cancellation(order_id, reason="customer asked")


class TestSetUp:
    async def test_check_refuses_a_shop_the_token_does_not_own(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        await build(fake, clock, transport).check()
        wrong = build(fake, clock, transport, settings={"shop_id": "123"})

        with pytest.raises(PlatformRefused, match=str(fake.shop_id)) as refused:
            await wrong.check()
        assert refused.value.field == "settings.shop_id"

    async def test_timeouts_raise_unavailable(
        self, connector: EtsyConnector, transport: TimingOut
    ) -> None:
        transport.time_out_next(50)

        with pytest.raises(PlatformUnavailable):
            await connector.check()

    async def test_the_registry_builds_it_and_gives_out_its_webhook_url(
        self, fake: FakeEtsy, connector: EtsyConnector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(registry, "_PLATFORMS", dict(registry._PLATFORMS))
        registry.register_platform(EtsyConnector)
        installation = Installation(
            allow_private_urls=False, public_url="https://orderly.example.com/", vault=Vault("k")
        )

        assert registry.connector_class("etsy") is EtsyConnector
        assert installation.webhook_url("etsy", 7) == HOOK_URL
        assert set(fake.credentials) == set(EtsyConnector.credential_keys)
        assert await connector.register_webhooks(HOOK_URL) == []


class TestSharedApplication:
    async def test_two_connections_of_one_app_share_its_second_without_failing(
        self, fake: FakeEtsy, clock: MovableClock, transport: TimingOut
    ) -> None:
        placed = [fake.place_order([("MUG-1", 1)]) for _ in range(15)]
        first, second = build(fake, clock, transport), build(fake, clock, transport)

        for order_id in placed:
            assert (await first.fetch_order(order_id)).platform_order_id == order_id
            assert (await second.fetch_order(order_id)).platform_order_id == order_id

        assert first.budget_used().calls + second.budget_used().calls >= 30
