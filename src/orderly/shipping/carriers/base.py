"""The `Carrier` port and the account a carrier is built from (`registry.py` builds it).

A carrier is called outside any database transaction (docs/architecture.md): the label purchase
records its intent first, calls, then records the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from orderly.shipping.domain import (
    AddressCheck,
    CarrierAccount,
    CarrierFeatures,
    Customs,
    CustomsLine,
    Label,
    LabelPiece,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)

__all__ = [
    "AddressCheck",
    "Carrier",
    "CarrierAccount",
    "CarrierFeatures",
    "Customs",
    "CustomsLine",
    "Label",
    "LabelPiece",
    "RateQuote",
    "ShipmentRequest",
    "TrackingUpdate",
]


class Carrier(Protocol):
    """What Orderly needs from a carrier. A method whose feature `features` says is missing
    raises `FeatureNotOffered`; every failure of the carrier's API raises one of the errors of
    `carriers/http.py` (`CARRIER_ERRORS`)."""

    code: str
    features: CarrierFeatures

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        """Every service that can take the shipment, priced, with its transit time."""
        ...

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        """One label purchase for all the shipment's parcels (one master tracking number, one
        piece per parcel). Sent once, never repeated: a lost answer raises
        `LabelOutcomeUnknown`, and the caller decides what to do (see `find_labels`)."""
        ...

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        """Tracking numbers of the shipments made with our `reference` (ShipmentRequest's)."""
        ...

    async def cancel_label(self, tracking_number: str) -> None:
        """Void a label that has not been used; voiding one already voided is not an error."""
        ...

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        """What the carrier reports of the shipment, oldest first."""
        ...

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck: ...
