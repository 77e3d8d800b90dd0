"""Orderly's shipments as UPS request bodies (Rating, Shipping, Address Validation). UPS wants
every number as a string, pounds and inches from the US and Puerto Rico, kilograms and
centimetres elsewhere."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from orderly.kit.money import from_minor
from orderly.shipping.domain import Customs, Parcel, ShipmentRequest

# The service codes of the Shipping API (Service/Code), with the names UPS gives them.
SERVICE_NAMES: dict[str, str] = {
    "01": "UPS Next Day Air",
    "02": "UPS 2nd Day Air",
    "03": "UPS Ground",
    "07": "UPS Worldwide Express",
    "08": "UPS Worldwide Expedited",
    "11": "UPS Standard",
    "12": "UPS 3 Day Select",
    "13": "UPS Next Day Air Saver",
    "14": "UPS Next Day Air Early",
    "17": "UPS Worldwide Economy DDU",
    "54": "UPS Worldwide Express Plus",
    "59": "UPS 2nd Day Air A.M.",
    "65": "UPS Worldwide Saver",
    "70": "UPS Access Point Economy",
    "71": "UPS Worldwide Express Freight Midday",
    "72": "UPS Worldwide Economy DDP",
    "74": "UPS Express 12:00",
    "96": "UPS Worldwide Express Freight",
}
IMPERIAL_COUNTRIES = frozenset({"US", "PR"})
# Reference numbers go on the packages for US-US and PR-PR shipments, on the shipment otherwise.
PACKAGE_REFERENCE_COUNTRIES = frozenset({"US", "PR"})
CUSTOMER_PACKAGING = "02"
BILL_TRANSPORTATION, BILL_DUTIES = "01", "02"
NON_DOCUMENT = "03"
GRAMS_PER_POUND = Decimal("453.59237")
UNIT_NAMES = {"LBS": "Pounds", "KGS": "Kilograms", "IN": "Inches", "CM": "Centimeters"}
NAME_LENGTH = 35
REFERENCE_LENGTH = 35
PRODUCT_DESCRIPTION_LENGTH = 35
SHIPMENT_DESCRIPTION_LENGTH = 50


@dataclass(frozen=True, slots=True)
class Units:
    weight: str  # LBS or KGS
    length: str  # IN or CM

    @classmethod
    def of(cls, country: str) -> Units:
        return cls("LBS", "IN") if country in IMPERIAL_COUNTRIES else cls("KGS", "CM")

    def weight_of(self, grams: int) -> str:
        """Tenths of a pound or kilogram, rounded up, never zero."""
        per_unit = GRAMS_PER_POUND if self.weight == "LBS" else Decimal(1000)
        value = (Decimal(grams) / per_unit).quantize(Decimal("0.1"), rounding=ROUND_CEILING)
        return str(max(value, Decimal("0.1")))

    def length_of(self, millimetres: int) -> str:
        """Whole inches or centimetres, rounded up, never zero."""
        per_unit = 25.4 if self.length == "IN" else 10.0
        return str(max(math.ceil(millimetres / per_unit), 1))


def _country(address: dict[str, Any]) -> str:
    return str(address.get("country") or "").upper()


def _text(address: dict[str, Any], key: str) -> str:
    return str(address.get(key) or "").strip()


def postal_code(address: dict[str, Any]) -> str:
    """UPS takes postal codes without spaces or dashes (US: 5 or 9 digits, CA: A1A1A1)."""
    return re.sub(r"[\s-]", "", _text(address, "postal_code")).upper()


def ups_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def address_of(address: dict[str, Any], *, residential: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AddressLine": [
            line for line in (_text(address, "line1"), _text(address, "line2")) if line
        ],
        "City": _text(address, "city"),
        "CountryCode": _country(address),
    }
    if region := _text(address, "region").upper():
        body["StateProvinceCode"] = region
    if code := postal_code(address):
        body["PostalCode"] = code
    if residential:
        body["ResidentialAddressIndicator"] = ""
    return body


def party(
    address: dict[str, Any], *, residential: bool = False, contact: bool = True
) -> dict[str, Any]:
    """A Shipper, ShipTo or ShipFrom: the company (else the person) as Name, the person as
    AttentionName; with `contact` (Shipping, not Rating) the digits-only phone and e-mail."""
    person, company = _text(address, "name"), _text(address, "company")
    body: dict[str, Any] = {
        "Name": (company or person)[:NAME_LENGTH],
        "Address": address_of(address, residential=residential),
    }
    if person or company:
        body["AttentionName"] = (person or company)[:NAME_LENGTH]
    if not contact:
        return body
    if phone := re.sub(r"\D", "", _text(address, "phone")):
        body["Phone"] = {"Number": phone}
    if email := _text(address, "email"):
        body["EMailAddress"] = email
    return body


def package(parcel: Parcel, units: Units, *, packaging_key: str) -> dict[str, Any]:
    return {
        packaging_key: {"Code": CUSTOMER_PACKAGING},
        "Dimensions": {
            "UnitOfMeasurement": {"Code": units.length, "Description": UNIT_NAMES[units.length]},
            "Length": units.length_of(max(parcel.length_mm, parcel.width_mm, parcel.height_mm)),
            "Width": units.length_of(
                sorted((parcel.length_mm, parcel.width_mm, parcel.height_mm))[1]
            ),
            "Height": units.length_of(min(parcel.length_mm, parcel.width_mm, parcel.height_mm)),
        },
        "PackageWeight": {
            "UnitOfMeasurement": {"Code": units.weight, "Description": UNIT_NAMES[units.weight]},
            "Weight": units.weight_of(parcel.weight_grams),
        },
    }


def _bill_shipper(kind: str, account_number: str) -> dict[str, Any]:
    return {"Type": kind, "BillShipper": {"AccountNumber": account_number}}


def _whole_value(customs: Customs) -> str:
    """A declared value as UPS's InvoiceLineTotal wants it: whole units, at least 1."""
    currency = customs.lines[0].currency
    value = Decimal(from_minor(customs.declared_value_minor, currency))
    return str(max(int(value.to_integral_value(rounding=ROUND_CEILING)), 1))


