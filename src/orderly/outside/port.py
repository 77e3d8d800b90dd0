"""The FulfillmentProvider port: what Orderly asks of someone who operates a location for us (a 3PL,
a drop-shipping supplier), in a neutral shape (the provider's SKUs, our references, UTC times).
Each kind implements it and is chosen by name in `outside/registry.py`; see docs/fulfillment.md."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from orderly.kit.outbound import OutboundPolicy
from orderly.kit.vendor_http import VendorHttp


class EventKind(StrEnum):
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    # The provider cancelled the order (or the units left open), whoever asked.
    CANCELLED = "cancelled"
    # The provider will not take the order at all.
    REFUSED = "refused"


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    # Too late: it has shipped (or is about to); the provider's shipment follows.
    REFUSED = "refused"
    # Asked; the answer comes back with the provider's events.
    REQUESTED = "requested"


@dataclass(frozen=True, slots=True)
class ShipTo:
    name: str
    line1: str
    city: str
    country: str
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundLine:
    line_no: int
    sku: str  # as the provider knows it
    name: str
    quantity: int
    our_sku: str = ""


@dataclass(frozen=True, slots=True)
class OutboundOrder:
    """One fulfillment order sent out. `reference` is ours, unique, and what the provider keeps
    (ShipBob's reference_id, the file name, the drop-ship purchase order's number)."""

    reference: str
    order_number: str
    ship_to: ShipTo
    lines: tuple[OutboundLine, ...]
    ordered_at: datetime
    shipping_method: str | None = None
    # Where a supplier confirms with its tracking (drop-ship by e-mail); None otherwise.
    confirm_url: str | None = None


@dataclass(frozen=True, slots=True)
class SentOrder:
    reference: str
    provider_ref: str


@dataclass(frozen=True, slots=True)
class ShippedParcel:
    tracking_number: str | None
    carrier: str | None
    service: str | None
    # Units per provider SKU.
    units: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """News about one of our orders. `event_id` is stable: the same news polled twice carries
    the same id and is applied once."""

    event_id: str
    kind: EventKind
    reference: str
    parcels: tuple[ShippedParcel, ...] = ()
    reason: str | None = None
    occurred_at: datetime | None = None
    # Where it came from (a file), archived once its events are applied.
    source: str | None = None
    row: int | None = None


@dataclass(frozen=True, slots=True)
class ExchangeProblem:
    """Something the provider sent that could not be read: its file and row when it has them."""

    source: str
    detail: str
    row: int | None = None


@dataclass(frozen=True, slots=True)
class Polled:
    events: tuple[ProviderEvent, ...] = ()
    problems: tuple[ExchangeProblem, ...] = ()
    # Files read whole: archived once their events are applied.
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """The provider's on-hand units per provider SKU at one moment. SKUs it does not list are
    not compared."""

    snapshot_id: str
    taken_at: datetime
    on_hand: Mapping[str, int]
    problems: tuple[ExchangeProblem, ...] = ()
    source: str | None = None


# Sends one e-mail (drop-ship purchase orders); returns where it went.
Mailer = Callable[[EmailMessage], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class ProviderAccess:
    """What a provider's connector is built from: the location's settings, the credentials
    (decrypted, in memory only for the call), the HTTP client for API providers, the address
    policy for others, and the mailer for e-mail."""

    settings: Mapping[str, Any]
    credentials: Mapping[str, str]
    http: VendorHttp | None = None
    policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    mailer: Mailer | None = None
    sender: str = ""


class FulfillmentProvider(Protocol):
    """One provider's connector, built for one location."""

    kind: ClassVar[str]
    # The location's `settings` for this kind, validated when the provider is connected.
    settings_model: ClassVar[type[BaseModel]]
    # The sets of credential keys it accepts (exactly one of them is given).
    credential_choices: ClassVar[tuple[tuple[str, ...], ...]]
    # What this kind does not offer, said plainly on the provider's page.
    notes: ClassVar[tuple[str, ...]]

    def __init__(self, access: ProviderAccess) -> None: ...

    async def send(self, order: OutboundOrder) -> SentOrder:
        """Create the order at the provider. Raises the feature's errors (`ProviderRefused` for
        an order it will never take, `ProviderOutcomeUnknown` for a lost answer)."""
        ...

    async def find(self, reference: str) -> SentOrder | None:
        """The order the provider holds under our reference, if any: asked before sending
        again after a lost answer, so that nothing is created twice."""
        ...

    async def cancel(self, sent: SentOrder, *, reason: str) -> CancelOutcome: ...

    async def poll(self, open_orders: Sequence[SentOrder]) -> Polled:
        """News of our open orders (accepted, shipped, cancelled, refused)."""
        ...

    async def archive(self, sources: Sequence[str]) -> None:
        """Put away what `poll` or `stock` read, once its news is recorded."""
        ...

    async def stock(self) -> StockSnapshot | None:
        """The newest stock snapshot not yet reconciled; None when there is none."""
        ...

    async def check(self) -> None:
        """One cheap authenticated exchange: raises the feature's errors when it fails."""
        ...

    async def subscribe(self, url: str) -> Mapping[str, str]:
        """Subscribe `url` to the provider's webhooks when the settings ask for them; answers
        credentials to keep (a signing secret), empty when there is nothing to subscribe."""
        ...

    async def close(self) -> None: ...
