"""What the fake UPS checks in a Rating or Shipping request, and its prices and transit times.

The rules and the codes are UPS's: the request schemas of its OpenAPI specifications (every
leaf a string, lengths, what is required when) and the error codes of the Rating (11xxxx) and
Shipping (12xxxx, international forms 128xxx) developer guides."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse

# Countries the fake ships to and from (UPS's list is longer; enough to refuse "XX").
COUNTRIES = frozenset(
    "US PR CA MX GB DE FR NL BE IT ES PT IE AT CH SE DK NO FI PL CZ JP CN HK SG AU NZ IN "
    "BR AR CL KR TW AE IL ZA".split()
)
EU = frozenset("DE FR NL BE IT ES PT IE AT SE DK FI PL CZ".split())
IMPERIAL = frozenset({"US", "PR"})
DOMESTIC_US_SERVICES = ("01", "02", "03", "12", "13", "14", "59")
INTERNATIONAL_SERVICES = ("07", "08", "54", "65")
SERVICE_NAMES = {
    "01": "UPS Next Day Air",
    "02": "UPS 2nd Day Air",
    "03": "UPS Ground",
    "07": "UPS Worldwide Express",
    "08": "UPS Worldwide Expedited",
    "11": "UPS Standard",
    "12": "UPS 3 Day Select",
    "13": "UPS Next Day Air Saver",
    "14": "UPS Next Day Air Early",
    "54": "UPS Worldwide Express Plus",
    "59": "UPS 2nd Day Air A.M.",
    "65": "UPS Worldwide Saver",
}
# Three-digit ZIP prefixes of some states, to refuse a postal code that is not in its state.
ZIP_PREFIXES = {
    "NY": range(100, 150),
    "CA": range(900, 962),
    "GA": range(300, 320),
    "NJ": range(70, 90),
    "MD": range(206, 220),
    "TX": range(750, 800),
    "WA": range(980, 995),
    "IL": range(600, 630),
}
POSTAL_FORMATS = {"US": r"\d{5}(\d{4})?", "PR": r"\d{5}(\d{4})?", "CA": r"[A-Z]\d[A-Z]\d[A-Z]\d"}
LABEL_FORMATS = ("GIF", "ZPL", "EPL", "SPL")
FORM_TYPES = frozenset({"01", "03", "04", "05", "06", "07", "08", "09", "10", "11"})
NUMBER = r"\d+(\.\d+)?"

MESSAGES = {
    "not_valid": "The request is well formed but the request is not valid",
    "too_heavy_lbs": "The maximum per package weight for the selected service from the "
    "selected country is 150.00 pounds.",
    "too_heavy_kgs": "The maximum per package weight for the selected service from the "
    "selected country is 70.00 kg.",
    "units": "A shipment cannot have a KGS/IN or LBS/CM as its unit of measurements",
    "system": "This measurement system is not valid for the selected country.",
    "sides": "All Package Dimensions are required and each must be greater than 0",
    "girth": "Package exceeds the maximum size total constraints of 165 inches.",
    "bill_shipper": "PaymentInformation/ShipmentCharge/BillShipper/AccountNumber must be the "
    "same shipper number as Shipper/ShipperNumber",
    "transport_payer": "The payer of Transportation charges is required. /ShipmentCharge/Type",
    "lane": "The selected service is not available from the origin to the destination.",
    "invoice_total": "InvoiceLineTotal/ MonetaryValue is required and must be a whole number",
    "unit_number": "Invalid or missing product unit number for product number {n}. "
    "Valid length is 1 to 7 numeric",
    "unit_code": "Invalid or missing Product/Unit/UnitOfMeasurement/Code for product number "
    "{n}. Valid length is 1 to 3 alphanumeric",
    "unit_value": "Invalid or missing product unit value for product number {n}. Valid "
    "length is 1 to 12 numeric and it can hold up to 6 decimal places",
    "commodity": "Invalid commodity code for product number {n}. Valid length is 6 to 15 "
    "alphanumeric",
    "stock": "Missing/Invalid Combination of LabelSpecification/LabelStockSize",
}


class UpsFault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"response": {"errors": [{"code": self.code, "message": self.message}]}}
        return JSONResponse(body, status_code=self.status, headers=headers)


def bad(code: str, message: str) -> UpsFault:
    return UpsFault(400, code, message)


def one_or_many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(container: Any, key: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, str) else ""


def ups_day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def business_days_after(start: date, days: int) -> date:
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def strings_only(value: Any) -> None:
    """UPS's schemas type every leaf as a string: a JSON number, boolean or null is refused."""
    if isinstance(value, dict):
        for inner in value.values():
            strings_only(inner)
    elif isinstance(value, list):
        for inner in value:
            strings_only(inner)
    elif not isinstance(value, str):
        raise bad("10002", MESSAGES["not_valid"])


