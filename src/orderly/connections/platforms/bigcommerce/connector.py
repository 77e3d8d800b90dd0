"""The BigCommerce connector: orders from the v2 API, catalog, inventory and webhooks from v3,
all through the connection's `VendorHttp` with the store's quota watched on every answer."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.bigcommerce import signature
from orderly.connections.platforms.bigcommerce.cursor import PullCursor
from orderly.connections.platforms.bigcommerce.mapping import (
    OrderStatus,
    channel_order,
    platform_time,
)
from orderly.connections.platforms.bigcommerce.shipments import REFERENCE_PREFIX, shipment_body
from orderly.connections.platforms.bigcommerce.throttle import watch_quota
from orderly.connections.port import (
    ChannelOrder,
    FulfilledLine,
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

ORDER_SCOPES = (
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
    "store/order/refund/created",
)
PAGE_LIMIT = 250  # the most v2 orders and v3 variants one page holds
ADJUSTMENT_LIMIT = 2000  # items in one absolute inventory adjustment
DEFAULT_LOCATION = 1
FIRST_PULL_DAYS = 30


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return json.loads(response.content, parse_float=Decimal)


class BigCommerceConnector:
    platform: ClassVar[str] = "bigcommerce"
    credential_keys: ClassVar[tuple[str, ...]] = ("access_token", "client_secret")
    sends_webhooks: ClassVar[bool] = True

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.http = access.http
        self.base_url = access.base_url.rstrip("/")
        self.store_hash = self.base_url.rsplit("/", 1)[-1]
        self.headers = {
            "X-Auth-Token": access.credentials["access_token"],
            "Accept": "application/json",
        }
        watch_quota(self.http)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.send(
            method, f"{self.base_url}{path}", headers=self.headers, **kwargs
        )
        return _json(response)

    # Webhooks in

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """BigCommerce sends no ping: every verified delivery is an event of this store."""
        try:
            webhook_id = signature.verify(
                self.access.credentials["client_secret"],
                request.headers,
                request.body,
                now=utcnow(),
            )
        except signature.SignatureInvalid as refused:
            raise WebhookRefused(f"bigcommerce webhook refused: {refused}") from None
        payload = json.loads(request.body)
        # The client secret is the app's, shared by every store that installed it.
        if payload.get("producer") != f"stores/{self.store_hash}":
            raise WebhookRefused("bigcommerce webhook from another store")
        data = payload.get("data") or {}
        return InboundEvent(
            event_id=webhook_id,
            topic=str(payload.get("scope", "")),
            payload=payload,
            platform_order_id=str(data["id"]) if data.get("type") == "order" else None,
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        return await self.fetch_order(event.platform_order_id)

    # Orders in

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        order = await self._call("GET", f"/v2/orders/{platform_order_id}")
        return await self._complete(order)

    async def _complete(self, order: dict[str, Any]) -> ChannelOrder:
        products = await self._all_pages(f"/v2/orders/{order['id']}/products")
        addresses = await self._all_pages(f"/v2/orders/{order['id']}/shipping_addresses")
        return channel_order(order, products, addresses)

    async def _all_pages(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = await self._call("GET", path, params={"page": page, "limit": PAGE_LIMIT})
            rows.extend(batch or [])
            if not batch or len(batch) < PAGE_LIMIT:
                return rows
            page += 1

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        position = (
            PullCursor.parse(cursor)
            if cursor
            else PullCursor(since=utcnow().replace(microsecond=0) - timedelta(days=self._days()))
        )
        page = 1
        while True:
            started_at, before = position.since, str(position)
            params = {
                "min_date_modified": position.query_time(),
                "sort": "date_modified:asc",
                "page": page,
                "limit": PAGE_LIMIT,
            }
            batch = await self._call("GET", "/v2/orders", params=params) or []
            orders: list[ChannelOrder] = []
            for order in batch:
                order_id, modified = str(order["id"]), platform_time(order["date_modified"])
                if position.already_taken(order_id, modified):
                    continue
                if int(order["status_id"]) != OrderStatus.INCOMPLETE:
                    orders.append(await self._complete(order))
                position.take(order_id, modified)
            if orders or str(position) != before:
                yield OrderPage(orders=tuple(orders), cursor=str(position))
            if len(batch) < PAGE_LIMIT:
                return
            # Restart from the cursor's second unless a whole page fell within that second.
            page = 1 if position.since != started_at else page + 1

    def _days(self) -> int:
        return int(self.access.settings.get("first_pull_days", FIRST_PULL_DAYS))

    # Catalog and stock out

    async def listings(self) -> AsyncIterator[Sequence[Listing]]:
        page = 1
        while True:
            params = {
                "page": page,
                "limit": PAGE_LIMIT,
                "include_fields": "sku,product_id",
            }
            body = await self._call("GET", "/v3/catalog/variants", params=params)
            yield [
                Listing(sku=v["sku"], product_id=str(v["product_id"]), variant_id=str(v["id"]))
                for v in body["data"]
                if v.get("sku")
            ]
            pagination = body["meta"]["pagination"]
            if pagination["current_page"] >= pagination["total_pages"]:
                return
            page += 1

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        """Absolute adjustments, 2,000 items a call. BigCommerce refuses a whole batch for one
        bad item (422), so a refused batch is halved until the bad items stand alone."""
        items = [(q.listing.sku, self._adjustment_item(q)) for q in quantities]
        pushed, refused = 0, {}
        for start in range(0, len(items), ADJUSTMENT_LIMIT):
            done, bad = await self._adjust(items[start : start + ADJUSTMENT_LIMIT])
            pushed += done
            refused.update(bad)
        return StockPushResult(pushed=pushed, refused=refused)

    def _adjustment_item(self, quantity: StockQuantity) -> dict[str, Any]:
        location = (
            quantity.platform_location
            or self.access.settings.get("location_id")
            or DEFAULT_LOCATION
        )
        item: dict[str, Any] = {
            "location_id": int(location),
            "quantity": max(quantity.available, 0),
        }
        if quantity.listing.variant_id:
            item["variant_id"] = int(quantity.listing.variant_id)
        else:
            item["sku"] = quantity.listing.sku
        return item

    async def _adjust(
        self, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> tuple[int, dict[str, str]]:
        body = {
            "reason": self.access.settings.get("stock_reason", "Orderly stock sync"),
            "items": [item for _, item in items],
        }
        try:
            await self._call("PUT", "/v3/inventory/adjustments/absolute", json=body)
        except PlatformRefused as refusal:
            if refusal.extra.get("vendor_status") != 422:
                raise
            if len(items) == 1:
                return 0, {items[0][0]: refusal.detail}
            half = len(items) // 2
            first, second = await self._adjust(items[:half]), await self._adjust(items[half:])
            return first[0] + second[0], {**first[1], **second[1]}
        return len(items), {}

    # Fulfillment and cancellation out

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        """One shipment per shipping address the lines go to; answers the shipment ids."""
        order_id = fulfillment.platform_order_id
        existing = await self._all_pages(f"/v2/orders/{order_id}/shipments")
        if fulfillment.reference:
            mine = [
                str(s["id"])
                for s in existing
                if s.get("comments") == REFERENCE_PREFIX + fulfillment.reference
            ]
            if mine:
                return ",".join(mine)
        products = await self._all_pages(f"/v2/orders/{order_id}/products")
        address_of = {str(p["id"]): int(p["order_address_id"]) for p in products}
        by_address: dict[int, list[FulfilledLine]] = defaultdict(list)
        for line in fulfillment.lines:
            if line.platform_line_id not in address_of:
                raise PlatformRefused(
                    f"bigcommerce order {order_id} has no product line {line.platform_line_id}"
                )
            by_address[address_of[line.platform_line_id]].append(line)
        ids = []
        for address_id, lines in by_address.items():
            body = shipment_body(fulfillment, order_address_id=address_id, lines=lines)
            shipment = await self._call("POST", f"/v2/orders/{order_id}/shipments", json=body)
            ids.append(str(shipment["id"]))
        return ",".join(ids)

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        """Sets status Cancelled; BigCommerce's v2 order has no field for the reason."""
        await self._call(
            "PUT",
            f"/v2/orders/{platform_order_id}",
            json={"status_id": int(OrderStatus.CANCELLED)},
        )

    # Subscriptions and health

    async def register_webhooks(self, url: str) -> list[str]:
        """Creates the order hooks this URL lacks; BigCommerce takes one hook per call."""
        present = {
            hook["scope"]
            for hook in await self._hooks()
            if hook.get("destination") == url and hook.get("is_active")
        }
        for scope in ORDER_SCOPES:
            if scope not in present:
                body = {"scope": scope, "destination": url, "is_active": True}
                await self._call("POST", "/v3/hooks", json=body)
        return list(ORDER_SCOPES)

    async def _hooks(self) -> list[dict[str, Any]]:
        hooks: list[dict[str, Any]] = []
        page = 1
        while True:
            body = await self._call("GET", "/v3/hooks", params={"page": page, "limit": PAGE_LIMIT})
            hooks.extend(body["data"])
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if page >= int(pagination.get("total_pages") or 1):
                return hooks
            page += 1

    async def check(self) -> None:
        await self._call("GET", "/v2/store")
