"""The fake UPS Shipping API: a shipment request checked as UPS checks it, then stored with a
1Z number per package and a label for each (GIF or ZPL); and Void, for the whole shipment."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.shipping.carriers.fakes import ups_rules as rules
from tests.shipping.carriers.fakes.ups_rating import (
    SUCCESS,
    billing_weight,
    currency,
    money,
    negotiated,
    price,
    services,
)
from tests.shipping.carriers.fakes.ups_records import (
    Activity,
    Shipment,
    check_digit,
    label_gif,
    label_zpl,
)
from tests.shipping.carriers.fakes.ups_rules import SERVICE_NAMES, bad, text

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.ups import FakeUps

# A shipment may be dated up to a week ahead (Shipment/ShipmentDate).
LONGEST_DATE_AHEAD = timedelta(days=7)
LABEL_CREATED = ("M", "003", "Shipper created a label, UPS has not received the package yet.")
VOIDED = ("MV", "007", "Shipment information voided")


def ship(fake: FakeUps, body: Any) -> dict[str, Any]:
    rules.strings_only(body)
    root = (body or {}).get("ShipmentRequest") or {}
    if text(root.get("Request"), "RequestOption").lower() not in ("nonvalidate", "validate"):
        raise bad("120051", "Invalid RequestOption")
    shipment = root.get("Shipment")
    if not isinstance(shipment, dict):
        raise bad("10002", rules.MESSAGES["not_valid"])
    shipper = shipment.get("Shipper") or {}
    if text(shipper, "ShipperNumber") != fake.account_number:
        raise bad("120100", "Missing or invalid shipper number")
    crossing = rules.crosses_border(
        text(shipper.get("Address"), "CountryCode"),
        text((shipment.get("ShipTo") or {}).get("Address"), "CountryCode"),
    )
    origin = rules.party(shipper, "1201", "shipper", contact=crossing)
    destination = rules.party(shipment.get("ShipTo"), "1202", "ship to", contact=crossing)
    if shipment.get("ShipFrom") is not None:
        origin = rules.party(shipment.get("ShipFrom"), "1203", "ship from", contact=crossing)
    rules.payment(shipment)
    service = text(shipment.get("Service"), "Code")
    if service not in SERVICE_NAMES:
        raise bad("120500", "Missing or invalid service code")
    if service not in services(origin, destination):
        raise bad("121210", rules.MESSAGES["lane"])
    pounds = rules.packages(shipment, origin, api="ship")
    references, level = rules.references(shipment, origin, destination)
    if crossing and not 1 <= len(text(shipment, "Description")) <= 50:
        raise bad("120512", "Shipment Description is required for this shipment.")
    rules.invoice_line_total(shipment, origin, destination)
    forms = (shipment.get("ShipmentServiceOptions") or {}).get("InternationalForms")
    if forms is not None:
        rules.international_forms(forms)
    label_format = rules.label_specification(root.get("LabelSpecification"))
    shipped_on = _shipment_date(fake, shipment)
    stored = _store(fake, root, service, len(pounds), references, level, shipped_on)
    negotiated_rates = fake.negotiated_rates
    return _answer(root, shipment, stored, pounds, label_format, negotiated_rates=negotiated_rates)


def _shipment_date(fake: FakeUps, shipment: dict[str, Any]) -> date:
    if "ShipmentDate" not in shipment:
        return fake.today
    day = rules.ups_day(text(shipment, "ShipmentDate"))
    if day is None or not fake.today <= day <= fake.today + LONGEST_DATE_AHEAD:
        raise bad("120580", "Invalid ShipmentDate. It can be today or up to 7 days ahead")
    return day


def _new_tracking_number(fake: FakeUps, service: str) -> str:
    body = f"{fake.account_number}{service}{next(fake.serials):07d}"
    return f"1Z{body}{check_digit(body)}"


def _store(
    fake: FakeUps,
    root: dict[str, Any],
    service: str,
    count: int,
    references: list[str],
    level: str,
    shipped_on: date,
) -> Shipment:
    fake.ship_requests += 1
    numbers = [_new_tracking_number(fake, service) for _ in range(count)]
    stored = Shipment(
        number=numbers[0],
        packages=numbers,
        references=references,
        reference_level=level,
        service=service,
        shipper_number=fake.account_number,
        shipped_on=shipped_on,
        request=root,
    )
    for number in numbers:
        stored.activity[number] = [Activity(*LABEL_CREATED, fake.now())]
    fake.shipments[stored.number] = stored
    return stored


def _answer(
    root: dict[str, Any],
    shipment: dict[str, Any],
    stored: Shipment,
    pounds: list[Decimal],
    label_format: str,
    *,
    negotiated_rates: bool,
) -> dict[str, Any]:
    code = currency(text((shipment.get("Shipper") or {}).get("Address"), "CountryCode"))
    ship_to = shipment.get("ShipTo") or {}
    residential = "ResidentialAddressIndicator" in (ship_to.get("Address") or {})
    amount = price(stored.service, pounds, residential=residential)
    draw = label_gif if label_format == "GIF" else label_zpl
    packages = []
    for number in stored.packages:
        image = draw(number, stored.service, ship_to)
        raw = image if isinstance(image, bytes) else image.encode()
        packages.append(
            {
                "TrackingNumber": number,
                "ServiceOptionsCharges": money(Decimal(0), code),
                "ShippingLabel": {
                    "ImageFormat": {"Code": label_format, "Description": label_format},
                    "GraphicImage": base64.b64encode(raw).decode(),
                },
            }
        )
    results: dict[str, Any] = {
        "ShipmentCharges": {
            "TransportationCharges": money(amount, code),
            "ServiceOptionsCharges": money(Decimal(0), code),
            "TotalCharges": money(amount, code),
        },
        "BillingWeight": billing_weight(pounds),
        "ShipmentIdentificationNumber": stored.number,
        "PackageResults": packages,
    }
    options = shipment.get("ShipmentRatingOptions") or {}
    if negotiated_rates and "NegotiatedRatesIndicator" in options:
        results["NegotiatedRateCharges"] = {"TotalCharge": money(negotiated(amount), code)}
    context = (root.get("Request") or {}).get("TransactionReference") or {}
    response = {**SUCCESS, "TransactionReference": context}
    return {"ShipmentResponse": {"Response": response, "ShipmentResults": results}}


def void(fake: FakeUps, number: str) -> dict[str, Any]:
    """UPS answers an unknown number, one past the void period and one already voided alike."""
    shipment = fake.shipments.get(number)
    if shipment is None or shipment.voided:
        raise bad("190102", "No shipment found within the allowed void period")
    shipment.voided = True
    for package in shipment.packages:
        shipment.activity[package].append(Activity(*VOIDED, fake.now()))
    return {
        "VoidShipmentResponse": {
            "Response": SUCCESS,
            "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}},
        }
    }
