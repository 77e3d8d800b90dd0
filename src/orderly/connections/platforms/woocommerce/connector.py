"""The WooCommerce connector: REST API v3 under {base_url}/wp-json/wc/v3, keys from WooCommerce >
Settings > Advanced > REST API, webhooks signed with the connection's webhook secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.woocommerce import fulfillment, stock
from orderly.connections.platforms.woocommerce.auth import store_auth
from orderly.connections.platforms.woocommerce.mapping import channel_order
from orderly.connections.platforms.woocommerce.pull import PER_PAGE, Seen, window_params
from orderly.connections.platforms.woocommerce.signature import (
    SIGNATURE_HEADER,
    is_ping,
    signature_matches,
)
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

API = "/wp-json/wc/v3"
ORDER_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
DEFAULT_FIRST_PULL_DAYS = 30


class WooCommerceConnector:
    platform: ClassVar[str] = "woocommerce"
    credential_keys: ClassVar[tuple[str, ...]] = (
        "consumer_key",
        "consumer_secret",
        "webhook_secret",
    )
    sends_webhooks: ClassVar[bool] = True

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.http = access.http
        self.base_url = access.base_url.rstrip("/")
        self._auth = store_auth(
            self.base_url,
            access.credentials["consumer_key"],
            access.credentials["consumer_secret"],
        )

    # --- calls -------------------------------------------------------------------------------

    async def call(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> httpx.Response:
        """One authenticated call; `path` is under /wp-json (e.g. "/wc/v3/orders")."""
        return await self.http.send(
            method, f"{self.base_url}/wp-json{path}", params=params, json=json, auth=self._auth
        )

    async def api(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        response = await self.call(method, f"/wc/v3{path}", params=params, json=json)
        return response.json()

    # --- webhooks in -------------------------------------------------------------------------

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        headers = request.headers
        if is_ping(headers, request.body):
            return None
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise WebhookRefused("WooCommerce webhook without X-WC-Webhook-Signature")
        if not signature_matches(
            request.body, signature, self.access.credentials["webhook_secret"]
        ):
            raise WebhookRefused("WooCommerce webhook signature does not match")
        topic = headers.get("x-wc-webhook-topic") or ""
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise WebhookRefused("WooCommerce webhook body is not JSON") from None
        if not isinstance(payload, dict):
            raise WebhookRefused("WooCommerce webhook body is not a JSON object")
        resource = headers.get("x-wc-webhook-resource") or topic.partition(".")[0]
        # The delivery id is a hash of the webhook id and the second it was sent, so two
        # deliveries of one webhook in the same second share it: the body tells them apart.
        delivery = headers.get("x-wc-webhook-delivery-id") or ""
        digest = hashlib.sha256(request.body).hexdigest()[:16]
        return InboundEvent(
            event_id=f"{delivery}:{digest}" if delivery else digest,
            topic=topic,
            payload=payload,
            platform_order_id=str(payload["id"])
            if resource == "order" and "id" in payload
            else None,
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        if "line_items" in event.payload and "date_created_gmt" in event.payload:
            return channel_order(event.payload)
        # order.deleted carries only the id: a trashed order is still readable (status
        # "trash", mapped as cancelled); one deleted for good is gone.
        try:
            return await self.fetch_order(event.platform_order_id)
        except PlatformRefused as refused:
            if refused.extra.get("vendor_status") == 404:
                return None
            raise

    # --- orders ------------------------------------------------------------------------------

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return channel_order(await self.api("GET", f"/orders/{int(platform_order_id)}"))

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        if cursor:
            seen = Seen.decode(cursor)
        else:
            days = int(self.access.settings.get("first_pull_days", DEFAULT_FIRST_PULL_DAYS))
            start = (utcnow() - timedelta(days=days)).replace(microsecond=0)
            seen = Seen(start, 0)
        anchor, page = seen.modified, 1
        while True:
            response = await self.call("GET", "/wc/v3/orders", params=window_params(anchor, page))
            rows: list[dict[str, Any]] = response.json()
            fresh = [row for row in rows if Seen.of(row) > seen]
            if fresh:
                seen = Seen.of(fresh[-1])
                yield OrderPage(tuple(channel_order(row) for row in fresh), seen.encode())
            pages = int(response.headers.get("x-wp-totalpages") or page)
            if len(rows) < PER_PAGE or page >= pages:
                return
            # Ask again from the newest second seen: an order changed meanwhile has moved to the
            # end and is met there, where page numbers alone would skip one.
            last = Seen.of(rows[-1]).modified
            anchor, page = (last, 1) if last > anchor else (anchor, page + 1)

    # --- catalog and stock -------------------------------------------------------------------

    async def listings(self) -> AsyncIterator[Sequence[Listing]]:
        async for found in stock.listings(self):
            yield found

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        return await stock.push(self, quantities)

    # --- fulfillment and cancellation --------------------------------------------------------

    async def push_fulfillment(self, push: FulfillmentPush) -> str:
        return await fulfillment.push(self, push)

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        order_id = int(platform_order_id)
        order = await self.api("GET", f"/orders/{order_id}")
        if order.get("status") != "cancelled":
            await self.api("PUT", f"/orders/{order_id}", json={"status": "cancelled"})
        if reason:
            await fulfillment.add_note_once(
                self, order_id, f"Cancelled in Orderly: {reason}", customer=False
            )

    # --- setup -------------------------------------------------------------------------------

    async def register_webhooks(self, url: str) -> list[str]:
        """One webhook per order topic, signed with the connection's secret. Registering again
        repairs: a webhook WooCommerce disabled after failed deliveries is switched back on."""
        existing: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            rows = await self.api("GET", "/webhooks", params={"per_page": PER_PAGE, "page": page})
            for row in rows:
                if row.get("delivery_url") == url and row.get("topic") in ORDER_TOPICS:
                    existing[row["topic"]] = row
            if len(rows) < PER_PAGE:
                break
            page += 1
        secret = self.access.credentials["webhook_secret"]
        for topic in ORDER_TOPICS:
            hook = existing.get(topic)
            if hook is None:
                body = {
                    "name": f"Orderly {topic}",
                    "topic": topic,
                    "delivery_url": url,
                    "secret": secret,
                    "status": "active",
                }
                await self.api("POST", "/webhooks", json=body)
            else:
                # The secret is write-only, so it is set again rather than compared.
                update = {"status": "active", "secret": secret}
                await self.api("PUT", f"/webhooks/{hook['id']}", json=update)
        return list(ORDER_TOPICS)

    async def check(self) -> None:
        await self.call("GET", "/wc/v3/orders", params={"per_page": 1, "_fields": "id"})
