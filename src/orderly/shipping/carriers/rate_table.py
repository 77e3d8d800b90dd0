"""The built-in carrier: prices from the organization's rate card, real labels, no network.

Settings (all optional): ``tracking_prefix`` (two letters, default from the carrier code).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orderly.shipping.domain import (
    AddressCheck,
    CarrierAccount,
    CarrierFeatures,
    Label,
    LabelPiece,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
    add_business_days,
)
from orderly.shipping.errors import FeatureNotOffered, NoServiceAvailable
from orderly.shipping.labels import LabelContent, merge_pdfs, render_pdf, render_zpl
from orderly.shipping.rate_card import RateCard, ServiceRates
from orderly.shipping.tracking_numbers import new_tracking_number, tracking_prefix
from orderly.shipping.zones import shipping_zone


class RateTableCarrier:
    # Offline: nothing to void, look up, poll or check at a carrier; its events arrive by push.
    features = CarrierFeatures(void=True, find_by_reference=False, tracking=False)

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.name = account.name
        self.card = account.rate_card or RateCard()
        prefix = str(account.settings.get("tracking_prefix") or "")
        self.prefix = (
            prefix if len(prefix) == 2 and prefix.isalpha() else tracking_prefix(account.code)
        )
        self.prefix = self.prefix.upper()

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        zone = shipping_zone(shipment.ship_from, shipment.ship_to)
        if zone is None or not shipment.parcels:
            return []
        quotes = []
        for service in self.card.services.values():
            quote = self._quote(service, zone, shipment)
            if quote is not None:
                quotes.append(quote)
        return quotes

    def _quote(
        self, service: ServiceRates, zone: int, shipment: ShipmentRequest
    ) -> RateQuote | None:
        if zone not in service.transit_days:
            return None
        total = 0
        for parcel in shipment.parcels:
            price = service.price(zone, parcel.billable_weight_grams)
            if price is None:
                return None
            total += price
            if shipment.residential:
                total += self.card.surcharge(service.code, "residential")
            if shipment.hazmat:
                total += self.card.surcharge(service.code, "hazmat")
            if parcel.is_oversize:
                total += self.card.surcharge(service.code, "oversize")
        days = service.transit_days[zone]
        return RateQuote(
            carrier=self.code,
            service=service.code,
            service_name=service.name,
            price_minor=total,
            currency=service.currency,
            transit_days=days,
            estimated_delivery=add_business_days(shipment.ship_date, days),
        )

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        quote = next((q for q in await self.rates(shipment) if q.service == service), None)
        if quote is None:
            raise NoServiceAvailable(
                f"{self.name} cannot carry this shipment with service {service!r}",
                field="service",
            )
        pieces = []
        for parcel in shipment.parcels:
            number = new_tracking_number(self.prefix)
            content = LabelContent(
                carrier_name=self.name,
                service_name=quote.service_name,
                tracking_number=number,
                ship_from=shipment.ship_from,
                ship_to=shipment.ship_to,
                weight_grams=parcel.weight_grams,
                reference=shipment.reference,
                ship_date=shipment.ship_date,
                hazmat=shipment.hazmat,
            )
            pieces.append(LabelPiece(number, render_pdf(content), render_zpl(content)))
        return Label(
            tracking_number=pieces[0].tracking_number,
            pdf=pieces[0].pdf if len(pieces) == 1 else merge_pdfs([p.pdf for p in pieces]),
            zpl="".join(p.zpl for p in pieces),
            cost_minor=quote.price_minor,
            currency=quote.currency,
            service=service,
            estimated_delivery=quote.estimated_delivery,
            pieces=tuple(pieces),
        )

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        raise FeatureNotOffered("a rate-table carrier keeps no shipments to look up")

    async def cancel_label(self, tracking_number: str) -> None:
        # Nothing was sent anywhere: voiding the label is the shipment's status alone.
        return None

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        # An offline carrier knows nothing after the label; its events arrive by push.
        return []

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        raise FeatureNotOffered("a rate-table carrier has no address data")
