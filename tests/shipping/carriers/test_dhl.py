"""The DHL Express connector against a fake MyDHL API that answers as DHL's specification says:
rates, one label purchase per shipment, a purchase whose answer is lost and found again by our
reference, customs, tracking, address checks, and every refusal in DHL's own words."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from orderly.kit.vendor_http import use_clock, use_transport
from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.carriers.dhl.payloads import shipment_request
from orderly.shipping.carriers.dhl.settings import DhlSettings, DhlSettingsInvalid
from orderly.shipping.carriers.registry import build_carrier
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import (
    CarrierAccount,
    Customs,
    CustomsLine,
    Parcel,
    ShipmentRequest,
    TrackingCode,
)
from orderly.shipping.errors import (
    CarrierBusy,
    CarrierCredentialsRefused,
    CarrierRefused,
    CarrierUnavailable,
    FeatureNotOffered,
    LabelOutcomeUnknown,
)
from tests.clock import MovableClock
from tests.factories import Org
from tests.shipping.carriers.fakes.dhl import BASE_PATH, FakeDhlExpress
from tests.transports import TimingOut

HOST = "https://dhl-express.test"
FAKE_BASE = f"{HOST}{BASE_PATH}"
TODAY = date(2026, 12, 1)  # a Tuesday
CET = timezone(timedelta(hours=1))
EST = timezone(timedelta(hours=-5))

PRAGUE = {
    "name": "Jana Novakova",
    "company": "Hrnky s.r.o.",
    "line1": "V Celnici 1031/4",
    "city": "Prague",
    "postal_code": "14800",
    "country": "CZ",
    "phone": "+420 222 000 111",
    "email": "expedice@hrnky.example",
}
BRNO = {
    "name": "Petr Svoboda",
    "line1": "Masarykova 12",
    "city": "Brno",
    "postal_code": "602 00",
    "country": "CZ",
    "phone": "+420 600 000 001",
    "residential": True,
}
BERLIN = {
    "name": "Max Mustermann",
    "company": "Becher GmbH",
    "line1": "Invalidenstrasse 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "phone": "+49 30 000000",
}
NEW_YORK = {
    "name": "Ada Lovelace",
    "company": "Analytical Engines Inc.",
    "line1": "350 5th Ave",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
    "phone": "+1 212 555 0100",
}
MUGS = Customs(
    lines=(
        CustomsLine("Ceramic mug", "691200", "CZ", 2, 1250, "USD", 400),
        CustomsLine("Linen tea towel", "630260", "PT", 3, 900, "USD", 120),
    ),
    reason="sale",
    incoterm="DAP",
)


def shipment(**changes: Any) -> ShipmentRequest:
    base = ShipmentRequest(
        org_id=1,
        ship_from=PRAGUE,
        ship_to=BRNO,
        parcels=[Parcel(weight_grams=1200, length_mm=300, width_mm=200, height_mm=100)],
        ship_date=TODAY,
        reference="LP-1001",
    )
    return replace(base, **changes)


def account(
    fake: FakeDhlExpress,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
) -> CarrierAccount:
    return CarrierAccount(
        id=7,
        org_id=1,
        code="dhl",
        name="DHL Express",
        kind="dhl_express",
        settings={"base_url": FAKE_BASE, "utc_offset": "+01:00", **(settings or {})},
        credentials=credentials if credentials is not None else fake.credentials,
    )


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    clock = MovableClock()
    use_clock(clock)
    yield clock
    use_clock(None)


@pytest.fixture
def fake(clock: MovableClock) -> FakeDhlExpress:
    return FakeDhlExpress(clock, today=TODAY)


@pytest.fixture
def network(fake: FakeDhlExpress) -> Iterator[TimingOut]:
    transport = TimingOut(httpx.ASGITransport(app=fake.app))
    use_transport(lambda base: transport if base.startswith(FAKE_BASE) else None)
    yield transport
    use_transport(None)
    TOKENS.clear()


@pytest.fixture
def dhl(fake: FakeDhlExpress, network: TimingOut) -> DhlExpressCarrier:
    return DhlExpressCarrier(account(fake))


def raw_client(fake: FakeDhlExpress) -> httpx.AsyncClient:
    """Straight to the fake, to show what it refuses that the connector never sends."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app), base_url=FAKE_BASE)


