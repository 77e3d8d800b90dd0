"""Rules of the automation feature, no I/O: purchase-order states, how much to reorder, and
when an order's shipping promise falls due."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderly.kit.errors import IllegalTransition


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


P = PurchaseOrderStatus

PURCHASE_ORDER_TRANSITIONS: dict[PurchaseOrderStatus, frozenset[PurchaseOrderStatus]] = {
    P.DRAFT: frozenset({P.SUBMITTED, P.CANCELLED}),
    P.SUBMITTED: frozenset({P.PARTIALLY_RECEIVED, P.RECEIVED, P.CANCELLED}),
    P.PARTIALLY_RECEIVED: frozenset({P.PARTIALLY_RECEIVED, P.RECEIVED}),
    P.RECEIVED: frozenset(),
    P.CANCELLED: frozenset(),
}

# Purchase orders whose unreceived units count as "on order".
OPEN_PURCHASE_ORDER_STATUSES = (P.DRAFT, P.SUBMITTED, P.PARTIALLY_RECEIVED)


def ensure_purchase_order_transition(
    current: PurchaseOrderStatus, target: PurchaseOrderStatus
) -> None:
    if target not in PURCHASE_ORDER_TRANSITIONS[current]:
        raise IllegalTransition(
            f"a purchase order that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


def status_after_receipt(*, ordered: int, received: int) -> PurchaseOrderStatus:
    return P.RECEIVED if received >= ordered else P.PARTIALLY_RECEIVED


@dataclass(frozen=True, slots=True)
class ReplenishmentRule:
    reorder_point: int
    min_quantity: int
    max_quantity: int

    def problem(self) -> tuple[str, str] | None:
        if self.reorder_point < 0:
            return "reorder_point", "reorder_point must not be negative"
        if self.min_quantity < 0:
            return "min_quantity", "min_quantity must not be negative"
        if self.max_quantity < self.reorder_point:
            return "max_quantity", "max_quantity must be at least the reorder_point"
        return None


def reorder_quantity(
    rule: ReplenishmentRule, *, available: int, on_order: int, pack_size: int
) -> int:
    """Units to order for one SKU at one location: none while available + on order reaches the
    reorder point; otherwise up to the maximum, at least the minimum, in whole packs."""
    position = max(available, 0) + on_order
    if position >= rule.reorder_point:
        return 0
    wanted = max(rule.max_quantity - position, rule.min_quantity, 1)
    packs = -(-wanted // pack_size)
    return packs * pack_size


# An order without a requested delivery date must ship within this many days, unless its
# channel's settings say otherwise (`ship_within_days`).
DEFAULT_SHIP_WITHIN_DAYS = 2
