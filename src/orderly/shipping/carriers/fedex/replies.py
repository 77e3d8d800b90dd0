"""FedEx's replies read into Orderly's quotes, labels and address checks. Money arrives as
decimal numbers in the reply's currency and becomes minor units."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderly.kit.money import MoneyError, currency_exponent
from orderly.shipping.domain import (
    AddressCheck,
    Label,
    LabelPiece,
    RateQuote,
    add_business_days,
)
from orderly.shipping.errors import CarrierFailed, LabelOutcomeUnknown
from orderly.shipping.labels import merge_pdfs

_DAY_WORDS = (
    "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN "
    "FIFTEEN SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY"
).split()
# FedEx's transit times ("TWO_DAYS") as business days.
TRANSIT_DAYS = {f"{word}_DAY{'S' if n > 1 else ''}": n for n, word in enumerate(_DAY_WORDS, 1)}
# Rates are read in this order of preference: the account's own, then FedEx's list price.
RATE_TYPES = ("ACCOUNT", "PREFERRED_INCENTIVE", "PREFERRED_CURRENCY", "LIST")
CLASSIFICATION = {"RESIDENTIAL": True, "BUSINESS": False}


def to_minor(value: Any, currency: str) -> int:
    try:
        exponent = currency_exponent(currency)
    except MoneyError:
        exponent = 2
    number = Decimal(str(value)).scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(number)


def output(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("output"), dict):
        raise CarrierFailed(f"FedEx answered the {what} request without an output")
    out: dict[str, Any] = body["output"]
    return out


def business_days_between(start: date, end: date) -> int:
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def _day(value: Any) -> date | None:
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _rated(reply: dict[str, Any]) -> tuple[Any, str] | None:
    details = [d for d in reply.get("ratedShipmentDetails") or [] if isinstance(d, dict)]
    for rate_type in (*RATE_TYPES, None):
        for detail in details:
            if rate_type is None or detail.get("rateType") == rate_type:
                currency = detail.get("currency") or (detail.get("shipmentRateDetail") or {}).get(
                    "currency"
                )
                if detail.get("totalNetCharge") is not None and currency:
                    return detail["totalNetCharge"], str(currency)
    return None


def _transit(reply: dict[str, Any], ship_date: date) -> tuple[int, date] | None:
    commit = reply.get("commit") or {}
    operational = reply.get("operationalDetail") or {}
    arrives = _day((commit.get("dateDetail") or {}).get("dayFormat")) or _day(
        operational.get("deliveryDate")
    )
    words = (commit.get("transitDays") or {}).get("minimumTransitTime") or operational.get(
        "transitTime"
    )
    days = TRANSIT_DAYS.get(str(words or ""))
    if arrives is not None:
        return (days if days is not None else business_days_between(ship_date, arrives)), arrives
    if days is not None:
        return days, add_business_days(ship_date, days)
    return None


def rate_quotes(body: Any, *, carrier: str, ship_date: date) -> list[RateQuote]:
    """One quote per service FedEx offers; a service without a price or a transit time cannot
    be compared with others and is left out."""
    quotes = []
    for reply in output(body, "rate").get("rateReplyDetails") or []:
        if not isinstance(reply, dict) or not reply.get("serviceType"):
            continue
        rated, transit = _rated(reply), _transit(reply, ship_date)
        if rated is None or transit is None:
            continue
        (charge, currency), (days, arrives) = rated, transit
        quotes.append(
            RateQuote(
                carrier=carrier,
                service=str(reply["serviceType"]),
                service_name=str(reply.get("serviceName") or reply["serviceType"]),
                price_minor=to_minor(charge, currency),
                currency=currency,
                transit_days=days,
                estimated_delivery=arrives,
            )
        )
    return quotes


def _decoded(document: dict[str, Any], tracking_number: str) -> bytes:
    try:
        return base64.b64decode(str(document.get("encodedLabel") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise LabelOutcomeUnknown(
            f"FedEx made shipment {tracking_number} but its label could not be read"
        ) from None


def _piece(response: dict[str, Any], master: str) -> LabelPiece:
    number = str(response.get("trackingNumber") or master)
    documents = [
        d
        for d in response.get("packageDocuments") or []
        if isinstance(d, dict)
        and d.get("contentType", "LABEL") == "LABEL"
        and d.get("encodedLabel")
    ]
    if not documents:
        raise LabelOutcomeUnknown(f"FedEx made shipment {master} but sent no label for {number}")
    content = _decoded(documents[0], master)
    if str(documents[0].get("docType") or "").upper().startswith("ZPL"):
        return LabelPiece(number, b"", content.decode("ascii", errors="replace"))
    return LabelPiece(number, content, "")


def _cost(shipment: dict[str, Any]) -> tuple[int, str]:
    rating = (shipment.get("completedShipmentDetail") or {}).get("shipmentRating") or {}
    details = [d for d in rating.get("shipmentRateDetails") or [] if isinstance(d, dict)]
    actual = rating.get("actualRateType")
    chosen = next((d for d in details if d.get("rateType") == actual), None) or next(
        iter(details), None
    )
    if chosen is None or chosen.get("totalNetCharge") is None or not chosen.get("currency"):
        return 0, ""
    currency = str(chosen["currency"])
    return to_minor(chosen["totalNetCharge"], currency), currency


def label(body: Any, *, service: str) -> Label:
    shipments = output(body, "ship").get("transactionShipments") or []
    if not shipments or not isinstance(shipments[0], dict):
        raise LabelOutcomeUnknown("FedEx answered the shipment request without a shipment")
    shipment = shipments[0]
    master = str(shipment.get("masterTrackingNumber") or "")
    responses = [r for r in shipment.get("pieceResponses") or [] if isinstance(r, dict)]
    responses.sort(key=lambda r: int(r.get("packageSequenceNumber") or 0))
    pieces = tuple(_piece(r, master) for r in responses)
    if not master or not pieces:
        raise LabelOutcomeUnknown("FedEx answered the shipment request without its pieces")
    cost, currency = _cost(shipment)
    operational = (shipment.get("completedShipmentDetail") or {}).get("operationalDetail") or {}
    pdfs = [p.pdf for p in pieces if p.pdf]
    return Label(
        tracking_number=master,
        pdf=pdfs[0] if len(pdfs) == 1 else merge_pdfs(pdfs) if pdfs else b"",
        zpl="".join(p.zpl for p in pieces),
        cost_minor=cost,
        currency=currency,
        service=str(shipment.get("serviceType") or service),
        estimated_delivery=_day(operational.get("deliveryDate"))
        or _day(operational.get("commitDate")),
        pieces=pieces,
    )


def _flag(value: Any) -> bool | None:
    """FedEx's address attributes are booleans in its schema and strings in some replies."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _suggestion(resolved: dict[str, Any], given: dict[str, Any]) -> dict[str, Any] | None:
    lines = [str(line) for line in resolved.get("streetLinesToken") or [] if line]
    postal = (resolved.get("postalCodeToken") or {}).get("value")
    parts = {
        "line1": lines[0] if lines else None,
        "line2": lines[1] if len(lines) > 1 else None,
        "city": resolved.get("city"),
        "region": resolved.get("stateOrProvinceCode"),
        "postal_code": postal,
        "country": resolved.get("countryCode"),
    }
    suggestion = {k: str(v) for k, v in parts.items() if v}

    def same(key: str) -> bool:
        return str(given.get(key) or "").strip().upper() == suggestion.get(key, "").upper()

    if all(same(key) for key in suggestion):
        return None
    return suggestion


def address_check(body: Any, given: dict[str, Any]) -> AddressCheck:
    out = output(body, "address validation")
    resolved = next(iter(out.get("resolvedAddresses") or []), None)
    notes = [
        str(a.get("message") or a.get("code"))
        for a in out.get("alerts") or []
        if isinstance(a, dict)
    ]
    if not isinstance(resolved, dict):
        return AddressCheck(deliverable=False, messages=tuple(notes))
    attributes = resolved.get("attributes") or {}
    delivery_point = _flag(attributes.get("DPV"))
    deliverable = bool(_flag(attributes.get("Resolved"))) and delivery_point is not False
    for message in resolved.get("customerMessage") or []:
        if isinstance(message, dict):
            notes.append(str(message.get("message") or message.get("code")))
        elif message:
            notes.append(str(message))
    suggestion = _suggestion(resolved, given) if _flag(attributes.get("Resolved")) else None
    return AddressCheck(
        deliverable=deliverable,
        residential=CLASSIFICATION.get(str(resolved.get("classification") or "")),
        suggestions=(suggestion,) if suggestion else (),
        messages=tuple(notes),
    )