def rate_request(shipment: ShipmentRequest, account_number: str) -> dict[str, Any]:
    """A Shop request for every service, with time in transit when UPS can give it (an
    international one needs the invoice total, so it comes only with a customs declaration)."""
    origin = _country(shipment.ship_from)
    units = Units.of(origin)
    body: dict[str, Any] = {
        "Shipper": {**party(shipment.ship_from, contact=False), "ShipperNumber": account_number},
        "ShipTo": party(shipment.ship_to, residential=shipment.residential, contact=False),
        "ShipFrom": party(shipment.ship_from, contact=False),
        "PaymentDetails": {"ShipmentCharge": [_bill_shipper(BILL_TRANSPORTATION, account_number)]},
        "ShipmentRatingOptions": {"NegotiatedRatesIndicator": ""},
        "NumOfPieces": str(len(shipment.parcels)),
        "Package": [package(p, units, packaging_key="PackagingType") for p in shipment.parcels],
    }
    if with_transit_times(shipment):
        body["DeliveryTimeInformation"] = {
            "PackageBillType": NON_DOCUMENT,
            "Pickup": {"Date": ups_date(shipment.ship_date)},
        }
        body["ShipmentTotalWeight"] = {
            "UnitOfMeasurement": {"Code": units.weight, "Description": UNIT_NAMES[units.weight]},
            "Weight": units.weight_of(shipment.weight_grams),
        }
        if shipment.international and shipment.customs is not None:
            body["InvoiceLineTotal"] = {
                "CurrencyCode": shipment.customs.lines[0].currency,
                "MonetaryValue": _whole_value(shipment.customs),
            }
    request = {
        "RequestOption": rating_option(shipment),
        "TransactionReference": {"CustomerContext": shipment.reference or "rates"},
    }
    return {"RateRequest": {"Request": request, "Shipment": body}}


def with_transit_times(shipment: ShipmentRequest) -> bool:
    return not shipment.international or bool(shipment.customs and shipment.customs.lines)


def rating_option(shipment: ShipmentRequest) -> str:
    """Every service, with its time in transit where UPS can give it."""
    return "Shoptimeintransit" if with_transit_times(shipment) else "Shop"


def _references_on_packages(shipment: ShipmentRequest) -> bool:
    origin, destination = _country(shipment.ship_from), _country(shipment.ship_to)
    return origin == destination and origin in PACKAGE_REFERENCE_COUNTRIES


