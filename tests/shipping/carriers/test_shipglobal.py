"""The ShipGlobal connector against a fake Labels API that answers and refuses as ShipGlobal's
documentation describes: sign-in and its token, one cross-border order and its PDF label, and
plain refusals for all that the API does not offer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from orderly.kit.vendor_http import use_transport
from orderly.shipping.carriers.registry import build_carrier
from orderly.shipping.carriers.shipglobal import ShipGlobalCarrier
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import (
    CarrierAccount,
    Customs,
    CustomsLine,
    Parcel,
    ShipmentRequest,
)
from orderly.shipping.errors import (
    CarrierBusy,
    CarrierCredentialsRefused,
    CarrierRefused,
    FeatureNotOffered,
    LabelOutcomeUnknown,
    NoServiceAvailable,
    RateCardInvalid,
)
from tests.clock import MovableClock
from tests.factories import Org
from tests.shipping.carriers.fakes.shipglobal import FakeShipGlobal
from tests.transports import TimingOut

FAKE_BASE = "https://dev.labels.shipgl.in/api/v1"
SERVICES = [
    {
        "code": "DPD-CLASSIC",
        "name": "DPD Classic",
        "price_minor": 1450,
        "currency": "USD",
        "transit_days": 6,
    },
    {
        "code": "UNIUNI-CLASSIC",
        "name": "UniUni Classic",
        "price_minor": 1190,
        "currency": "USD",
        "transit_days": 9,
    },
]
SELLER = {
    "name": "Asha Rao",
    "company": "Indigo Looms",
    "line1": "14 Weavers Lane",
    "line2": "Okhla Phase II",
    "city": "New Delhi",
    "region": "Delhi",
    "postal_code": "110020",
    "country": "IN",
    "phone": "+919811000000",
    "email": "dispatch@indigolooms.in",
}
BUYER = {
    "name": "Jordan Avery Lee",
    "line1": "350 5th Ave",
    "line2": "Floor 10",
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
    "phone": "+12125551234",
    "email": "jordan@example.com",
}
SCARF = CustomsLine("Handwoven cotton scarf", "62142000", "IN", 2, 1250, "USD", 180, sku="SCARF")
DIYA = CustomsLine("Brass diya", "74198030", "IN", 1, 899, "USD", 300)
MONDAY = date(2026, 11, 23)


def shipment(**changes: Any) -> ShipmentRequest:
    request = ShipmentRequest(
        org_id=1,
        ship_from=SELLER,
        ship_to=BUYER,
        parcels=[Parcel(1250, 305, 200, 120)],
        ship_date=MONDAY,
        reference="lbl_0001",
        customs=Customs(lines=(SCARF, DIYA)),
    )
    return replace(request, **changes)


@pytest.fixture
def fake(clock: MovableClock) -> FakeShipGlobal:
    return FakeShipGlobal(clock)


def route_to(transport: httpx.AsyncBaseTransport) -> None:
    """Calls to the sandbox's address go through `transport`; other addresses go nowhere."""
    use_transport(lambda base: transport if base.startswith(FAKE_BASE) else None)


def serve(fake: FakeShipGlobal) -> FakeShipGlobal:
    """Another fake in the sandbox's place, for the carriers built from now on."""
    route_to(httpx.ASGITransport(app=fake.app))
    return fake


@pytest.fixture
def network(fake: FakeShipGlobal) -> Iterator[TimingOut]:
    """The fake in the sandbox's place, through a transport that can lose answers."""
    transport = TimingOut(httpx.ASGITransport(app=fake.app))
    route_to(transport)
    TOKENS.clear()
    yield transport
    use_transport(None)
    TOKENS.clear()


def account(
    fake: FakeShipGlobal, *, credentials: dict[str, str] | None = None, **settings: Any
) -> CarrierAccount:
    return CarrierAccount(
        id=1,
        org_id=1,
        code="shipglobal-exports",
        name="ShipGlobal exports",
        kind="shipglobal",
        settings={"base_url": FAKE_BASE, "services": SERVICES, **settings},
        credentials=fake.credentials if credentials is None else credentials,
    )


