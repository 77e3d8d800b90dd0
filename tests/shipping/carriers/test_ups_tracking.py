"""UPS tracking as Orderly's tracking codes (each activity type, with the status codes that say
more), events oldest first with their time and place, and UPS's street-level address checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orderly.shipping.carriers.ups import UpsCarrier
from orderly.shipping.domain import TrackingCode
from orderly.shipping.errors import FeatureNotOffered
from tests.clock import MovableClock
from tests.shipping.carriers.fakes.ups import FakeUps
from tests.shipping.carriers.ups_helpers import (
    CUSTOMER,
    LONDON,
    SHIP_DATE,
    account,
    shipment,
    ups_network,
)
from tests.transports import TimingOut

MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
EASTERN = timezone(timedelta(hours=-5))


@pytest.fixture
def fake(clock: MovableClock) -> FakeUps:
    return FakeUps(clock, today=SHIP_DATE)


@pytest.fixture
def network(fake: FakeUps) -> Iterator[TimingOut]:
    with ups_network(fake) as transport:
        yield transport


@pytest.fixture
def ups(fake: FakeUps, network: TimingOut) -> UpsCarrier:
    return UpsCarrier(account(fake))


async def label_number(ups: UpsCarrier) -> str:
    return (await ups.create_label(shipment(), "03")).tracking_number


class TestTrackingCodes:
    @pytest.mark.parametrize(
        ("kind", "status_code", "description", "expected"),
        [
            ("P", "038", "Pickup Scan", TrackingCode.IN_TRANSIT),
            ("I", "005", "Departed from Facility", TrackingCode.IN_TRANSIT),
            ("I", "072", "Loaded on Delivery Vehicle", TrackingCode.OUT_FOR_DELIVERY),
            ("O", "021", "Out For Delivery Today", TrackingCode.OUT_FOR_DELIVERY),
            ("D", "011", "Delivered", TrackingCode.DELIVERED),
            ("X", "048", "Severe weather conditions have delayed delivery", TrackingCode.EXCEPTION),
            ("RS", "029", "Returned to shipper", TrackingCode.RETURNED_TO_SENDER),
            (
                "X",
                "067",
                "Returned to the sender by the post office",
                TrackingCode.RETURNED_TO_SENDER,
            ),
        ],
    )
    async def test_each_ups_status_becomes_its_code(
        self,
        ups: UpsCarrier,
        fake: FakeUps,
        kind: str,
        status_code: str,
        description: str,
        expected: TrackingCode,
    ) -> None:
        number = await label_number(ups)
        fake.add_activity(number, kind, status_code, description, MORNING)
        [update] = await ups.track(number)
        assert (update.code, update.description) == (expected, description)

    async def test_a_label_not_yet_handed_over_has_no_news(self, ups: UpsCarrier) -> None:
        assert await ups.track(await label_number(ups)) == []

    async def test_a_voided_label_has_no_news(self, ups: UpsCarrier) -> None:
        number = await label_number(ups)
        await ups.cancel_label(number)
        assert await ups.track(number) == []

    async def test_an_unknown_number_has_no_news(self, ups: UpsCarrier) -> None:
        assert await ups.track("1Z8R7X440399999990") == []


class TestTimeline:
    async def test_events_oldest_first_with_their_local_time_and_place(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        number = await label_number(ups)
        later = MORNING + timedelta(hours=30)
        fake.add_activity(number, "D", "011", "Delivered", later, city="New York", state="NY")
        fake.add_activity(number, "P", "038", "Pickup Scan", MORNING, city="Newark", state="NJ")
        fake.add_activity(
            number, "I", "005", "Arrived at Facility", MORNING + timedelta(hours=9),
            city="Secaucus", state="NJ",
        )  # fmt: skip
        updates = await ups.track(number)
        assert [u.code for u in updates] == [
            TrackingCode.IN_TRANSIT,
            TrackingCode.IN_TRANSIT,
            TrackingCode.DELIVERED,
        ]
        assert [u.location for u in updates] == [
            "Newark, NJ, US",
            "Secaucus, NJ, US",
            "New York, NY, US",
        ]
        assert updates[0].occurred_at == MORNING
        assert updates[0].occurred_at.utcoffset() == EASTERN.utcoffset(None)
        assert updates[-1].occurred_at == later

    async def test_a_multi_parcel_shipment_is_tracked_by_its_master_number(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        label = await ups.create_label(shipment(*[shipment().parcels[0]] * 2), "03")
        master, second = (p.tracking_number for p in label.pieces)
        fake.add_activity(master, "D", "011", "Delivered", MORNING)
        fake.add_activity(second, "X", "048", "Damaged", MORNING)
        assert [u.code for u in await ups.track(label.tracking_number)] == [TrackingCode.DELIVERED]
        assert [u.code for u in await ups.track(second)] == [TrackingCode.EXCEPTION]


class TestAddressValidation:
    async def test_a_known_address_is_deliverable_and_residential(self, ups: UpsCarrier) -> None:
        check = await ups.validate_address(CUSTOMER)
        assert check.deliverable
        assert check.residential is True
        [standard] = check.suggestions
        assert standard["line1"] == "15 LINDEN AVE"
        assert standard["postal_code"] == "10019-2202"

    async def test_a_wrong_house_number_gets_suggestions(self, ups: UpsCarrier) -> None:
        check = await ups.validate_address(CUSTOMER | {"line1": "19 Linden Avenue"})
        assert not check.deliverable
        assert [s["line1"] for s in check.suggestions] == ["15 LINDEN AVE", "17 LINDEN AVE"]
        assert check.messages

    async def test_an_unknown_street_is_not_deliverable(self, ups: UpsCarrier) -> None:
        check = await ups.validate_address(CUSTOMER | {"line1": "1 Nowhere Rd"})
        assert not check.deliverable
        assert check.suggestions == ()

    async def test_outside_the_us_and_puerto_rico_it_is_not_offered(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        with pytest.raises(FeatureNotOffered):
            await ups.validate_address(LONDON)
        assert fake.calls("/addressvalidation/") == 0
