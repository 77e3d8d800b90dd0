"""Orderly's shipments as FedEx's request bodies (Rate, Ship, Cancel, Track, Address Validation
APIs, v1). Weights go in KG rounded up to 0.1 kg, dimensions in whole CM rounded up."""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from orderly.kit.money import currency_exponent
from orderly.shipping.domain import Customs, Parcel, ShipmentRequest

# FedEx's field lengths (Ship API schema): street lines, city and company 35, person name 70.
STREET_LINE = 35
STREET_LINES = 3
CITY = 35
COMPANY = 35
PERSON = 70
# Customer references: 40 characters for Express, 30 for Ground.
REFERENCE_TYPE = "CUSTOMER_REFERENCE"
# A reference lookup spans at most 30 days; FedEx replaces a past ship date with today and
# accepts dates up to 10 days ahead.
LOOKUP_DAYS_BEFORE = 1
LOOKUP_DAYS_AFTER = 10

SHIPMENT_PURPOSE = {
    "sale": "SOLD",
    "gift": "GIFT",
    "sample": "SAMPLE",
    "return": "REPAIR_AND_RETURN",
    "repair": "REPAIR_AND_RETURN",
}


@dataclass(frozen=True)
class AccountSettings:
    """What a FedEx account asks of every request."""

    account_number: str
    pickup_type: str = "DROPOFF_AT_FEDEX_LOCATION"
    packaging_type: str = "YOUR_PACKAGING"
    label_format: str = "pdf"  # "pdf" or "zpl"

    @property
    def image_type(self) -> str:
        return "ZPLII" if self.label_format == "zpl" else "PDF"

    @property
    def label_stock(self) -> str:
        # Thermal printers take label stock; a PDF is printed on paper.
        return "STOCK_4X6" if self.label_format == "zpl" else "PAPER_4X6"


def kilograms(grams: int) -> float:
    return max(math.ceil(grams / 100), 1) / 10


def centimetres(millimetres: int) -> int:
    return max(math.ceil(millimetres / 10), 1)


def amount(minor: int, currency: str) -> float:
    """Minor units as the decimal number FedEx's money fields take."""
    return float(Decimal(minor).scaleb(-currency_exponent(currency)))


