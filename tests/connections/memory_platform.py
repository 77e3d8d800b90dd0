"""A platform at the port, in memory: the framework's tests (inbox, intake, pulls, stock
routing) use it; each real platform has its own HTTP fake under `fakes/`."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from orderly.connections.errors import PlatformUnavailable, WebhookRefused
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    FulfillmentPush,
    InboundEvent,
    InboundRequest,
    Listing,
    OrderPage,
    PlatformAccess,
    PlatformOrderState,
    PlatformPaymentStatus,
    StockPushResult,
    StockQuantity,
)

SIGNATURE_HEADER = "x-memory-signature"
PAGE = 3


@dataclass
class MemoryShop:
    secret: str = "shh"
    orders: dict[str, ChannelOrder] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)
    shown: dict[tuple[str, str | None], int] = field(default_factory=dict)
    stock_calls: list[list[StockQuantity]] = field(default_factory=list)
    fulfillments: list[FulfillmentPush] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)
    down: bool = False
    refuses: set[str] = field(default_factory=set)
    rotates_token: bool = False
    clock: datetime = datetime(2026, 11, 1, tzinfo=UTC)

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def place(
        self, number: str, lines: list[tuple[str | None, int]], **changes: object
    ) -> ChannelOrder:
        at = self.tick()
        order = ChannelOrder(
            platform_order_id=f"p{number}",
            number=f"#{number}",
            currency="USD",
            created_at=at,
            updated_at=at,
            state=PlatformOrderState.OPEN,
            payment_status=PlatformPaymentStatus.CAPTURED,
            lines=tuple(
                ChannelOrderLine(
                    platform_line_id=f"l{number}-{i}",
                    sku=sku,
                    quantity=quantity,
                    unit_price_minor=1000,
                    tax_minor=80 * quantity,
                    title=f"item {i}",
                )
                for i, (sku, quantity) in enumerate(lines)
            ),
            customer_email=f"buyer{number}@example.com",
            customer_name="Ada Buyer",
            shipping_address=ChannelAddress(
                country="US",
                name="Ada Buyer",
                line1="1 Main St",
                city="Newark",
                region="NJ",
                postal_code="07102",
            ),
            shipping_minor=500,
            total_minor=sum(1080 * q for _, q in lines) + 500,
        )
        order = replace(order, **changes)  # type: ignore[arg-type]
        self.orders[order.platform_order_id] = order
        return order

    def cancel(self, platform_order_id: str) -> ChannelOrder:
        order = replace(
            self.orders[platform_order_id],
            state=PlatformOrderState.CANCELLED,
            payment_status=PlatformPaymentStatus.REFUNDED,
            updated_at=self.tick(),
        )
        self.orders[platform_order_id] = order
        return order

    def webhook(
        self, platform_order_id: str, *, event_id: str, topic: str = "orders/create"
    ) -> tuple[dict[str, str], bytes]:
        body = json.dumps(
            {"event_id": event_id, "topic": topic, "order_id": platform_order_id}
        ).encode()
        signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return {SIGNATURE_HEADER: signature, "content-type": "application/json"}, body


SHOPS: dict[str, MemoryShop] = {}


class MemoryConnector:
    platform: ClassVar[str] = "memory"
    credential_keys: ClassVar[tuple[str, ...]] = ("token", "secret")
    sends_webhooks: ClassVar[bool] = True

    def __init__(self, access: PlatformAccess) -> None:
        self.shop = SHOPS[access.base_url]
        self.secret = access.credentials["secret"]
        self.access = access

    def _up(self) -> None:
        if self.shop.down:
            raise PlatformUnavailable("memory: answered 503 (after 5 attempts)")

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        given = request.headers.get(SIGNATURE_HEADER, "")
        expected = hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not given or not hmac.compare_digest(given, expected):
            raise WebhookRefused("the signature does not match the body")
        payload = json.loads(request.body)
        return InboundEvent(
            event_id=payload["event_id"],
            topic=payload["topic"],
            payload=payload,
            platform_order_id=payload["order_id"],
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        return await self.fetch_order(event.platform_order_id)

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        self._up()
        return self.shop.orders[platform_order_id]

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        since = datetime.fromisoformat(cursor) if cursor else datetime.min.replace(tzinfo=UTC)
        changed = sorted(
            (o for o in self.shop.orders.values() if o.updated_at > since),
            key=lambda o: o.updated_at,
        )
        for start in range(0, len(changed), PAGE):
            self._up()
            page = changed[start : start + PAGE]
            yield OrderPage(tuple(page), page[-1].updated_at.isoformat())

    async def listings(self) -> AsyncIterator[Sequence[Listing]]:
        self._up()
        yield [Listing(sku=s, inventory_item_id=f"inv-{s}") for s in sorted(self.shop.listed)]

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        self._up()
        self.shop.stock_calls.append(list(quantities))
        refused = {
            q.listing.sku: "unknown SKU" for q in quantities if q.listing.sku in self.shop.refuses
        }
        for q in quantities:
            if q.listing.sku not in refused:
                self.shop.shown[(q.listing.sku, q.platform_location)] = q.available
        return StockPushResult(pushed=len(quantities) - len(refused), refused=refused)

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        self._up()
        self.shop.fulfillments.append(fulfillment)
        return f"f{len(self.shop.fulfillments)}"

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        self._up()
        self.shop.cancel(platform_order_id)

    async def register_webhooks(self, url: str) -> list[str]:
        self._up()
        self.shop.subscribed.append(url)
        return ["orders/create", "orders/updated"]

    async def check(self) -> None:
        self._up()
        if self.shop.rotates_token and self.access.keep_credentials is not None:
            # A platform whose token is good once: the check spent it and gave a new one.
            await self.access.keep_credentials({"token": f"{self.access.credentials['token']}+"})
