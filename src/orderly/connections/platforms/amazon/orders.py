"""A seller's orders through the Orders API v0: getOrders by `LastUpdatedAfter` in closed
windows that end two minutes ago (Amazon's floor for `LastUpdatedBefore`), paged with
`NextToken` under a Restricted Data Token, then getOrderItems for each order. Amazon does not
document the order of getOrders' results, so the cursor moves when a window is read to its end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from orderly.connections.platforms.amazon.api import ORDERS_PATH, AmazonApi, payload_of
from orderly.connections.platforms.amazon.cursor import PullCursor, amazon_time, iso
from orderly.connections.platforms.amazon.mapping import (
    TAKEN,
    channel_order,
    is_taken,
    needs_items,
)
from orderly.connections.port import ChannelOrder, OrderPage
from orderly.kit.clock import utcnow

PAGE_MAX = 100  # MaxResultsPerPage: 1 to 100
# LastUpdatedBefore must be at least two minutes before Amazon's now; a little more for clocks.
SETTLED = timedelta(minutes=2, seconds=30)


@dataclass(frozen=True, slots=True)
class PullPlan:
    marketplace_id: str
    first_pull: timedelta
    window: timedelta
    page_size: int


class OrderReader:
    def __init__(self, api: AmazonApi, plan: PullPlan) -> None:
        self.api = api
        self.plan = plan

    def _order_path(self, order_id: str) -> str:
        return f"{ORDERS_PATH}/{quote(order_id, safe='')}"

    async def items(self, order_id: str) -> list[dict[str, Any]]:
        """Every item of the order, following getOrderItems' `NextToken`."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] | None = None
        while True:
            path = f"{self._order_path(order_id)}/orderItems"
            body = await self.api.call("GET", path, params=params)
            payload = payload_of(body, "getOrderItems")
            found.extend(payload.get("OrderItems") or [])
            if not payload.get("NextToken"):
                return found
            params = {"NextToken": str(payload["NextToken"])}

    async def mapped(self, order: dict[str, Any]) -> ChannelOrder:
        items = await self.items(str(order["AmazonOrderId"])) if needs_items(order) else []
        return channel_order(order, items)

    async def order(self, order_id: str) -> dict[str, Any]:
        """getOrder, with an RDT for this order so that the buyer and address come with it."""
        body = await self.api.call("GET", self._order_path(order_id), restricted=True)
        return payload_of(body, "getOrder")

    async def changed_since(self, cursor: str | None) -> AsyncIterator[OrderPage]:
        now = utcnow().replace(microsecond=0)  # Amazon's times are whole seconds
        position = PullCursor.parse(cursor) if cursor else PullCursor(now - self.plan.first_pull)
        end = now - SETTLED
        start = position.since
        while start < end:
            stop = min(start + self.plan.window, end)
            async for page in self._window(position, start, stop):
                if page.cursor is not None:
                    position = PullCursor.parse(page.cursor)
                yield page
            start = stop

    async def _window(
        self, position: PullCursor, start: datetime, stop: datetime
    ) -> AsyncIterator[OrderPage]:
        """One closed window, page by page: the cursor comes with its last page only."""
        query = {
            "MarketplaceIds": self.plan.marketplace_id,
            "LastUpdatedAfter": iso(start),
            "LastUpdatedBefore": iso(stop),
            "OrderStatuses": ",".join(TAKEN),
            "MaxResultsPerPage": str(self.plan.page_size),
        }
        seen = PullCursor(since=position.since, seen=set(position.seen))
        params = dict(query)
        while True:
            body = await self.api.call("GET", ORDERS_PATH, params=params, restricted=True)
            payload = payload_of(body, "getOrders")
            fresh = []
            for order in payload.get("Orders") or []:
                order_id = str(order["AmazonOrderId"])
                updated = amazon_time(order["LastUpdateDate"])
                if position.already_taken(order_id, updated):
                    continue
                seen.take(order_id, updated)
                if is_taken(order):
                    fresh.append(order)
            fresh.sort(key=lambda o: (amazon_time(o["LastUpdateDate"]), o["AmazonOrderId"]))
            orders = tuple([await self.mapped(order) for order in fresh])
            token = payload.get("NextToken")
            if token:
                if orders:
                    yield OrderPage(orders=orders, cursor=None)
                params = {**query, "NextToken": str(token)}
                continue
            moved = seen.since > position.since or seen.seen != position.seen
            # A settled window with nothing new in it is done with up to its end.
            after = seen if moved else PullCursor(since=max(position.since, stop))
            yield OrderPage(orders=orders, cursor=str(after))
            return