def signed(fake: FakeDhlExpress, version: str | None = "2.12.0") -> dict[str, Any]:
    headers = {"x-version": version} if version else {}
    return {"auth": (fake.username, fake.password), "headers": headers}


def pdf_text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


class TestConnecting:
    def test_the_registry_builds_it_for_kind_dhl_express(self, fake: FakeDhlExpress) -> None:
        carrier = build_carrier(account(fake))
        assert isinstance(carrier, DhlExpressCarrier)
        assert carrier.code == "dhl"
        assert carrier.features.void is False
        assert carrier.features.find_by_reference is True

    async def test_an_organization_configures_a_dhl_express_account(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {
            "code": "dhl",
            "name": "DHL Express",
            "kind": "dhl_express",
            "settings": {"base_url": "https://express.api.dhl.com/mydhlapi/test"},
            "credentials": {
                "username": "apiXyz",
                "password": "not-shown-again",
                "account_number": "123456789",
            },
        }
        created = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert created.status_code == 201, created.text
        assert created.json()["kind"] == "dhl_express"
        assert created.json()["has_credentials"] is True
        assert "not-shown-again" not in created.text

    async def test_missing_credentials_are_named_before_any_call(
        self, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        carrier = DhlExpressCarrier(account(fake, credentials={"username": "apiXyz"}))
        with pytest.raises(CarrierCredentialsRefused, match="password, account_number"):
            await carrier.rates(shipment())
        assert fake.requests == []


class TestAuthentication:
    async def test_every_call_is_signed_with_the_account_username_and_password(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        await dhl.rates(shipment())
        label = await dhl.create_label(shipment(), "N")
        assert await dhl.track(label.tracking_number) == []
        assert len(fake.requests) == 3  # no token to fetch: DHL takes Basic auth on each call
        async with raw_client(fake) as raw:
            unsigned = await raw.get("/tracking", headers={"x-version": "2.12.0"})
        assert unsigned.status_code == 401
        assert unsigned.headers["www-authenticate"].startswith("Basic")

    async def test_a_wrong_password_is_refused_once_without_retries(
        self, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        carrier = DhlExpressCarrier(
            account(fake, credentials={**fake.credentials, "password": "x"})
        )
        with pytest.raises(CarrierCredentialsRefused, match="Invalid Credentials"):
            await carrier.rates(shipment())
        assert len(fake.requests) == 1

    async def test_a_password_revoked_at_dhl_stops_the_next_call(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        assert await dhl.rates(shipment())
        fake.revoke_password()
        with pytest.raises(CarrierCredentialsRefused):
            await dhl.rates(shipment())
        assert fake.calls_to("/rates") == 2

    async def test_an_interface_version_dhl_does_not_serve_is_refused_with_its_code(
        self, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        carrier = DhlExpressCarrier(account(fake, settings={"api_version": "1.0.0"}))
        with pytest.raises(CarrierRefused, match="9001") as refused:
            await carrier.rates(shipment())
        assert refused.value.extra["carrier_code"] == "9001"


class TestRates:
    async def test_domestic_services_are_priced_in_the_billing_currency(
        self, dhl: DhlExpressCarrier
    ) -> None:
        quotes = {q.service: q for q in await dhl.rates(shipment())}
        assert set(quotes) == {"N", "1"}
        express = quotes["N"]
        assert express.carrier == "dhl"
        assert express.service_name == "EXPRESS DOMESTIC"
        # DHL's billing price (BILLC) of 1.2 kg, not its public one (PULCL, 20.38).
        assert (express.price_minor, express.currency) == (1630, "CZK")
        assert express.transit_days == 1
        assert express.estimated_delivery == date(2026, 12, 2)
        assert quotes["1"].price_minor == 2340

    async def test_every_parcel_is_quoted_as_one_shipment(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        parcels = [Parcel(1200, 300, 200, 100), Parcel(2500, 400, 300, 200)]
        await dhl.rates(shipment(parcels=parcels, ship_to=BERLIN))
        sent = fake.posted("/rates")[-1]
        assert [p["weight"] for p in sent["packages"]] == [Decimal("1.2"), Decimal("2.5")]
        assert sent["packages"][1]["dimensions"] == {
            "length": Decimal("40.0"),
            "width": Decimal("30.0"),
            "height": Decimal("20.0"),
        }
        assert sent["isCustomsDeclarable"] is False

    async def test_a_dutiable_shipment_is_quoted_with_its_declared_value(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        quotes = await dhl.rates(shipment(ship_to=NEW_YORK, customs=MUGS))
        assert {q.service for q in quotes} == {"P", "Y"}
        assert all(q.transit_days == 3 for q in quotes)
        sent = fake.posted("/rates")[-1]
        assert sent["isCustomsDeclarable"] is True
        assert sent["monetaryAmount"] == [
            {"typeCode": "declaredValue", "value": Decimal("52.0"), "currency": "USD"}
        ]

    async def test_dangerous_goods_get_no_quote(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        assert await dhl.rates(shipment(hazmat=True)) == []
        assert fake.requests == []


class TestRefusals:
    async def test_a_missing_postal_code_names_the_field(self, dhl: DhlExpressCarrier) -> None:
        brno = {k: v for k, v in BRNO.items() if k != "postal_code"}
        with pytest.raises(CarrierRefused) as refused:
            await dhl.rates(shipment(ship_to=brno))
        assert refused.value.field == "ship_to.postal_code"
        assert "postalCode" in refused.value.detail

    async def test_a_missing_city_names_the_field(self, dhl: DhlExpressCarrier) -> None:
        brno = {k: v for k, v in BRNO.items() if k != "city"}
        with pytest.raises(CarrierRefused, match=r"required key \[cityName\]") as refused:
            await dhl.rates(shipment(ship_to=brno))
        assert refused.value.field == "ship_to.city"
        assert refused.value.status == 422

    async def test_a_country_that_is_not_one_names_the_field(self, dhl: DhlExpressCarrier) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await dhl.rates(shipment(ship_to={**BRNO, "country": "XX"}))
        assert refused.value.field == "ship_to.country"

    async def test_a_receiver_without_a_phone_cannot_get_a_label(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        brno = {k: v for k, v in BRNO.items() if k != "phone"}
        with pytest.raises(CarrierRefused, match=r"required key \[phone\]") as refused:
            await dhl.create_label(shipment(ship_to=brno), "N")
        assert refused.value.field == "ship_to.phone"
        assert fake.shipments_made == 0

    async def test_several_problems_are_all_reported(self, dhl: DhlExpressCarrier) -> None:
        brno = {**BRNO, "line1": "x" * 50}
        brno.pop("phone")
        with pytest.raises(CarrierRefused) as refused:
            await dhl.create_label(shipment(ship_to=brno), "N")
        said = refused.value.extra["carrier_messages"]
        assert said[0] == "Multiple problems found, see Additional Details"
        assert any("addressLine1: expected maxLength: 45, actual: 50" in m for m in said)
        assert any("required key [phone] not found" in m for m in said)
        assert refused.value.field == "ship_to.line1"

    async def test_a_parcel_over_dhl_s_weight_limit_names_the_parcel(
        self, dhl: DhlExpressCarrier
    ) -> None:
        parcels = [Parcel(2000, 300, 200, 100), Parcel(80_000, 800, 600, 600)]
        with pytest.raises(CarrierRefused, match="70 kg") as refused:
            await dhl.create_label(shipment(parcels=parcels), "N")
        assert refused.value.field == "parcels[1].weight_grams"

    async def test_a_service_dhl_does_not_offer_there_names_the_service(
        self, dhl: DhlExpressCarrier
    ) -> None:
        with pytest.raises(CarrierRefused, match=r"product\(s\) \(P\)") as refused:
            await dhl.create_label(shipment(), "P")
        assert refused.value.field == "service"

    async def test_a_ship_date_in_the_past_is_refused_with_dhl_s_code(
        self, dhl: DhlExpressCarrier
    ) -> None:
        with pytest.raises(CarrierRefused, match="ShipTimeStamp") as refused:
            await dhl.create_label(shipment(ship_date=TODAY - timedelta(days=1)), "N")
        assert refused.value.field == "ship_date"
        assert refused.value.extra["carrier_code"] == "998"

    async def test_an_account_number_dhl_does_not_know(
        self, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        wrong = {**fake.credentials, "account_number": "999999999"}
        carrier = DhlExpressCarrier(account(fake, credentials=wrong))
        with pytest.raises(CarrierRefused, match="account number is not found") as refused:
            await carrier.rates(shipment())
        assert refused.value.field == "credentials.account_number"

    async def test_a_bad_setting_is_named(self, fake: FakeDhlExpress, network: TimingOut) -> None:
        carrier = DhlExpressCarrier(account(fake, settings={"label_format": "gif"}))
        with pytest.raises(DhlSettingsInvalid, match="label_format") as refused:
            await carrier.rates(shipment())
        assert refused.value.field == "settings.label_format"


class TestOutagesAndLimits:
    async def test_a_passing_outage_is_retried(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        fake.fail_next(2, status=503)
        assert await dhl.rates(shipment())
        assert fake.calls_to("/rates") == 3

    async def test_a_lasting_outage_is_reported_as_unavailable(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        fake.fail_next(10, status=500)
        with pytest.raises(CarrierUnavailable):
            await dhl.rates(shipment())

    async def test_retry_after_is_waited_out_on_the_clock(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress, clock: MovableClock
    ) -> None:
        fake.throttle_next(1, retry_after=7)
        assert await dhl.rates(shipment())
        assert sum(clock.slept) == 7.0
        assert fake.calls_to("/rates") == 2

    async def test_a_long_retry_after_is_not_waited_in_a_request(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress, clock: MovableClock
    ) -> None:
        fake.throttle_next(1, retry_after=600)
        with pytest.raises(CarrierBusy):
            await dhl.rates(shipment())
        assert sum(clock.slept) == 0


class TestLabelPurchase:
    async def test_one_purchase_makes_a_master_number_and_a_label_per_parcel(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        parcels = [Parcel(1200, 300, 200, 100), Parcel(2500, 400, 300, 200)]
        label = await dhl.create_label(shipment(parcels=parcels), "N")
        assert fake.calls_to("/shipments", "POST") == 1
        made = fake.shipments[label.tracking_number]
        assert [p.tracking_number for p in label.pieces] == made.pieces
        reader = PdfReader(io.BytesIO(label.pdf))
        assert len(reader.pages) == 2
        text = pdf_text(label.pdf)
        assert label.tracking_number in text
        assert all(piece in text for piece in made.pieces)
        for piece in label.pieces:
            assert len(PdfReader(io.BytesIO(piece.pdf)).pages) == 1
            assert piece.tracking_number in pdf_text(piece.pdf)
        assert label.zpl == ""

    async def test_the_label_carries_dhl_s_cost_and_delivery_estimate(
        self, dhl: DhlExpressCarrier
    ) -> None:
        label = await dhl.create_label(shipment(), "N")
        assert (label.cost_minor, label.currency) == (1630, "CZK")
        assert label.service == "N"
        assert label.estimated_delivery == date(2026, 12, 2)

    async def test_the_purchase_carries_our_reference_and_dhl_s_exact_date_form(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        await dhl.create_label(shipment(), "1")
        sent = fake.posted("/shipments")[-1]
        assert sent["plannedShippingDateAndTime"] == "2026-12-01T16:00:00 GMT+01:00"
        assert sent["customerReferences"] == [{"value": "LP-1001", "typeCode": "CU"}]
        assert sent["accounts"] == [{"typeCode": "shipper", "number": "123456789"}]
        assert sent["outputImageProperties"]["imageOptions"] == [
            {"typeCode": "label", "templateName": "ECOM26_84_001"}
        ]
        receiver = sent["customerDetails"]["receiverDetails"]
        assert receiver["typeCode"] == "private"
        # A private person is their own company, as DHL asks.
        assert receiver["contactInformation"]["companyName"] == "Petr Svoboda"

    async def test_zpl_when_the_account_prints_on_thermal_printers(
        self, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        carrier = DhlExpressCarrier(account(fake, settings={"label_format": "zpl"}))
        parcels = [Parcel(1200, 300, 200, 100), Parcel(900, 200, 200, 100)]
        label = await carrier.create_label(shipment(parcels=parcels), "N")
        assert fake.posted("/shipments")[-1]["outputImageProperties"]["encodingFormat"] == "zpl"
        assert label.pdf == b""
        assert label.zpl.count("^XA") == 2
        for piece in label.pieces:
            assert piece.zpl.startswith("^XA") and piece.zpl.endswith("^XZ")
            assert piece.tracking_number in piece.zpl
            assert f"WAYBILL {label.tracking_number}" in piece.zpl

    async def test_dangerous_goods_are_refused_before_any_purchase(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await dhl.create_label(shipment(hazmat=True), "N")
        assert refused.value.field == "hazmat"
        assert fake.shipments_made == 0


class TestLostAnswer:
    async def test_a_lost_answer_is_found_again_by_our_reference(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress, network: TimingOut
    ) -> None:
        await dhl.create_label(shipment(reference="LP-0999"), "N")  # another purchase
        network.lose_next_answers(1)
        with pytest.raises(LabelOutcomeUnknown):
            await dhl.create_label(shipment(reference="LP-1001"), "N")
        assert fake.calls_to("/shipments", "POST") == 2
        made = [s.number for s in fake.shipments.values() if ("LP-1001", "CU") in s.references]
        assert len(made) == 1
        assert await dhl.find_labels("LP-1001", TODAY) == made
        assert await dhl.find_labels("LP-4040", TODAY) == []

    async def test_a_server_error_during_a_purchase_is_not_repeated(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        fake.fail_next(1, status=500)
        with pytest.raises(LabelOutcomeUnknown):
            await dhl.create_label(shipment(), "N")
        assert fake.calls_to("/shipments", "POST") == 1

    async def test_a_label_cannot_be_voided_through_dhl_s_api(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        label = await dhl.create_label(shipment(), "N")
        with pytest.raises(FeatureNotOffered, match="report a label bought by mistake"):
            await dhl.cancel_label(label.tracking_number)
        assert dhl.features.void is False
        assert fake.calls_to("/shipments", "POST") == 1  # nothing else was asked of DHL

    async def test_a_lookup_outside_the_ship_date_finds_nothing(
        self, dhl: DhlExpressCarrier
    ) -> None:
        await dhl.create_label(shipment(), "N")
        assert await dhl.find_labels("LP-1001", TODAY + timedelta(days=5)) == []


class TestCustoms:
    async def test_the_declaration_reaches_dhl_in_its_shape(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        await dhl.create_label(shipment(ship_to=NEW_YORK, customs=MUGS), "P")
        content = fake.posted("/shipments")[-1]["content"]
        assert content["isCustomsDeclarable"] is True
        assert (content["declaredValue"], content["declaredValueCurrency"]) == (52, "USD")
        assert content["incoterm"] == "DAP"
        mug, towel = content["exportDeclaration"]["lineItems"]
        assert mug == {
            "number": 1,
            "description": "Ceramic mug",
            "price": Decimal("12.5"),
            "quantity": {"value": 2, "unitOfMeasurement": "PCS"},
            "commodityCodes": [{"typeCode": "outbound", "value": "691200"}],
            "exportReasonType": "commercial_purpose_or_sale",
            "manufacturerCountry": "CZ",
            "weight": {"netValue": Decimal("0.8"), "grossValue": Decimal("0.8")},
        }
        assert towel["manufacturerCountry"] == "PT"
        assert towel["commodityCodes"][0]["value"] == "630260"

    async def test_goods_without_a_declaration_cannot_go_as_dutiable_goods(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        with pytest.raises(CarrierRefused, match=r"\(P\)") as refused:
            await dhl.create_label(shipment(ship_to=NEW_YORK), "P")
        assert refused.value.field == "service"
        assert fake.shipments_made == 0

    async def test_a_dutiable_shipment_without_lines_is_refused(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        empty = Customs(lines=())
        with pytest.raises(CarrierRefused, match="exportDeclaration") as refused:
            await dhl.create_label(shipment(ship_to=NEW_YORK, customs=empty), "P")
        assert refused.value.field == "customs"
        assert fake.shipments_made == 0


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


class TestTracking:
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
        updates = await dhl.track(number)
        assert [u.code for u in updates] == [
            TrackingCode.IN_TRANSIT,
            TrackingCode.IN_TRANSIT,
            TrackingCode.OUT_FOR_DELIVERY,
            TrackingCode.DELIVERED,
        ]
        assert updates[0].occurred_at == datetime(2026, 12, 1, 17, 5, tzinfo=UTC)
        assert updates[-1].occurred_at == datetime(2026, 12, 3, 16, 59, tzinfo=UTC)
        assert [u.location for u in updates] == [
            "PRAGUE-CZ",
            "PRAGUE-CZ",
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


class TestAddressCheck:
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


class TestTheFakeIsStrict:
    """What DHL refuses that the connector never sends: the fake must refuse it too."""

    @pytest.fixture
    def body(self) -> dict[str, Any]:
        settings = DhlSettings(utc_offset="+01:00")
        return shipment_request(shipment(), "N", account_number="123456789", settings=settings)

    async def test_the_connector_s_request_passes(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        async with raw_client(fake) as raw:
            made = await raw.post("/shipments", json=body, **signed(fake))
        assert made.status_code == 201, made.text

    async def test_a_weight_sent_as_a_string(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        body["content"]["packages"][0]["weight"] = "1.2"
        async with raw_client(fake) as raw:
            refused = await raw.post("/shipments", json=body, **signed(fake))
        assert refused.status_code == 422
        assert refused.json() == {
            "instance": "/expressapi/shipments",
            "detail": "#/content/packages/0/weight: expected type: Number, found: String",
            "title": "Validation error",
            "message": "Unprocessable Entity",
            "status": "422",
        }

    async def test_a_postal_code_sent_as_a_number(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        body["customerDetails"]["shipperDetails"]["postalAddress"]["postalCode"] = 14800
        async with raw_client(fake) as raw:
            refused = await raw.post("/shipments", json=body, **signed(fake))
        assert "expected type: String, found: Integer" in refused.json()["detail"]

    async def test_a_key_dhl_does_not_know(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        body["content"]["weightUnit"] = "kg"
        async with raw_client(fake) as raw:
            refused = await raw.post("/shipments", json=body, **signed(fake))
        assert refused.json()["detail"] == "#/content: extraneous key [weightUnit] is not permitted"

    async def test_a_weight_finer_than_a_gram(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        body["content"]["packages"][0]["weight"] = 1.2345
        async with raw_client(fake) as raw:
            refused = await raw.post("/shipments", json=body, **signed(fake))
        assert "is not a multiple of 0.001" in refused.json()["detail"]

    async def test_a_call_without_the_interface_version(
        self, fake: FakeDhlExpress, body: dict[str, Any]
    ) -> None:
        async with raw_client(fake) as raw:
            refused = await raw.post("/shipments", json=body, **signed(fake, version=None))
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith("9001")
        assert fake.shipments_made == 0

    async def test_a_lookup_by_reference_needs_the_shipper_account(
        self, fake: FakeDhlExpress
    ) -> None:
        async with raw_client(fake) as raw:
            refused = await raw.get(
                "/tracking", params={"shipmentReference": "LP-1001"}, **signed(fake)
            )
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Missing mandatory parameters: shipperAccountNumber"
