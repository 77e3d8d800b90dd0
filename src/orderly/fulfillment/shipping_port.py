"""The one place where fulfillment buys labels: a port with the steps of a label purchase.

The carrier is called between two transactions, never inside one (docs/architecture.md, "Calls
to carriers"). The shipping feature fills the port (`shipping.fulfillment_labels`, installed by
the app and the worker); tests install a fake carrier with `use_label_buyer`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database


@dataclass(frozen=True, slots=True)
class ParcelSpec:
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True, slots=True)
class GoodsLine:
    """One SKU in the parcels, as a customs declaration would list it. The shipping feature
    declares them when the shipment crosses a customs border; hs_code and origin_country are
    empty where the catalog lacks them (a carrier that needs them then refuses, naming them)."""

    sku: str
    description: str
    quantity: int
    unit_value_minor: int
    currency: str
    unit_weight_grams: int
    hs_code: str
    origin_country: str


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
    goods: tuple[GoodsLine, ...] = ()


@dataclass(frozen=True, slots=True)
class BoughtLabel:
    shipment_id: int | None
    tracking_number: str | None
    carrier: str | None
    service: str | None


@dataclass(frozen=True, slots=True)
class SentElsewhere:
    """A parcel that someone else sent (the provider operating the location), with its tracking
    number: recorded as a shipment so that the customer can follow it like our own."""

    org_id: int
    order_id: int
    fulfillment_order_id: int
    tracking_number: str
    carrier: str
    service: str
    currency: str
    actor: str


@dataclass(frozen=True, slots=True)
class PendingLabels:
    """A purchase begun and committed: its id, which claims the parcels, and what the buyer
    keeps for the next step."""

    purchase_id: int
    held: Any


@dataclass(frozen=True, slots=True)
class ReadyLabels:
    """Labels the carrier made, not yet recorded."""

    purchase_id: int
    held: Any


class LabelBuyer(Protocol):
    async def begin(self, conn: AsyncConnection, request: LabelRequest) -> PendingLabels:
        """Record the intent in the caller's first transaction."""

    async def buy(self, database: Database, pending: PendingLabels) -> ReadyLabels:
        """Call the carrier, with no transaction open; a failure is raised."""

    async def record(self, conn: AsyncConnection, ready: ReadyLabels) -> Sequence[BoughtLabel]:
        """Store the labels in the caller's second transaction: one per parcel, in order."""

    async def give_back(self, database: Database, ready: ReadyLabels, reason: str) -> None:
        """Void labels that could not be used (or flag them for a person)."""

    async def still_buying(
        self, conn: AsyncConnection, org_id: int, purchase_ids: Sequence[int]
    ) -> set[int]:
        """Which of the purchases are under way; one left unfinished too long is handed to a
        person and no longer counts."""

    async def record_sent_elsewhere(self, conn: AsyncConnection, parcel: SentElsewhere) -> int:
        """Record a parcel someone else sent as a shipment (no label of ours); its id."""


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


def label_buyer() -> LabelBuyer:
    buyer = _installed or _shipping
    if buyer is None:
        raise RuntimeError("no label buyer: the app and the worker install shipping's")
    return buyer