def crosses_border(origin: str, destination: str) -> bool:
    """A movement that needs goods described and contacts: not domestic, not within the EU,
    not between the US and Puerto Rico."""
    same_area = origin == destination or {origin, destination} <= EU
    return not same_area and not {origin, destination} <= IMPERIAL


# --- addresses ---------------------------------------------------------------------------


def country(address: dict[str, Any], code: str, message: str) -> str:
    found = text(address, "CountryCode")
    if found not in COUNTRIES:
        raise bad(code, message)
    return found


def postal(address: dict[str, Any], *, code: str, mismatch_code: str, party: str) -> None:
    where, postal_code = text(address, "CountryCode"), text(address, "PostalCode")
    state = text(address, "StateProvinceCode")
    mismatch = f"The postal code {postal_code} is invalid for {state} {where}."
    pattern = POSTAL_FORMATS.get(where)
    if pattern and not re.fullmatch(pattern, postal_code):
        raise bad(
            code, mismatch if code == mismatch_code else f"Missing or invalid {party} postal code"
        )
    prefixes = ZIP_PREFIXES.get(state) if where == "US" else None
    if prefixes is not None and int(postal_code[:3]) not in prefixes:
        raise bad(mismatch_code, mismatch)


def party(found: Any, prefix: str, name: str, *, contact: bool) -> str:
    """Checks of a Shipper (1201xx), ShipTo (1202xx) or ShipFrom (1203xx); its country."""
    if not isinstance(found, dict):
        raise bad(f"{prefix}00", f"Missing or invalid {name} company name")
    address = found.get("Address") or {}
    if not 1 <= len(text(found, "Name")) <= 35:
        raise bad(
            f"{prefix}{'01' if prefix == '1201' else '00'}", f"Missing or invalid {name} name"
        )
    lines = one_or_many(address.get("AddressLine"))
    if not 1 <= len(lines) <= 3 or not all(isinstance(x, str) and 1 <= len(x) <= 35 for x in lines):
        raise bad(f"{prefix}02", f"Missing or invalid {name} address line 1")
    if not 1 <= len(text(address, "City")) <= 30:
        raise bad(f"{prefix}05", f"Missing or invalid {name} city")
    where = country(address, f"{prefix}08", f"Missing or invalid {name} country code")
    if where in ("US", "CA") and not re.fullmatch(r"[A-Z]{2}", text(address, "StateProvinceCode")):
        raise bad(f"{prefix}06", f"Missing or invalid {name} StateProvinceCode")
    mismatch = {"1201": "120801", "1202": "120802", "1203": "120803"}[prefix]
    postal(address, code=f"{prefix}07", mismatch_code=mismatch, party=name)
    if contact:
        if not 1 <= len(text(found, "AttentionName")) <= 35:
            attention = "10" if prefix == "1201" else "01"
            raise bad(f"{prefix}{attention}", f"Missing or invalid {name} attention name")
        if not re.fullmatch(r"\d{1,15}", text(found.get("Phone"), "Number")):
            raise bad(f"{prefix}09", f"Missing or invalid {name} phone number")
    return where


# --- packages ----------------------------------------------------------------------------


def packages(shipment: dict[str, Any], origin: str, *, api: str) -> list[Decimal]:
    """Each package's weight in pounds, after UPS's checks of units, weights and sizes."""
    found = one_or_many(shipment.get("Package"))
    if not found:
        raise bad("110002" if api == "rate" else "120600", "No packages in shipment.")
    if len(found) > 200:
        raise bad("120020", "Max packages per shipment exceeded.")
    pounds = []
    for index, package in enumerate(found, start=1):
        if api == "ship" and not text(package.get("Packaging"), "Code"):
            raise bad("120600", f"Missing Package/PackagingType/Code for package {index}")
        pounds.append(weight(package, origin, api=api))
        dimensions(package, api=api)
    return pounds


