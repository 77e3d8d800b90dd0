"""The `Carrier` port and the registry that builds a carrier for an organization's account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from orderly.shipping.domain import Label, RateQuote, ShipmentRequest, TrackingUpdate
from orderly.shipping.rate_card import RateCard

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


@dataclass(frozen=True)
class CarrierAccount:
    """An organization's configured carrier, credentials already decrypted."""

    id: int
    org_id: int
    code: str
    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    rate_card: RateCard | None = None


CarrierFactory = Callable[[CarrierAccount], Carrier]

_FACTORIES: dict[str, CarrierFactory] = {}


def register_carrier(kind: str, factory: CarrierFactory) -> None:
    _FACTORIES[kind] = factory


def carrier_kinds() -> list[str]:
    _ensure_builtins()
    return sorted(_FACTORIES)


def build_carrier(account: CarrierAccount) -> Carrier:
    _ensure_builtins()
    return _FACTORIES[account.kind](account)


def _ensure_builtins() -> None:
    if "rate_table" not in _FACTORIES:
        from orderly.shipping.carriers.rate_table import RateTableCarrier

        _FACTORIES["rate_table"] = RateTableCarrier
