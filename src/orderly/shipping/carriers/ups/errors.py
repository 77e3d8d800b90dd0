"""UPS error bodies, {"response": {"errors": [{"code", "message"}]}}, as Orderly's errors: the
carrier's own message and code, and the field of ours that UPS found wrong where its code says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from orderly.shipping.errors import CarrierCredentialsRefused, CarrierFailed, CarrierRefused

# UPS codes that name one input, as the field of Orderly's shipment (Shipping and Rating
# developer guides, error code tables). Shipper and ShipFrom are both our ship-from address.
FIELD_OF_CODE: dict[str, str] = {
    "120100": "account_number",
    "120101": "ship_from.name",
    "120102": "ship_from.line1",
    "120105": "ship_from.city",
    "120106": "ship_from.region",
    "120107": "ship_from.postal_code",
    "120108": "ship_from.country",
    "120109": "ship_from.phone",
    "120110": "ship_from.name",
    "120200": "ship_to.name",
    "120201": "ship_to.name",
    "120202": "ship_to.line1",
    "120205": "ship_to.city",
    "120206": "ship_to.region",
    "120207": "ship_to.postal_code",
    "120208": "ship_to.country",
    "120209": "ship_to.phone",
    "120301": "ship_from.name",
    "120302": "ship_from.line1",
    "120305": "ship_from.city",
    "120306": "ship_from.region",
    "120307": "ship_from.postal_code",
    "120308": "ship_from.country",
    "120309": "ship_from.phone",
    "120500": "service",
    "120512": "customs",
    "120601": "parcels",
    "120608": "parcels",
    "120609": "parcels",
    "121030": "parcels",
    "121031": "parcels",
    "121035": "parcels",
    "121036": "parcels",
    "121210": "service",
    "110045": "ship_to.postal_code",
    "110208": "ship_to.country",
    "111030": "parcels",
    "111031": "parcels",
    "111035": "parcels",
    "111036": "parcels",
    "111285": "postal_code",
    "120802": "ship_to",
    "120801": "ship_from",
    "120803": "ship_from",
    "TV1002": "tracking_number",
}
# Customs declaration errors of the international forms (128xxx) all concern our `customs`.
CUSTOMS_CODE_PREFIX = "128"

# Tracking: "Tracking Information Not Found" and "Invalid inquiry number".
NOT_FOUND = "TW0001"
# Void: the shipment is unknown, past the void period, or (UPS does not tell apart) voided.
NO_SHIPMENT_TO_VOID = "190102"
# Rating: no UPS service between these places.
NO_SERVICE = "111210"


@dataclass(frozen=True, slots=True)
class UpsError:
    code: str
    message: str


def read_errors(body: bytes) -> list[UpsError]:
    """The errors of a UPS error body; an empty list when the body is not one."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return []
    errors = data.get("response", {}).get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        UpsError(str(e.get("code", "")), str(e.get("message", "")).strip())
        for e in errors
        if isinstance(e, dict)
    ]


def field_of(code: str) -> str | None:
    if code.startswith(CUSTOMS_CODE_PREFIX):
        return "customs"
    return FIELD_OF_CODE.get(code)


def refusal(status: int, errors: list[UpsError], *, fallback: str = "") -> CarrierFailed:
    """The error for a 4xx answer: credentials for 401 and 403, a refusal otherwise."""
    said = "; ".join(f"{e.message} ({e.code})" for e in errors) or fallback or f"HTTP {status}"
    code = errors[0].code if errors else ""
    extra = {"vendor_status": status, "carrier_code": code}
    if status in (401, 403):
        return CarrierCredentialsRefused(f"UPS refused the credentials: {said}", extra=extra)
    return CarrierRefused(f"UPS refused the request: {said}", field=field_of(code), extra=extra)


def carrier_code(error: CarrierFailed) -> str:
    return str(error.extra.get("carrier_code", ""))


async def raise_refusals(response: httpx.Response) -> None:
    """An httpx response hook: a 4xx with UPS's body becomes Orderly's error at once, with
    UPS's message. 429 and 5xx are left to the shared vendor HTTP, which waits and retries."""
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return
    await response.aread()
    raise refusal(status, read_errors(response.content), fallback=response.text[:200])
