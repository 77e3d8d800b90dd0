"""The FedEx carrier against a fake FedEx that answers as FedEx's API documents say: tokens,
rates, one label purchase per shipment, void, lookup by our reference, tracking, addresses."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from orderly.kit.vendor_http import use_transport
from orderly.shipping.carriers.fedex import FedExCarrier
from orderly.shipping.carriers.fedex.errors import FedExAccountInvalid
from orderly.shipping.carriers.fedex.tracking import FEDEX_CODES
from orderly.shipping.carriers.registry import build_carrier, carrier_kinds
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
from orderly.shipping.schemas import CarrierAccountIn
from tests.clock import MovableClock
from tests.shipping.carriers.fakes.fedex import FakeFedEx
from tests.transports import TimingOut

FAKE_BASE = "https://fedex.test"
SHIP_DATE = date(2026, 11, 24)  # a Tuesday, the fake's today
CENTRAL = timezone(timedelta(hours=-6))

WAREHOUSE = {
    "name": "Dispatch Desk",
    "company": "Orderly Demo Co",
    "line1": "3875 Airways Blvd",
    "line2": "Module H",
    "city": "Memphis",
    "region": "TN",
    "postal_code": "38116",
    "country": "US",
    "phone": "+1 901 555 0100",
}
OFFICE = {
    "name": "Bill Lumbergh",
    "company": "Initech",
    "line1": "7372 Parkridge Blvd",
    "city": "Irving",
    "region": "TX",
    "postal_code": "75063",
    "country": "US",
    "phone": "(972) 555-0142",
    "residential": False,
}
HOME = {
    "name": "Grace Hopper",
    "line1": "45 Noblestown Rd",
    "line2": "Apt 2",
    "city": "Pittsburgh",
    "region": "PA",
    "postal_code": "15220",
    "country": "US",
    "phone": "412-555-0199",
    "residential": True,
}
TORONTO = {
    "name": "Alan Turing",
    "line1": "290 Bremner Blvd",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5V 3L9",
    "country": "CA",
    "phone": "416-555-0123",
}
MUGS = Customs(
    lines=(
        CustomsLine("Ceramic mug", "691200", "PT", 4, 1250, "USD", 350),
        CustomsLine("Cotton tea towel", "630260", "IN", 2, 799, "USD", 120),
    )
)


def shipment(**changes: Any) -> ShipmentRequest:
    base = ShipmentRequest(
        org_id=1,
        ship_from=WAREHOUSE,
        ship_to=OFFICE,
        parcels=[Parcel(2300, 300, 200, 150)],
        ship_date=SHIP_DATE,
        reference="LP-000123",
    )
    return replace(base, **changes)


@pytest.fixture
def fedex(clock: MovableClock) -> FakeFedEx:
    return FakeFedEx(clock)


@pytest.fixture
def wire(fedex: FakeFedEx) -> Iterator[TimingOut]:
    """The network between Orderly and the fake: it can lose an answer the fake gave."""
    transport = TimingOut(httpx.ASGITransport(app=fedex.app))
    use_transport(lambda base: transport if base.startswith(FAKE_BASE) else None)
    TOKENS.clear()
    yield transport
    use_transport(None)
    TOKENS.clear()


def account(
    fake: FakeFedEx, *, credentials: dict[str, str] | None = None, **settings: Any
) -> CarrierAccount:
    return CarrierAccount(
        id=7,
        org_id=1,
        code="fedex-memphis",
        name="FedEx",
        kind="fedex",
        settings={"base_url": FAKE_BASE, **settings},
        credentials=fake.credentials if credentials is None else credentials,
    )


@pytest.fixture
def carrier(fedex: FakeFedEx, wire: TimingOut) -> FedExCarrier:
    return FedExCarrier(account(fedex))


def calls(fake: FakeFedEx, path: str) -> int:
    return sum(1 for _, p in fake.requests if p == path)


class TestConnecting:
    def test_the_registry_builds_fedex_accounts(self, fedex: FakeFedEx) -> None:
        assert "fedex" in carrier_kinds()
        built = build_carrier(account(fedex))
        assert isinstance(built, FedExCarrier)
        assert built.features.void and built.features.find_by_reference
        assert built.features.tracking and built.features.address_validation
        assert built.features.customs

    def test_an_account_is_configured_with_kind_settings_and_credentials(self) -> None:
        data = CarrierAccountIn.model_validate(
            {
                "code": "fedex",
                "name": "FedEx",
                "kind": "fedex",
                "settings": {"base_url": "https://apis-sandbox.fedex.com", "label_format": "zpl"},
                "credentials": {"client_id": "k", "client_secret": "s", "account_number": "1"},
            }
        )
        assert data.kind == "fedex" and data.settings["base_url"].endswith("sandbox.fedex.com")

    async def test_an_account_without_its_number_is_refused_before_calling(
        self, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        incomplete = {k: v for k, v in fedex.credentials.items() if k != "account_number"}
        with pytest.raises(FedExAccountInvalid, match="account_number"):
            await FedExCarrier(account(fedex, credentials=incomplete)).rates(shipment())
        assert fedex.requests == []

    async def test_a_label_format_fedex_cannot_make_is_refused(
        self, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        with pytest.raises(FedExAccountInvalid) as refusal:
            await FedExCarrier(account(fedex, label_format="gif")).rates(shipment())
        assert refusal.value.field == "settings.label_format"


class TestTokens:
    async def test_one_token_serves_many_calls(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        for _ in range(3):
            await carrier.rates(shipment())
        assert fedex.token_requests == 1
        assert calls(fedex, "/rate/v1/rates/quotes") == 3

    async def test_a_new_token_is_fetched_before_the_old_one_expires(
        self, carrier: FedExCarrier, fedex: FakeFedEx, clock: MovableClock
    ) -> None:
        await carrier.rates(shipment())
        clock.advance(3590)
        await carrier.rates(shipment())
        assert fedex.token_requests == 2
        assert calls(fedex, "/rate/v1/rates/quotes") == 2  # no call was refused

    async def test_a_revoked_token_is_fetched_once_more(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.revoke_tokens()
        quotes = await carrier.rates(shipment())
        assert quotes and fedex.token_requests == 2

    async def test_the_fake_refuses_an_expired_token_as_fedex_does(
        self, fedex: FakeFedEx, clock: MovableClock
    ) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fedex.app)) as http:
            form = {"grant_type": "client_credentials", **fedex.credentials}
            token = (await http.post(f"{FAKE_BASE}/oauth/token", data=form)).json()
            clock.advance(token["expires_in"])
            answer = await http.post(
                f"{FAKE_BASE}/track/v1/trackingnumbers",
                headers={"Authorization": f"Bearer {token['access_token']}"},
                json={"includeDetailedScans": True, "trackingInfo": []},
            )
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == "NOT.AUTHORIZED.ERROR"
        assert "expired" in answer.json()["errors"][0]["message"]

    async def test_wrong_credentials_are_refused_with_fedex_message(
        self, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        wrong = {**fedex.credentials, "client_secret": "not-the-secret"}
        with pytest.raises(CarrierCredentialsRefused) as refusal:
            await FedExCarrier(account(fedex, credentials=wrong)).rates(shipment())
        assert "NOT.AUTHORIZED.ERROR" in refusal.value.detail
        assert "client credentials were not valid" in refusal.value.detail


class TestErrors:
    async def test_a_bad_recipient_phone_names_the_field(self, carrier: FedExCarrier) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.create_label(
                shipment(ship_to={**OFFICE, "phone": "555-0142"}), "FEDEX_GROUND"
            )
        assert refusal.value.field == "ship_to.phone"
        assert "RECIPIENT.CONTACTPHONENUMBER.INVALID" in refusal.value.detail
        assert "recipient phone number" in refusal.value.detail

    async def test_a_zip_code_of_another_state_names_the_postal_code(
        self, carrier: FedExCarrier
    ) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.rates(shipment(ship_to={**OFFICE, "postal_code": "94103"}))
        assert refusal.value.field == "ship_to.postal_code"
        assert "RECIPIENT.POSTALSTATE.MISMATCH" in refusal.value.detail

    async def test_a_malformed_postal_code_is_refused(self, carrier: FedExCarrier) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.rates(shipment(ship_to={**TORONTO, "postal_code": "12345"}))
        assert "COUNTRY.POSTALCODEORZIP.INVALID" in refusal.value.detail
        assert refusal.value.field == "postal_code"

    async def test_an_unknown_service_is_refused(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.create_label(shipment(), "FEDEX_TELEPORT")
        assert refusal.value.field == "service" and "SERVICE.TYPE.INVALID" in refusal.value.detail
        assert fedex.shipments == {}

    async def test_a_parcel_over_the_weight_limit_is_refused(self, carrier: FedExCarrier) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.rates(shipment(parcels=[Parcel(70_000, 600, 400, 400)]))
        assert refusal.value.field == "parcels"
        assert "MAXIMUMWEIGHT.TYPE.ERROR" in refusal.value.detail

    async def test_an_account_number_of_another_customer_is_refused(
        self, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        other = {**fedex.credentials, "account_number": "123456789"}
        with pytest.raises(CarrierRefused) as refusal:
            await FedExCarrier(account(fedex, credentials=other)).rates(shipment())
        assert refusal.value.field == "account_number"
        assert "9-digit FedEx account number" in refusal.value.detail

    async def test_answers_of_5xx_are_retried(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.fail_next(2, status=503)
        assert await carrier.rates(shipment())
        assert calls(fedex, "/rate/v1/rates/quotes") == 4

    async def test_fedex_down_for_good_is_unavailable(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.fail_next(3, status=500)
        with pytest.raises(CarrierUnavailable):
            await carrier.rates(shipment())

    async def test_a_429_is_waited_out_on_the_clock(
        self, carrier: FedExCarrier, fedex: FakeFedEx, clock: MovableClock
    ) -> None:
        await carrier.rates(shipment())
        fedex.throttle_next(1, retry_after=3, path="/rate")
        assert await carrier.rates(shipment())
        assert 3.0 in clock.slept

    async def test_a_429_asking_for_too_long_a_wait_is_busy(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.throttle_next(1, retry_after=120, path="/rate")
        with pytest.raises(CarrierBusy):
            await carrier.rates(shipment())


class TestRates:
    async def test_every_service_priced_in_minor_units_with_its_transit(
        self, carrier: FedExCarrier
    ) -> None:
        quotes = {q.service: q for q in await carrier.rates(shipment())}
        assert set(quotes) == {
            "FEDEX_GROUND",
            "FEDEX_EXPRESS_SAVER",
            "FEDEX_2_DAY",
            "STANDARD_OVERNIGHT",
            "PRIORITY_OVERNIGHT",
        }
        ground, overnight = quotes["FEDEX_GROUND"], quotes["PRIORITY_OVERNIGHT"]
        # 2.3 kg: 9.50 + 1.10/kg for Ground, 52.30 + 4.80/kg for Priority Overnight.
        assert (ground.price_minor, ground.currency) == (1203, "USD")
        assert (overnight.price_minor, overnight.currency) == (6334, "USD")
        assert (ground.transit_days, ground.estimated_delivery) == (3, date(2026, 11, 27))
        assert (overnight.transit_days, overnight.estimated_delivery) == (1, date(2026, 11, 25))
        assert ground.carrier == "fedex-memphis" and ground.service_name == "FedEx Ground®"

    async def test_a_home_address_gets_home_delivery(self, carrier: FedExCarrier) -> None:
        services = {q.service for q in await carrier.rates(shipment(ship_to=HOME))}
        assert "GROUND_HOME_DELIVERY" in services and "FEDEX_GROUND" not in services

    async def test_weights_go_in_kilograms_and_sizes_in_whole_centimetres(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment(parcels=[Parcel(2301, 301, 200, 1), Parcel(1, 1, 1, 1)]))
        items = fedex.rate_requests[-1]["requestedShipment"]["requestedPackageLineItems"]
        assert [i["weight"] for i in items] == [
            {"units": "KG", "value": 2.4},
            {"units": "KG", "value": 0.1},
        ]
        assert items[0]["dimensions"] == {"length": 31, "width": 20, "height": 1, "units": "CM"}

    async def test_dangerous_goods_get_no_fedex_quote(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        assert await carrier.rates(shipment(hazmat=True)) == []
        with pytest.raises(FeatureNotOffered):
            await carrier.create_label(shipment(hazmat=True), "FEDEX_GROUND")
        assert fedex.requests == []


class TestLabels:
    async def test_one_purchase_for_all_parcels_with_a_label_each(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        parcels = [
            Parcel(2300, 300, 200, 150),
            Parcel(900, 200, 200, 100),
            Parcel(5000, 400, 300, 300),
        ]
        label = await carrier.create_label(shipment(parcels=parcels), "FEDEX_2_DAY")
        assert calls(fedex, "/ship/v1/shipments") == 1 and len(fedex.shipments) == 1
        made = fedex.shipments[label.tracking_number]
        assert [p.tracking_number for p in label.pieces] == [p.tracking_number for p in made.pieces]
        assert label.pieces[0].tracking_number == label.tracking_number
        pages = PdfReader(io.BytesIO(label.pdf)).pages
        assert len(pages) == 3
        for page, piece in zip(pages, label.pieces, strict=True):
            assert piece.tracking_number in page.extract_text()
            assert piece.tracking_number in PdfReader(io.BytesIO(piece.pdf)).pages[0].extract_text()
        assert (label.cost_minor, label.currency) == (int(made.charge * 100), "USD")
        assert label.service == "FEDEX_2_DAY" and label.estimated_delivery == date(2026, 11, 26)
        assert label.zpl == ""

    async def test_our_reference_is_on_every_package(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        parcels = [Parcel(2300, 300, 200, 150), Parcel(900, 200, 200, 100)]
        await carrier.create_label(shipment(parcels=parcels), "FEDEX_GROUND")
        items = fedex.ship_requests[-1]["requestedShipment"]["requestedPackageLineItems"]
        assert [i["customerReferences"] for i in items] == [
            [{"customerReferenceType": "CUSTOMER_REFERENCE", "value": "LP-000123"}]
        ] * 2
        assert fedex.ship_requests[-1]["labelResponseOptions"] == "LABEL"

    async def test_zpl_when_the_account_prints_on_thermal_printers(
        self, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        carrier = FedExCarrier(account(fedex, label_format="zpl"))
        parcels = [Parcel(2300, 300, 200, 150), Parcel(900, 200, 200, 100)]
        label = await carrier.create_label(shipment(parcels=parcels), "FEDEX_GROUND")
        spec = fedex.ship_requests[-1]["requestedShipment"]["labelSpecification"]
        assert (spec["imageType"], spec["labelStockType"]) == ("ZPLII", "STOCK_4X6")
        assert label.pdf == b"" and label.zpl.count("^XA") == 2
        for piece in label.pieces:
            assert piece.zpl.startswith("^XA") and f"^FD{piece.tracking_number}^FS" in piece.zpl

    async def test_a_purchase_is_never_sent_twice(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.fail_next(1, status=503, path="/ship")
        with pytest.raises(LabelOutcomeUnknown):
            await carrier.create_label(shipment(), "FEDEX_GROUND")
        assert calls(fedex, "/ship/v1/shipments") == 1

    async def test_a_refused_token_during_a_purchase_buys_one_label(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        await carrier.rates(shipment())
        fedex.revoke_tokens()
        label = await carrier.create_label(shipment(), "FEDEX_GROUND")
        assert list(fedex.shipments) == [label.tracking_number]
        assert calls(fedex, "/ship/v1/shipments") == 2 and fedex.token_requests == 2

    async def test_a_lost_answer_is_found_by_reference_and_voided(
        self, carrier: FedExCarrier, fedex: FakeFedEx, wire: TimingOut
    ) -> None:
        await carrier.rates(shipment())  # the token is at hand
        parcels = [Parcel(2300, 300, 200, 150), Parcel(900, 200, 200, 100)]
        wire.lose_next_answers(1)
        with pytest.raises(LabelOutcomeUnknown):
            await carrier.create_label(shipment(parcels=parcels), "FEDEX_GROUND")
        assert len(fedex.shipments) == 1
        [made] = fedex.shipments.values()
        assert await carrier.find_labels("LP-000123", SHIP_DATE) == [made.master]
        sent = fedex.reference_requests[-1]["referencesInformation"]
        assert sent["accountNumber"] == fedex.account_number
        assert (sent["shipDateBegin"], sent["shipDateEndDate"]) == ("2026-11-23", "2026-12-04")
        await carrier.cancel_label(made.master)
        assert made.cancelled
        assert await carrier.find_labels("LP-000123", SHIP_DATE) == []
        await carrier.cancel_label(made.master)  # voiding twice is not an error

    async def test_a_reference_nobody_used_finds_nothing(self, carrier: FedExCarrier) -> None:
        await carrier.create_label(shipment(), "FEDEX_GROUND")
        assert await carrier.find_labels("LP-999999", SHIP_DATE) == []

    async def test_voiding_an_unknown_number_is_refused(self, carrier: FedExCarrier) -> None:
        with pytest.raises(CarrierRefused, match=r"NOT\.FOUND\.ERROR"):
            await carrier.cancel_label("794000000000")

    async def test_a_parcel_fedex_has_picked_up_cannot_be_voided(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        label = await carrier.create_label(shipment(), "FEDEX_GROUND")
        fedex.scan(label.tracking_number, "PU")
        with pytest.raises(CarrierRefused, match=r"TRACKINGIDS\.TRACKINGNUMBER\.CLOSED"):
            await carrier.cancel_label(label.tracking_number)
        assert not fedex.shipments[label.tracking_number].cancelled


class TestInternational:
    async def test_the_customs_declaration_reaches_fedex_in_its_shape(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        request = shipment(ship_to=TORONTO, customs=MUGS)
        quotes = {q.service for q in await carrier.rates(request)}
        assert quotes == {"FEDEX_INTERNATIONAL_PRIORITY", "INTERNATIONAL_ECONOMY"}
        await carrier.create_label(request, "INTERNATIONAL_ECONOMY")
        customs = fedex.ship_requests[-1]["requestedShipment"]["customsClearanceDetail"]
        mug, towel = customs["commodities"]
        assert (mug["harmonizedCode"], mug["countryOfManufacture"]) == ("691200", "PT")
        assert mug["quantity"] == 4 and mug["unitPrice"] == {"amount": 12.5, "currency": "USD"}
        assert mug["customsValue"] == {"amount": 50.0, "currency": "USD"}
        assert mug["weight"] == {"units": "KG", "value": 1.4}
        assert towel["countryOfManufacture"] == "IN" and towel["unitPrice"]["amount"] == 7.99
        assert customs["totalCustomsValue"] == {"amount": 65.98, "currency": "USD"}
        assert customs["dutiesPayment"] == {"paymentType": "RECIPIENT"}
        assert customs["commercialInvoice"] == {"shipmentPurpose": "SOLD", "termsOfSale": "DAP"}

    async def test_duties_paid_by_the_shipper_bill_its_account(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        customs = replace(MUGS, incoterm="DDP", reason="gift")
        await carrier.create_label(
            shipment(ship_to=TORONTO, customs=customs), "INTERNATIONAL_ECONOMY"
        )
        detail = fedex.ship_requests[-1]["requestedShipment"]["customsClearanceDetail"]
        assert detail["dutiesPayment"]["paymentType"] == "SENDER"
        payor = detail["dutiesPayment"]["payor"]["responsibleParty"]["accountNumber"]
        assert payor == {"value": fedex.account_number}
        assert detail["commercialInvoice"]["shipmentPurpose"] == "GIFT"

    async def test_a_dutiable_shipment_without_a_declaration_is_refused(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        with pytest.raises(CarrierRefused) as refusal:
            await carrier.create_label(shipment(ship_to=TORONTO), "INTERNATIONAL_ECONOMY")
        assert refusal.value.field == "customs"
        assert "TOTALCUSTOMSVALUE.REQUIRED" in refusal.value.detail
        assert fedex.shipments == {}

    async def test_a_domestic_service_cannot_cross_a_border(self, carrier: FedExCarrier) -> None:
        with pytest.raises(CarrierRefused, match=r"SERVICETYPE\.NOT\.ALLOWED"):
            await carrier.create_label(shipment(ship_to=TORONTO, customs=MUGS), "FEDEX_2_DAY")


STATUS_CASES = [
    ("PU", TrackingCode.IN_TRANSIT),
    ("AR", TrackingCode.IN_TRANSIT),
    ("DP", TrackingCode.IN_TRANSIT),
    ("IT", TrackingCode.IN_TRANSIT),
    ("CC", TrackingCode.IN_TRANSIT),
    ("HP", TrackingCode.IN_TRANSIT),
    ("OD", TrackingCode.OUT_FOR_DELIVERY),
    ("DL", TrackingCode.DELIVERED),
    ("DE", TrackingCode.EXCEPTION),
    ("SE", TrackingCode.EXCEPTION),
    ("CD", TrackingCode.EXCEPTION),
    ("RS", TrackingCode.RETURNED_TO_SENDER),
]


class TestTracking:
    @pytest.mark.parametrize(("code", "expected"), STATUS_CASES)
    async def test_each_fedex_status_has_its_meaning(
        self, carrier: FedExCarrier, fedex: FakeFedEx, code: str, expected: TrackingCode
    ) -> None:
        label = await carrier.create_label(shipment(), "FEDEX_GROUND")
        fedex.scan(label.tracking_number, code)
        updates = await carrier.track(label.tracking_number)
        assert [u.code for u in updates] == [expected]

    def test_every_mapped_code_is_one_of_fedex_two_letter_codes(self) -> None:
        assert all(len(code) == 2 and code.isupper() for code in FEDEX_CODES)
        assert "OC" not in FEDEX_CODES  # a label made is no news for the shipment

    async def test_a_new_label_has_no_news_yet(self, carrier: FedExCarrier) -> None:
        label = await carrier.create_label(shipment(), "FEDEX_GROUND")
        assert await carrier.track(label.tracking_number) == []

    async def test_events_come_oldest_first_with_time_and_place(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        label = await carrier.create_label(shipment(), "FEDEX_GROUND")
        start = datetime(2026, 11, 24, 18, 5, tzinfo=CENTRAL)
        fedex.scan(label.tracking_number, "PU", at=start)
        fedex.scan(
            label.tracking_number, "AR", at=start + timedelta(hours=9), city="DALLAS", region="TX"
        )
        fedex.scan(
            label.tracking_number, "OD", at=start + timedelta(days=2), city="IRVING", region="TX"
        )
        fedex.scan(
            label.tracking_number,
            "DE",
            at=start + timedelta(days=2, hours=4),
            city="IRVING",
            region="TX",
            exception="Customer not available",
        )
        updates = await carrier.track(label.tracking_number)
        assert [u.code for u in updates] == [
            TrackingCode.IN_TRANSIT,
            TrackingCode.IN_TRANSIT,
            TrackingCode.OUT_FOR_DELIVERY,
            TrackingCode.EXCEPTION,
        ]
        assert updates[0].occurred_at == start and updates[0].location == "MEMPHIS, TN, US"
        assert updates[1].description == "Arrived at FedEx location"
        assert updates[-1].location == "IRVING, TX, US"
        assert "Customer not available" in updates[-1].description

    async def test_a_number_fedex_does_not_know_has_no_news(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        assert await carrier.track("794999999999") == []
        assert calls(fedex, "/track/v1/trackingnumbers") == 1


class TestAddresses:
    async def test_a_known_home_is_deliverable_and_residential(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        fedex.add_address("45 Noblestown Rd", "Pittsburgh", "PA", "15220-1234", "US")
        check = await carrier.validate_address({**HOME, "postal_code": "15220-1234"})
        assert check.deliverable and check.residential is True

    async def test_a_business_is_not_residential(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        fedex.add_address(
            "7372 Parkridge Blvd", "Irving", "TX", "75063", "US", classification="BUSINESS"
        )
        check = await carrier.validate_address(OFFICE)
        assert check.deliverable and check.residential is False

    async def test_a_misspelt_city_comes_back_corrected(
        self, carrier: FedExCarrier, fedex: FakeFedEx
    ) -> None:
        fedex.add_address("45 Noblestown Rd", "Pittsburgh", "PA", "15220-1234", "US")
        check = await carrier.validate_address({**HOME, "city": "Pitsburg"})
        assert check.deliverable
        [suggestion] = check.suggestions
        assert suggestion["city"] == "PITTSBURGH" and suggestion["postal_code"] == "15220-1234"
        assert suggestion["line1"] == "45 NOBLESTOWN RD"

    async def test_an_unknown_street_is_not_deliverable(self, carrier: FedExCarrier) -> None:
        check = await carrier.validate_address({**HOME, "line1": "1 Nowhere Lane"})
        assert not check.deliverable and check.residential is None
        assert check.messages