def connect(fake: FakeShipGlobal, **settings: Any) -> ShipGlobalCarrier:
    carrier = build_carrier(account(fake, **settings))
    assert isinstance(carrier, ShipGlobalCarrier)
    return carrier


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


pytestmark = pytest.mark.usefixtures("network")


class TestSigningIn:
    async def test_one_token_serves_many_purchases(self, fake: FakeShipGlobal) -> None:
        carrier = connect(fake)
        for number in range(3):
            await carrier.create_label(shipment(reference=f"lbl_{number}"), "DPD-CLASSIC")
        assert fake.logins == 1
        assert len(fake.orders) == 3

    async def test_the_token_is_renewed_before_it_expires(
        self, fake: FakeShipGlobal, clock: MovableClock
    ) -> None:
        carrier = connect(fake)
        await carrier.create_label(shipment(reference="lbl_a"), "DPD-CLASSIC")
        clock.advance(24 * 3600 - 60)  # a minute before ShipGlobal's expires_at
        await carrier.create_label(shipment(reference="lbl_b"), "DPD-CLASSIC")
        assert fake.logins == 2
        assert fake.rejected == 0  # no purchase was sent with a token about to lapse

    async def test_the_lifetime_comes_from_expires_at(self, clock: MovableClock) -> None:
        fake = serve(FakeShipGlobal(clock, token_lifetime=3600))
        carrier = connect(fake)
        await carrier.create_label(shipment(reference="lbl_a"), "DPD-CLASSIC")
        clock.advance(3600)
        await carrier.create_label(shipment(reference="lbl_b"), "DPD-CLASSIC")
        assert (fake.logins, fake.rejected) == (2, 0)

    async def test_a_revoked_token_is_replaced_once(self, fake: FakeShipGlobal) -> None:
        carrier = connect(fake)
        await carrier.create_label(shipment(reference="lbl_a"), "DPD-CLASSIC")
        fake.revoke_tokens()
        label = await carrier.create_label(shipment(reference="lbl_b"), "DPD-CLASSIC")
        assert (fake.logins, fake.rejected) == (2, 1)
        # The refused attempt made nothing: one order for the reference, the one labelled.
        [order] = fake.orders_with_reference("lbl_b")
        assert order["waybill_number"] == label.tracking_number

    async def test_wrong_credentials_are_refused(self, fake: FakeShipGlobal) -> None:
        carrier = build_carrier(
            account(fake, credentials={"email": fake.email, "password": "not-it"})
        )
        with pytest.raises(CarrierCredentialsRefused) as refused:
            await carrier.create_label(shipment(), "DPD-CLASSIC")
        assert "Invalid email or password" in refused.value.detail
        assert fake.orders == {}


class TestRates:
    async def test_the_contracted_services_are_quoted_without_a_call(
        self, fake: FakeShipGlobal
    ) -> None:
        quotes = await connect(fake).rates(shipment())
        assert [(q.carrier, q.service, q.service_name) for q in quotes] == [
            ("shipglobal-exports", "DPD-CLASSIC", "DPD Classic"),
            ("shipglobal-exports", "UNIUNI-CLASSIC", "UniUni Classic"),
        ]
        assert [(q.price_minor, q.currency, q.transit_days) for q in quotes] == [
            (1450, "USD", 6),
            (1190, "USD", 9),
        ]
        # Business days from Monday 23 November 2026.
        assert [q.estimated_delivery for q in quotes] == [date(2026, 12, 1), date(2026, 12, 4)]
        assert fake.requests == 0

    @pytest.mark.parametrize(
        "changes",
        [
            {"ship_from": {**SELLER, "country": "AE", "region": "Dubai"}},
            {"ship_to": {**BUYER, "country": "IN", "region": "Karnataka"}},
            {"parcels": [Parcel(1250, 305, 200, 120), Parcel(800, 200, 200, 100)]},
        ],
        ids=["from outside India", "within India", "two parcels"],
    )
    async def test_what_shipglobal_cannot_carry_gets_no_quote(
        self, fake: FakeShipGlobal, changes: dict[str, Any]
    ) -> None:
        assert await connect(fake).rates(shipment(**changes)) == []

    async def test_a_malformed_price_list_names_its_setting(self, fake: FakeShipGlobal) -> None:
        services = [SERVICES[0], {**SERVICES[1], "price_minor": "11.90"}]
        with pytest.raises(RateCardInvalid) as invalid:
            await connect(fake, services=services).rates(shipment())
        assert invalid.value.field == "settings.services[1].price_minor"


