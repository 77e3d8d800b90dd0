"""The one place where fulfillment buys labels: a port in `LabelRequest` and `BoughtLabel`.
The shipping feature, above fulfillment, fills it (`shipping.fulfillment_labels`, installed by
the app and the worker); tests install a fake carrier with `use_label_buyer`."""

from __future__ import annotations

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


_shipping: LabelBuyer | None = None
_installed: LabelBuyer | None = None


def install_shipping(buyer: LabelBuyer) -> None:
    """The shipping feature's buyer, installed where the app and the worker start."""
    global _shipping
    _shipping = buyer


def use_label_buyer(buyer: LabelBuyer | None) -> None:
    """Replace the shipping feature with another buyer (a fake in tests); None restores it."""
    global _installed
    _installed = buyer


async def buy_labels(conn: AsyncConnection, request: LabelRequest) -> list[BoughtLabel]:
    """Labels for the request's parcels: one per parcel, in their order (a carrier that makes
    one label for several parcels is repeated for each)."""
    buyer = _installed or _shipping
    if buyer is None:
        raise RuntimeError("no label buyer: the app and the worker install shipping's")
    labels = list(await buyer(conn, request))
    if not labels:
        return []
    if len(labels) == len(request.parcels):
        return labels
    return [labels[0]] * len(request.parcels)