def weight(package: dict[str, Any], origin: str, *, api: str) -> Decimal:
    prefix = "11" if api == "rate" else "12"
    container = package.get("PackageWeight")
    if not container:
        if api == "rate":
            raise bad("111030", "Packages must weigh more than zero pounds.")
        raise bad("120608", "Package weight is required")
    unit, value = text(container.get("UnitOfMeasurement"), "Code"), text(container, "Weight")
    if not re.fullmatch(NUMBER, value):
        raise bad("120601", "Missing or invalid package weight")
    if len(value) > (6 if api == "rate" else 5):
        raise bad("120616", "Package weight cannot exceed a length of 6")
    length_unit = text((package.get("Dimensions") or {}).get("UnitOfMeasurement"), "Code")
    if {unit, length_unit} in ({"KGS", "IN"}, {"LBS", "CM"}):
        raise bad(f"{prefix}0548", MESSAGES["units"])
    if unit != ("LBS" if origin in IMPERIAL else "KGS"):
        raise bad(f"{prefix}1057", MESSAGES["system"])
    amount = Decimal(value)
    if amount <= 0:
        raise bad(f"{prefix}1030", "Packages must weigh more than zero pounds.")
    if unit == "LBS" and amount > 150:
        raise bad(f"{prefix}1035", MESSAGES["too_heavy_lbs"])
    if unit == "KGS" and amount > 70:
        raise bad(f"{prefix}1036", MESSAGES["too_heavy_kgs"])
    return amount if unit == "LBS" else amount / Decimal("0.45359237")


def dimensions(package: dict[str, Any], *, api: str) -> None:
    container = package.get("Dimensions")
    if container is None:
        return
    sides = [text(container, k) for k in ("Length", "Width", "Height")]
    if not all(re.fullmatch(NUMBER, s) and Decimal(s) > 0 for s in sides):
        raise bad("120609", MESSAGES["sides"])
    if api == "ship" and any(len(s) > 3 for s in sides):
        raise bad("120609", "Package dimensions cannot exceed a length of 3")
    length, width, height = sorted((Decimal(s) for s in sides), reverse=True)
    inches = text(container.get("UnitOfMeasurement"), "Code") == "IN"
    prefix = "11" if api == "rate" else "12"
    if length > (108 if inches else 270):
        limit = "108 inches" if inches else "270 cm"
        raise bad(f"{prefix}1055", f"Package exceeds the maximum length constraint of {limit}.")
    if length + 2 * (width + height) > (165 if inches else 419):
        raise bad(f"{prefix}1050", MESSAGES["girth"])


# --- shipping ----------------------------------------------------------------------------


def payment(shipment: dict[str, Any]) -> None:
    charges = one_or_many((shipment.get("PaymentInformation") or {}).get("ShipmentCharge"))
    if not 1 <= len(charges) <= 3:
        raise bad("120410", "One payment method is required.")
    payers = ("BillShipper", "BillReceiver", "BillThirdParty", "ConsigneeBilledIndicator")
    shipper_number = text(shipment.get("Shipper"), "ShipperNumber")
    for charge in charges:
        if text(charge, "Type") not in ("01", "02"):
            raise bad("121527", MESSAGES["transport_payer"])
        if sum(p in charge for p in payers) != 1:
            raise bad("121529", "A single payment method is required per shipment charge.")
        if "BillShipper" in charge and text(charge["BillShipper"], "AccountNumber") != (
            shipper_number
        ):
            raise bad("120415", MESSAGES["bill_shipper"])
    if not any(text(c, "Type") == "01" for c in charges):
        raise bad("121527", MESSAGES["transport_payer"])


def references(shipment: dict[str, Any], origin: str, destination: str) -> tuple[list[str], str]:
    """Our reference numbers and where they are: on the packages (US-US and PR-PR only) or on
    the shipment (everywhere else)."""
    on_packages = origin == destination and origin in IMPERIAL
    on_shipment = one_or_many(shipment.get("ReferenceNumber"))
    package_refs = [
        r
        for p in one_or_many(shipment.get("Package"))
        for r in one_or_many(p.get("ReferenceNumber"))
    ]
    if on_shipment and on_packages:
        raise bad("120541", "Shipment/ReferenceNumber is not allowed for this shipment")
    if package_refs and not on_packages:
        raise bad("120542", "Package/ReferenceNumber is not allowed for this shipment")
    if len(on_shipment) > 2:
        raise bad("120543", "No more than 2 Shipment/ReferenceNumber can be given per shipment")
    for reference in on_shipment:
        if not 1 <= len(text(reference, "Value")) <= 35:
            raise bad("120501", "Invalid Shipment/ReferenceNumber/Value")
    for reference in package_refs:
        if not 1 <= len(text(reference, "Value")) <= 35:
            raise bad("120603", "Invalid Package/Reference/Value")
    values = [text(r, "Value") for r in on_shipment or package_refs]
    return list(dict.fromkeys(values)), "PACKAGE" if package_refs else "SHIPMENT"


