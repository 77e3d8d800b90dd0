"""The fake UPS Rating API (Rate, Shop, Ratetimeintransit, Shoptimeintransit) and the fake's
own prices and transit times, which its Shipping API charges too."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from tests.shipping.carriers.fakes import ups_rules as rules
from tests.shipping.carriers.fakes.ups_rules import EU, IMPERIAL, SERVICE_NAMES, bad, text

DOMESTIC_US_SERVICES = ("01", "02", "03", "12", "13", "14", "59")
INTERNATIONAL_SERVICES = ("07", "08", "54", "65")
REQUEST_OPTIONS = ("rate", "shop", "ratetimeintransit", "shoptimeintransit")
BASE_PRICE = {"01": "28.50", "02": "16.20", "03": "9.85", "07": "78.00", "08": "55.00"}
BASE_PRICE |= {"11": "24.00", "12": "13.40", "13": "25.10", "14": "61.00", "54": "120.00"}
BASE_PRICE |= {"59": "19.75", "65": "72.00"}
TRANSIT_DAYS = {"01": 1, "02": 2, "07": 1, "08": 4, "11": 5, "12": 3, "13": 1, "14": 1}
TRANSIT_DAYS |= {"54": 1, "59": 2, "65": 2}
# Negotiated rates: what an account with a contract pays, here a fifth off the published rate.
NEGOTIATED_SHARE = Decimal("0.80")
RESIDENTIAL_SURCHARGE = Decimal("5.10")
SUCCESS = {"ResponseStatus": {"Code": "1", "Description": "Success"}}


def services(origin: str, destination: str) -> tuple[str, ...]:
    if origin in IMPERIAL and destination in IMPERIAL:
        return DOMESTIC_US_SERVICES
    if origin == destination:
        return ("11", "65", "07")
    if {origin, destination} == {"US", "CA"}:
        return ("11", *INTERNATIONAL_SERVICES)
    return INTERNATIONAL_SERVICES


def price(service: str, pounds: list[Decimal], *, residential: bool) -> Decimal:
    base = Decimal(BASE_PRICE[service])
    total = sum((base + base / 10 * math.ceil(p) for p in pounds), Decimal(0))
    if residential and service in ("03", "11"):
        total += RESIDENTIAL_SURCHARGE * len(pounds)
    return total.quantize(Decimal("0.01"))


def negotiated(amount: Decimal) -> Decimal:
    return (amount * NEGOTIATED_SHARE).quantize(Decimal("0.01"))


def transit_days(service: str, origin: dict[str, Any], destination: dict[str, Any]) -> int:
    """Ground takes a day per ZIP region crossed (1 to 5); the air services are fixed."""
    if service != "03":
        return TRANSIT_DAYS[service]
    first = [text(a, "PostalCode")[:1] for a in (origin, destination)]
    if not all(d.isdigit() for d in first):
        return 5
    return 1 + min(abs(int(first[0]) - int(first[1])), 4)


def currency(origin: str) -> str:
    return {"CA": "CAD", "GB": "GBP"}.get(origin, "EUR" if origin in EU else "USD")


def money(amount: Decimal, currency_code: str) -> dict[str, str]:
    return {"CurrencyCode": currency_code, "MonetaryValue": f"{amount:.2f}"}


def billing_weight(pounds: list[Decimal]) -> dict[str, Any]:
    return {
        "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
        "Weight": f"{math.ceil(sum(pounds))}.0",
    }


def _addresses(shipment: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    shipper = (shipment.get("Shipper") or {}).get("Address") or {}
    ship_to = (shipment.get("ShipTo") or {}).get("Address") or {}
    ship_from = (shipment.get("ShipFrom") or {}).get("Address") or shipper
    return ship_from, ship_to


def _check_postal_codes(ship_from: dict[str, Any], ship_to: dict[str, Any]) -> None:
    missing = {"110045": "Missing Ship To Postal Code.", "110046": "Missing Ship From Postal Code."}
    for address, code in ((ship_to, "110045"), (ship_from, "110046")):
        if text(address, "CountryCode") in rules.POSTAL_FORMATS and not text(address, "PostalCode"):
            raise bad(code, missing[code])
        rules.postal(address, code="111285", mismatch_code="111285", party="ship to")


def _pickup(shipment: dict[str, Any], *, option: str, crossing: bool, today: date) -> date | None:
    """The pickup date of a request with time in transit, None without one: UPS gives times
    in transit only with DeliveryTimeInformation, whose pickup date defaults to today."""
    timing = shipment.get("DeliveryTimeInformation")
    if not option.endswith("timeintransit") or timing is None:
        return None
    if text(timing, "PackageBillType") not in ("02", "03", "04", "07"):
        raise bad("110610", "Invalid or missing DeliveryTimeInformation/PackageBillType")
    day = text(timing.get("Pickup"), "Date")
    pickup = rules.ups_day(day) if day else today
    if pickup is None or not -35 <= (pickup - today).days <= 60:
        raise bad("110609", "Invalid pickup date; the format is YYYYMMDD")
    totals = shipment.get("InvoiceLineTotal") and shipment.get("ShipmentTotalWeight")
    if crossing and not totals:
        message = "InvoiceLineTotal and ShipmentTotalWeight are required for international "
        # The code is the fake's own: the guides name none for this.
        raise bad("110920", message + "time in transit")
    return pickup


def _time_in_transit(service: str, days: int, pickup: date, bill_type: str) -> dict[str, Any]:
    arrival = rules.business_days_after(pickup, days)
    return {
        "PickupDate": pickup.strftime("%Y%m%d"),
        "PackageBillType": bill_type,
        "ServiceSummary": {
            "Service": {"Description": SERVICE_NAMES[service]},
            "EstimatedArrival": {
                "Arrival": {"Date": arrival.strftime("%Y%m%d"), "Time": "233000"},
                "BusinessDaysInTransit": str(days),
                "Pickup": {"Date": pickup.strftime("%Y%m%d"), "Time": "160000"},
                "DayOfWeek": arrival.strftime("%a").upper(),
                "TotalTransitDays": str((arrival - pickup).days),
            },
        },
    }


def rate(
    body: Any, option: str, *, account_number: str, negotiated_rates: bool, today: date
) -> dict[str, Any]:
    """A RateResponse: one RatedShipment per service that can take the shipment; negotiated
    rates too when asked for an account that has them."""
    option = option.lower()
    if option not in REQUEST_OPTIONS:
        raise bad("111500", "Invalid request option")
    rules.strings_only(body)
    shipment = ((body or {}).get("RateRequest") or {}).get("Shipment")
    if not isinstance(shipment, dict):
        raise bad("10002", rules.MESSAGES["not_valid"])
    ship_from, ship_to = _addresses(shipment)
    origin = rules.country(ship_from, "110308", "Invalid or unsupported origin country code")
    destination = rules.country(ship_to, "110208", "Missing/Illegal ShipTo/Address/CountryCode")
    _check_postal_codes(ship_from, ship_to)
    pounds = rules.packages(shipment, origin, api="rate")
    offered = services(origin, destination)
    if option.startswith("rate"):
        offered = tuple(s for s in offered if s == text(shipment.get("Service"), "Code"))
    if not offered:
        message = "The requested service is unavailable between the selected locations."
        raise bad("111210", message)
    crossing = rules.crosses_border(origin, destination)
    pickup = _pickup(shipment, option=option, crossing=crossing, today=today)
    bill_type = text(shipment.get("DeliveryTimeInformation"), "PackageBillType")
    with_negotiated = (
        negotiated_rates
        and text(shipment.get("Shipper"), "ShipperNumber") == account_number
        and "NegotiatedRatesIndicator" in (shipment.get("ShipmentRatingOptions") or {})
    )
    residential = "ResidentialAddressIndicator" in ship_to
    code = currency(origin)
    rated = []
    for service in offered:
        amount = price(service, pounds, residential=residential)
        days = transit_days(service, ship_from, ship_to)
        one: dict[str, Any] = {
            "Service": {"Code": service, "Description": ""},
            "BillingWeight": billing_weight(pounds),
            "TransportationCharges": money(amount, code),
            "ServiceOptionsCharges": money(Decimal(0), code),
            "TotalCharges": money(amount, code),
            "GuaranteedDelivery": {"BusinessDaysInTransit": str(days)},
            "RatedPackage": [{"Weight": f"{p:.1f}"} for p in pounds],
        }
        if with_negotiated:
            one["NegotiatedRateCharges"] = {"TotalCharge": money(negotiated(amount), code)}
        if pickup is not None:
            one["TimeInTransit"] = _time_in_transit(service, days, pickup, bill_type)
        rated.append(one)
    alert = {"Code": "110971", "Description": "Your invoice may vary from the displayed rates"}
    return {"RateResponse": {"Response": {**SUCCESS, "Alert": [alert]}, "RatedShipment": rated}}
