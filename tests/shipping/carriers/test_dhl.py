"""The DHL Express connector against a fake MyDHL API that answers as DHL's specification says:
connecting an account, Basic auth, rates, every refusal in DHL's own words, outages and rate
limits, and what the fake refuses that the connector never sends."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.carriers.dhl.payloads import shipment_request
from orderly.shipping.carriers.dhl.settings import DhlSettings, DhlSettingsInvalid
from orderly.shipping.carriers.registry import build_carrier
from orderly.shipping.domain import Parcel
from orderly.shipping.errors import (
    CarrierBusy,
    CarrierCredentialsRefused,
    CarrierRefused,
    CarrierUnavailable,
)
from tests.clock import MovableClock
from tests.factories import Org
from tests.shipping.carriers.dhl_cases import (
    BERLIN,
    BRNO,
    MUGS,
    NEW_YORK,
    TODAY,
    DhlCase,
    account,
    raw_client,
    shipment,
    signed,
)
from tests.shipping.carriers.fakes.dhl import FakeDhlExpress
from tests.transports import TimingOut


class TestConnecting(DhlCase):
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


class TestAuthentication(DhlCase):
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


class TestRates(DhlCase):
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


class TestRefusals(DhlCase):
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


class TestOutagesAndLimits(DhlCase):
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


class TestTheFakeIsStrict(DhlCase):
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