class TestLabels:
    async def test_one_purchase_makes_one_order_and_its_pdf_label(
        self, fake: FakeShipGlobal
    ) -> None:
        label = await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        [order] = fake.orders.values()
        assert label.tracking_number == order["waybill_number"]
        assert [p.tracking_number for p in label.piece_labels()] == [label.tracking_number]
        assert label.tracking_number in pdf_text(label.pdf)
        assert label.pieces[0].pdf == label.pdf
        assert label.zpl == ""  # ShipGlobal sends PDF labels only
        assert (label.cost_minor, label.currency, label.service) == (1450, "USD", "DPD-CLASSIC")
        assert label.estimated_delivery == date(2026, 12, 1)

    async def test_the_order_carries_our_reference_the_seller_and_the_recipient(
        self, fake: FakeShipGlobal
    ) -> None:
        await connect(fake).create_label(shipment(), "UNIUNI-CLASSIC")
        [order] = fake.orders.values()
        sent = order["body"]
        assert (sent["order_reference"], sent["invoice_no"]) == ("lbl_0001", "lbl_0001")
        assert (sent["invoice_date"], sent["service"]) == ("2026-11-23", "UNIUNI-CLASSIC")
        assert sent["seller_nickname"] == "Indigo Looms"
        assert (sent["seller_firstname"], sent["seller_lastname"]) == ("Asha", "Rao")
        assert (sent["seller_country_code"], sent["seller_postcode"]) == ("IN", "110020")
        assert sent["customer_shipping_firstname"] == "Jordan Avery"
        assert sent["customer_shipping_lastname"] == "Lee"
        assert sent["customer_shipping_address_2"] == "Floor 10"
        assert (sent["customer_shipping_state"], sent["customer_shipping_country_code"]) == (
            "NY",
            "US",
        )
        assert sent["csb5_status"] == 0

    async def test_the_package_goes_in_kilograms_and_centimetres(
        self, fake: FakeShipGlobal
    ) -> None:
        await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        [order] = fake.orders.values()
        sent = order["body"]
        assert sent["package_weight"] == Decimal("1.25")
        assert (sent["package_length"], sent["package_breadth"], sent["package_height"]) == (
            Decimal("30.5"),
            Decimal("20"),
            Decimal("12"),
        )

    async def test_an_account_on_grams_sends_grams(self, fake: FakeShipGlobal) -> None:
        await connect(fake, weight_unit="g").create_label(shipment(), "DPD-CLASSIC")
        [order] = fake.orders.values()
        assert order["body"]["package_weight"] == 1250

    async def test_two_parcels_are_refused_before_any_call(self, fake: FakeShipGlobal) -> None:
        two = shipment(parcels=[Parcel(1250, 305, 200, 120), Parcel(800, 200, 200, 100)])
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(two, "DPD-CLASSIC")
        assert refused.value.field == "parcels"
        assert fake.requests == 0

    async def test_a_parcel_leaving_from_outside_india_is_refused_before_any_call(
        self, fake: FakeShipGlobal
    ) -> None:
        dubai = shipment(ship_from={**SELLER, "country": "AE", "region": "Dubai"})
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(dubai, "DPD-CLASSIC")
        assert refused.value.field == "ship_from.country"
        assert fake.requests == 0

    async def test_a_service_without_a_contracted_price_is_refused(
        self, fake: FakeShipGlobal
    ) -> None:
        with pytest.raises(NoServiceAvailable) as refused:
            await connect(fake).create_label(shipment(), "DHLECS-CLASSIC")
        assert refused.value.field == "service"
        assert fake.requests == 0

    async def test_zpl_is_not_offered(self, fake: FakeShipGlobal) -> None:
        with pytest.raises(FeatureNotOffered) as refused:
            await connect(fake, label_format="zpl").create_label(shipment(), "DPD-CLASSIC")
        assert "PDF labels only" in refused.value.detail
        assert fake.requests == 0