def package(parcel: Parcel, *, sequence: int, reference: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {
        "sequenceNumber": sequence,
        "weight": {"units": "KG", "value": kilograms(parcel.weight_grams)},
        # Units are always sent: FedEx reads missing units as inches.
        "dimensions": {
            "length": centimetres(parcel.length_mm),
            "width": centimetres(parcel.width_mm),
            "height": centimetres(parcel.height_mm),
            "units": "CM",
        },
    }
    if reference:
        item["customerReferences"] = [{"customerReferenceType": REFERENCE_TYPE, "value": reference}]
    return item


def street_lines(address: dict[str, Any]) -> list[str]:
    """The address's lines wrapped to FedEx's 35 characters, at most three lines."""
    lines: list[str] = []
    for key in ("line1", "line2"):
        text = " ".join(str(address.get(key) or "").split())
        if text:
            lines.extend(textwrap.wrap(text, STREET_LINE, break_long_words=True))
    return lines[:STREET_LINES]


def phone_number(value: Any) -> str:
    """Digits only, with a leading + kept: FedEx counts the digits (10 for US and CA)."""
    text = str(value or "").strip()
    digits = re.sub(r"\D", "", text)
    return f"+{digits}" if text.startswith("+") and digits else digits


def address(place: dict[str, Any], *, with_street: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if with_street:
        out["streetLines"] = street_lines(place)
    if place.get("city"):
        out["city"] = str(place["city"])[:CITY]
    if place.get("region"):
        out["stateOrProvinceCode"] = str(place["region"])
    out["postalCode"] = str(place.get("postal_code") or "")
    out["countryCode"] = str(place.get("country") or "").upper()
    return out


def party(place: dict[str, Any], *, residential: bool | None = None) -> dict[str, Any]:
    contact: dict[str, Any] = {"phoneNumber": phone_number(place.get("phone"))}
    if place.get("name"):
        contact["personName"] = str(place["name"])[:PERSON]
    if place.get("company"):
        contact["companyName"] = str(place["company"])[:COMPANY]
    if place.get("email"):
        contact["emailAddress"] = str(place["email"])
    out = {"address": address(place), "contact": contact}
    if residential is not None:
        out["address"]["residential"] = residential
    return out


def commodities(customs: Customs) -> list[dict[str, Any]]:
    items = []
    for line in customs.lines:
        items.append(
            {
                "description": line.description,
                "name": line.description,
                "harmonizedCode": line.hs_code,
                "countryOfManufacture": line.origin_country.upper(),
                "quantity": line.quantity,
                "quantityUnits": "PCS",
                "unitPrice": {
                    "amount": amount(line.unit_value_minor, line.currency),
                    "currency": line.currency,
                },
                "customsValue": {
                    "amount": amount(line.quantity * line.unit_value_minor, line.currency),
                    "currency": line.currency,
                },
                "weight": {
                    "units": "KG",
                    "value": kilograms(line.quantity * line.unit_weight_grams),
                },
            }
        )
    return items


def customs_clearance(customs: Customs, *, account_number: str) -> dict[str, Any]:
    currency = customs.lines[0].currency if customs.lines else "USD"
    duties: dict[str, Any] = {"paymentType": "RECIPIENT"}
    if customs.incoterm == "DDP":
        duties = {
            "paymentType": "SENDER",
            "payor": {"responsibleParty": {"accountNumber": {"value": account_number}}},
        }
    return {
        "dutiesPayment": duties,
        "isDocumentOnly": False,
        "commercialInvoice": {
            "shipmentPurpose": SHIPMENT_PURPOSE[customs.reason],
            "termsOfSale": customs.incoterm,
        },
        "totalCustomsValue": {
            "amount": amount(customs.declared_value_minor, currency),
            "currency": currency,
        },
        "commodities": commodities(customs),
    }


def rate_request(shipment: ShipmentRequest, settings: AccountSettings) -> dict[str, Any]:
    requested: dict[str, Any] = {
        "shipper": {"address": address(shipment.ship_from, with_street=False)},
        "recipient": {
            "address": {
                **address(shipment.ship_to, with_street=False),
                "residential": shipment.residential,
            }
        },
        "shipDateStamp": shipment.ship_date.isoformat(),
        "pickupType": settings.pickup_type,
        "packagingType": settings.packaging_type,
        "rateRequestType": ["ACCOUNT", "LIST"],
        "totalPackageCount": len(shipment.parcels),
        "requestedPackageLineItems": [
            package(p, sequence=i) for i, p in enumerate(shipment.parcels, start=1)
        ],
    }
    if shipment.international and shipment.customs is not None:
        requested["customsClearanceDetail"] = {"commodities": commodities(shipment.customs)}
    return {
        "accountNumber": {"value": settings.account_number},
        "rateRequestControlParameters": {"returnTransitTimes": True},
        "requestedShipment": requested,
    }


def ship_request(
    shipment: ShipmentRequest, service: str, settings: AccountSettings
) -> dict[str, Any]:
    account = {"value": settings.account_number}
    requested: dict[str, Any] = {
        "shipDatestamp": shipment.ship_date.isoformat(),
        "serviceType": service,
        "packagingType": settings.packaging_type,
        "pickupType": settings.pickup_type,
        "shipper": party(shipment.ship_from),
        "recipients": [party(shipment.ship_to, residential=shipment.residential)],
        "shippingChargesPayment": {
            "paymentType": "SENDER",
            "payor": {"responsibleParty": {"accountNumber": account}},
        },
        "labelSpecification": {
            "labelFormatType": "COMMON2D",
            "imageType": settings.image_type,
            "labelStockType": settings.label_stock,
        },
        "rateRequestType": ["ACCOUNT"],
        "requestedPackageLineItems": [
            package(p, sequence=i, reference=shipment.reference)
            for i, p in enumerate(shipment.parcels, start=1)
        ],
    }
    if shipment.international and shipment.customs is not None:
        requested["customsClearanceDetail"] = customs_clearance(
            shipment.customs, account_number=settings.account_number
        )
    return {
        "labelResponseOptions": "LABEL",
        "accountNumber": account,
        "requestedShipment": requested,
    }


def cancel_request(tracking_number: str, settings: AccountSettings) -> dict[str, Any]:
    return {
        "accountNumber": {"value": settings.account_number},
        "deletionControl": "DELETE_ALL_PACKAGES",
        "trackingNumber": tracking_number,
    }


def track_request(tracking_number: str) -> dict[str, Any]:
    return {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": tracking_number}}],
    }


def reference_request(reference: str, ship_date: date, settings: AccountSettings) -> dict[str, Any]:
    end = (ship_date + timedelta(days=LOOKUP_DAYS_AFTER)).isoformat()
    return {
        "includeDetailedScans": False,
        "referencesInformation": {
            "type": REFERENCE_TYPE,
            "value": reference,
            "accountNumber": settings.account_number,
            "shipDateBegin": (ship_date - timedelta(days=LOOKUP_DAYS_BEFORE)).isoformat(),
            # FedEx's schema names the end `shipDateEndDate`, its examples `shipDateEnd`.
            "shipDateEnd": end,
            "shipDateEndDate": end,
        },
    }


def address_request(place: dict[str, Any]) -> dict[str, Any]:
    return {"addressesToValidate": [{"address": address(place)}]}
