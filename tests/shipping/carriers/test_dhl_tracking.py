"""DHL Express tracking (every checkpoint code as one of ours, oldest first, with time and
place) and DHL's address check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.domain import TrackingCode
from tests.shipping.carriers.dhl_cases import (
    CET,
    EST,
    MUGS,
    NEW_YORK,
    PRAGUE,
    DhlCase,
    raw_client,
    shipment,
    signed,
)
from tests.shipping.carriers.fakes.dhl import FakeDhlExpress

CODES = [
    ("PU", TrackingCode.IN_TRANSIT),
    ("AF", TrackingCode.IN_TRANSIT),
    ("PL", TrackingCode.IN_TRANSIT),
    ("DF", TrackingCode.IN_TRANSIT),
    ("AR", TrackingCode.IN_TRANSIT),
    ("CR", TrackingCode.IN_TRANSIT),
    ("WC", TrackingCode.OUT_FOR_DELIVERY),
    ("OK", TrackingCode.DELIVERED),
    ("DD", TrackingCode.DELIVERED),
    ("RT", TrackingCode.RETURNED_TO_SENDER),
    ("CA", TrackingCode.EXCEPTION),
    ("NH", TrackingCode.EXCEPTION),
    ("BA", TrackingCode.EXCEPTION),
    ("HP", TrackingCode.EXCEPTION),
    ("OH", TrackingCode.EXCEPTION),
    ("RD", TrackingCode.EXCEPTION),
    ("CD", TrackingCode.EXCEPTION),
    ("PD", TrackingCode.EXCEPTION),
]


class TestTracking(DhlCase):
    @pytest.mark.parametrize(("dhl_code", "ours"), CODES)
    async def test_each_dhl_checkpoint_means_one_of_our_codes(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress, dhl_code: str, ours: TrackingCode
    ) -> None:
        label = await dhl.create_label(shipment(), "N")
        fake.scan(label.tracking_number, dhl_code, datetime(2026, 12, 1, 18, 5, tzinfo=CET))
        [update] = await dhl.track(label.tracking_number)
        assert update.code == ours

    async def test_events_come_oldest_first_with_their_time_and_place(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        label = await dhl.create_label(shipment(ship_to=NEW_YORK, customs=MUGS), "P")
        number = label.tracking_number
        fake.scan(number, "DUMMY_PU", datetime(2026, 12, 1, 12, 0, tzinfo=CET))
        fake.scan(number, "PU", datetime(2026, 12, 1, 18, 5, tzinfo=CET))
        fake.scan(number, "DF", datetime(2026, 12, 1, 23, 40, tzinfo=CET))
        fake.scan(number, "ZZ", datetime(2026, 12, 2, 1, 0, tzinfo=CET))  # a code DHL adds later
        fake.scan(
            number, "WC", datetime(2026, 12, 3, 8, 10, tzinfo=EST), place=("JFK", "NEW YORK-US")
        )
        fake.scan(
            number,
            "OK",
            datetime(2026, 12, 3, 11, 59, tzinfo=EST),
            place=("JFK", "NEW YORK-US"),
            signed_by="A LOVELACE",
        )
        # A checkpoint keyed in after the delivery: DHL lists events as they were recorded.
        fake.scan(
            number, "AF", datetime(2026, 12, 2, 6, 30, tzinfo=EST), place=("JFK", "NEW YORK-US")
        )
        updates = await dhl.track(number)
        assert [u.code for u in updates] == [
            TrackingCode.IN_TRANSIT,
            TrackingCode.IN_TRANSIT,
            TrackingCode.IN_TRANSIT,
            TrackingCode.OUT_FOR_DELIVERY,
            TrackingCode.DELIVERED,
        ]
        assert [u.occurred_at for u in updates] == [
            datetime(2026, 12, 1, 17, 5, tzinfo=UTC),
            datetime(2026, 12, 1, 22, 40, tzinfo=UTC),
            datetime(2026, 12, 2, 11, 30, tzinfo=UTC),
            datetime(2026, 12, 3, 13, 10, tzinfo=UTC),
            datetime(2026, 12, 3, 16, 59, tzinfo=UTC),
        ]
        assert [u.location for u in updates] == [
            "PRAGUE-CZ",
            "PRAGUE-CZ",
            "NEW YORK-US",
            "NEW YORK-US",
            "NEW YORK-US",
        ]
        assert updates[-1].description == "Delivered"

    async def test_returned_to_the_shipper(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        label = await dhl.create_label(shipment(), "N")
        fake.scan(label.tracking_number, "PU", datetime(2026, 12, 1, 18, 0, tzinfo=CET))
        fake.scan(label.tracking_number, "RD", datetime(2026, 12, 2, 10, 0, tzinfo=CET))
        fake.scan(label.tracking_number, "RT", datetime(2026, 12, 4, 9, 0, tzinfo=CET))
        codes = [u.code for u in await dhl.track(label.tracking_number)]
        assert codes[-1] == TrackingCode.RETURNED_TO_SENDER

    async def test_a_number_dhl_does_not_know_has_no_news(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        assert await dhl.track("1234567890") == []
        async with raw_client(fake) as raw:
            unknown = await raw.get("/shipments/1234567890/tracking", **signed(fake))
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == "No data found"


class TestAddressCheck(DhlCase):
    async def test_an_address_dhl_serves(self, dhl: DhlExpressCarrier) -> None:
        check = await dhl.validate_address(PRAGUE)
        assert check.deliverable is True
        assert check.residential is None  # DHL does not say
        assert check.suggestions == ()

    async def test_a_wrong_city_gets_dhl_s_spelling_as_a_suggestion(
        self, dhl: DhlExpressCarrier
    ) -> None:
        check = await dhl.validate_address({**PRAGUE, "city": "Brno"})
        assert check.deliverable is False
        [suggestion] = check.suggestions
        assert (suggestion["postal_code"], suggestion["city"]) == ("14800", "PRAGUE")
        assert suggestion["line1"] == PRAGUE["line1"]

    async def test_a_place_dhl_does_not_serve(self, dhl: DhlExpressCarrier) -> None:
        check = await dhl.validate_address({**PRAGUE, "postal_code": "99999", "city": "Nikde"})
        assert check.deliverable is False
        assert check.suggestions == ()
        assert check.messages