def invoice_line_total(shipment: dict[str, Any], origin: str, destination: str) -> None:
    """Required from the US to Puerto Rico and Canada, and allowed nowhere else."""
    total = shipment.get("InvoiceLineTotal")
    needed = origin == "US" and destination in ("PR", "CA")
    if total is not None and not needed:
        raise bad("120504", "InvoiceLineTotal is not allowed for this shipment")
    if needed and not re.fullmatch(r"[1-9]\d{0,7}", text(total, "MonetaryValue")):
        raise bad("120539", MESSAGES["invoice_total"])


def international_forms(forms: Any) -> None:
    """A commercial invoice (form 01): products with units, values, HS codes and origins."""
    kinds = one_or_many((forms or {}).get("FormType"))
    if not kinds or any(k not in FORM_TYPES for k in kinds):
        raise bad("128001", "Invalid or missing international forms form type.")
    if "01" not in kinds:
        return
    products = one_or_many(forms.get("Product"))
    if not 1 <= len(products) <= 50:
        raise bad("128039", "Invalid number of products. Valid number of products are 1 to 50")
    for number, product in enumerate(products, start=1):
        product_rules(product, number)
    if ups_day(text(forms, "InvoiceDate")) is None:
        raise bad("128066", "Invalid or missing invoice date. Valid format is yyyyMMdd")
    if not 1 <= len(text(forms, "ReasonForExport")) <= 20:
        raise bad("128069", "Invalid or missing reason for export. Valid length is 1 to 20")
    if len(text(forms, "InvoiceNumber")) > 35:
        raise bad("128065", "Invalid invoice number. Valid length is 0 to 35 alphanumeric")
    if not re.fullmatch(r"[A-Z]{3}", text(forms, "CurrencyCode")):
        raise bad("121266", "The currency code is invalid for the shipment.")
    if not isinstance((forms.get("Contacts") or {}).get("SoldTo"), dict):
        raise bad("128011", "Invalid or missing sold to. Required for the invoice")


def product_rules(product: dict[str, Any], number: int) -> None:
    descriptions = one_or_many(product.get("Description"))
    if not descriptions or not all(isinstance(d, str) and 1 <= len(d) <= 35 for d in descriptions):
        raise bad("128040", f"Invalid or missing product description for product number {number}")
    unit = product.get("Unit") or {}
    if not re.fullmatch(r"\d{1,7}", text(unit, "Number")):
        raise bad("128043", MESSAGES["unit_number"].format(n=number))
    if not 1 <= len(text(unit.get("UnitOfMeasurement"), "Code")) <= 3:
        raise bad("128044", MESSAGES["unit_code"].format(n=number))
    value = text(unit, "Value")
    if not re.fullmatch(r"\d{1,12}(\.\d{1,6})?", value) or Decimal(value) <= 0:
        raise bad("128046", MESSAGES["unit_value"].format(n=number))
    code = product.get("CommodityCode")
    if code is not None and not re.fullmatch(r"[0-9A-Za-z]{6,15}", str(code)):
        raise bad("128048", MESSAGES["commodity"].format(n=number))
    if text(product, "OriginCountryCode") not in COUNTRIES:
        message = f"Invalid or missing product origin country code for product number {number}"
        raise bad("128049", message)


def label_specification(specification: Any) -> str:
    """The label's format. The stock size is required whatever the format (the schema says
    so); its values matter for thermal labels only: 4 wide, 6 or 8 high."""
    code = text((specification or {}).get("LabelImageFormat"), "Code").upper()
    if code not in LABEL_FORMATS:
        raise bad("120702", "Missing/Invalid LabelSpecification/LabelImageFormat/Code")
    size = (specification or {}).get("LabelStockSize")
    if not isinstance(size, dict) or not text(size, "Height") or not text(size, "Width"):
        raise bad("120703", MESSAGES["stock"])
    if code != "GIF" and (text(size, "Height") not in ("6", "8") or text(size, "Width") != "4"):
        raise bad("120703", MESSAGES["stock"])
    return code
