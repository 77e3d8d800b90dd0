"""The Flipkart connector: a seller's shipments (one Orderly order each) in by search and by
signed notification; stock, labels, dispatch (Flipkart's logistics or self-ship) and seller
cancellations out, every call with a token from the client-credentials grant."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from orderly.connections.errors import PlatformBusy, PlatformRefused, WebhookRefused
from orderly.connections.platforms.flipkart import fulfillment, labels, listings, orders, signature
from orderly.connections.platforms.flipkart import shipment as fk
from orderly.connections.platforms.flipkart.api import FlipkartApi
from orderly.connections.platforms.flipkart.cursor import PullCursor
from orderly.connections.platforms.flipkart.labels import LabelRequest
from orderly.connections.platforms.flipkart.mapping import channel_order
from orderly.connections.platforms.flipkart.shipment import ItemStatus, ShippedBy
from orderly.connections.platforms.flipkart.stock import Inventory, push_inventory
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
WEBHOOK_MAX_AGE_MINUTES = 24 * 60
SELF_SHIP_DELIVERY_DAYS = 5
# Flipkart makes labels in 5 to 10 seconds, sometimes up to 30 minutes: a push waits a little,
# then is tried again later by its job.
LABEL_POLLS, LABEL_POLL_SECONDS, LABEL_RETRY_AFTER = 4, 5.0, 120
SHIPMENT_EVENT = "shipment_"


class FlipkartConnector:
    platform: ClassVar[str] = "flipkart"
    credential_keys: ClassVar[tuple[str, ...]] = ("app_id", "app_secret")
    sends_webhooks: ClassVar[bool] = True
    # Flipkart publishes no rate limit: calls slow down at its 429s.
    rate_limits: ClassVar[tuple[str, ...]] = (
        "no published rate limit: calls wait out a 429",
        "inventory updates of at most 10 SKUs a call",
    )

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.settings = access.settings
        self.api = FlipkartApi(access)

    def _option(self, name: str, default: int) -> int:
        return int(self.settings.get(name) or default)

    # Notifications in

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """Shipment notifications only (returns are answered and not kept). The body is not
        signed: the event is only a pointer to the shipment, which is read from the API."""
        credentials = self.access.credentials
        try:
            signature.verify(
                app_id=credentials["app_id"],
                app_secret=credentials["app_secret"],
                headers=request.headers,
                url=request.url,
                now=utcnow(),
                max_age=timedelta(
                    minutes=self._option("webhook_max_age_minutes", WEBHOOK_MAX_AGE_MINUTES)
                ),
            )
        except signature.SignatureInvalid as refused:
            raise WebhookRefused(f"flipkart notification refused: {refused}") from None
        try:
            payload = json.loads(request.body)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        topic, shipment_id = str(payload.get("eventType") or ""), payload.get("shipmentId")
        if not topic.startswith(SHIPMENT_EVENT) or not shipment_id:
            return None
        # Flipkart's notifications carry no id: a shipment's event is known by its time.
        when = payload.get("timestamp") or request.headers.get("x_date", "")
        return InboundEvent(
            event_id=f"{shipment_id}:{topic}:{when}",
            topic=topic,
            payload=payload,
            platform_order_id=str(shipment_id),
        )

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        if event.platform_order_id is None:
            return None
        return await self.fetch_order(event.platform_order_id)

    # Orders in

    async def _shipment(self, shipment_id: str) -> dict[str, Any]:
        found = await orders.by_ids(self.api, [shipment_id])
        match = [s for s in found if str(s.get("shipmentId")) == shipment_id]
        if not match:
            raise PlatformRefused(
                f"flipkart has no shipment {shipment_id}", extra={"vendor_status": 404}
            )
        return match[0]

    async def _mapped(self, shipments: Sequence[dict[str, Any]]) -> list[ChannelOrder]:
        ids = [str(s["shipmentId"]) for s in shipments if s.get("shipmentId")]
        details = await orders.shipping_details(self.api, ids) if ids else {}
        mapped = [channel_order(s, details.get(str(s["shipmentId"]))) for s in shipments]
        return sorted(mapped, key=lambda order: order.updated_at)

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return (await self._mapped([await self._shipment(platform_order_id)]))[0]

    async def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        """Every shipment changed in the window from the cursor to now: those before
        dispatch (held ones too), after dispatch, and cancelled, in that order."""
        now = utcnow()
        days = self._option("first_pull_days", FIRST_PULL_DAYS)
        start = PullCursor.parse(cursor) if cursor else PullCursor(since=now - timedelta(days=days))
        size = max(1, min(self._option("page_size", orders.PAGE_SIZE), orders.PAGE_SIZE))
        async for shipments, after in orders.changed(self.api, start.window(now), size):
            taken = tuple(await self._mapped(shipments)) if shipments else ()
            yield OrderPage(orders=taken, cursor=str(after))

    # Listings and stock out

    def listings(self) -> AsyncIterator[Sequence[Listing]]:
        return listings.every_listing(self.api)

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        """Units by SKU and Flipkart location (the quantity's, else `location_id`)."""
        default = self.settings.get("location_id")
        refused: dict[str, str] = {}
        updates: dict[str, Inventory] = {}
        for quantity in quantities:
            sku, location = quantity.listing.sku, quantity.platform_location or default
            if not location:
                refused[sku] = "no Flipkart location to set it at: set the location_id setting"
                continue
            update = updates.setdefault(sku, Inventory(sku, quantity.listing.product_id or ""))
            update.units[str(location)] = quantity.available
        unknown = [u.sku for u in updates.values() if not u.product_id]
        if unknown:
            known = await listings.by_skus(self.api, unknown)
            for sku in unknown:
                product = str((known.get(sku) or {}).get("product_id") or "")
                if product:
                    updates[sku].product_id = product
                else:
                    refused[sku] = "not listed on Flipkart"
                    del updates[sku]
        result = await push_inventory(self.api.post, list(updates.values()))
        return StockPushResult(pushed=result.pushed, refused={**refused, **result.refused})

    # Labels and invoices (for the shipments Flipkart's logistics carry)

    async def _gst_rates(self, skus: Sequence[str]) -> dict[str, Decimal]:
        rates: dict[str, Decimal] = {}
        for sku, detail in (await listings.by_skus(self.api, skus)).items():
            rate = (detail.get("tax") or {}).get("goods_services_rate")
            if rate is not None:
                rates[sku] = Decimal(str(rate))
        fallback = self.settings.get("gst_rate")
        if fallback is not None and str(fallback) != "":
            try:
                rates = {sku: rates.get(sku, Decimal(str(fallback))) for sku in skus}
            except InvalidOperation:
                raise PlatformRefused(f"the gst_rate option {fallback!r} is no number") from None
        return rates

    async def generate_labels(self, shipment_ids: Sequence[str]) -> LabelRequest:
        """Asks Flipkart to pack the shipments and make their labels and invoices (ready to
        download some seconds later). Self-ship, cancelled, held or unknown shipments are
        refused by id, with the reason."""
        found = {str(s.get("shipmentId")): s for s in await orders.by_ids(self.api, shipment_ids)}
        refused: dict[str, str] = {}
        ready = []
        for shipment_id in dict.fromkeys(shipment_ids):
            shipment = found.get(shipment_id)
            reason = _why_no_label(shipment)
            if reason:
                refused[shipment_id] = reason
            elif shipment is not None:
                ready.append(shipment)
        skus = sorted({str(i.get("sku")) for s in ready for i in fk.live_items(s)})
        rates = await self._gst_rates(skus) if skus else {}
        asked = await labels.generate(
            self.api, ready, rates, utcnow().astimezone(fulfillment.INDIA).date()
        )
        return LabelRequest(generating=asked.generating, refused={**refused, **asked.refused})

    async def label_pdf(self, shipment_ids: Sequence[str], *, reprint: bool = False) -> bytes:
        """The shipping labels as one PDF, for up to 50 shipments."""
        return await labels.label_pdf(self.api, shipment_ids, reprint=reprint)

    async def invoice_pdf(self, shipment_ids: Sequence[str]) -> bytes:
        return await labels.invoice_pdf(self.api, shipment_ids)

    # Shipments and cancellations out

    async def push_fulfillment(self, fulfillment_push: FulfillmentPush) -> str:
        """Marks the shipment ready for Flipkart's courier (making its labels first if none
        were made), or dispatched by the seller's courier; answers the shipment id."""
        shipment_id = fulfillment_push.platform_order_id
        shipment = await self._shipment(shipment_id)
        carried_by, state = fk.shipped_by(shipment), fk.status(shipment)
        done = fk.HANDED_OVER if carried_by is ShippedBy.SELLER else fk.DISPATCHED
        if state in done:
            return shipment_id
        fulfillment.refuse_unless_actionable(shipment, utcnow())
        fulfillment.refuse_unless_whole(shipment, fulfillment_push)
        if carried_by is ShippedBy.SELLER:
            body = fulfillment.self_ship_request(
                shipment,
                fulfillment_push,
                partner_code=str(self.settings.get("delivery_partner_code") or "") or None,
                delivery_days=self._option("self_ship_delivery_days", SELF_SHIP_DELIVERY_DAYS),
            )
            answer = await self.api.post(fulfillment.SELF_SHIP_DISPATCH, body)
            fulfillment.refuse_if_refused(answer, "self-ship dispatch")
            return shipment_id
        if state is ItemStatus.APPROVED:
            asked = await self.generate_labels([shipment_id])
            if shipment_id in asked.refused:
                raise PlatformRefused(f"flipkart made no labels: {asked.refused[shipment_id]}")
        shipment = await self._packed(shipment_id)
        if fk.status(shipment) is ItemStatus.PACKED:
            answer = await self.api.post(fulfillment.DISPATCH, fulfillment.ready_request(shipment))
            fulfillment.refuse_if_refused(answer, "ready-to-dispatch")
        return shipment_id

    async def _packed(self, shipment_id: str) -> dict[str, Any]:
        """The shipment once its labels are made (or it has gone further)."""
        for attempt in range(LABEL_POLLS):
            shipment = await self._shipment(shipment_id)
            state = fk.status(shipment)
            if state is ItemStatus.PACKED or state in fk.DISPATCHED:
                return shipment
            if state is ItemStatus.FORM_FAILED:
                raise PlatformRefused(
                    f"the logistics form of flipkart shipment {shipment_id} failed: give its "
                    "acknowledgement number on Flipkart's seller portal"
                )
            if state not in (ItemStatus.APPROVED, ItemStatus.PACKING_IN_PROGRESS):
                raise PlatformRefused(
                    f"flipkart shipment {shipment_id} is {state.value}; it cannot be dispatched"
                )
            if attempt + 1 < LABEL_POLLS:
                await self.api.http.wait(LABEL_POLL_SECONDS)
        raise PlatformBusy(
            f"flipkart is still making the labels of {shipment_id}",
            extra={"retry_after": LABEL_RETRY_AFTER},
        )

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        """The seller's cancellation of the whole shipment; Flipkart counts it against the
        seller, and refuses it once the shipment is packed."""
        shipment = await self._shipment(platform_order_id)
        if fk.status(shipment) is ItemStatus.CANCELLED:
            return
        answer = await self.api.post(
            fulfillment.CANCEL, fulfillment.cancel_request(shipment, reason)
        )
        fulfillment.refuse_if_refused(answer, "cancellation")

    # Subscriptions and health

    async def register_webhooks(self, url: str) -> list[str]:
        """Flipkart subscribes a notification URL on request by e-mail, not through its
        API (docs/channels.md says how): nothing is subscribed here."""
        return []

    async def check(self) -> None:
        """A token, and one search of a single shipment: the application may read orders."""
        await self.api.token()
        now = utcnow()
        window = PullCursor(since=now - timedelta(days=1), until=now)
        await self.api.post(orders.FILTER, orders.search_body(orders.STREAMS[0], window, 1))


def _why_no_label(shipment: dict[str, Any] | None) -> str | None:
    if shipment is None:
        return "no such Flipkart shipment"
    if fk.shipped_by(shipment) is not ShippedBy.FLIPKART:
        return "Flipkart's logistics do not carry it: it has no Flipkart label"
    if fk.status(shipment) is ItemStatus.CANCELLED:
        return "cancelled on Flipkart"
    if shipment.get("hold"):
        return "on hold at Flipkart"
    if fk.status(shipment) is not ItemStatus.APPROVED:
        return f"its labels are already made ({fk.status(shipment).value}): download them"
    return None
