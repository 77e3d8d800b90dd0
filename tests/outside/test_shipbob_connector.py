"""The ShipBob connector against a fake that answers as ShipBob's specification says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orderly.outside.errors import ProviderCredentialsRefused, ProviderRefused
from orderly.outside.port import (
    CancelOutcome,
    EventKind,
    OutboundLine,
    OutboundOrder,
    ProviderAccess,
    SentOrder,
    ShipTo,
)
from orderly.outside.provider_http import provider_client
from orderly.outside.shipbob.connector import ShipBobProvider
from tests.clock import MovableClock
from tests.outside.fakes.shipbob import FakeShipBob
from tests.transports import TimingOut


def build(
    fake: FakeShipBob, transport: httpx.AsyncBaseTransport, **overrides: Any
) -> ShipBobProvider:
    client = httpx.AsyncClient(transport=transport)
    access = ProviderAccess(
        settings=overrides.pop("settings", {"channel_id": fake.channel_id}),
        credentials=overrides.pop("credentials", {"token": fake.token}),
        http=provider_client(client, kind="shipbob", clock=fake.clock),
    )
    return ShipBobProvider(access)


@pytest.fixture
def fake() -> FakeShipBob:
    return FakeShipBob(MovableClock())


@pytest.fixture
def transport(fake: FakeShipBob) -> TimingOut:
    return TimingOut(httpx.ASGITransport(app=fake.app))


def order(reference: str = "FO-1", **overrides: Any) -> OutboundOrder:
    values: dict[str, Any] = {
        "reference": reference,
        "order_number": "1001",
        "ship_to": ShipTo(name="Ann Lee", line1="5 Elm St", city="Boston", country="US"),
        "lines": (OutboundLine(1, "MUG", "Mug deluxe", 2),),
        "ordered_at": datetime(2026, 1, 5, tzinfo=UTC),
    }
    values.update(overrides)
    return OutboundOrder(**values)


class TestCreatingOrders:
    async def test_an_order_is_created_with_our_reference_and_found_by_it(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        sent = await shipbob.send(order())
        assert fake.orders[int(sent.provider_ref)]["reference_id"] == "FO-1"
        assert await shipbob.find("FO-1") == sent
        assert await shipbob.find("FO-2") is None

    async def test_a_lost_answer_is_not_sent_again_and_the_order_is_found(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        transport.lose_next_answers(1)
        with pytest.raises(Exception) as lost:
            await shipbob.send(order())
        assert getattr(lost.value, "code", None) == "provider_outcome_unknown"
        assert len(fake.orders) == 1
        found = await shipbob.find("FO-1")
        assert found is not None
        assert await shipbob.send(order()) == found  # sending again finds it, makes none
        assert len(fake.orders) == 1

    async def test_shipbob_refuses_what_its_specification_refuses(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        nameless = order(lines=(OutboundLine(1, "NEW-SKU", "", 1),))
        with pytest.raises(ProviderRefused) as refused:
            await shipbob.send(nameless)
        assert "name" in refused.value.detail
        with pytest.raises(ProviderRefused):
            await shipbob.send(order(ship_to=ShipTo(name="Ann", line1="", city="X", country="US")))
        assert fake.orders == {}

    async def test_a_wrong_token_is_refused_as_credentials(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport, credentials={"token": "wrong"})
        with pytest.raises(ProviderCredentialsRefused):
            await shipbob.check()

    async def test_a_channel_without_access_is_refused(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport, settings={"channel_id": 1})
        with pytest.raises(ProviderCredentialsRefused):
            await shipbob.send(order())

    async def test_a_429_waits_what_x_retry_after_asks(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        fake.throttle_next(1, retry_after=25)
        await shipbob.send(order())
        assert fake.rate_limited == 1
        assert 25 in fake.clock.slept
        assert len(fake.orders) == 1


class TestNews:
    async def test_a_completed_shipment_is_news_with_its_tracking_and_units(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        sent = await shipbob.send(order(lines=(OutboundLine(1, "MUG", "Mug", 3),)))
        polled = await shipbob.poll([sent])
        assert [e.kind for e in polled.events] == [EventKind.ACCEPTED]
        fake.ship("FO-1", tracking_number="1ZTRACK1", units={"MUG": 1})
        fake.ship("FO-1", tracking_number="1ZTRACK2")
        events = (await shipbob.poll([sent])).events
        shipped = [e for e in events if e.kind is EventKind.SHIPPED]
        assert sorted(
            (e.parcels[0].tracking_number, dict(e.parcels[0].units)) for e in shipped
        ) == [
            ("1ZTRACK1", {"MUG": 1}),
            ("1ZTRACK2", {"MUG": 2}),
        ]
        again = (await shipbob.poll([sent])).events
        assert {e.event_id for e in again} == {e.event_id for e in events}

    async def test_cancelling_before_it_left_succeeds_after_it_is_refused(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        shipbob = build(fake, transport)
        first = await shipbob.send(order("FO-1"))
        second = await shipbob.send(order("FO-2"))
        fake.ship("FO-2")
        assert await shipbob.cancel(first, reason="customer") is CancelOutcome.CANCELLED
        assert await shipbob.cancel(second, reason="customer") is CancelOutcome.REFUSED
        kinds = {e.reference: e.kind for e in (await shipbob.poll([first])).events}
        assert kinds["FO-1"] is EventKind.CANCELLED
        assert await shipbob.cancel(SentOrder("FO-9", "99"), reason="x") is CancelOutcome.REFUSED


class TestStock:
    async def test_inventory_levels_are_read_page_by_page(
        self, fake: FakeShipBob, transport: TimingOut
    ) -> None:
        for n in range(260):
            fake.set_stock(f"SKU-{n:03}", n)
        snapshot = await build(fake, transport).stock()
        assert snapshot is not None
        assert len(snapshot.on_hand) == 260
        assert snapshot.on_hand["SKU-259"] == 259
