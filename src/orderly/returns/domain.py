"""Return rules: the return's state machine, and what an order still lets a customer return.
No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from orderly.kit.errors import IllegalTransition
from orderly.returns.errors import (
    NothingShipped,
    QuantityNotReturnable,
    ReasonNotOffered,
    ReturnLineInvalid,
    ReturnWindowExpired,
    SkuNotReturnable,
)
from orderly.returns.policy import ReturnPolicy


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


R = ReturnStatus

# The whole state machine. More receipts and more refunds keep a return where it is.
TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.AUTHORIZED, R.REJECTED, R.CANCELLED}),
    R.AUTHORIZED: frozenset({R.IN_TRANSIT, R.RECEIVED, R.CANCELLED}),
    R.IN_TRANSIT: frozenset({R.RECEIVED, R.CANCELLED}),
    R.RECEIVED: frozenset({R.RECEIVED, R.PARTIALLY_REFUNDED, R.REFUNDED, R.CLOSED}),
    R.PARTIALLY_REFUNDED: frozenset({R.PARTIALLY_REFUNDED, R.REFUNDED, R.CLOSED}),
    R.REFUNDED: frozenset({R.CLOSED}),
    R.CLOSED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}

# Returns whose units still count against what the order lets come back.
DEAD_STATUSES = frozenset({R.REJECTED, R.CANCELLED})
# Where units may still be received.
RECEIVABLE = frozenset({R.AUTHORIZED, R.IN_TRANSIT, R.RECEIVED, R.PARTIALLY_REFUNDED})
# Where an exchange may still be made: the return is authorised and not settled.
EXCHANGEABLE = frozenset({R.AUTHORIZED, R.IN_TRANSIT, R.RECEIVED})


def ensure_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"a return that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


class ReturnMethod(StrEnum):
    SHIP_BACK = "ship_back"
    IN_STORE = "in_store"


class ReturnSource(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class OrderLineView:
    line_no: int
    sku: str
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    line_no: int
    sku: str
    sku_id: int
    shipped: int
    returned: int
    allowed: bool  # False when the policy keeps the SKU from coming back

    @property
    def returnable(self) -> int:
        return max(self.shipped - self.returned, 0) if self.allowed else 0


@dataclass(frozen=True, slots=True)
class RequestedLine:
    line_no: int
    quantity: int
    reason: str


def window_closes(policy: ReturnPolicy, shipped_at: datetime | None) -> datetime | None:
    if shipped_at is None:
        return None
    return shipped_at + timedelta(days=policy.window_days)


def returnable_lines(
    policy: ReturnPolicy,
    lines: Sequence[OrderLineView],
    *,
    shipped: Mapping[int, int],
    returned: Mapping[int, int],
) -> list[ReturnableLine]:
    blocked = set(policy.non_returnable_skus)
    return [
        ReturnableLine(
            line_no=line.line_no,
            sku=line.sku,
            sku_id=line.sku_id,
            shipped=shipped.get(line.line_no, 0),
            returned=returned.get(line.line_no, 0),
            allowed=line.sku not in blocked,
        )
        for line in lines
    ]


def check_request(
    policy: ReturnPolicy,
    returnable: Sequence[ReturnableLine],
    requested: Sequence[RequestedLine],
    *,
    shipped_at: datetime | None,
    now: datetime,
) -> None:
    """Refuse what the policy or the shipped units do not allow, naming the field."""
    if shipped_at is None or not any(line.shipped for line in returnable):
        raise NothingShipped("nothing of this order has shipped yet", field="order_id")
    closes = window_closes(policy, shipped_at)
    if closes is not None and now > closes:
        raise ReturnWindowExpired(
            f"the return window of {policy.window_days} day(s) closed on {closes.date()}",
            field="order_id",
        )
    by_no = {line.line_no: line for line in returnable}
    seen: set[int] = set()
    for i, item in enumerate(requested):
        line = by_no.get(item.line_no)
        if line is None or item.line_no in seen:
            problem = "is not a line of the order" if line is None else "is listed twice"
            raise ReturnLineInvalid(f"line {item.line_no} {problem}", field=f"lines.{i}.line_no")
        seen.add(item.line_no)
        if not line.allowed:
            raise SkuNotReturnable(
                f"{line.sku} cannot be returned under the return policy",
                field=f"lines.{i}.line_no",
            )
        if item.reason not in policy.reasons:
            raise ReasonNotOffered(
                f"reason must be one of {', '.join(policy.reasons)}", field=f"lines.{i}.reason"
            )
        if item.quantity > line.returnable:
            raise QuantityNotReturnable(
                f"line {item.line_no} has {line.returnable} unit(s) that can be returned "
                f"({line.shipped} shipped, {line.returned} already returned)",
                field=f"lines.{i}.quantity",
            )


class InspectionOutcome(StrEnum):
    RESTOCK = "restock"  # sellable again at the receiving location
    DAMAGED = "damaged"  # kept in quarantine: counted on the return line, not sellable
    DISPOSE = "dispose"


def status_after_refund(*, settled_minor: int, full_value_minor: int) -> ReturnStatus:
    return R.REFUNDED if settled_minor >= full_value_minor else R.PARTIALLY_REFUNDED
