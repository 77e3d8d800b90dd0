"""DHL Express label purchases: one purchase per shipment with a label per piece (PDF or ZPL), a
purchase whose answer is lost and found again by our reference, no void, and customs."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.domain import Customs, Parcel
from orderly.shipping.errors import (
    CarrierRefused,
    FeatureNotOffered,
    LabelOutcomeUnknown,
)
from tests.shipping.carriers.dhl_cases import (
    MUGS,
    NEW_YORK,
    TODAY,
    DhlCase,
    account,
    pdf_text,
    shipment,
)
from tests.shipping.carriers.fakes.dhl import FakeDhlExpress
from tests.transports import TimingOut


class TestLabelPurchase(DhlCase):
    async def test_one_purchase_makes_a_master_number_and_a_label_per_parcel(
        self, dhl: DhlExpressCarrier, fake: FakeDhlExpress
    ) -> None:
        parcels = [Parcel(1200, 300, 200, 100), Parcel(2500, 400, 300, 200)]
        label = await dhl.create_label(shipment(parcels=parcels), "N")
        assert fake.calls_to("/shipments", "POST") == 1
        assert fake.shipments_made == 1
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


class TestLostAnswer(DhlCase):
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


class TestCustoms(DhlCase):
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
