"""The Shopify connector: orders in by webhook and by pull, catalog ids, stock, fulfillments and
cancellations out, all over the GraphQL Admin API."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.shopify import queries
from orderly.connections.platforms.shopify.client import ShopifyGraphql, refuse_on, user_errors
from orderly.connections.platforms.shopify.fulfillment import allocate
from orderly.connections.platforms.shopify.mapping import (
    gid,
    legacy_id,
    order_from_graphql,
    order_from_webhook,
    parse_time,
)
from orderly.connections.platforms.shopify.signature import delivery_key, is_signed_by, order_id_of
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

API_VERSION = "2026-10"
# Webhook topics Orderly subscribes to, as Shopify names them in headers and in its API's enum.
TOPICS: dict[str, str] = {
    "orders/create": "ORDERS_CREATE",
    "orders/updated": "ORDERS_UPDATED",
    "orders/cancelled": "ORDERS_CANCELLED",
    "orders/paid": "ORDERS_PAID",
    "refunds/create": "REFUNDS_CREATE",
}
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER")


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"
    credential_keys: ClassVar[tuple[str, ...]] = ("access_token", "client_secret")
    sends_webhooks: ClassVar[bool] = True

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        version = str(access.settings.get("api_version") or API_VERSION)
        self.graphql = ShopifyGraphql(
            access.http,
            endpoint=f"{access.base_url.rstrip('/')}/admin/api/{version}/graphql.json",
            access_token=access.credentials.get("access_token", ""),
        )
        self._primary_location: str | None = None

    # Webhooks in

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        secret = self.access.credentials.get("client_secret", "")
        if not is_signed_by(request.body, request.headers.get("x-shopify-hmac-sha256"), secret):
            raise WebhookRefused("missing or wrong X-Shopify-Hmac-Sha256")
        topic = request.headers.get("x-shopify-topic", "")
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise WebhookRefused("the webhook's body is not JSON") from None
        if not isinstance(payload, dict):
            raise WebhookRefused("the webhook's body is not a JSON object")
        return InboundEvent(
            event_id=delivery_key(request, topic),
            topic=topic,
            payload=payload,
            platform_order_id=order_id_of(topic, payload),
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.topic.startswith("orders/") and "line_items" in event.payload:
            return order_from_webhook(event.payload)
        if event.platform_order_id:
            return await self.fetch_order(event.platform_order_id)
        return None

    # Orders in

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        data = await self.graphql.call(queries.ORDER, {"id": gid("Order", platform_order_id)})
        raw = (data or {}).get("order")
        if raw is None:
            raise PlatformRefused(f"shopify has no order {platform_order_id}")
        return await self._with_all_lines(raw)

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        since = _read_cursor(cursor)
        search = f"updated_at:>='{since[0]}'" if since else None
        after: str | None = None
        while True:
            data = await self.graphql.call(
                queries.ORDERS_CHANGED,
                {"first": queries.ORDERS_PER_PAGE, "after": after, "query": search},
            )
            connection = data["orders"]
            orders = []
            for raw in connection["nodes"]:
                key = (_utc_text(raw["updatedAt"]), int(legacy_id(raw["id"])))
                if since and key <= since:
                    continue  # seen at the end of the last pull (same second)
                orders.append(await self._with_all_lines(raw))
                cursor = f"{key[0]}|{key[1]}"
            yield OrderPage(orders=tuple(orders), cursor=cursor)
            page = connection["pageInfo"]
            if not page["hasNextPage"]:
                return
            after = page["endCursor"]

    async def _with_all_lines(self, raw: dict[str, Any]) -> ChannelOrder:
        lines = list(raw["lineItems"]["nodes"])
        page = raw["lineItems"]["pageInfo"]
        while page["hasNextPage"]:
            data = await self.graphql.call(
                queries.MORE_LINES,
                {"id": raw["id"], "first": queries.LINES_PER_PAGE, "after": page["endCursor"]},
            )
            connection = data["order"]["lineItems"]
            lines.extend(connection["nodes"])
            page = connection["pageInfo"]
        return order_from_graphql(raw, lines)

    # Catalog

    async def listings(self) -> AsyncIterator[Sequence[Listing]]:
        async for variants in self._variants(None):
            yield [_listing(variant) for variant in variants if variant.get("sku")]

    async def _variants(self, search: str | None) -> AsyncIterator[list[dict[str, Any]]]:
        after: str | None = None
        while True:
            data = await self.graphql.call(
                queries.VARIANTS,
                {"first": queries.VARIANTS_PER_PAGE, "after": after, "query": search},
            )
            connection = data["productVariants"]
            yield list(connection["nodes"])
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]

    # Stock out

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        refused: dict[str, str] = {}
        items = await self._inventory_items(quantities, refused)
        pushed = 0
        for start in range(0, len(items), queries.QUANTITIES_PER_CALL):
            batch = items[start : start + queries.QUANTITIES_PER_CALL]
            pushed += await self._set_quantities(batch, refused)
        return StockPushResult(pushed=pushed, refused=refused)

    async def _inventory_items(
        self, quantities: Sequence[StockQuantity], refused: dict[str, str]
    ) -> list[tuple[str, dict[str, Any]]]:
        """(SKU, Shopify quantity input) for each quantity whose inventory item is known."""
        unknown = sorted({q.listing.sku for q in quantities if not q.listing.inventory_item_id})
        found: dict[str, str] = {}
        for start in range(0, len(unknown), 50):
            search = " OR ".join(f'sku:"{sku}"' for sku in unknown[start : start + 50])
            async for variants in self._variants(search):
                for variant in variants:
                    found.setdefault(variant.get("sku") or "", variant["inventoryItem"]["id"])
        items = []
        for quantity in quantities:
            sku = quantity.listing.sku
            item = quantity.listing.inventory_item_id or found.get(sku)
            if item is None:
                refused[sku] = "no Shopify variant has this SKU"
                continue
            location = quantity.platform_location or await self._default_location()
            items.append(
                (
                    sku,
                    {
                        "inventoryItemId": gid("InventoryItem", item),
                        "locationId": gid("Location", location),
                        "quantity": quantity.available,
                        # Orderly is the source of truth: no compare-and-swap.
                        "changeFromQuantity": None,
                    },
                )
            )
        return items

    async def _set_quantities(
        self, batch: list[tuple[str, dict[str, Any]]], refused: dict[str, str]
    ) -> int:
        """Sets the batch, leaving out the items Shopify refuses (it applies all or none)."""
        while batch:
            key = str(uuid.uuid4())  # one per request; the HTTP retries of it reuse it
            data = await self.graphql.call(
                queries.SET_QUANTITIES,
                {
                    "key": key,
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "referenceDocumentUri": f"gid://orderly/StockPush/{key}",
                        "quantities": [item for _, item in batch],
                    },
                },
            )
            errors = user_errors(data["inventorySetQuantities"])
            if not errors:
                return len(batch)
            bad = {_quantity_index(error): str(error.get("message")) for error in errors}
            if None in bad:
                refuse_on(errors, "set quantities")
            for index, message in bad.items():
                if index is not None and index < len(batch):
                    refused[batch[index][0]] = message
            batch = [item for index, item in enumerate(batch) if index not in bad]
        return 0

    async def _default_location(self) -> str:
        configured = self.access.settings.get("location_id")
        if configured:
            return str(configured)
        if self._primary_location is None:
            data = await self.graphql.call(queries.PRIMARY_LOCATION)
            if not (data or {}).get("location"):
                raise PlatformRefused("shopify has no primary location")
            self._primary_location = str(data["location"]["id"])
        return self._primary_location

    # Fulfillment and cancellation out

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        order_gid = gid("Order", fulfillment.platform_order_id)
        data = await self.graphql.call(queries.FULFILLMENT_ORDERS, {"id": order_gid})
        if not (data or {}).get("order"):
            raise PlatformRefused(f"shopify has no order {fulfillment.platform_order_id}")
        # fulfillmentCreate takes no idempotency key: a retry after an answer that was lost
        # finds the fulfillment it made by its tracking number instead of making another.
        for made in data["order"].get("fulfillments") or []:
            numbers = {t.get("number") for t in made.get("trackingInfo") or []}
            if fulfillment.tracking_number and fulfillment.tracking_number in numbers:
                return legacy_id(made["id"])
        by_order = allocate(fulfillment, data["order"]["fulfillmentOrders"]["nodes"])
        tracking = {
            "company": fulfillment.carrier,
            "number": fulfillment.tracking_number,
            "url": fulfillment.tracking_url,
        }
        payload = await self.graphql.call(
            queries.FULFILLMENT_CREATE,
            {
                "fulfillment": {
                    "lineItemsByFulfillmentOrder": [
                        {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": lines}
                        for fo_id, lines in by_order.items()
                    ],
                    "notifyCustomer": fulfillment.notify_customer,
                    "trackingInfo": {k: v for k, v in tracking.items() if v},
                }
            },
        )
        result = payload["fulfillmentCreate"]
        refuse_on(user_errors(result), "create the fulfillment")
        return legacy_id(result["fulfillment"]["id"])

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        code = reason.strip().upper()
        settings = self.access.settings
        data = await self.graphql.call(
            queries.ORDER_CANCEL,
            {
                "orderId": gid("Order", platform_order_id),
                "reason": code if code in CANCEL_REASONS else "OTHER",
                # Orderly pushes the available stock itself; a restock here would fight it.
                "restock": bool(settings.get("restock_on_cancel", False)),
                "notifyCustomer": bool(settings.get("notify_customer_on_cancel", False)),
                "refundMethod": {
                    "originalPaymentMethodsRefund": bool(settings.get("refund_on_cancel", True))
                },
                "staffNote": reason[:255] or None,
            },
        )
        result = data["orderCancel"]
        refuse_on(user_errors(result, "orderCancelUserErrors"), "cancel the order")

    # Set-up

    async def register_webhooks(self, url: str) -> list[str]:
        subscribed = []
        for topic, enum_value in TOPICS.items():
            data = await self.graphql.call(
                queries.WEBHOOK_SUBSCRIBE,
                {"topic": enum_value, "input": {"uri": url, "format": "JSON"}},
            )
            errors = [
                error
                for error in user_errors(data["webhookSubscriptionCreate"])
                if "already been taken" not in str(error.get("message"))
            ]
            refuse_on(errors, f"subscribe to {topic}")
            subscribed.append(topic)
        return subscribed

    async def check(self) -> None:
        await self.graphql.call(queries.SHOP)


def _utc_text(value: str) -> str:
    return parse_time(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    moment, _, order_id = cursor.partition("|")
    return _utc_text(moment), int(order_id or 0)


def _listing(variant: dict[str, Any]) -> Listing:
    return Listing(
        sku=str(variant["sku"]),
        product_id=legacy_id(variant["product"]["id"]),
        variant_id=legacy_id(variant["id"]),
        inventory_item_id=legacy_id(variant["inventoryItem"]["id"]),
    )


def _quantity_index(error: dict[str, Any]) -> int | None:
    field = error.get("field") or []
    if len(field) >= 3 and field[:2] == ["input", "quantities"] and str(field[2]).isdigit():
        return int(field[2])
    return None
