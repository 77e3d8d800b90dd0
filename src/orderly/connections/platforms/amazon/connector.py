"""The Amazon connector: a seller's orders in one marketplace through the Selling Partner API
(Orders v0, with a Restricted Data Token for the buyer and address), SKUs and stock through
the Listings Items API, and shipments through confirmShipment. Amazon sends no webhooks to a
seller's own address, so orders come by the pull only; cancellations are made in Seller
Central."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import ClassVar
from urllib.parse import quote

from orderly.connections.errors import PlatformRefused, WebhookRefused
from orderly.connections.platforms.amazon import listings as catalog
from orderly.connections.platforms.amazon.api import ORDERS_PATH, AmazonApi
from orderly.connections.platforms.amazon.fulfillment import (
    package_reference,
    shipment_confirmation,
)
from orderly.connections.platforms.amazon.listings import Seller
from orderly.connections.platforms.amazon.orders import PAGE_MAX, OrderReader, PullPlan
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

FIRST_PULL_DAYS = 30
PULL_WINDOW_HOURS = 72
CANCEL_IN_SELLER_CENTRAL = (
    "Amazon's API has no cancellation of a seller-fulfilled order: cancel order {order} in "
    "Seller Central (Manage Orders), and the pull brings the cancellation back"
)


class AmazonConnector:
    platform: ClassVar[str] = "amazon"
    credential_keys: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")
    sends_webhooks: ClassVar[bool] = False
    # The documented limits its calls keep to (shown on the connection).
    rate_limits: ClassVar[tuple[str, ...]] = (
        "getOrders 0.0167 a second, burst 20",
        "getOrderItems 0.5 a second, burst 30: about 1,800 orders an hour",
        "patchListingsItem 5 a second, burst 5",
        "confirmShipment 2 a second, burst 10",
    )

    def __init__(self, access: PlatformAccess) -> None:
        self.access = access
        self.settings = access.settings
        self.api = AmazonApi(access, seller_id=str(self.settings.get("seller_id") or ""))
        self.reader = OrderReader(self.api, self._plan())

    def _setting(self, name: str) -> str:
        value = str(self.settings.get(name) or "").strip()
        if not value:
            raise PlatformRefused(
                f"an Amazon connection needs the setting {name}", field=f"settings.{name}"
            )
        return value

    def _seller(self) -> Seller:
        return Seller(
            seller_id=self._setting("seller_id"), marketplace_id=self._setting("marketplace_id")
        )

    def _number(self, name: str, default: int, *, most: int | None = None) -> int:
        """A whole-number setting or option, at least 1 (and at most `most`)."""
        given = self.settings.get(name)
        try:
            value = max(int(given or default), 1)
        except (TypeError, ValueError):
            raise PlatformRefused(
                f"the Amazon option {name} must be a whole number, not {given!r}",
                field=f"settings.options.{name}",
            ) from None
        return min(value, most) if most is not None else value

    def _plan(self) -> PullPlan:
        return PullPlan(
            marketplace_id=str(self.settings.get("marketplace_id") or ""),
            first_pull=timedelta(days=self._number("first_pull_days", FIRST_PULL_DAYS)),
            window=timedelta(hours=self._number("pull_window_hours", PULL_WINDOW_HOURS)),
            page_size=self._number("page_size", PAGE_MAX, most=PAGE_MAX),
        )

    # No webhooks

    def read_webhook(self, request: InboundRequest) -> InboundEvent | None:
        """Amazon delivers its notifications to SQS or EventBridge, never to a URL of ours."""
        raise WebhookRefused("amazon sends no webhooks: its orders come by the pull")

    async def order_of_event(self, event: InboundEvent) -> ChannelOrder | None:
        """Amazon's events never reach the inbox; an event that names an order reads it."""
        if event.platform_order_id is None:
            return None
        return await self.fetch_order(event.platform_order_id)

    async def register_webhooks(self, url: str) -> list[str]:
        return []

    # Orders in

    async def fetch_order(self, platform_order_id: str) -> ChannelOrder:
        return await self.reader.mapped(await self.reader.order(platform_order_id))

    def orders_changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        self._seller()
        return self.reader.changed_since(cursor)

    # Catalog and stock out

    def listings(self) -> AsyncIterator[Sequence[Listing]]:
        return catalog.listings(self.api, self._seller())

    async def push_stock(self, quantities: Sequence[StockQuantity]) -> StockPushResult:
        product_type = str(self.settings.get("product_type") or catalog.PRODUCT_TYPE)
        return await catalog.push_stock(
            self.api, self._seller(), quantities, product_type=product_type
        )

    # Shipments and cancellations out

    async def push_fulfillment(self, fulfillment: FulfillmentPush) -> str:
        """confirmShipment; answers the package's reference, which a retry sends again."""
        seller = self._seller()
        body = shipment_confirmation(fulfillment, marketplace_id=seller.marketplace_id)
        order = quote(fulfillment.platform_order_id, safe="")
        await self.api.call("POST", f"{ORDERS_PATH}/{order}/shipmentConfirmation", body=body)
        return package_reference(fulfillment)

    async def push_cancellation(self, platform_order_id: str, *, reason: str) -> None:
        raise PlatformRefused(CANCEL_IN_SELLER_CENTRAL.format(order=platform_order_id))

    # Health

    async def check(self) -> None:
        """A token, one listing of the seller in the marketplace (the seller and marketplace
        ids are right), and the order search's Restricted Data Token (the roles are granted)."""
        seller = self._seller()
        params = {"marketplaceIds": seller.marketplace_id, "pageSize": "1"}
        await self.api.call(
            "GET", f"{catalog.LISTINGS}/{quote(seller.seller_id, safe='')}", params=params
        )
        await self.api.restricted_token(ORDERS_PATH)
