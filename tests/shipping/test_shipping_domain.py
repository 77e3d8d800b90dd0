"""Shipping rules without a database: tracking numbers, rate cards, zones, rate shopping,
labels, the status machine and signatures."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from orderly.shipping.accounts import demo_rate_card
from orderly.shipping.carriers.base import CarrierAccount
from orderly.shipping.carriers.rate_table import RateTableCarrier
from orderly.shipping.domain import (
    Parcel,
    RateQuote,
    ShipmentRequest,
    ShipmentStatus,
    TrackingCode,
    TrackingUpdate,
    pick_service,
    tracking_move,
)
from orderly.shipping.errors import RateCardInvalid, TrackingSignatureInvalid
from orderly.shipping.labels import LabelContent, render_pdf, render_zpl
from orderly.shipping.rate_card import parse_rate_card
from orderly.shipping.service import choose_service
from orderly.shipping.tracking_numbers import (
    check_digit,
    is_valid_tracking_number,
    new_tracking_number,
    tracking_number,
)
from orderly.shipping.webhooks import sign, verify_signature
from orderly.shipping.zones import shipping_zone

NEWARK = {"name": "Northwind DC", "line1": "1 Main St", "city": "Newark", "postal_code": "07102",
          "country": "US"}  # fmt: skip
BOSTON = {"name": "Ann Lee", "line1": "5 Elm St", "city": "Boston", "postal_code": "02110",
          "country": "US"}  # fmt: skip
SEATTLE = {"name": "Bo Park", "line1": "9 Pine St", "city": "Seattle", "postal_code": "98101",
           "country": "US"}  # fmt: skip
MONDAY = date(2026, 11, 23)


class TestTrackingNumbers:
    def test_known_check_digit(self) -> None:
        assert check_digit("000000000001") == 7
        assert tracking_number("PW", 1) == "PW0000000000017"

    def test_generated_numbers_are_valid(self) -> None:
        for _ in range(50):
            assert is_valid_tracking_number(new_tracking_number("SP"))

    def test_every_changed_digit_is_caught(self) -> None:
        number = new_tracking_number("PW")
        for position in range(2, len(number)):
            digit = int(number[position])
            changed = number[:position] + str((digit + 3) % 10) + number[position + 1 :]
            assert not is_valid_tracking_number(changed), changed

    def test_malformed_numbers_are_invalid(self) -> None:
        assert not is_valid_tracking_number("PW123")
        assert not is_valid_tracking_number("pw0000000000017")


class TestRateCard:
    def test_demo_cards_load(self) -> None:
        card = parse_rate_card(demo_rate_card("parcelway"))
        assert set(card.services) == {"PW_GROUND", "PW_EXPRESS"}
        assert card.surcharge("PW_GROUND", "residential") == 410

    def test_bad_row_is_reported_by_line_and_column(self) -> None:
        lines = demo_rate_card("swiftpost").splitlines()
        lines[4] = lines[4].replace("Ground,2,", "Ground,2x,")
        with pytest.raises(RateCardInvalid) as caught:
            parse_rate_card("\n".join(lines))
        assert caught.value.extra["line"] == 5
        assert caught.value.field == "zone"
        assert caught.value.detail.startswith("line 5: zone:")

    def test_missing_column_is_refused(self) -> None:
        with pytest.raises(RateCardInvalid) as caught:
            parse_rate_card("kind,service\nrate,X\n")
        assert caught.value.extra["line"] == 1

    def test_unknown_surcharge_is_refused(self) -> None:
        text = demo_rate_card("parcelway") + "surcharge,*,saturday,,,,3.00,USD\n"
        with pytest.raises(RateCardInvalid) as caught:
            parse_rate_card(text)
        assert caught.value.field == "name"


class TestZones:
    def test_near_and_far(self) -> None:
        assert shipping_zone(NEWARK, BOSTON) == 3
        assert shipping_zone(NEWARK, SEATTLE) == 8

    def test_coordinates_win_over_postal_codes(self) -> None:
        here = {**NEWARK, "latitude": 40.73, "longitude": -74.17}
        there = {**SEATTLE, "latitude": 40.75, "longitude": -74.0}
        assert shipping_zone(here, there) == 2

    def test_other_country_is_not_zoned(self) -> None:
        assert shipping_zone(NEWARK, {**BOSTON, "country": "CA"}) is None


def request(**overrides: object) -> ShipmentRequest:
    values: dict[str, object] = {
        "org_id": 1,
        "ship_from": NEWARK,
        "ship_to": BOSTON,
        "parcels": [Parcel(1200, 300, 200, 100)],
        "ship_date": MONDAY,
        "reference": "NW-1001",
    }
    values.update(overrides)
    return ShipmentRequest(**values)  # type: ignore[arg-type]


def carrier(code: str) -> RateTableCarrier:
    return RateTableCarrier(
        CarrierAccount(
            id=1,
            org_id=1,
            code=code,
            name=code.title(),
            kind="rate_table",
            rate_card=parse_rate_card(demo_rate_card(code)),
        )
    )


class TestRateTableCarrier:
    async def test_quotes_every_service(self) -> None:
        quotes = await carrier("parcelway").rates(request())
        assert {q.service for q in quotes} == {"PW_GROUND", "PW_EXPRESS"}
        ground = next(q for q in quotes if q.service == "PW_GROUND")
        # zone 3, 2 kg bracket 7.41 + residential 4.10
        assert ground.price_minor == 1151
        assert ground.estimated_delivery == date(2026, 11, 26)

    async def test_surcharges_add_up(self) -> None:
        plain = await carrier("parcelway").rates(request())
        dangerous = await carrier("parcelway").rates(request(hazmat=True))
        business = await carrier("parcelway").rates(request(ship_to={**BOSTON, "company": "Acme"}))
        price = {q.service: q.price_minor for q in plain}
        assert {q.service: q.price_minor - price[q.service] for q in dangerous} == {
            "PW_GROUND": 2750,
            "PW_EXPRESS": 2750,
        }
        assert {q.service: price[q.service] - q.price_minor for q in business} == {
            "PW_GROUND": 410,
            "PW_EXPRESS": 410,
        }

    async def test_too_heavy_is_not_quoted(self) -> None:
        assert await carrier("swiftpost").rates(request(parcels=[Parcel(40_000, 1, 1, 1)])) == []


def quote(service: str, price: int, days: int) -> RateQuote:
    return RateQuote(
        carrier="c",
        service=service,
        service_name=service,
        price_minor=price,
        currency="USD",
        transit_days=days,
        estimated_delivery=MONDAY + timedelta(days=days),
    )


class TestRateShopping:
    QUOTES = [quote("ground", 700, 5), quote("two_day", 1500, 2), quote("overnight", 3000, 1)]

    async def test_cheapest(self) -> None:
        chosen = await choose_service(self.QUOTES, policy="cheapest", promise_date=None)
        assert chosen.service == "ground"

    async def test_fastest(self) -> None:
        chosen = await choose_service(self.QUOTES, policy="fastest", promise_date=None)
        assert chosen.service == "overnight"

    async def test_cheapest_that_meets_the_promise(self) -> None:
        promise = MONDAY + timedelta(days=3)
        chosen = await choose_service(self.QUOTES, policy="cheapest", promise_date=promise)
        assert chosen.service == "two_day"

    async def test_fastest_when_no_service_meets_the_promise(self) -> None:
        chosen = await choose_service(self.QUOTES, policy="cheapest", promise_date=MONDAY)
        assert chosen.service == "overnight"

    def test_nothing_to_choose(self) -> None:
        assert pick_service([], policy="cheapest", promise_date=None) is None


LABEL = LabelContent(
    carrier_name="Parcelway",
    service_name="Parcelway Ground",
    tracking_number="PW0000000000017",
    ship_from=NEWARK,
    ship_to=BOSTON,
    weight_grams=1200,
    reference="NW-1001",
    ship_date=MONDAY,
)


class TestLabels:
    def test_pdf_is_a_4x6_page_with_the_tracking_number(self) -> None:
        reader = PdfReader(io.BytesIO(render_pdf(LABEL)))
        assert len(reader.pages) == 1
        page = reader.pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
        text = page.extract_text()
        assert "PW0000000000017" in text
        assert "Ann Lee" in text and "NW-1001" in text and "1.20 kg" in text

    def test_pdf_draws_the_barcode(self) -> None:
        page = PdfReader(io.BytesIO(render_pdf(LABEL))).pages[0]
        content = page.get_contents()
        assert content is not None
        # Code128 bars are filled rectangles: three per symbol, start and stop included.
        assert content.get_data().count(b" re") >= 30

    def test_zpl_has_the_code128_barcode(self) -> None:
        zpl = render_zpl(LABEL)
        assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
        assert "^BCN" in zpl
        assert "^FDPW0000000000017^FS" in zpl
        assert "Ann Lee" in zpl

    def test_zpl_field_data_cannot_inject_commands(self) -> None:
        zpl = render_zpl(
            LabelContent(**{**LABEL.__dict__, "ship_to": {**BOSTON, "name": "^XZ~JA"}})
        )
        assert zpl.count("^XZ") == 1


AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class TestStatusMachine:
    def test_forward_moves_apply(self) -> None:
        update = TrackingUpdate(TrackingCode.IN_TRANSIT, AT)
        moved = tracking_move(ShipmentStatus.LABEL_CREATED, update, last_applied_at=None)
        assert moved is ShipmentStatus.IN_TRANSIT

    def test_backward_moves_are_ignored(self) -> None:
        update = TrackingUpdate(TrackingCode.IN_TRANSIT, AT)
        assert tracking_move(ShipmentStatus.DELIVERED, update, last_applied_at=None) is None

    def test_older_news_is_ignored(self) -> None:
        update = TrackingUpdate(TrackingCode.EXCEPTION, AT)
        later = AT + timedelta(hours=1)
        assert tracking_move(ShipmentStatus.IN_TRANSIT, update, last_applied_at=later) is None

    def test_cancelled_shipments_do_not_move(self) -> None:
        update = TrackingUpdate(TrackingCode.DELIVERED, AT)
        assert tracking_move(ShipmentStatus.CANCELLED, update, last_applied_at=None) is None


class TestSignatures:
    BODY = b'{"events": []}'

    def test_valid(self) -> None:
        now = int(time.time())
        verify_signature("s3cret", sign("s3cret", now, self.BODY), self.BODY)

    def test_other_secret(self) -> None:
        now = int(time.time())
        with pytest.raises(TrackingSignatureInvalid):
            verify_signature("s3cret", sign("guess", now, self.BODY), self.BODY)

    def test_changed_body(self) -> None:
        now = int(time.time())
        with pytest.raises(TrackingSignatureInvalid):
            verify_signature("s3cret", sign("s3cret", now, self.BODY), self.BODY + b" ")

    def test_stale(self) -> None:
        old = int(time.time()) - 301
        with pytest.raises(TrackingSignatureInvalid):
            verify_signature("s3cret", sign("s3cret", old, self.BODY), self.BODY)

    def test_garbled_header(self) -> None:
        with pytest.raises(TrackingSignatureInvalid):
            verify_signature("s3cret", "v1=abc", self.BODY)
