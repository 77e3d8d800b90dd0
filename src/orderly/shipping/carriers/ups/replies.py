"""UPS answers as Orderly's quotes, labels and address checks. Prices are the account's
negotiated rates where UPS gives them, else its published rates."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from orderly.kit.money import MoneyError, currency_exponent, to_minor
from orderly.shipping.carriers.ups.labels import decode, gif_label_pdf
from orderly.shipping.carriers.ups.payloads import SERVICE_NAMES
from orderly.shipping.domain import (
    AddressCheck,
    Label,
    LabelPiece,
    RateQuote,
    ShipmentRequest,
    add_business_days,
)
from orderly.shipping.errors import CarrierFailed
from orderly.shipping.labels import merge_pdfs

log = logging.getLogger(__name__)

RESIDENTIAL, COMMERCIAL = "2", "1"


def listed(value: Any) -> list[Any]:
    """UPS sends one element as an object and several as an array (older versions)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def money(charge: dict[str, Any] | None) -> tuple[int, str] | None:
    if not charge:
        return None
    currency = str(charge.get("CurrencyCode", "")).upper()
    try:
        exponent = currency_exponent(currency)
        amount = Decimal(str(charge.get("MonetaryValue", "")))
        minor = to_minor(amount.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_UP), currency)
        return minor, currency
    except (InvalidOperation, MoneyError):
        raise CarrierFailed(f"UPS sent a price Orderly cannot read: {charge}") from None


def _price(charges: dict[str, Any]) -> tuple[int, str] | None:
    negotiated = (charges.get("NegotiatedRateCharges") or {}).get("TotalCharge")
    return money(negotiated) or money(charges.get("TotalCharges"))


def _ups_date(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _transit(rated: dict[str, Any], ship_date: date) -> tuple[int, date] | None:
    arrival = ((rated.get("TimeInTransit") or {}).get("ServiceSummary") or {}).get(
        "EstimatedArrival"
    ) or {}
    days = str(arrival.get("BusinessDaysInTransit", ""))
    arrives = _ups_date(str((arrival.get("Arrival") or {}).get("Date", "")))
    if days.isdigit() and arrives is not None:
        return int(days), arrives
    guaranteed = str((rated.get("GuaranteedDelivery") or {}).get("BusinessDaysInTransit", ""))
    if guaranteed.isdigit():
        return int(guaranteed), add_business_days(ship_date, int(guaranteed))
    return None


def quotes(body: dict[str, Any], shipment: ShipmentRequest, *, carrier: str) -> list[RateQuote]:
    found = []
    for rated in listed((body.get("RateResponse") or {}).get("RatedShipment")):
        service = (rated.get("Service") or {}).get("Code", "")
        price, transit = _price(rated), _transit(rated, shipment.ship_date)
        if not service or price is None or transit is None:
            log.warning("UPS rated service %r without a price or a transit time", service)
            continue
        summary = (rated.get("TimeInTransit") or {}).get("ServiceSummary") or {}
        name = SERVICE_NAMES.get(service) or (summary.get("Service") or {}).get("Description")
        found.append(
            RateQuote(
                carrier=carrier,
                service=service,
                service_name=name or f"UPS service {service}",
                price_minor=price[0],
                currency=price[1],
                transit_days=transit[0],
                estimated_delivery=transit[1],
            )
        )
    return found


def label(body: dict[str, Any], *, service: str, zpl: bool) -> Label:
    """The shipment's label: UPS's master number, one piece per package in the request's
    order, the GIFs made into one PDF or the ZPL documents joined."""
    results = (body.get("ShipmentResponse") or {}).get("ShipmentResults") or {}
    master = str(results.get("ShipmentIdentificationNumber", ""))
    packages = listed(results.get("PackageResults"))
    if not master or not packages:
        raise CarrierFailed("UPS answered a label purchase without a shipment number")
    pieces = []
    for package in packages:
        number = str(package.get("TrackingNumber", ""))
        image = decode(str((package.get("ShippingLabel") or {}).get("GraphicImage", "")))
        if zpl:
            pieces.append(LabelPiece(number, b"", image.decode("utf-8", errors="replace")))
        else:
            pieces.append(LabelPiece(number, gif_label_pdf(image, number), ""))
    negotiated = (results.get("NegotiatedRateCharges") or {}).get("TotalCharge")
    price = money(negotiated) or money((results.get("ShipmentCharges") or {}).get("TotalCharges"))
    if price is None:
        raise CarrierFailed(f"UPS answered label {master} without its charges")
    return Label(
        tracking_number=master,
        pdf=b"" if zpl else _merged([p.pdf for p in pieces]),
        zpl="".join(p.zpl for p in pieces),
        cost_minor=price[0],
        currency=price[1],
        service=service,
        pieces=tuple(pieces),
    )


def _merged(documents: list[bytes]) -> bytes:
    return documents[0] if len(documents) == 1 else merge_pdfs(documents)


def _classification(container: dict[str, Any]) -> bool | None:
    code = str((container.get("AddressClassification") or {}).get("Code", ""))
    return {RESIDENTIAL: True, COMMERCIAL: False}.get(code)


def _suggestion(candidate: dict[str, Any]) -> dict[str, Any]:
    key = candidate.get("AddressKeyFormat") or {}
    lines = [str(line) for line in listed(key.get("AddressLine"))]
    extended = str(key.get("PostcodeExtendedLow", ""))
    primary = str(key.get("PostcodePrimaryLow", ""))
    suggestion: dict[str, Any] = {
        "line1": lines[0] if lines else "",
        "line2": " ".join(lines[1:]),
        "city": str(key.get("PoliticalDivision2", "")),
        "region": str(key.get("PoliticalDivision1", "")),
        "postal_code": f"{primary}-{extended}" if extended else primary,
        "country": str(key.get("CountryCode", "")),
    }
    if (residential := _classification(candidate)) is not None:
        suggestion["residential"] = residential
    return suggestion


def address_check(body: dict[str, Any]) -> AddressCheck:
    """Valid: deliverable as written (UPS's standard form is the suggestion); ambiguous:
    not deliverable as written, with the candidates; no candidates: not deliverable."""
    answer = body.get("XAVResponse") or {}
    suggestions = tuple(_suggestion(c) for c in listed(answer.get("Candidate")))
    valid = "ValidAddressIndicator" in answer
    residential = _classification(answer)
    if residential is None and valid and suggestions:
        residential = suggestions[0].get("residential")
    if valid:
        messages: tuple[str, ...] = ()
    elif "AmbiguousAddressIndicator" in answer:
        messages = ("UPS found no exact match; did you mean one of the suggestions?",)
    else:
        messages = ("UPS found no such address.",)
    return AddressCheck(
        deliverable=valid, residential=residential, suggestions=suggestions, messages=messages
    )
