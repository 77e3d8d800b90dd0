"""Orderly's shipment as MyDHL API JSON: metric units (kg, cm), DHL's exact date-time form,
parties with contact details, and a dutiable shipment's export declaration."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderly.kit.money import currency_exponent, from_minor
from orderly.shipping.carriers.dhl.settings import DhlSettings
from orderly.shipping.domain import Customs, CustomsLine, Parcel, ShipmentRequest
from orderly.shipping.errors import ShipmentInvalid

# DHL keeps customer references of at most 35 characters; lookups send the same cut.
REFERENCE_LENGTH = 35
REFERENCE_TYPE = "CU"  # reference number of the consignor (the shipper)
EXPORT_REASONS = {
    "sale": "commercial_purpose_or_sale",
    "gift": "gift",
    "sample": "sample",
    "return": "return",
    "repair": "temporary",
}


def number(value: Decimal) -> float:
    """A decimal for a JSON number field. DHL's amounts and weights have at most three
    decimals, which a float carries exactly enough for `json` to print them back unchanged."""
    return float(value)


def kilograms(grams: int) -> float:
    return number(Decimal(grams) / 1000)


def centimetres(millimetres: int) -> float:
    # DHL's smallest side is 1 cm.
    return number(max(Decimal(millimetres) / 10, Decimal(1)))


def amount(minor: int, currency: str) -> float:
    return number(Decimal(from_minor(minor, currency)))


def minor_units(value: Decimal | int | float, currency: str) -> int:
    """DHL's decimal price in the currency's minor units (half up, as invoices round)."""
    scaled = Decimal(str(value)).scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reference_value(reference: str) -> str:
    return reference[:REFERENCE_LENGTH]


def planned_shipping(ship_date: date, settings: DhlSettings) -> str:
    """`2025-01-18T17:00:00 GMT+01:00`: the shipper's local time and its offset."""
    return f"{ship_date.isoformat()}T{settings.ship_time}:00 GMT{settings.utc_offset}"


def _text(address: dict[str, Any], key: str) -> str:
    return str(address.get(key) or "").strip()


def rate_address(address: dict[str, Any]) -> dict[str, Any]:
    """The short address the rates service takes (postal code empty where there is none)."""
    out: dict[str, Any] = {
        "postalCode": _text(address, "postal_code"),
        "countryCode": _text(address, "country").upper(),
    }
    optional = {"cityName": "city", "provinceCode": "region", "addressLine1": "line1"}
    out.update({dhl: _text(address, ours) for dhl, ours in optional.items() if address.get(ours)})
    return out


def party(address: dict[str, Any], *, residential: bool | None = None) -> dict[str, Any]:
    """A shipper or receiver. DHL wants a company name for everyone: a private person's is
    their own name. Missing fields are left out, so that DHL names them."""
    postal: dict[str, Any] = {
        "postalCode": _text(address, "postal_code"),
        "countryCode": _text(address, "country").upper(),
    }
    lines = {
        "cityName": "city",
        "addressLine1": "line1",
        "addressLine2": "line2",
        "provinceCode": "region",
    }
    postal.update({dhl: _text(address, ours) for dhl, ours in lines.items() if address.get(ours)})
    name = _text(address, "name") or _text(address, "company")
    contact = {
        "fullName": name,
        "companyName": _text(address, "company") or name,
        "phone": _text(address, "phone"),
        "email": _text(address, "email"),
    }
    out: dict[str, Any] = {
        "postalAddress": postal,
        "contactInformation": {key: value for key, value in contact.items() if value},
    }
    if residential is not None:
        out["typeCode"] = "private" if residential else "business"
    return out


def package(parcel: Parcel) -> dict[str, Any]:
    return {
        "weight": kilograms(parcel.weight_grams),
        "dimensions": {
            "length": centimetres(parcel.length_mm),
            "width": centimetres(parcel.width_mm),
            "height": centimetres(parcel.height_mm),
        },
    }


def customs_currency(customs: Customs) -> str:
    currencies = {line.currency for line in customs.lines}
    if len(currencies) > 1:
        raise ShipmentInvalid(
            "DHL Express takes one currency per customs declaration", field="customs.lines"
        )
    return currencies.pop()