class TestRefusals:
    async def test_a_missing_postcode_names_the_field(self, fake: FakeShipGlobal) -> None:
        nowhere = shipment(ship_to={**BUYER, "postal_code": ""})
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(nowhere, "DPD-CLASSIC")
        assert refused.value.field == "ship_to.postal_code"
        assert refused.value.extra["vendor_message"] == (
            "Validation failed: The customer_shipping_postcode field is required."
        )
        assert fake.orders == {}

    async def test_a_bad_country_names_the_field(self, fake: FakeShipGlobal) -> None:
        atlantis = shipment(ship_to={**BUYER, "country": "XA"})
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(atlantis, "DPD-CLASSIC")
        assert refused.value.field == "ship_to.country"
        assert "Invalid country code 'XA'" in refused.value.detail

    async def test_a_bad_email_names_the_field(self, fake: FakeShipGlobal) -> None:
        unreachable = shipment(ship_to={**BUYER, "email": "jordan-at-example"})
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(unreachable, "DPD-CLASSIC")
        assert refused.value.field == "ship_to.email"

    async def test_a_service_the_shipglobal_account_lacks_is_refused_by_shipglobal(
        self, clock: MovableClock
    ) -> None:
        fake = serve(FakeShipGlobal(clock, services=("UNIUNI-CLASSIC",)))
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        assert refused.value.field == "service"
        assert "Invalid service 'DPD-CLASSIC'" in refused.value.detail

    async def test_a_label_the_last_mile_refuses_is_not_taken_for_a_success(
        self, fake: FakeShipGlobal
    ) -> None:
        fake.refuse_next_label("UniUni: postcode 10118 is outside the delivery area")
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(shipment(), "UNIUNI-CLASSIC")
        [order] = fake.orders.values()  # ShipGlobal keeps the order, without a label
        assert order["waybill_number"] is None
        assert "outside the delivery area" in refused.value.detail
        assert order["order_number"] in refused.value.detail
        assert "cancel it in ShipGlobal's panel" in refused.value.detail

    async def test_a_sign_in_answered_503_is_tried_again(self, fake: FakeShipGlobal) -> None:
        fake.fail_next(2, status=503)
        label = await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        assert fake.logins == 1
        assert [o["waybill_number"] for o in fake.orders.values()] == [label.tracking_number]

    async def test_a_purchase_answered_500_is_not_repeated(self, fake: FakeShipGlobal) -> None:
        carrier = connect(fake)
        await carrier.create_label(shipment(reference="lbl_a"), "DPD-CLASSIC")
        fake.fail_next(1, status=500)
        requests = fake.requests
        with pytest.raises(LabelOutcomeUnknown):
            await carrier.create_label(shipment(reference="lbl_b"), "DPD-CLASSIC")
        assert fake.requests == requests + 1

    async def test_retry_after_is_waited_on_the_clock(
        self, fake: FakeShipGlobal, clock: MovableClock
    ) -> None:
        fake.rate_limit_next(7)
        await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        assert 7 in clock.slept
        assert len(fake.orders) == 1

    async def test_a_long_retry_after_is_not_waited_in_a_request(
        self, fake: FakeShipGlobal
    ) -> None:
        fake.rate_limit_next(300)
        with pytest.raises(CarrierBusy):
            await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        assert fake.orders == {}


class TestLostAnswer:
    async def test_a_lost_answer_leaves_one_order_to_find_in_the_panel(
        self, fake: FakeShipGlobal, network: TimingOut
    ) -> None:
        carrier = connect(fake)
        await carrier.create_label(shipment(reference="lbl_first"), "DPD-CLASSIC")
        network.lose_next_answers(1)
        with pytest.raises(LabelOutcomeUnknown):
            await carrier.create_label(shipment(reference="lbl_lost"), "DPD-CLASSIC")
        [made] = fake.orders_with_reference("lbl_lost")
        assert made["waybill_number"]
        # The Labels API can neither look the order up nor cancel it: the features say so and
        # the methods tell a person what to do instead.
        assert not carrier.features.find_by_reference
        assert not carrier.features.void
        with pytest.raises(FeatureNotOffered) as lookup:
            await carrier.find_labels("lbl_lost", MONDAY)
        assert "'lbl_lost'" in lookup.value.detail
        assert "ShipGlobal's panel" in lookup.value.detail
        with pytest.raises(FeatureNotOffered) as void:
            await carrier.cancel_label(made["waybill_number"])
        assert made["waybill_number"] in void.value.detail
        assert len(fake.orders_with_reference("lbl_lost")) == 1


