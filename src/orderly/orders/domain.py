"""The order aggregate's rules: its state machine, verification and totals. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from orderly.kit.errors import IllegalTransition


class OrderStatus(StrEnum):
    ALLOCATED = "allocated"
    ON_HOLD = "on_hold"
    BACKORDERED = "backordered"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


S = OrderStatus

# The whole state machine. A status missing from a row's set cannot be reached from it.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.ALLOCATED: frozenset({S.ON_HOLD, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.ALLOCATED, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.ALLOCATED, S.ON_HOLD, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.ON_HOLD}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Once units of an order have shipped it can never again become one of these: a hold lifts
# back to partially_shipped, and only the units still unshipped can be cancelled.
BEFORE_SHIPPING_ONLY = frozenset({S.ALLOCATED, S.BACKORDERED, S.CANCELLED})

# Statuses an order can be captured in.
INITIAL_STATUSES = frozenset({S.ALLOCATED, S.ON_HOLD, S.BACKORDERED})

# Statuses whose open units are sourced when stock arrives (order_flows.backorders): a partially
# shipped order keeps its status while its short units wait.
WAITS_FOR_STOCK = frozenset({S.BACKORDERED, S.PARTIALLY_SHIPPED})

# Statuses that follow the order's fulfillment (units shipped, parcels delivered). In any other
# the order waits for a person or for stock, and carrier news does not move it.
FOLLOWS_FULFILLMENT = frozenset({S.ALLOCATED, S.PARTIALLY_SHIPPED, S.SHIPPED})


def follows_fulfillment(current: OrderStatus, path: Sequence[OrderStatus]) -> bool:
    """Whether the order may take these steps because its fulfillment says so (units shipped,
    parcels delivered): only from a status that follows fulfillment, and only legal steps."""
    if current not in FOLLOWS_FULFILLMENT:
        return False
    for step in path:
        if not can_transition(current, step):
            return False
        current = step
    return True


def can_transition(
    current: OrderStatus, target: OrderStatus, *, units_shipped: bool = False
) -> bool:
    if units_shipped and target in BEFORE_SHIPPING_ONLY:
        return False
    return target in TRANSITIONS[current]


def ensure_transition(
    current: OrderStatus, target: OrderStatus, *, units_shipped: bool = False
) -> None:
    if not can_transition(current, target, units_shipped=units_shipped):
        why = " once units have shipped" if target in TRANSITIONS[current] else ""
        raise IllegalTransition(
            f"an order that is {current.value} cannot become {target.value}{why}",
            extra={"current_status": current.value, "target": target.value},
        )


class HoldReason(StrEnum):
    PAYMENT = "payment"
    SHIPPING = "shipping"
    FRAUD_REVIEW = "fraud_review"
    MANUAL = "manual"
    # the routing configuration holds orders that cannot be sourced in full
    STOCK = "stock"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    # Part of the authorization was captured (at a shipment) and the rest stays authorized.
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    # The authorisation was released at the provider: nothing was or will be taken.
    VOIDED = "voided"


# A payment whose provider still holds an authorization that may be captured.
CAPTURABLE = frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_CAPTURED})


@dataclass(frozen=True, slots=True)
class TenderAmounts:
    """One of an order's payments, in minor units."""

    status: PaymentStatus
    amount_minor: int
    authorized_minor: int
    captured_minor: int
    refunded_minor: int

    @property
    def capturable_minor(self) -> int:
        if self.status not in CAPTURABLE:
            return 0
        return self.authorized_minor - self.captured_minor

    @property
    def refundable_minor(self) -> int:
        return self.captured_minor - self.refunded_minor


def status_after(
    tender: TenderAmounts, *, captured_minor: int, refunded_minor: int, released: bool
) -> PaymentStatus:
    """A payment's status once it has `captured_minor` and `refunded_minor` in all, and, with
    `released`, what is left of its authorization was released (a final capture, a void)."""
    if refunded_minor > 0:
        return (
            PaymentStatus.REFUNDED
            if refunded_minor >= captured_minor and (released or tender.status not in CAPTURABLE)
            else PaymentStatus.PARTIALLY_REFUNDED
        )
    if captured_minor > 0:
        still_authorized = not released and captured_minor < tender.authorized_minor
        if still_authorized and tender.status in CAPTURABLE:
            return PaymentStatus.PARTIALLY_CAPTURED
        return PaymentStatus.CAPTURED
    if released and tender.status in CAPTURABLE:
        return PaymentStatus.VOIDED
    return tender.status


