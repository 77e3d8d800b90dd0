"""FedEx's error bodies (`{"transactionId", "errors": [{"code", "message"}]}`) turned into
Orderly's carrier errors, with FedEx's code and message, and the field when the code names one."""

from __future__ import annotations

import json
from typing import Any

import httpx

from orderly.kit.errors import InvalidInput
from orderly.shipping.errors import CarrierCredentialsRefused, CarrierRefused

# Codes that mean the shipment is already cancelled: voiding it again is not an error.
ALREADY_CANCELLED = frozenset(
    {"CANCELSHIPMENT.TRACKINGNUMBER.DELETED", "MASTERTRACKINGID.TRACKINGNUMBER.CANCELLED"}
)
# Codes of a track reply that mean "no such shipment", as opposed to "cannot tell".
NOT_FOUND = frozenset(
    {
        "TRACKING.TRACKINGNUMBER.NOTFOUND",
        "TRACKING.REFERENCENUMBER.NOTFOUND",
        "TRACKING.DATA.NOTFOUND",
    }
)

# Words of a FedEx error code and the address attribute they are about, most specific first.
_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("POSTALSTATE", "postal_code"),
    ("POSTAL", "postal_code"),
    ("ZIP", "postal_code"),
    ("STATEORPROVINCE", "region"),
    ("COUNTRY", "country"),
    ("CITY", "city"),
    ("STREETLINE", "line1"),
    ("PHONE", "phone"),
    ("EMAIL", "email"),
    ("PERSONNAME", "name"),
    ("COMPANYNAME", "company"),
)
_PARTIES: tuple[tuple[str, str], ...] = (
    ("RECIPIENT", "ship_to"),
    ("SHIPPER", "ship_from"),
    ("ORIGIN", "ship_from"),
    ("DESTINATION", "ship_to"),
)
_OTHER_FIELDS: tuple[tuple[str, str], ...] = (
    ("CUSTOMS", "customs"),
    ("COMMODIT", "customs"),
    ("HARMONIZED", "customs"),
    ("WEIGHT", "parcels"),
    ("DIMENSION", "parcels"),
    ("PACKAGE", "parcels"),
    ("SERVICE", "service"),
    ("ACCOUNT", "account_number"),
    ("REFERENCE", "reference"),
)


class FedExAccountInvalid(InvalidInput):
    """The carrier account's own settings or credentials are incomplete or wrong."""

    code = "carrier_account_invalid"


def error_list(body: Any) -> list[dict[str, str]]:
    """The `errors` of a FedEx body, as {code, message} pairs."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    found = []
    for item in body["errors"]:
        if isinstance(item, dict):
            found.append(
                {"code": str(item.get("code") or ""), "message": str(item.get("message") or "")}
            )
    return found


def field_of(code: str) -> str | None:
    """The request field a FedEx error code is about, in Orderly's words ("ship_to.phone")."""
    words = code.upper()
    attribute = next((name for word, name in _ATTRIBUTES if word in words), None)
    party = next((name for word, name in _PARTIES if word in words), None)
    if attribute is not None:
        return f"{party}.{attribute}" if party else attribute
    return next((name for word, name in _OTHER_FIELDS if word in words), party)


def describe(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['code']}: {e['message']}" if e["code"] else e["message"] for e in errors)


def refused(errors: list[dict[str, str]], *, status: int) -> CarrierRefused:
    first = errors[0]["code"] if errors else ""
    return CarrierRefused(
        f"FedEx refused the request: {describe(errors)}",
        field=field_of(first) if first else None,
        extra={"vendor_status": status, "vendor_code": first},
    )


async def raise_for_fedex_error(response: httpx.Response) -> None:
    """Response hook: a 4xx with FedEx's error body becomes a refusal carrying FedEx's code and
    message. 429 and 5xx are left to the shared vendor HTTP, which retries them."""
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return
    await response.aread()
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    errors = error_list(body)
    if not errors and isinstance(body, dict) and body.get("error_description"):
        # FedEx's gateway answers an unreadable token with this shape, outside its schema.
        errors = [{"code": "", "message": str(body["error_description"])}]
    if not errors:
        return
    if status in (401, 403):
        raise CarrierCredentialsRefused(
            f"FedEx refused the credentials: {describe(errors)}",
            extra={"vendor_status": status, "vendor_code": errors[0]["code"]},
        )
    raise refused(errors, status=status)