class TestCustoms:
    async def test_the_goods_reach_shipglobal_as_invoice_items(self, fake: FakeShipGlobal) -> None:
        await connect(fake).create_label(shipment(), "DPD-CLASSIC")
        [order] = fake.orders.values()
        sent = order["body"]
        assert sent["currency_code"] == "USD"
        assert sent["vendor_order_items"] == [
            {
                "vendor_order_item_name": "Handwoven cotton scarf",
                "vendor_order_item_sku": "SCARF",
                "vendor_order_item_quantity": 2,
                "vendor_order_item_unit_price": Decimal("12.50"),
                "vendor_order_item_hsn": "62142000",
                "vendor_order_item_tax_rate": Decimal("0"),
            },
            {
                "vendor_order_item_name": "Brass diya",
                "vendor_order_item_sku": "74198030",
                "vendor_order_item_quantity": 1,
                "vendor_order_item_unit_price": Decimal("8.99"),
                "vendor_order_item_hsn": "74198030",
                "vendor_order_item_tax_rate": Decimal("0"),
            },
        ]

    async def test_an_export_without_its_goods_is_refused(self, fake: FakeShipGlobal) -> None:
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(shipment(customs=None), "DPD-CLASSIC")
        assert refused.value.field == "customs"
        assert fake.requests == 0

    async def test_goods_in_two_currencies_are_refused(self, fake: FakeShipGlobal) -> None:
        euros = replace(DIYA, currency="EUR")
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(
                shipment(customs=Customs(lines=(SCARF, euros))), "DPD-CLASSIC"
            )
        assert refused.value.field == "customs.lines"

    async def test_a_bad_hs_code_names_its_line(self, fake: FakeShipGlobal) -> None:
        vague = replace(DIYA, hs_code="7419")
        with pytest.raises(CarrierRefused) as refused:
            await connect(fake).create_label(
                shipment(customs=Customs(lines=(SCARF, vague))), "DPD-CLASSIC"
            )
        assert refused.value.field == "customs.lines[1].hs_code"

    async def test_the_ioss_number_goes_with_parcels_to_the_eu_only(
        self, fake: FakeShipGlobal
    ) -> None:
        carrier = connect(fake, ioss_number="IM3560000123")
        to_paris = {**BUYER, "city": "Paris", "region": "IDF", "postal_code": "75003"}
        await carrier.create_label(
            shipment(reference="lbl_fr", ship_to={**to_paris, "country": "FR"}), "DPD-CLASSIC"
        )
        await carrier.create_label(shipment(reference="lbl_us"), "DPD-CLASSIC")
        [paris] = fake.orders_with_reference("lbl_fr")
        [new_york] = fake.orders_with_reference("lbl_us")
        assert paris["body"]["ioss_number"] == "IM3560000123"
        assert "ioss_number" not in new_york["body"]


class TestWhatTheLabelsApiDoesNotOffer:
    async def test_tracking_and_address_checks_say_what_to_do_instead(
        self, fake: FakeShipGlobal
    ) -> None:
        carrier = connect(fake)
        assert not carrier.features.tracking
        assert not carrier.features.address_validation
        assert carrier.features.customs
        with pytest.raises(FeatureNotOffered) as tracking:
            await carrier.track("UUS41000000100001")
        assert "tracking page" in tracking.value.detail
        with pytest.raises(FeatureNotOffered):
            await carrier.validate_address(BUYER)
        assert fake.requests == 0


