"""The merchant's contracted ShipGlobal services, from the account's `settings.services`:
ShipGlobal's Labels API quotes no prices, so rate shopping uses the price agreed per service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderly.kit.money import CURRENCY_EXPONENTS
from orderly.shipping.domain import RateQuote, ShipmentRequest, add_business_days
from orderly.shipping.errors import RateCardInvalid

ORIGIN_COUNTRY = "IN"


@dataclass(frozen=True)
class ContractedService:
    code: str  # ShipGlobal's service code, sent as `service` (e.g. "DPD-CLASSIC")
    name: str
    price_minor: int  # per shipment, whatever its weight: the merchant's contracted price
    currency: str
    transit_days: int  # business days

    def quote(self, carrier: str, shipment: ShipmentRequest) -> RateQuote:
        return RateQuote(
            carrier=carrier,
            service=self.code,
            service_name=self.name,
            price_minor=self.price_minor,
            currency=self.currency,
            transit_days=self.transit_days,
            estimated_delivery=add_business_days(shipment.ship_date, self.transit_days),
        )


def contracted_services(settings: dict[str, Any]) -> dict[str, ContractedService]:
    """The services by code; a malformed entry is refused naming its setting."""
    entries = settings.get("services") or []
    if not isinstance(entries, list):
        raise RateCardInvalid("must be a list of services", field="settings.services")
    services: dict[str, ContractedService] = {}
    for index, entry in enumerate(entries):
        service = _service(entry, f"settings.services[{index}]")
        if service.code in services:
            raise RateCardInvalid(
                f"service {service.code!r} is listed twice", field=f"settings.services[{index}]"
            )
        services[service.code] = service
    return services


def _service(entry: Any, where: str) -> ContractedService:
    if not isinstance(entry, dict):
        raise RateCardInvalid("each service must be an object", field=where)
    code, name = entry.get("code"), entry.get("name", entry.get("code"))
    price, currency, days = (
        entry.get("price_minor"),
        entry.get("currency"),
        entry.get("transit_days"),
    )
    if not isinstance(code, str) or not code.strip():
        raise RateCardInvalid("code: ShipGlobal's service code is required", field=f"{where}.code")
    if not isinstance(name, str) or not name.strip():
        raise RateCardInvalid("name must be text", field=f"{where}.name")
    if not isinstance(price, int) or isinstance(price, bool) or price < 0:
        raise RateCardInvalid(
            "price_minor must be a whole number of minor units, not negative",
            field=f"{where}.price_minor",
        )
    if currency not in CURRENCY_EXPONENTS:
        raise RateCardInvalid("currency must be an ISO 4217 code", field=f"{where}.currency")
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise RateCardInvalid(
            "transit_days must be a whole number of business days", field=f"{where}.transit_days"
        )
    return ContractedService(code.strip(), name.strip(), price, currency, days)


def can_carry(shipment: ShipmentRequest) -> str | None:
    """Why ShipGlobal cannot carry the shipment (the field at fault), or None: it carries
    exports from India, one package per order."""
    if str(shipment.ship_from.get("country", "")).upper() != ORIGIN_COUNTRY:
        return "ship_from.country"
    if str(shipment.ship_to.get("country", "")).upper() == ORIGIN_COUNTRY:
        return "ship_to.country"
    if len(shipment.parcels) != 1:
        return "parcels"
    return None
