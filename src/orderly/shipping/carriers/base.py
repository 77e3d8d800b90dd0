"""The `Carrier` port and the account a carrier is built from (`registry.py` builds it)."""

from __future__ import annotations

from typing import Protocol

from orderly.shipping.domain import (
    CarrierAccount,
    Label,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)

__all__ = [
    "Carrier",
    "CarrierAccount",
    "Label",
    "RateQuote",
    "ShipmentRequest",
    "TrackingUpdate",
]


class Carrier(Protocol):
    """What Orderly needs from a carrier. ``supports_tracking`` says whether ``track`` is worth
    polling; carriers that only push events (or none) say False."""

    code: str
    supports_tracking: bool

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]: ...

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label: ...

    async def cancel_label(self, tracking_number: str) -> None: ...

    async def track(self, tracking_number: str) -> list[TrackingUpdate]: ...
