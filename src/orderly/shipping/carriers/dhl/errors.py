"""MyDHL API problem bodies (`instance`, `title`, `detail`, `additionalDetails`, `status`) as
Orderly's errors: DHL's own words in `detail`, and the input DHL names as `field`."""

from __future__ import annotations

import re
from typing import Any

from orderly.shipping.errors import CarrierCredentialsRefused, CarrierRefused

# "#/customerDetails/receiverDetails/postalAddress: required key [postalCode] not found"
_PATH = re.compile(r"#(/[^\s:]*)")
_KEY = re.compile(r"(?:required|extraneous) key \[(\w+)\]")
_CODE = re.compile(r"^\s*(\d{3,6}):")
# "Missing mandatory parameters: cityName" / "Parameters not having correct format: cityName"
_PARAMETER = re.compile(r"(?:Missing mandatory parameters|not having correct format):\s*(\w+)")

_PARTIES = {"shipperDetails": "ship_from", "receiverDetails": "ship_to"}
_ADDRESS = {
    "postalCode": "postal_code",
    "cityName": "city",
    "countryCode": "country",
    "addressLine1": "line1",
    "addressLine2": "line2",
    "addressLine3": "line2",
    "provinceCode": "region",
    "countyName": "region",
    "phone": "phone",
    "mobilePhone": "phone",
    "companyName": "company",
    "fullName": "name",
    "email": "email",
}
_PARCEL = {"weight": "weight_grams", "length": "length_mm", "width": "width_mm"}
_PARCEL |= {"height": "height_mm", "dimensions": "dimensions"}
_LINE = {
    "commodityCodes": "hs_code",
    "manufacturerCountry": "origin_country",
    "price": "unit_value",
    "quantity": "quantity",
    "weight": "unit_weight_grams",
    "description": "description",
}
_TOP = {
    "productCode": "service",
    "plannedShippingDateAndTime": "ship_date",
    "accounts": "credentials.account_number",
    "customerReferences": "reference",
    "exportDeclaration": "customs",
    "declaredValue": "customs",
    "isCustomsDeclarable": "customs",
}
# Query parameters of the address check and of tracking.
_PARAMETERS = {"postalCode": "postal_code", "cityName": "city", "countryCode": "country"}
_PARAMETERS |= {"shipperAccountNumber": "credentials.account_number"}
# DHL's business messages that name an input in words rather than by path.
_WORDS = (
    ("ShipTimeStamp", "ship_date"),
    ("account number", "credentials.account_number"),
    ("requested product", "service"),
)


def field_of(path: str) -> str | None:
    """Orderly's name for the input at a DHL JSON path, e.g.
    `/customerDetails/receiverDetails/postalAddress/postalCode` -> `ship_to.postal_code`."""
    parts = [part for part in path.split("/") if part]
    for index, part in enumerate(parts):
        if part in _PARTIES:
            inner = [_ADDRESS[p] for p in parts[index + 1 :] if p in _ADDRESS]
            return f"{_PARTIES[part]}.{inner[-1]}" if inner else _PARTIES[part]
        if part == "packages":
            return _indexed("parcels", parts[index + 1 :], _PARCEL)
        if part == "lineItems":
            return _indexed("customs.lines", parts[index + 1 :], _LINE)
    return next((_TOP[part] for part in parts if part in _TOP), None)


def _indexed(name: str, rest: list[str], names: dict[str, str]) -> str:
    if not rest or not rest[0].isdigit():
        return name
    inner = [names[p] for p in rest[1:] if p in names]
    return f"{name}[{rest[0]}]" + (f".{inner[-1]}" if inner else "")


def named_field(message: str) -> str | None:
    """The input one DHL message is about, if it says."""
    path = _PATH.search(message)
    if path:
        full = path.group(1)
        key = _KEY.search(message)
        if key and "required" in key.group(0):
            full = f"{full}/{key.group(1)}"
        return field_of(full)
    parameter = _PARAMETER.search(message)
    if parameter and parameter.group(1) in _PARAMETERS:
        return _PARAMETERS[parameter.group(1)]
    return next((field for words, field in _WORDS if words in message), None)


def messages(problem: dict[str, Any]) -> list[str]:
    details = problem.get("additionalDetails")
    listed = [str(d) for d in details] if isinstance(details, list) else []
    detail = str(problem.get("detail") or problem.get("title") or "").strip()
    return [detail, *listed] if detail else listed


def refusal(problem: dict[str, Any] | None, generic: CarrierRefused) -> CarrierRefused:
    """DHL's refusal with its message and the field it names; the generic one when DHL sent
    no problem body."""
    if not problem:
        return generic
    said = messages(problem)
    text = "; ".join(said) or generic.detail
    field = next((f for f in map(named_field, said) if f), None)
    code = _CODE.match(said[0]) if said else None
    extra: dict[str, Any] = dict(generic.extra)
    if code:
        extra["carrier_code"] = code.group(1)
    if len(said) > 1:
        extra["carrier_messages"] = said
    return CarrierRefused(f"DHL Express: {text}", field=field, extra=extra)


def credentials_refusal(
    problem: dict[str, Any] | None, generic: CarrierCredentialsRefused
) -> CarrierCredentialsRefused:
    if not problem:
        return generic
    text = "; ".join(messages(problem)) or generic.detail
    return CarrierCredentialsRefused(
        f"DHL Express refused the account's username and password: {text}",
        extra=dict(generic.extra),
    )
