"""The order pull's cursor and window. WooCommerce filters `modified_after` strictly and to the
second, so a pull asks from one second before its cursor and drops what the cursor has seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orderly.connections.platforms.woocommerce.mapping import gmt

PER_PAGE = 100  # WooCommerce's maximum per_page


@dataclass(frozen=True, order=True, slots=True)
class Seen:
    """Where a pull stands: the last change captured, by modified time (GMT) and then id."""

    modified: datetime
    order_id: int

    def encode(self) -> str:
        return f"{self.modified.strftime('%Y-%m-%dT%H:%M:%S')}|{self.order_id}"

    @classmethod
    def decode(cls, cursor: str) -> Seen:
        moment, _, order_id = cursor.partition("|")
        parsed = gmt(moment)
        if parsed is None:
            raise ValueError(f"not a WooCommerce cursor: {cursor!r}")
        return cls(parsed, int(order_id or 0))

    @classmethod
    def of(cls, order: dict[str, Any]) -> Seen:
        moment = gmt(order.get("date_modified_gmt")) or gmt(order.get("date_created_gmt"))
        return cls(moment or datetime.min.replace(tzinfo=UTC), int(order["id"]))


def window_params(anchor: datetime, page: int) -> dict[str, str | int]:
    """One page of the orders changed at or after `anchor`'s second, oldest change first; the
    id breaks ties, as WooCommerce orders by `modified ID`."""
    return {
        "orderby": "modified",
        "order": "asc",
        "modified_after": (anchor - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "dates_are_gmt": "true",
        "per_page": PER_PAGE,
        "page": page,
    }
