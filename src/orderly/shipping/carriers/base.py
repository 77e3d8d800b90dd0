"""The `Carrier` port and the registry that builds a carrier for an organization's account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from orderly.shipping.carriers.rate_table import RateTableCarrier
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
    "build_carrier",
    "carrier_kinds",
    "register_carrier",
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


CarrierFactory = Callable[[CarrierAccount], Carrier]

_FACTORIES: dict[str, CarrierFactory] = {"rate_table": RateTableCarrier}


def register_carrier(kind: str, factory: CarrierFactory) -> None:
    _FACTORIES[kind] = factory


def carrier_kinds() -> list[str]:
    return sorted(_FACTORIES)


def build_carrier(account: CarrierAccount) -> Carrier:
    return _FACTORIES[account.kind](account)
