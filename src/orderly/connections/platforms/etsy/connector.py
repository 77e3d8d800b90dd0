"""The Etsy connector (Open API v3): receipts as orders (pulled by last change, fetched for each
paid-order webhook), listings' SKUs, stock through listing inventories, tracking through receipt
shipments. Etsy cannot cancel for an app; rotated tokens are offered as `refreshed_credentials`."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.etsy import signature
from orderly.connections.platforms.etsy.api import EtsyApi
from orderly.connections.platforms.etsy.cursor import PullCursor
from orderly.connections.platforms.etsy.errors import read_refusals
from orderly.connections.platforms.etsy.fulfillment import push_tracking
from orderly.connections.platforms.etsy.listings import DEFAULT_STATES, shop_listings
from orderly.connections.platforms.etsy.mapping import (
    ReceiptStatus,
    channel_order,
    is_physical,
    updated_of,
)
from orderly.connections.platforms.etsy.stock import push_quantities
from orderly.connections.platforms.etsy.throttle import DailyBudget, throttle_of
from orderly.connections.port import (
    ChannelOrder,
    FulfillmentPush,
    InboundEvent,
    InboundRequest,
    Listing,
    OrderPage,
    PlatformAccess,
    StockPushResult,
    StockQuantity,
)
from orderly.kit.clock import utcnow

FIRST_PULL_DAYS = 30
PAGE_SIZE_MAX = 100  # receipts a getShopReceipts page holds at most
# Share of the day's calls that stock pushes leave to orders and shipments, by default.
RESERVE_SHARE = 10
_RECEIPT_IN_URL = re.compile(r"/receipts/(\d+)")


def receipt_of(payload: Mapping[str, Any]) -> str | None:
    """The receipt a webhook is about: in its `resource_url`, or in its `data`."""
    found = _RECEIPT_IN_URL.search(str(payload.get("resource_url") or ""))
    if found:
        return found.group(1)
    receipt_id = (payload.get("data") or {}).get("receipt_id")
    return str(receipt_id) if receipt_id else None


class EtsyConnector:
    platform: ClassVar[str] = "etsy"
    credential_keys: ClassVar[tuple[str, ...]] = (
        "keystring",
        "shared_secret",
        "access_token",
        "refresh_token",
        "webhook_secret",
    )
    sends_webhooks: ClassVar[bool] = True
    rate_limits: ClassVar[tuple[str, ...]] = (
        "10 calls a second and 10,000 a day per app (a tenth kept for orders and shipments)",
        "a stock push is a read and a write of the listing's whole inventory",
    )

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.settings = access.settings
        self.throttle = throttle_of(access.http)
        read_refusals(access.http)
        self.api = EtsyApi(
            access.http,
            base_url=access.base_url,
            credentials=access.credentials,
            keep=access.keep_credentials,
        )

    @property
    def shop_id(self) -> str:
        shop = self.settings.get("shop_id")
        if not shop:
            raise PlatformRefused(
                "set the connection's shop_id (the Etsy shop's numeric id)",
                field="settings.shop_id",
            )
        return str(shop)

    @property
    def refreshed_credentials(self) -> dict[str, str] | None:
        """The whole credential set with the tokens this run moved to, once Etsy rotated
        them; None while the stored ones still hold. The old refresh token is spent."""
        if not self.api.rotated:
            return None
        return {
            **self.access.credentials,
            "access_token": self.api.pair.access_token,
            "refresh_token": self.api.pair.refresh_token,
        }

    def budget_used(self) -> DailyBudget:
        """The calls this connection made, and what Etsy last said is left of the day."""
        return self.throttle.budget()

    # Webhooks in

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """Order events of this connection's shop; one application's endpoint receives the
        events of every shop that authorized it, so the others are answered and not kept."""
        try:
            webhook_id = signature.verify(
                self.access.credentials["webhook_secret"],
                request.headers,
                request.body,
                now=utcnow(),
            )
        except signature.SignatureInvalid as refused:
            raise WebhookRefused(f"etsy webhook refused: {refused}") from None
        try:
            payload = json.loads(request.body)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        topic = str(payload.get("event_type") or "")
        if not topic.lower().startswith("order"):
            return None
        shop = payload.get("shop_id") or (payload.get("data") or {}).get("shop_id")
        ours = self.settings.get("shop_id")
        if shop and ours and str(shop) != str(ours):
            return None
        return InboundEvent(
            event_id=webhook_id,
            topic=topic,
            payload=payload,
            platform_order_id=receipt_of(payload),
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        receipt = await self._receipt(event.platform_order_id)
        return channel_order(receipt) if is_physical(receipt) else None

    # Orders in

    async def _receipt(self, receipt_id: str) -> dict[str, Any]:
        path = f"/v3/application/shops/{self.shop_id}/receipts/{receipt_id}"
        receipt: dict[str, Any] = await self.api.call("GET", path)
        return receipt

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return channel_order(await self._receipt(platform_order_id))

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        """getShopReceipts by `min_last_modified`, oldest change first. Each page after a full
        one starts again from the last change seen, so a receipt changed during the pull
        (which moves to the end) shifts no page and is taken later, never skipped."""
        position = PullCursor.parse(cursor) if cursor else PullCursor(since=self._first_since())
        since, offset, size = position.since, 0, self._page_size()
        path = f"/v3/application/shops/{self.shop_id}/receipts"
        while True:
            params: dict[str, str | int] = {
                "min_last_modified": since,
                "sort_on": "updated",
                "sort_order": "asc",
                "limit": size,
                "offset": offset,
            }
            results = list((await self.api.call("GET", path, params=params)).get("results") or [])
            before, taken = str(position), []
            for receipt in results:
                receipt_id, updated = str(receipt["receipt_id"]), updated_of(receipt)
                if position.already_taken(receipt_id, updated):
                    continue
                if is_physical(receipt):
                    taken.append(receipt)
                position.take(receipt_id, updated)
            if taken or str(position) != before:
                orders = tuple(channel_order(r) for r in taken)
                yield OrderPage(orders=orders, cursor=str(position))
            if len(results) < size:
                return
            last = updated_of(results[-1])
            since, offset = (last, 0) if last > since else (since, offset + len(results))

    def _first_since(self) -> int:
        days = int(self.settings.get("first_pull_days") or FIRST_PULL_DAYS)
        return int((utcnow() - timedelta(days=days)).timestamp())

    def _page_size(self) -> int:
        size = int(self.settings.get("page_size") or PAGE_SIZE_MAX)
        return max(1, min(size, PAGE_SIZE_MAX))

    # Catalog and stock out

    def listings(self) -> AsyncIterator[Sequence[Listing]]:
        states = str(self.settings.get("listing_states") or ",".join(DEFAULT_STATES))
        chosen = [s.strip() for s in states.split(",") if s.strip()]
        return shop_listings(self.api.call, self.shop_id, chosen)

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        configured = self.settings.get("stock_reserve")
        reserve = (
            int(configured) if configured is not None else self.throttle.per_day // RESERVE_SHARE
        )
        return await push_quantities(self.api.call, self.throttle, quantities, reserve=reserve)

    # Fulfillment and cancellation out

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        return await push_tracking(self.api.call, self.shop_id, fulfillment)

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        """Etsy's Open API has no call that cancels a receipt: the seller cancels it in Shop
        Manager. Once Etsy shows it canceled, the push is done."""
        receipt = await self._receipt(platform_order_id)
        if str(receipt.get("status") or "").lower() == ReceiptStatus.CANCELED:
            return
        raise PlatformRefused(
            f"etsy lets no app cancel an order: cancel receipt {platform_order_id} in Etsy's "
            "Shop Manager (Orders & Shipping, the order, Cancel); Etsy refunds the buyer"
        )

    # Subscriptions and health

    async def register_webhooks(self, url: str) -> list[str]:
        """Etsy's webhook endpoints are added by hand in the app's Webhook portal, and no API
        lists or creates them."""
        return []

    async def check(self) -> None:
        """`getMe`: the token works, and the shop set on the connection is the token's."""
        me = await self.api.call("GET", "/v3/application/users/me")
        theirs = str(me.get("shop_id") or "")
        ours = self.settings.get("shop_id")
        if not ours or str(ours) != theirs:
            raise PlatformRefused(
                f"the Etsy token belongs to shop {theirs or 'none'}, not {ours or 'unset'}: "
                "set the connection's shop_id to it",
                field="settings.shop_id",
            )
