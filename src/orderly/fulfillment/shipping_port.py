"""The one place where fulfillment buys labels: an adapter over the shipping feature.

Fulfillment speaks in `LabelRequest` and `BoughtLabel`; `buy_labels` hands the request to
`orderly.shipping.service.buy_label`, imported when first needed so that the two features
load independently. Tests install a fake carrier with `use_label_buyer`, at this port.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class ParcelSpec:
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True, slots=True)
class LabelRequest:
    org_id: int
    order_id: int
    fulfillment_order_id: int
    ship_from: dict[str, Any]
    ship_to: dict[str, Any]
    parcels: tuple[ParcelSpec, ...]
    ship_date: date
    reference: str
    hazmat: bool
    service: str | None
    policy: str
    promise_date: date | None
    actor: str


@dataclass(frozen=True, slots=True)
class BoughtLabel:
    shipment_id: int | None
    tracking_number: str | None
    carrier: str | None
    service: str | None


class LabelBuyer(Protocol):
    async def __call__(
        self, conn: AsyncConnection, request: LabelRequest
    ) -> Sequence[BoughtLabel]: ...


_installed: LabelBuyer | None = None


def use_label_buyer(buyer: LabelBuyer | None) -> None:
    """Replace the shipping feature with another buyer (a fake in tests); None restores it."""
    global _installed
    _installed = buyer


async def buy_labels(conn: AsyncConnection, request: LabelRequest) -> list[BoughtLabel]:
    """Labels for the request's parcels: one per parcel, in their order (a carrier that makes
    one label for several parcels is repeated for each)."""
    buyer = _installed or _shipping_service
    labels = list(await buyer(conn, request))
    if not labels:
        return []
    if len(labels) == len(request.parcels):
        return labels
    return [labels[0]] * len(request.parcels)


async def _shipping_service(conn: AsyncConnection, request: LabelRequest) -> list[BoughtLabel]:
    domain = importlib.import_module("orderly.shipping.domain")
    service = importlib.import_module("orderly.shipping.service")
    shipment = domain.ShipmentRequest(
        org_id=request.org_id,
        ship_from=request.ship_from,
        ship_to=request.ship_to,
        parcels=[
            domain.Parcel(p.weight_grams, p.length_mm, p.width_mm, p.height_mm)
            for p in request.parcels
        ],
        ship_date=request.ship_date,
        reference=request.reference,
        hazmat=request.hazmat,
    )
    views = await service.buy_label(
        conn,
        request.org_id,
        order_id=request.order_id,
        fulfillment_order_id=request.fulfillment_order_id,
        request=shipment,
        service=request.service,
        policy=request.policy,
        promise_date=request.promise_date,
        actor=request.actor,
    )
    return [_bought(view) for view in views]


def _bought(view: Any) -> BoughtLabel:
    def field(*names: str) -> Any:
        for name in names:
            value = getattr(view, name, None)
            if value is not None:
                return value
        return None

    return BoughtLabel(
        shipment_id=field("id", "shipment_id"),
        tracking_number=field("tracking_number"),
        carrier=field("carrier", "carrier_code"),
        service=field("service", "service_code"),
    )
