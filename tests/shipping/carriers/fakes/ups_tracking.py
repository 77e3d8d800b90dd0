"""The fake UPS Tracking API (by tracking number and by reference number, latest activity
first) and street-level Address Validation (US and Puerto Rico)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from tests.shipping.carriers.fakes.ups_records import (
    KnownAddress,
    Shipment,
    normalized_street,
)
from tests.shipping.carriers.fakes.ups_rules import (
    SERVICE_NAMES,
    UpsFault,
    bad,
    one_or_many,
    strings_only,
    text,
    ups_day,
)

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.ups import FakeUps

# Track by reference looks back two weeks when no pickup dates are given.
DEFAULT_WINDOW = timedelta(days=14)
NOT_FOUND = UpsFault(404, "TW0001", "Tracking Information Not Found")
CLASSES = {"0": "UnClassified", "1": "Commercial", "2": "Residential"}


def tracking_headers(request: Request) -> None:
    """transId and transactionSrc are required headers of the Tracking API."""
    if not request.headers.get("transId") or not request.headers.get("transactionSrc"):
        raise bad("TV1001", "Missing transId or transactionSrc header")


def _package(fake: FakeUps, shipment: Shipment, number: str) -> dict[str, Any]:
    events = sorted(shipment.activity[number], key=lambda a: a.at, reverse=True)
    activity = [event.as_ups(fake.local_offset) for event in events]
    return {
        "trackingNumber": number,
        "activity": activity,
        "currentStatus": activity[0]["status"],
        "packageCount": len(shipment.packages),
        "service": {"code": shipment.service, "description": SERVICE_NAMES[shipment.service]},
        "referenceNumber": [
            {"number": r, "type": shipment.reference_level} for r in shipment.references
        ],
    }


def track(fake: FakeUps, request: Request, number: str) -> dict[str, Any]:
    tracking_headers(request)
    if not re.fullmatch(r"[0-9A-Za-z]{7,34}", number):
        raise bad("TV1002", "Invalid inquiry number")
    shipment = fake.shipment_of_package(number)
    if shipment is None:
        raise NOT_FOUND
    package = _package(fake, shipment, number)
    return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}


def track_reference(fake: FakeUps, request: Request, reference: str) -> dict[str, Any]:
    """Every shipment with the reference picked up in the window (by default the last two
    weeks), of the shipper number when one is given."""
    tracking_headers(request)
    query = request.query_params
    start = ups_day(query["fromPickUpDate"]) if "fromPickUpDate" in query else None
    end = ups_day(query["toPickUpDate"]) if "toPickUpDate" in query else None
    if ("fromPickUpDate" in query and start is None) or ("toPickUpDate" in query and end is None):
        raise bad("TV1003", "Invalid pickup date; the format is YYYYMMDD")
    end = end or fake.today
    start = start or end - DEFAULT_WINDOW
    shipper = query.get("shipperNum")
    found = [
        s
        for s in fake.shipments.values()
        if reference in s.references
        and start <= s.shipped_on <= end
        and (not shipper or shipper == s.shipper_number)
    ]
    if not found:
        raise NOT_FOUND
    shipments = [
        {"inquiryNumber": reference, "package": [_package(fake, s, n) for n in s.packages]}
        for s in found
    ]
    return {"trackResponse": {"shipment": shipments}}


def validate(fake: FakeUps, request: Request, body: Any, option: str) -> dict[str, Any]:
    """Request option 1 validates, 2 classifies, 3 does both; candidates are UPS's forms of
    the addresses it knows on the same street and ZIP code."""
    if option not in ("1", "2", "3"):
        raise bad("9264028", "Invalid or missing request option.")
    strings_only(body)
    key = ((body or {}).get("XAVRequest") or {}).get("AddressKeyFormat") or {}
    if text(key, "CountryCode") not in ("US", "PR"):
        raise bad("264005", "Street level address validation is available for US and PR only")
    lines = [normalized_street(x) for x in one_or_many(key.get("AddressLine"))]
    zip5 = text(key, "PostcodePrimaryLow")[:5]
    if not lines or not zip5:
        raise bad("264002", "Missing or invalid address line or postal code")
    in_zip = [a for a in fake.addresses if a.zip5 == zip5]
    exact = [a for a in in_zip if a.line == lines[0]]
    street = lines[0].split(" ", 1)[-1]
    near = exact or [a for a in in_zip if a.line.split(" ", 1)[-1] == street]
    answer: dict[str, Any] = {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}}
    }
    if exact:
        answer["ValidAddressIndicator"] = ""
    elif near:
        answer["AmbiguousAddressIndicator"] = ""
    else:
        answer["NoCandidatesIndicator"] = ""
    with_class = option in ("2", "3")
    if with_class:
        code = ("2" if exact[0].residential else "1") if exact else "0"
        answer["AddressClassification"] = {"Code": code, "Description": CLASSES[code]}
    limit = int(request.query_params.get("maximumcandidatelistsize", "15"))
    answer["Candidate"] = [_candidate(a, with_class=with_class) for a in near[:limit]]
    return {"XAVResponse": answer}


def _candidate(address: KnownAddress, *, with_class: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "AddressKeyFormat": {
            "AddressLine": [address.line],
            "PoliticalDivision2": address.city,
            "PoliticalDivision1": address.state,
            "PostcodePrimaryLow": address.zip5,
            "PostcodeExtendedLow": address.zip4,
            "Region": f"{address.city} {address.state} {address.zip5}-{address.zip4}",
            "CountryCode": "US",
        }
    }
    if with_class:
        code = "2" if address.residential else "1"
        candidate["AddressClassification"] = {"Code": code, "Description": CLASSES[code]}
    return candidate