def ship_request(
    shipment: ShipmentRequest,
    service: str,
    *,
    account_number: str,
    label_format: str,
    today: date,
) -> dict[str, Any]:
    """One ShipmentRequest for all the parcels; our reference on the shipment (or, where UPS
    allows it only there, on every package) so that tracking by reference finds it. A ship
    date ahead of today is sent as ShipmentDate (UPS takes up to a week ahead)."""
    origin, destination = _country(shipment.ship_from), _country(shipment.ship_to)
    units = Units.of(origin)
    reference = [{"Value": shipment.reference[:REFERENCE_LENGTH]}] if shipment.reference else []
    on_packages = _references_on_packages(shipment)
    packages = []
    for parcel in shipment.parcels:
        body = package(parcel, units, packaging_key="Packaging")
        if reference and on_packages:
            body["ReferenceNumber"] = reference
        packages.append(body)
    charges = [_bill_shipper(BILL_TRANSPORTATION, account_number)]
    detail: dict[str, Any] = {
        "Shipper": {**party(shipment.ship_from), "ShipperNumber": account_number},
        "ShipTo": party(shipment.ship_to, residential=shipment.residential),
        "ShipFrom": party(shipment.ship_from),
        "PaymentInformation": {"ShipmentCharge": charges},
        "Service": {"Code": service, "Description": SERVICE_NAMES.get(service, service)},
        "ShipmentRatingOptions": {"NegotiatedRatesIndicator": ""},
        "Package": packages,
    }
    if reference and not on_packages:
        detail["ReferenceNumber"] = reference
    if shipment.ship_date > today:
        detail["ShipmentDate"] = ups_date(shipment.ship_date)
    customs = shipment.customs
    if shipment.international and customs is not None and customs.lines:
        if customs.incoterm == "DDP":
            charges.append(_bill_shipper(BILL_DUTIES, account_number))
        detail["Description"] = _goods_description(customs)
        detail["ShipmentServiceOptions"] = {
            "InternationalForms": international_forms(shipment, customs)
        }
        if origin == "US" and destination in ("PR", "CA"):
            detail["InvoiceLineTotal"] = {
                "CurrencyCode": customs.lines[0].currency,
                "MonetaryValue": _whole_value(customs),
            }
    request: dict[str, Any] = {"RequestOption": "nonvalidate"}
    if shipment.reference:
        request["TransactionReference"] = {"CustomerContext": shipment.reference}
    return {
        "ShipmentRequest": {
            "Request": request,
            "Shipment": detail,
            "LabelSpecification": label_specification(label_format),
        }
    }


def label_specification(label_format: str) -> dict[str, Any]:
    """GIF for the PDF label (UPS makes no PDF), or ZPL, on 4x6 inch stock (the stock size is
    required whatever the format; UPS uses it for thermal labels)."""
    stock = {"Height": "6", "Width": "4"}
    if label_format == "zpl":
        return {"LabelImageFormat": {"Code": "ZPL"}, "LabelStockSize": stock}
    return {
        "LabelImageFormat": {"Code": "GIF"},
        "HTTPUserAgent": "Mozilla/4.5",
        "LabelStockSize": stock,
    }


def _goods_description(customs: Customs) -> str:
    text = ", ".join(dict.fromkeys(line.description for line in customs.lines))
    return text[:SHIPMENT_DESCRIPTION_LENGTH]


def international_forms(shipment: ShipmentRequest, customs: Customs) -> dict[str, Any]:
    """The commercial invoice (form 01): one Product per customs line, sold to the receiver."""
    currency = customs.lines[0].currency
    products = [
        {
            "Description": [line.description[:PRODUCT_DESCRIPTION_LENGTH]],
            "Unit": {
                "Number": str(line.quantity),
                "UnitOfMeasurement": {"Code": "PCS"},
                "Value": from_minor(line.unit_value_minor, line.currency),
            },
            "CommodityCode": re.sub(r"\D", "", line.hs_code),
            "OriginCountryCode": line.origin_country.upper(),
            **({"PartNumber": line.sku[:35]} if line.sku else {}),
        }
        for line in customs.lines
    ]
    return {
        "FormType": ["01"],
        "InvoiceNumber": shipment.reference[:35] or "1",
        "InvoiceDate": ups_date(shipment.ship_date),
        "ReasonForExport": customs.reason.upper(),
        "TermsOfShipment": customs.incoterm,
        "CurrencyCode": currency,
        "Contacts": {"SoldTo": party(shipment.ship_to)},
        "Product": products,
    }


def address_request(address: dict[str, Any]) -> dict[str, Any]:
    """A street-level check (request option 3: validation and classification)."""
    zip_code = postal_code(address)
    key: dict[str, Any] = {
        "AddressLine": [
            line for line in (_text(address, "line1"), _text(address, "line2")) if line
        ],
        "PoliticalDivision2": _text(address, "city"),
        "PoliticalDivision1": _text(address, "region").upper(),
        "PostcodePrimaryLow": zip_code[:5],
        "CountryCode": _country(address),
    }
    if len(zip_code) == 9:
        key["PostcodeExtendedLow"] = zip_code[5:]
    if name := (_text(address, "company") or _text(address, "name")):
        key["ConsigneeName"] = name[:40]
    return {"XAVRequest": {"AddressKeyFormat": {k: v for k, v in key.items() if v}}}
