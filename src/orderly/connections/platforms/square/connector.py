"""The Square connector: a seller's orders through the Orders API (searched by update time,
retrieved by id), SKUs through the Catalog API, stock through the Inventory API, and shipments
and cancellations through UpdateOrder; every call carries the seller's access token and a
pinned `Square-Version`, so that Square answers in the shape this module reads."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from orderly.connections.errors import CredentialsRefused, PlatformRefused, WebhookRefused
from orderly.connections.platforms.square import catalog, signature
from orderly.connections.platforms.square.catalog import SkuResolver
from orderly.connections.platforms.square.cursor import PullCursor
from orderly.connections.platforms.square.errors import codes_of, describe, read_refusals
from orderly.connections.platforms.square.errors import square_errors as errors_in
from orderly.connections.platforms.square.fulfillment import (
    already_pushed,
    cancellation_update,
    shipment_update,
)
from orderly.connections.platforms.square.mapping import (
    OrderState,
    channel_order,
    is_sale,
    platform_time,
)
from orderly.connections.platforms.square.stock import Count, physical_count, push_counts
from orderly.connections.platforms.square.throttle import back_off_on_429
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

SQUARE_VERSION = "2025-08-20"  # the API version this connector reads; `square_version` overrides
ORDER_EVENTS = ("order.created", "order.updated", "order.fulfillment.updated")
SEARCH_LOCATIONS_MAX = 10  # location ids in one SearchOrders
SEARCH_LIMIT_MAX = 1000
DEFAULT_PAGE_SIZE = 500  # Square's default page of SearchOrders
PULLED_STATES = [OrderState.OPEN.value, OrderState.COMPLETED.value, OrderState.CANCELED.value]
FIRST_PULL_DAYS = 30
VERSION_ATTEMPTS = 3  # an update that lost the race to another writer reads the order again


class SquareConnector:
    platform: ClassVar[str] = "square"
    credential_keys: ClassVar[tuple[str, ...]] = ("access_token", "webhook_signature_key")
    sends_webhooks: ClassVar[bool] = True

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.settings = access.settings
        self.http = access.http
        self.base_url = access.base_url.rstrip("/")
        self.headers = {
            "Authorization": f"Bearer {access.credentials['access_token']}",
            "Square-Version": str(self.settings.get("square_version") or SQUARE_VERSION),
            "Accept": "application/json",
        }
        back_off_on_429(self.http)
        read_refusals(self.http)
        self.skus = SkuResolver(self._post)
        self._active_locations: list[str] | None = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.send(
            method, f"{self.base_url}{path}", headers=self.headers, **kwargs
        )
        return json.loads(response.content) if response.content else {}

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._call("POST", path, json=body)

    async def _get(self, path: str, params: dict[str, str]) -> Any:
        return await self._call("GET", path, params=params)

    # Locations

    def _named_locations(self) -> list[str]:
        """The locations the connection's settings name: `location_id`, then `location_map`."""
        named = [self.settings.get("location_id"), *(self.settings.get("location_map") or {})]
        return list(dict.fromkeys(str(n) for n in named if n))

    async def _active(self) -> list[str]:
        if self._active_locations is None:
            body = await self._get("/v2/locations", {})
            self._active_locations = [
                str(loc["id"])
                for loc in body.get("locations") or []
                if loc.get("status") == "ACTIVE"
            ]
        return self._active_locations

    async def _searched_locations(self) -> list[str]:
        locations = self._named_locations() or await self._active()
        if not locations:
            raise PlatformRefused("the Square account has no active location")
        if len(locations) > SEARCH_LOCATIONS_MAX:
            raise PlatformRefused(
                f"Square searches at most {SEARCH_LOCATIONS_MAX} locations: name the ones to "
                "pull in the connection's location_id and location_map"
            )
        return locations

    async def _stock_location(self) -> str | None:
        """Where a quantity that names no location is counted: `location_id`, or the seller's
        only active location."""
        if self.settings.get("location_id"):
            return str(self.settings["location_id"])
        active = await self._active()
        return active[0] if len(active) == 1 else None

    # Webhooks in

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """Order events only; another seller's event (an app that many sellers authorized sends
        them all to every subscription) is answered and not kept when `merchant_id` is set."""
        try:
            signature.verify(
                self.access.credentials["webhook_signature_key"],
                request.headers,
                request.body,
                notification_url=request.url,
            )
        except signature.SignatureInvalid as refused:
            raise WebhookRefused(f"square webhook refused: {refused}") from None
        payload = json.loads(request.body)
        merchant = self.settings.get("merchant_id")
        if merchant and payload.get("merchant_id") != merchant:
            return None
        topic = str(payload.get("type") or "")
        if topic not in ORDER_EVENTS or not payload.get("event_id"):
            return None
        order_id = (payload.get("data") or {}).get("id")
        return InboundEvent(
            event_id=str(payload["event_id"]),
            topic=topic,
            payload=payload,
            platform_order_id=str(order_id) if order_id else None,
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        """None for an order that is not a sale yet (a draft, an unpaid cart, a return) or that
        belongs to a location the connection does not pull."""
        if event.platform_order_id is None:
            return None
        order = await self._order(event.platform_order_id)
        named = self._named_locations()
        if not is_sale(order) or (named and order.get("location_id") not in named):
            return None
        return (await self._mapped([order]))[0]

    # Orders in

    async def _order(self, platform_order_id: str) -> dict[str, Any]:
        body = await self._get(f"/v2/orders/{platform_order_id}", {})
        order: dict[str, Any] = body["order"]
        return order

    async def _mapped(self, orders: Sequence[dict[str, Any]]) -> list[ChannelOrder]:
        variations = await self.skus.resolve(
            str(item.get("catalog_object_id") or "")
            for order in orders
            for item in order.get("line_items") or ()
        )
        return [channel_order(order, variations) for order in orders]

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return (await self._mapped([await self._order(platform_order_id)]))[0]

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        """SearchOrders over the connection's locations, by `updated_at` from the cursor, oldest
        first. Square's page cursor holds the original query, so the whole pull is one query;
        drafts are filtered out by Square, unpaid carts and returns here."""
        position = (
            PullCursor.parse(cursor)
            if cursor
            else PullCursor(since=utcnow() - timedelta(days=self._days()))
        )
        query = {
            "filter": {
                "state_filter": {"states": PULLED_STATES},
                "date_time_filter": {"updated_at": {"start_at": position.query_time()}},
            },
            "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
        }
        body: dict[str, Any] = {
            "location_ids": await self._searched_locations(),
            "query": query,
            "limit": self._page_size(),
        }
        while True:
            page = await self._post("/v2/orders/search", body)
            if page.get("errors") and not page.get("orders"):
                raise PlatformRefused(f"square search refused: {describe(errors_in(page))}")
            before, taken = str(position), []
            for order in page.get("orders") or []:
                order_id, updated = str(order["id"]), platform_time(order["updated_at"])
                if position.already_taken(order_id, updated):
                    continue
                if is_sale(order):
                    taken.append(order)
                position.take(order_id, updated)
            if taken or str(position) != before:
                yield OrderPage(orders=tuple(await self._mapped(taken)), cursor=str(position))
            if not page.get("cursor"):
                return
            body = {**body, "cursor": page["cursor"]}

    def _days(self) -> int:
        return int(self.settings.get("first_pull_days") or FIRST_PULL_DAYS)

    def _page_size(self) -> int:
        size = int(self.settings.get("page_size") or DEFAULT_PAGE_SIZE)
        return max(1, min(size, SEARCH_LIMIT_MAX))

    # Catalog and stock out

    def listings(self) -> AsyncIterator[Sequence[Listing]]:
        return catalog.listings(self._get)

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        """Physical counts of IN_STOCK units, by item variation and location."""
        default = None
        if any(not q.platform_location for q in quantities):
            default = await self._stock_location()
        counts, refused, now = [], {}, utcnow()
        for quantity in quantities:
            sku, variation = quantity.listing.sku, quantity.listing.variant_id
            location = quantity.platform_location or default
            if not variation:
                refused[sku] = "not in the Square catalog's listings (no item variation id)"
            elif not location:
                refused[sku] = "no Square location to count it at: set the location_id setting"
            else:
                change = physical_count(
                    variation_id=variation,
                    location_id=location,
                    available=quantity.available,
                    occurred_at=now,
                )
                counts.append(Count(sku=sku, change=change))
        result = await push_counts(self._post, counts)
        return StockPushResult(pushed=result.pushed, refused={**refused, **result.refused})

    # Fulfillment and cancellation out

    async def _update(self, platform_order_id: str, sparse: dict[str, Any]) -> None:
        # A new key per attempt: Square answers a repeated key with the order unchanged.
        body = {"order": sparse, "idempotency_key": str(uuid.uuid4())}
        await self._call("PUT", f"/v2/orders/{platform_order_id}", json=body)

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        """Records the parcel on the order's shipment fulfillment; answers its uid."""
        order_id = fulfillment.platform_order_id
        for attempt in range(1, VERSION_ATTEMPTS + 1):
            order = await self._order(order_id)
            done = already_pushed(order, fulfillment.reference)
            if done is not None:
                return done
            uid, sparse = shipment_update(order, fulfillment)
            try:
                await self._update(order_id, sparse)
            except PlatformRefused as refusal:
                if "VERSION_MISMATCH" in codes_of(refusal) and attempt < VERSION_ATTEMPTS:
                    continue
                raise
            return uid
        raise AssertionError("unreachable")  # pragma: no cover

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        """Sets the order and its open fulfillments CANCELED; Square refunds nothing by it."""
        for attempt in range(1, VERSION_ATTEMPTS + 1):
            order = await self._order(platform_order_id)
            if order.get("state") == OrderState.CANCELED:
                return
            try:
                await self._update(platform_order_id, cancellation_update(order, reason=reason))
            except PlatformRefused as refusal:
                if "VERSION_MISMATCH" in codes_of(refusal) and attempt < VERSION_ATTEMPTS:
                    continue
                raise
            return

    # Subscriptions and health

    async def register_webhooks(self, url: str) -> list[str]:
        """Square's subscriptions belong to the application, not the seller: they are managed
        with the application's personal access token, and each has its own signature key. So
        Orderly never creates one (it could not learn the key): it completes the event types of
        the subscription to `url`, and answers [] when there is none or the token may not
        manage them."""
        try:
            subscriptions = await self._subscriptions()
        except (CredentialsRefused, PlatformRefused):
            return []
        mine = next(
            (s for s in subscriptions if s.get("notification_url") == url and s.get("enabled")),
            None,
        )
        if mine is None:
            return []
        present = list(mine.get("event_types") or [])
        missing = [event for event in ORDER_EVENTS if event not in present]
        if missing:
            body = {"subscription": {"event_types": [*present, *missing]}}
            await self._call("PUT", f"/v2/webhooks/subscriptions/{mine['id']}", json=body)
        return list(ORDER_EVENTS)

    async def _subscriptions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            body = await self._get("/v2/webhooks/subscriptions", params)
            found.extend(body.get("subscriptions") or [])
            if not body.get("cursor"):
                return found
            params = {"cursor": str(body["cursor"])}

    async def check(self) -> None:
        """Lists the seller's locations: the token works, and the named locations are its."""
        self._active_locations = None
        active = await self._active()
        unknown = [loc for loc in self._named_locations() if loc not in active]
        if unknown:
            raise PlatformRefused(
                f"the Square account has no active location {', '.join(unknown)}",
                field="settings.location_id",
            )
