"""The SalesChannel port: what Orderly asks of a sales platform (a web store, later a marketplace
or a POS). Each platform implements it in `connections/platforms/<name>/`; see docs/channels.md.

Everything here speaks the platform's neutral shape: money in minor units of the order's
currency, the platform's own ids as strings, times in UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from orderly.kit.vendor_http import VendorHttp


class PlatformPaymentStatus(StrEnum):
    """The platform's financial status, in our payment statuses' words."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


class PlatformOrderState(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    # Fulfilled on the platform (by us, or by someone else).
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    country: str  # ISO 3166-1 alpha-2
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelOrderLine:
    platform_line_id: str
    sku: str | None  # None when the platform's line has no SKU: the event waits for a mapping
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0
    tax_minor: int = 0
    title: str | None = None
    # The platform's product and variant ids, to map a line whose SKU is missing.
    product_id: str | None = None
    variant_id: str | None = None
    # The goods' customs code as the platform gives it (India's HSN code on Flipkart).
    hs_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """A platform's order as Orderly captures it."""

    platform_order_id: str
    number: str  # the platform's order number as its merchant knows it ("#1001", "100000042")
    currency: str
    created_at: datetime
    updated_at: datetime
    state: PlatformOrderState
    payment_status: PlatformPaymentStatus
    lines: tuple[ChannelOrderLine, ...]
    customer_email: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    shipping_address: ChannelAddress | None = None
    billing_address: ChannelAddress | None = None
    shipping_minor: int = 0
    shipping_tax_minor: int = 0
    # Order-level discount not already spread over the lines.
    order_discount_minor: int = 0
    total_minor: int = 0
    refunded_minor: int = 0
    payment_method: str | None = None
    payment_reference: str | None = None
    notes: str | None = None
    # A sale at the platform's own counter: the platform location where the customer took the
    # goods. Recorded as handed over at the store it maps to (docs/pos.md), never fulfilled.
    handed_over_at: str | None = None
    # The marketplace's deadline: the latest the order may ship (Amazon's LatestShipDate,
    # Flipkart's dispatch-by date, Etsy's expected ship date).
    ship_by: datetime | None = None
    # The marketplace ships it from its own stock (Amazon's AFN, "Fulfilled by Amazon"): it is
    # recorded and reported, never reserves our stock and is never routed.
    fulfilled_by_platform: bool = False


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a pull. `cursor` is where the next pull starts once this page is captured."""

    orders: tuple[ChannelOrder, ...]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    """The platform's ids for one of our SKUs."""

    sku: str
    product_id: str | None = None
    variant_id: str | None = None
    inventory_item_id: str | None = None


@dataclass(frozen=True, slots=True)
class StockQuantity:
    """The available units to show for a SKU, at a platform location (None: the platform's
    only or default location)."""

    listing: Listing
    available: int
    platform_location: str | None = None


@dataclass(frozen=True, slots=True)
class StockPushResult:
    """What the platform took. SKUs it refused, with its reason, are pushed again later."""

    pushed: int
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FulfilledLine:
    platform_line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentPush:
    platform_order_id: str
    lines: tuple[FulfilledLine, ...]
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipped_at: datetime
    notify_customer: bool = True
    # Ours, stable across retries: the platform's idempotency field where it has one.
    reference: str = ""


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """A webhook as it reached us. `url` is the public URL it was sent to (ORDERLY_PUBLIC_URL),
    never the one the request says."""

    url: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A verified webhook: kept raw in the inbox and mapped by a job."""

    event_id: str  # the platform's event or delivery id: the same event twice is stored once
    topic: str
    payload: dict[str, Any]
    platform_order_id: str | None = None


class SalesChannel(Protocol):
    """One platform's connector, built for one connection."""

    platform: ClassVar[str]
    # The credential keys a connection must give, and which of them sign webhooks.
    credential_keys: ClassVar[tuple[str, ...]]
    # False for a platform that sends no webhooks (Magento Open Source): it is pulled only.
    sends_webhooks: ClassVar[bool]

    def __init__(self, access: PlatformAccess) -> None: ...

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """Verify the platform's signature and read the event; None for a ping that is answered
        and not kept. Raises `WebhookRefused` for a missing or bad signature."""
        ...

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        """The order an inbox event is about, fetched when the event carries only its id; None
        when the event concerns no order."""
        ...

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder: ...

    def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        """Page through the orders changed since the cursor (None: the platform's recent
        orders), oldest change first."""
        ...

    def listings(self) -> AsyncIterator[Sequence[Listing]]:
        """The catalog's ids by SKU, page by page."""
        ...

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        """Set the available quantities, batched to the platform's limits."""
        ...

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        """Mark the lines shipped with their tracking; answers the platform's id for it."""
        ...

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None: ...

    async def register_webhooks(self, url: str) -> list[str]:
        """Subscribe `url` to the topics Orderly needs; answers the topics subscribed."""
        ...

    async def check(self) -> None:
        """One cheap authenticated call: raises `PlatformUnavailable` or `CredentialsRefused`."""
        ...


@dataclass(frozen=True, slots=True)
class PlatformAccess:
    """What a connector is built from: the shop's address, its credentials (decrypted, kept in
    memory only for the call), the connection's settings and the HTTP client."""

    base_url: str
    credentials: Mapping[str, str]
    settings: Mapping[str, Any]
    http: VendorHttp
    # Called by a connector whose platform rotates its tokens on refresh (Etsy's refresh token
    # is good once): the new credentials are sealed and kept at once, before anything else.
    keep_credentials: Callable[[Mapping[str, str]], Awaitable[None]] | None = None