class TestTheFakeRefusesAsShipGlobalDoes:
    """Calls straight to the fake: what the connector never sends must still be refused."""

    async def order(self, fake: FakeShipGlobal, **changes: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url=FAKE_BASE
        ) as client:
            signed_in = await client.post("/customers.php", json=fake.credentials)
            token = signed_in.json()["token"]
            body = {
                "invoice_no": "INV-1",
                "invoice_date": "2026-11-23",
                "order_reference": "ORDER-1",
                "service": "DPD-CLASSIC",
                "package_weight": 1.25,
                "package_length": 30,
                "package_breadth": 20,
                "package_height": 12,
                "currency_code": "USD",
                "csb5_status": 0,
                **{f"seller_{k}": v for k, v in SELLER_FIELDS.items()},
                **{f"customer_shipping_{k}": v for k, v in BUYER_FIELDS.items()},
                "seller_nickname": "Indigo",
                "vendor_order_items": [
                    {
                        "vendor_order_item_name": "Scarf",
                        "vendor_order_item_sku": "SCARF",
                        "vendor_order_item_quantity": 1,
                        "vendor_order_item_unit_price": 12.5,
                        "vendor_order_item_hsn": "62142000",
                        "vendor_order_item_tax_rate": 0,
                    }
                ],
            }
            body.update(changes)
            headers = {"Authorization": f"Bearer {token}"}
            return await client.post("/addOrder.php", json=body, headers=headers)

    async def test_the_documented_order_is_accepted(self, fake: FakeShipGlobal) -> None:
        answer = await self.order(fake)
        assert answer.status_code == 200, answer.text
        assert answer.json()["success"] is True

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"package_weight": "1.25"}, "package_weight"),
            ({"csb5_status": "0"}, "csb5_status"),
            ({"invoice_date": "23/11/2026"}, "invoice_date"),
            ({"customer_shipping_postcode": 10118}, "customer_shipping_postcode"),
            ({"vendor_order_items": []}, "vendor_order_items"),
            ({"currency_code": "usd"}, "currency_code"),
        ],
    )
    async def test_a_malformed_order_is_refused(
        self, fake: FakeShipGlobal, changes: dict[str, Any], field: str
    ) -> None:
        answer = await self.order(fake, **changes)
        assert answer.status_code == 422
        assert answer.json()["success"] is False
        assert field in answer.json()["errors"]
        assert fake.orders == {}

    async def test_an_expired_token_is_refused(
        self, fake: FakeShipGlobal, clock: MovableClock
    ) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app), base_url=FAKE_BASE
        ) as client:
            signed_in = await client.post("/customers.php", json=fake.credentials)
            clock.advance(24 * 3600)
            headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
            answer = await client.post("/addOrder.php", json={}, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "success": False,
            "message": "Unauthorized: invalid or expired token",
        }


SELLER_FIELDS = {
    "firstname": "Asha",
    "lastname": "Rao",
    "mobile": "+919811000000",
    "email": "dispatch@indigolooms.in",
    "address": "14 Weavers Lane",
    "city": "New Delhi",
    "postcode": "110020",
    "country_code": "IN",
    "state": "Delhi",
}
BUYER_FIELDS = {
    "firstname": "Jordan",
    "lastname": "Lee",
    "mobile": "+12125551234",
    "email": "jordan@example.com",
    "address": "350 5th Ave",
    "city": "New York",
    "postcode": "10118",
    "country_code": "US",
    "state": "NY",
}


class TestAnAccountOverTheApi:
    async def test_a_shipglobal_account_is_configured_and_quoted(
        self, client: httpx.AsyncClient, org: Org, fake: FakeShipGlobal
    ) -> None:
        body = {
            "code": "shipglobal",
            "name": "ShipGlobal",
            "kind": "shipglobal",
            "settings": {"base_url": FAKE_BASE, "services": SERVICES, "seller_nickname": "Indigo"},
            "credentials": fake.credentials,
        }
        created = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert created.status_code == 201, created.text
        assert created.json()["kind"] == "shipglobal"
        assert fake.password not in created.text
        rates = {
            "ship_from": {k: v for k, v in SELLER.items() if k != "email"},
            "ship_to": {k: v for k, v in BUYER.items() if k != "email"},
            "parcels": [
                {"weight_grams": 1250, "length_mm": 305, "width_mm": 200, "height_mm": 120}
            ],
            "ship_date": "2026-11-23",
        }
        quoted = await client.post("/v1/rates", json=rates, headers=org.headers)
        assert quoted.status_code == 200, quoted.text
        assert quoted.json()["recommended"]["service"] == "UNIUNI-CLASSIC"
        assert quoted.json()["recommended"]["price"] == "11.90"
        assert fake.requests == 0