def rate_request(
    shipment: ShipmentRequest, *, account_number: str, settings: DhlSettings
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerDetails": {
            "shipperDetails": rate_address(shipment.ship_from),
            "receiverDetails": rate_address(shipment.ship_to),
        },
        "accounts": [{"typeCode": "shipper", "number": account_number}],
        "plannedShippingDateAndTime": planned_shipping(shipment.ship_date, settings),
        "unitOfMeasurement": "metric",
        "isCustomsDeclarable": shipment.customs is not None,
        "estimatedDeliveryDate": {"isRequested": True, "typeCode": "QDDC"},
        "packages": [package(parcel) for parcel in shipment.parcels],
    }
    if shipment.customs is not None and shipment.customs.lines:
        currency = customs_currency(shipment.customs)
        value = amount(shipment.customs.declared_value_minor, currency)
        body["monetaryAmount"] = [
            {"typeCode": "declaredValue", "value": value, "currency": currency}
        ]
    return body


def shipment_request(
    shipment: ShipmentRequest, service: str, *, account_number: str, settings: DhlSettings
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "plannedShippingDateAndTime": planned_shipping(shipment.ship_date, settings),
        "pickup": {"isRequested": False},
        "productCode": service,
        "getRateEstimates": True,
        "accounts": [{"typeCode": "shipper", "number": account_number}],
        "outputImageProperties": {
            "encodingFormat": settings.label_format,
            "imageOptions": [{"typeCode": "label", "templateName": settings.label_template}],
            # One document per page: one label per piece, in the order of the packages.
            "splitDocumentsByPages": True,
        },
        "customerDetails": {
            "shipperDetails": party(shipment.ship_from),
            "receiverDetails": party(shipment.ship_to, residential=shipment.residential),
        },
        "content": content(shipment, settings),
        "estimatedDeliveryDate": {"isRequested": True, "typeCode": "QDDC"},
    }
    if shipment.reference:
        body["customerReferences"] = [
            {"value": reference_value(shipment.reference), "typeCode": REFERENCE_TYPE}
        ]
    return body


def content(shipment: ShipmentRequest, settings: DhlSettings) -> dict[str, Any]:
    customs = shipment.customs
    description = settings.content_description
    if customs is not None and customs.lines:
        description = ", ".join(line.description for line in customs.lines)
    body: dict[str, Any] = {
        "packages": [package(parcel) for parcel in shipment.parcels],
        "isCustomsDeclarable": customs is not None,
        "description": description.strip()[:70],
        "incoterm": customs.incoterm if customs is not None else "DAP",
        "unitOfMeasurement": "metric",
    }
    # A dutiable shipment without lines goes without a declaration: DHL refuses it, naming it.
    if customs is not None and customs.lines:
        currency = customs_currency(customs)
        body["declaredValue"] = amount(customs.declared_value_minor, currency)
        body["declaredValueCurrency"] = currency
        body["exportDeclaration"] = export_declaration(customs, shipment)
    return body


def export_declaration(customs: Customs, shipment: ShipmentRequest) -> dict[str, Any]:
    return {
        "lineItems": [line_item(n, line, customs) for n, line in enumerate(customs.lines, 1)],
        "invoice": {
            "number": reference_value(shipment.reference or "INVOICE"),
            "date": shipment.ship_date.isoformat(),
        },
        "exportReasonType": EXPORT_REASONS[customs.reason],
    }


def line_item(number_: int, line: CustomsLine, customs: Customs) -> dict[str, Any]:
    weight = kilograms(line.unit_weight_grams * line.quantity)
    return {
        "number": number_,
        "description": line.description[:512],
        "price": amount(line.unit_value_minor, line.currency),
        "quantity": {"value": line.quantity, "unitOfMeasurement": "PCS"},
        "commodityCodes": [{"typeCode": "outbound", "value": line.hs_code}],
        "exportReasonType": EXPORT_REASONS[customs.reason],
        "manufacturerCountry": line.origin_country.upper(),
        "weight": {"netValue": weight, "grossValue": weight},
    }


def address_query(address: dict[str, Any]) -> dict[str, str]:
    """The query of DHL's address check: can DHL deliver to this postal code and city?"""
    query = {
        "type": "delivery",
        "countryCode": _text(address, "country").upper(),
        "postalCode": _text(address, "postal_code"),
        "strictValidation": "false",
    }
    if address.get("city"):
        query["cityName"] = _text(address, "city")
    return query
