"""The UPS carrier against a fake UPS that answers as UPS's specifications say: its token,
rates with transit times, one purchase for a multi-parcel shipment, a lost answer found again
by our reference and voided, customs, errors, and the carrier account that configures it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import httpx
import pytest
from pypdf import PdfReader

from orderly.shipping.carriers.registry import build_carrier
from orderly.shipping.carriers.ups import UpsCarrier
from orderly.shipping.domain import Customs, Parcel, add_business_days
from orderly.shipping.errors import (
    CarrierBusy,
    CarrierCredentialsRefused,
    CarrierRefused,
    CarrierUnavailable,
    LabelOutcomeUnknown,
)
from tests.clock import MovableClock
from tests.factories import Org
from tests.shipping.carriers.fakes.ups import FAKE_BASE, TOKEN_LIFETIME, FakeUps
from tests.shipping.carriers.ups_helpers import (
    CUSTOMER,
    SHIP_DATE,
    TEE,
    WAREHOUSE,
    account,
    pdf_text,
    shipment,
    to_london,
    ups_network,
)
from tests.transports import TimingOut


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


class TestToken:
    async def test_one_token_serves_many_calls(self, ups: UpsCarrier, fake: FakeUps) -> None:
        await ups.rates(shipment())
        await ups.rates(shipment())
        await ups.track("1Z8R7X440310000013")
        assert fake.token_requests == 1

    async def test_an_expired_token_is_replaced(
        self, ups: UpsCarrier, fake: FakeUps, clock: MovableClock
    ) -> None:
        await ups.rates(shipment())
        clock.advance(TOKEN_LIFETIME)
        assert await ups.rates(shipment())
        assert fake.token_requests == 2

    async def test_a_revoked_token_is_fetched_again_once(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        await ups.rates(shipment())
        fake.revoke_tokens()
        assert await ups.rates(shipment())
        assert fake.token_requests == 2

    async def test_a_wrong_secret_is_refused_credentials(
        self, fake: FakeUps, network: TimingOut
    ) -> None:
        wrong = replace(account(fake), credentials=fake.credentials | {"client_secret": "nope"})
        with pytest.raises(CarrierCredentialsRefused) as refused:
            await UpsCarrier(wrong).rates(shipment())
        assert "ClientId is Invalid" in refused.value.detail

    async def test_missing_credentials_are_named(self, fake: FakeUps, network: TimingOut) -> None:
        bare = replace(account(fake), credentials={"client_id": fake.client_id})
        with pytest.raises(CarrierCredentialsRefused) as refused:
            await UpsCarrier(bare).rates(shipment())
        assert "client_secret, account_number" in refused.value.detail
        assert fake.token_requests == 0


class TestRates:
    async def test_every_domestic_service_priced_with_its_delivery_date(
        self, ups: UpsCarrier
    ) -> None:
        quotes = {q.service: q for q in await ups.rates(shipment())}
        assert set(quotes) == {"01", "02", "03", "12", "13", "14", "59"}
        ground = quotes["03"]
        assert ground.carrier == "ups-newark"
        assert ground.service_name == "UPS Ground"
        # 4.9 lb: 9.85 + 5 x 0.985 + 5.10 residential = 19.875 -> 19.88, negotiated 80 %.
        assert (ground.price_minor, ground.currency) == (1590, "USD")
        assert ground.transit_days == 2
        assert ground.estimated_delivery == date(2026, 11, 25)
        assert quotes["01"].estimated_delivery == add_business_days(SHIP_DATE, 1)

    async def test_published_rates_when_the_account_has_no_negotiated_ones(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        fake.negotiated_rates = False
        quotes = {q.service: q for q in await ups.rates(shipment())}
        assert quotes["03"].price_minor == 1988

    async def test_units_and_strings_as_ups_wants_them(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        await ups.rates(shipment(Parcel(2200, 300, 200, 100)))
        sent = fake.bodies("/rating/")[0]["RateRequest"]["Shipment"]
        package = sent["Package"][0]
        assert package["PackageWeight"] == {
            "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
            "Weight": "4.9",
        }
        assert package["Dimensions"]["Length"] == "12"
        assert sent["DeliveryTimeInformation"]["Pickup"] == {"Date": "20261123"}

    async def test_international_rates_use_kilograms_and_the_invoice_total(
        self, fake: FakeUps, network: TimingOut
    ) -> None:
        paris = {**WAREHOUSE, "city": "Paris", "region": "", "postal_code": "75001",
                 "country": "FR"}  # fmt: skip
        ups = UpsCarrier(account(fake))
        quotes = await ups.rates(replace(to_london(Customs((TEE,))), ship_from=paris))
        assert {q.service for q in quotes} == {"07", "08", "54", "65"}
        assert {q.currency for q in quotes} == {"EUR"}
        sent = fake.bodies("/rating/")[0]["RateRequest"]["Shipment"]
        assert sent["Package"][0]["PackageWeight"]["UnitOfMeasurement"]["Code"] == "KGS"
        assert sent["InvoiceLineTotal"] == {"CurrencyCode": "USD", "MonetaryValue": "38"}


class TestLabels:
    async def test_one_purchase_for_every_parcel(self, ups: UpsCarrier, fake: FakeUps) -> None:
        parcels = (Parcel(2200, 300, 200, 100), Parcel(900, 200, 200, 100))
        label = await ups.create_label(shipment(*parcels), "03")
        assert fake.ship_requests == 1
        made = fake.shipments[label.tracking_number]
        assert [p.tracking_number for p in label.pieces] == made.packages
        assert len(set(made.packages)) == 2
        assert label.tracking_number == made.packages[0]
        assert made.references == ["NW-1001"]
        assert (label.cost_minor, label.currency, label.service) == (2944, "USD", "03")
        reader = PdfReader(io.BytesIO(label.pdf))
        assert len(reader.pages) == 2
        for piece in label.pieces:
            assert piece.tracking_number in pdf_text(label.pdf)
            assert piece.tracking_number in pdf_text(piece.pdf)
        assert label.zpl == ""

    async def test_zpl_when_the_account_prints_on_thermal_printers(
        self, fake: FakeUps, network: TimingOut
    ) -> None:
        ups = UpsCarrier(account(fake, label_format="zpl"))
        label = await ups.create_label(shipment(Parcel(900, 200, 200, 100)), "02")
        assert label.zpl.startswith("^XA")
        assert label.tracking_number in label.zpl
        assert label.pdf == b""
        spec = fake.bodies("/ship")[0]["ShipmentRequest"]["LabelSpecification"]
        assert spec["LabelImageFormat"] == {"Code": "ZPL"}

    def test_an_unknown_label_format_is_refused(self, fake: FakeUps) -> None:
        with pytest.raises(CarrierRefused) as refused:
            UpsCarrier(account(fake, label_format="png"))
        assert refused.value.field == "label_format"

    async def test_a_lost_answer_is_found_by_reference_and_voided(
        self, ups: UpsCarrier, fake: FakeUps, network: TimingOut
    ) -> None:
        await ups.rates(shipment())  # a token first: only the purchase loses its answer
        network.lose_next_answers(1)
        with pytest.raises(LabelOutcomeUnknown):
            await ups.create_label(shipment(Parcel(2200, 300, 200, 100)), "03")
        assert fake.ship_requests == 1
        [made] = fake.shipments.values()
        assert await ups.find_labels("NW-1001", SHIP_DATE) == [made.number]
        assert await ups.find_labels("NW-9999", SHIP_DATE) == []
        await ups.cancel_label(made.number)
        assert made.voided
        await ups.cancel_label(made.number)  # voiding twice is not an error
        assert await ups.find_labels("NW-1001", SHIP_DATE) == []

    async def test_a_server_error_during_a_purchase_is_not_repeated(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        await ups.rates(shipment())
        fake.fail_next(1, status=500)
        with pytest.raises(LabelOutcomeUnknown):
            await ups.create_label(shipment(), "03")
        assert fake.calls("/shipments/") == 1

    async def test_voiding_an_unknown_shipment_is_refused(self, ups: UpsCarrier) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.cancel_label("1Z8R7X440399999990")
        assert "No shipment found within the allowed void period" in refused.value.detail

    def test_features_and_the_registry(self, fake: FakeUps) -> None:
        carrier = build_carrier(account(fake))
        assert isinstance(carrier, UpsCarrier)
        features = carrier.features
        assert features.void and features.find_by_reference and features.tracking
        assert features.address_validation and features.customs


class TestRefusals:
    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"postal_code": ""}, "ship_to.postal_code", "Missing or invalid ship to postal code"),
            ({"country": "XX"}, "ship_to.country", "Missing or invalid ship to country code"),
            ({"postal_code": "90210"}, "ship_to", "The postal code 90210 is invalid for NY US"),
            ({"city": ""}, "ship_to.city", "Missing or invalid ship to city"),
        ],
    )
    async def test_a_bad_address_names_the_field(
        self, ups: UpsCarrier, change: dict[str, str], field: str, message: str
    ) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(shipment(ship_to=CUSTOMER | change), "03")
        assert refused.value.field == field
        assert message in refused.value.detail

    async def test_an_unknown_service_is_refused(self, ups: UpsCarrier) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(shipment(), "99")
        assert refused.value.field == "service"

    async def test_a_service_not_offered_on_the_lane_is_refused(self, ups: UpsCarrier) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(shipment(), "65")
        assert "not available from the origin to the destination" in refused.value.detail

    async def test_a_parcel_over_150_pounds_is_refused(self, ups: UpsCarrier) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(shipment(Parcel(70_000, 600, 500, 400)), "03")
        assert refused.value.field == "parcels"
        assert "150.00 pounds" in refused.value.detail

    async def test_server_errors_are_retried(self, ups: UpsCarrier, fake: FakeUps) -> None:
        await ups.rates(shipment())
        fake.fail_next(2)
        assert await ups.rates(shipment())
        assert fake.calls("/rating/") == 1 + 3

    async def test_a_carrier_that_stays_down_is_unavailable(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        fake.fail_next(10)
        with pytest.raises(CarrierUnavailable):
            await ups.rates(shipment())

    async def test_retry_after_is_waited_on_the_clock(
        self, ups: UpsCarrier, fake: FakeUps, clock: MovableClock
    ) -> None:
        fake.rate_limit_next(1, retry_after=7)
        assert await ups.rates(shipment())
        assert 7.0 in clock.slept

    async def test_a_long_rate_limit_is_left_to_later(self, ups: UpsCarrier, fake: FakeUps) -> None:
        fake.rate_limit_next(1, retry_after=600)
        with pytest.raises(CarrierBusy):
            await ups.rates(shipment())


class TestCustoms:
    async def test_the_declaration_reaches_ups_as_a_commercial_invoice(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        label = await ups.create_label(to_london(Customs((TEE,), incoterm="DDP")), "65")
        assert label.tracking_number in fake.shipments
        sent = fake.bodies("/ship")[0]["ShipmentRequest"]["Shipment"]
        forms = sent["ShipmentServiceOptions"]["InternationalForms"]
        assert forms["FormType"] == ["01"]
        assert forms["CurrencyCode"] == "USD"
        assert forms["Product"] == [
            {
                "Description": ["Cotton T-shirt"],
                "Unit": {"Number": "3", "UnitOfMeasurement": {"Code": "PCS"}, "Value": "12.50"},
                "CommodityCode": "610910",
                "OriginCountryCode": "PT",
                "PartNumber": "TEE-M",
            }
        ]
        assert sent["Description"] == "Cotton T-shirt"
        assert sent["ReferenceNumber"] == [{"Value": "NW-1001"}]
        assert [c["Type"] for c in sent["PaymentInformation"]["ShipmentCharge"]] == ["01", "02"]

    async def test_a_dutiable_shipment_without_a_declaration_is_refused(
        self, ups: UpsCarrier, fake: FakeUps
    ) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(to_london(None), "65")
        assert refused.value.field == "customs"
        assert "Description is required" in refused.value.detail
        assert fake.shipments == {}

    async def test_a_bad_hs_code_is_refused_naming_the_customs(self, ups: UpsCarrier) -> None:
        bad_line = replace(TEE, hs_code="61")
        with pytest.raises(CarrierRefused) as refused:
            await ups.create_label(to_london(Customs((bad_line,))), "65")
        assert refused.value.field == "customs"
        assert "commodity code" in refused.value.detail


class TestTheFakeIsStrict:
    """What UPS refuses and the connector never sends, asked of the fake directly."""

    async def test_numbers_grant_types_and_tracking_headers(self, fake: FakeUps) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url=FAKE_BASE
        ) as client:
            form = {"grant_type": "password"}
            auth = (fake.client_id, fake.client_secret)
            wrong_grant = await client.post("/security/v1/oauth/token", data=form, auth=auth)
            assert wrong_grant.status_code == 400
            good = {"grant_type": "client_credentials"}
            token = (await client.post("/security/v1/oauth/token", data=good, auth=auth)).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            numeric = {"RateRequest": {"Shipment": {"NumOfPieces": 1}}}
            rated = await client.post("/api/rating/v2409/Shop", json=numeric, headers=headers)
            assert rated.json()["response"]["errors"][0]["code"] == "10002"
            tracked = await client.get("/api/track/v1/details/1Z8R7X440310000013", headers=headers)
            assert tracked.json()["response"]["errors"][0]["code"] == "TV1001"


class TestCarrierAccount:
    async def test_a_ups_account_is_configured_through_the_api(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {
            "code": "ups",
            "name": "UPS",
            "kind": "ups",
            "settings": {"base_url": "https://wwwcie.ups.com", "label_format": "zpl"},
            "credentials": {"client_id": "id", "client_secret": "secret", "account_number": "A1"},
        }
        created = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert created.status_code == 201, created.text
        assert created.json()["kind"] == "ups"
        assert "secret" not in created.text
