"""The Magento 2 (Open Source and Adobe Commerce) connector: REST with an integration's
OAuth 1.0a signature, pulled only (Magento Open Source sends no webhooks), stock through MSI
source items. See docs/channels.md for the settings it reads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.magento.mapping import channel_order, format_magento_time
from orderly.connections.platforms.magento.oauth import CREDENTIAL_KEYS, HMAC_SHA256, MagentoOAuth
from orderly.connections.platforms.magento.search import ASC, Filter, PullCursor, search_criteria
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

# Under the 300 that Magento's Web API input limits allow per page when a shop enables them.
PAGE_SIZE = 100
# Magento sets no maximum for source items unless the shop enables input limits (then 20 by
# default): requests stay bounded, and a refusal naming the shop's limit shrinks the batch.
STOCK_BATCH_SIZE = 500
STOCKED_TYPES = frozenset({"simple", "virtual", "downloadable"})
# Magento's REST errors keep their placeholders: the limit is in `parameters.max`.
_INPUT_LIMIT = re.compile(r'Maximum items of type.*?(?:"max"\s*:\s*"?|is )(\d+)')
_REFERENCE = "Orderly fulfillment "


class MagentoConnector:
    platform: ClassVar[str] = "magento"
    credential_keys: ClassVar[tuple[str, ...]] = CREDENTIAL_KEYS
    sends_webhooks: ClassVar[bool] = False

    def __init__(self, access: PlatformAccess) -> None:
        settings = access.settings
        self.http = access.http
        self.store_code = str(settings.get("store_code") or "default")
        self.source_code = str(settings.get("source_code") or "default")
        self.page_size = int(settings.get("page_size") or PAGE_SIZE)
        self.stock_batch_size = int(settings.get("stock_batch_size") or STOCK_BATCH_SIZE)
        self.requests_per_second = float(settings.get("requests_per_second") or 0)
        self.initial_lookback = timedelta(days=int(settings.get("first_pull_days") or 30))
        method = str(settings.get("signature_method") or HMAC_SHA256)
        self._auth = MagentoOAuth(access.credentials, method=method)
        self._api = f"{access.base_url.rstrip('/')}/rest/{self.store_code}/V1"

    async def _call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        response = await self.http.send(
            method, f"{self._api}{path}", params=params, json=json, auth=self._auth
        )
        if self.requests_per_second > 0:
            self.http.pause_for(1 / self.requests_per_second)
        return response.json(parse_float=Decimal) if response.content else None

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        raise WebhookRefused("Magento sends no webhooks: this connection is pulled")

    async def register_webhooks(self, url: str) -> list[str]:
        return []

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        return await self.fetch_order(event.platform_order_id)

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return channel_order(await self._call("GET", f"/orders/{int(platform_order_id)}"))

    async def check(self) -> None:
        await self._call("GET", "/store/storeConfigs")

    # Pull. Every request asks for the first page of what is still to come, so an order that
    # changes during the pull cannot shift the pages under it.

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        if cursor:
            position = PullCursor.decode(cursor)
        else:
            position = PullCursor(format_magento_time(utcnow() - self.initial_lookback))
        async for page in self._rest_of_second(position, after_id=0):
            position = PullCursor.decode(page.cursor or "")
            yield page
        while True:
            data = await self._orders(
                [[Filter("updated_at", position.second, "gt")]],
                sort=[("updated_at", ASC), ("entity_id", ASC)],
            )
            items = data.get("items") or []
            if not items:
                return
            position = position.after((i["updated_at"], int(i["entity_id"])) for i in items)
            yield OrderPage(tuple(channel_order(i) for i in items), position.encode())
            if int(data.get("total_count") or 0) <= len(items):
                return
            # The page may have cut a second in two: finish that second before moving on.
            async for page in self._rest_of_second(position, after_id=int(items[-1]["entity_id"])):
                position = PullCursor.decode(page.cursor or "")
                yield page

    async def _rest_of_second(
        self, position: PullCursor, *, after_id: int
    ) -> AsyncIterator[OrderPage]:
        """Orders changed at the cursor's second, by id, that the cursor has not seen."""
        while True:
            data = await self._orders(
                [
                    [Filter("updated_at", position.second, "eq")],
                    [Filter("entity_id", str(after_id), "gt")],
                ],
                sort=[("entity_id", ASC)],
            )
            items = data.get("items") or []
            if not items:
                return
            fresh = [i for i in items if int(i["entity_id"]) not in position.seen]
            position = position.after((position.second, int(i["entity_id"])) for i in fresh)
            after_id = int(items[-1]["entity_id"])
            if fresh:
                yield OrderPage(tuple(channel_order(i) for i in fresh), position.encode())
            if int(data.get("total_count") or 0) <= len(items):
                return

    async def _orders(
        self, groups: Sequence[Sequence[Filter]], *, sort: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        params = search_criteria(groups, sort=sort, page_size=self.page_size)
        data: dict[str, Any] = await self._call("GET", "/orders", params=params)
        return data

    async def listings(self) -> AsyncIterator[Sequence[Listing]]:
        page, read = 1, 0
        while True:
            params = search_criteria(
                sort=[("entity_id", ASC)], page_size=self.page_size, current_page=page
            )
            data = await self._call("GET", "/products", params=params)
            items = data.get("items") or []
            listings = [
                Listing(sku=str(p["sku"]), product_id=str(p["id"]))
                for p in items
                if p.get("type_id") in STOCKED_TYPES
            ]
            if listings:
                yield listings
            read += len(items)
            # Magento answers a page past the end with its last page again: count instead.
            if not items or read >= int(data.get("total_count") or 0):
                return
            page += 1

    # Push.

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        items = [
            {
                "sku": q.listing.sku,
                "source_code": q.platform_location or self.source_code,
                "quantity": max(q.available, 0),
                "status": 1 if q.available > 0 else 0,
            }
            for q in quantities
        ]
        refused: dict[str, str] = {}
        pushed = 0
        while items:
            batch, items = items[: self.stock_batch_size], items[self.stock_batch_size :]
            pushed += await self._save_source_items(batch, refused)
        return StockPushResult(pushed=pushed, refused=refused)

    async def _save_source_items(self, batch: list[dict[str, Any]], refused: dict[str, str]) -> int:
        """Magento saves a batch whole or refuses it whole: a refused batch is split until the
        items it refuses stand alone."""
        try:
            await self._call("POST", "/inventory/source-items", json={"sourceItems": batch})
        except PlatformRefused as refusal:
            limit = _INPUT_LIMIT.search(refusal.detail)
            if limit and 0 < int(limit.group(1)) < len(batch):
                self.stock_batch_size = int(limit.group(1))
                size = self.stock_batch_size
                parts = [batch[i : i + size] for i in range(0, len(batch), size)]
            elif len(batch) == 1:
                refused[str(batch[0]["sku"])] = refusal.detail
                return 0
            else:
                middle = len(batch) // 2
                parts = [batch[:middle], batch[middle:]]
            return sum([await self._save_source_items(part, refused) for part in parts])
        return len(batch)

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        order_id = int(fulfillment.platform_order_id)
        if fulfillment.reference:
            earlier = await self._shipment_with_reference(order_id, fulfillment.reference)
            if earlier is not None:
                return earlier  # a retry of a shipment Magento already recorded
        body: dict[str, Any] = {
            "items": [
                {"order_item_id": int(line.platform_line_id), "qty": line.quantity}
                for line in fulfillment.lines
            ],
            "notify": fulfillment.notify_customer,
            "appendComment": False,
            "tracks": _tracks(fulfillment),
        }
        if fulfillment.reference:
            body["comment"] = {
                "comment": f"{_REFERENCE}{fulfillment.reference}",
                "is_visible_on_front": 0,
            }
        shipment_id = await self._call("POST", f"/order/{order_id}/ship", json=body)
        return str(shipment_id)

    async def _shipment_with_reference(self, order_id: int, reference: str) -> str | None:
        params = search_criteria([[Filter("order_id", str(order_id))]], page_size=self.page_size)
        data = await self._call("GET", "/shipments", params=params)
        for shipment in data.get("items") or []:
            comments = [c.get("comment") for c in shipment.get("comments") or []]
            if f"{_REFERENCE}{reference}" in comments:
                return str(shipment["entity_id"])
        return None

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        order_id = int(platform_order_id)
        # Magento reads a POST's body by its Content-Type, even one without parameters.
        cancelled = await self._call("POST", f"/orders/{order_id}/cancel", json={})
        if cancelled is not True:
            # Magento answers false, not an error, for an order it cannot cancel.
            order = await self._call("GET", f"/orders/{order_id}")
            if order.get("state") != "canceled":
                raise PlatformRefused(
                    f"magento would not cancel order {order.get('increment_id')}: "
                    f"it is {order.get('state')}",
                    extra={"vendor_status": 200},
                )
            return
        if reason:
            history = {
                "comment": f"Cancelled in Orderly: {reason}",
                "is_customer_notified": 0,
                "is_visible_on_front": 0,
                "parent_id": order_id,
            }
            await self._call(
                "POST", f"/orders/{order_id}/comments", json={"statusHistory": history}
            )


def _tracks(fulfillment: FulfillmentPush) -> list[dict[str, str]]:
    if not fulfillment.tracking_number:
        return []
    carrier = (fulfillment.carrier or "").strip()
    code = carrier.lower() if carrier.lower() in MAGENTO_CARRIERS else "custom"
    return [
        {
            "track_number": fulfillment.tracking_number,
            "title": carrier or "Tracking",
            "carrier_code": code,
        }
    ]


# Magento's built-in carrier codes; any other carrier is "custom" with its name as the title.
MAGENTO_CARRIERS = frozenset({"ups", "usps", "fedex", "dhl"})