def summary_status(tenders: Sequence[TenderAmounts]) -> PaymentStatus:
    """The order's payment status from its payments': what a person reads in the order list."""
    if not tenders:
        return PaymentStatus.PENDING
    statuses = {t.status for t in tenders}
    if len(statuses) == 1:
        return tenders[0].status
    captured = sum(t.captured_minor for t in tenders)
    refunded = sum(t.refunded_minor for t in tenders)
    if refunded:
        whole = refunded >= captured and not statuses & CAPTURABLE
        return PaymentStatus.REFUNDED if whole else PaymentStatus.PARTIALLY_REFUNDED
    if captured:
        return PaymentStatus.PARTIALLY_CAPTURED if statuses & CAPTURABLE else PaymentStatus.CAPTURED
    for status in (
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
        PaymentStatus.AUTHORIZED,
        PaymentStatus.VOIDED,
    ):
        if status in statuses:
            return status
    return PaymentStatus.PENDING


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One verification check as it lands on the timeline."""

    check: str
    passed: bool
    detail: str
    hold: HoldReason | None = None


# Statuses in which the customer's money is held for the order (authorized or captured).
PAID_UP_FRONT = frozenset(
    {PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED}
)


def check_payment(status: PaymentStatus, amount_minor: int, total_minor: int) -> CheckResult:
    if status in (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.VOIDED):
        return CheckResult("payment", False, f"payment is {status.value}", HoldReason.PAYMENT)
    if status in PAID_UP_FRONT and amount_minor < total_minor:
        return CheckResult(
            "payment",
            False,
            f"payment of {amount_minor} covers less than the total of {total_minor} (minor units)",
            HoldReason.PAYMENT,
        )
    return CheckResult("payment", True, f"payment {status.value} for the total")


REQUIRED_ADDRESS_FIELDS = ("line1", "city", "postal_code", "country")


def missing_address_fields(address: dict[str, object] | None) -> list[str]:
    if address is None:
        return list(REQUIRED_ADDRESS_FIELDS)
    return [f for f in REQUIRED_ADDRESS_FIELDS if not str(address.get(f) or "").strip()]


def check_shipping(
    *,
    method: DeliveryMethod,
    address: dict[str, object] | None,
    candidate_count: int,
    pickup_code: str | None = None,
) -> CheckResult:
    if method is DeliveryMethod.PICKUP:
        return CheckResult("shipping", True, f"pickup at {pickup_code}")
    missing = missing_address_fields(address)
    if missing:
        return CheckResult(
            "shipping",
            False,
            "shipping address lacks " + ", ".join(missing),
            HoldReason.SHIPPING,
        )
    country = str(address["country"]) if address else "?"
    if candidate_count == 0:
        return CheckResult(
            "shipping", False, f"no active location ships to {country}", HoldReason.SHIPPING
        )
    return CheckResult("shipping", True, f"{candidate_count} location(s) can ship to {country}")


def check_availability(
    shortfalls: dict[int, int], *, allow_backorders: bool, on_short: str = "backorder"
) -> CheckResult:
    """`on_short` is the routing configuration's backorder policy: backorder, hold_order or
    cancel_line."""
    if not shortfalls:
        return CheckResult("availability", True, "every unit is available")
    units = sum(shortfalls.values())
    if on_short == "hold_order":
        return CheckResult(
            "availability", False, f"{units} unit(s) short: held for stock", HoldReason.STOCK
        )
    if on_short == "cancel_line":
        return CheckResult("availability", True, f"{units} unit(s) short: cancelled")
    verdict = "backordered" if allow_backorders else "refused"
    return CheckResult("availability", False, f"{units} unit(s) short: {verdict}")


def initial_status(holds: Iterable[HoldReason], *, short: bool) -> OrderStatus:
    if any(True for _ in holds):
        return OrderStatus.ON_HOLD
    return OrderStatus.BACKORDERED if short else OrderStatus.ALLOCATED


def status_after_release(*, short: bool, units_shipped: bool = False) -> OrderStatus:
    """A partially shipped order comes back partially shipped, whatever is still short: its
    short units wait for stock (backorders) while the rest moves on."""
    if units_shipped:
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.BACKORDERED if short else OrderStatus.ALLOCATED


@dataclass(frozen=True, slots=True)
class LineAmounts:
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int

    @property
    def gross_minor(self) -> int:
        return self.quantity * self.unit_price_minor

    @property
    def total_minor(self) -> int:
        return self.gross_minor - self.discount_minor + self.tax_minor


def owed_amounts(line: LineAmounts, *, cancelled: int) -> LineAmounts:
    """The line's units that are still owed once `cancelled` units are taken off it. The
    discount and tax are shared over the units as refunds share them (largest remainder, the
    leftover minor units to the first units) and the cancelled units are the last ones, so a
    unit is worth the same before and after."""
    if not 0 <= cancelled <= line.quantity:
        raise ValueError("cancelled units must be between 0 and the line's quantity")
    owed = line.quantity - cancelled
    return LineAmounts(
        quantity=owed,
        unit_price_minor=line.unit_price_minor,
        discount_minor=_first_shares(line.discount_minor, line.quantity, owed),
        tax_minor=_first_shares(line.tax_minor, line.quantity, owed),
    )


def _first_shares(amount_minor: int, parts: int, first: int) -> int:
    base, leftover = divmod(amount_minor, parts)
    return first * base + min(leftover, first)


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    shipping_minor: int
    total_minor: int


def order_totals(lines: Sequence[LineAmounts], shipping_minor: int) -> OrderTotals:
    subtotal = sum(line.gross_minor for line in lines)
    discount = sum(line.discount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    return OrderTotals(
        subtotal, discount, tax, shipping_minor, subtotal - discount + tax + shipping_minor
    )
