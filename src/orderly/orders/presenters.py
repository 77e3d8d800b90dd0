"""Orders in the API's shapes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from orderly.kit.money import from_minor
from orderly.orders.domain import PaymentStatus
from orderly.orders.records import AllocationRecord, OrderRecord
from orderly.orders.schemas import (
    AllocationOut,
    CustomerOut,
    OrderLineOut,
    OrderOut,
    OrderPaymentOut,
    PaymentOut,
)


def order_out(order: OrderRecord) -> OrderOut:
    """The API's order. Its fields named as the record's are shown as they are (`_AS_IS`)."""

    def money(minor: int) -> str:
        return from_minor(minor, order.currency)

    by_line: dict[int, list[AllocationRecord]] = defaultdict(list)
    for a in order.allocations:
        by_line[a.line_no].append(a)
    lines = []
    for line in order.lines:
        allocations = by_line[line.line_no]
        held = sum(a.quantity for a in allocations if a.status != "released")
        lines.append(
            OrderLineOut(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=money(line.unit_price_minor),
                discount=money(line.discount_minor),
                tax=money(line.tax_minor),
                total=money(line.total_minor),
                allocated=held,
                cancelled=line.cancelled_quantity,
                backordered=0
                if order.status in _NOTHING_OWED
                else line.quantity - line.cancelled_quantity - held,
                allocations=[
                    AllocationOut(location=a.location, quantity=a.quantity, status=a.status)
                    for a in allocations
                ],
            )
        )
    return OrderOut(
        **{name: getattr(order, name) for name in _AS_IS},
        channel=order.channel_code,
        customer=CustomerOut(
            email=order.customer_email, name=order.customer_name, phone=order.customer_phone
        ),
        pickup_location=order.pickup_code,
        lines=lines,
        subtotal=money(order.subtotal_minor),
        discount=money(order.discount_minor),
        tax=money(order.tax_minor),
        shipping=money(order.shipping_minor),
        total=money(order.total_minor),
        payment=PaymentOut(
            status=order.payment_status,
            amount=money(order.payment_amount_minor),
            method=order.payment_method,
            reference=order.payment_reference,
            authorized=money(sum(p.authorized_minor for p in order.payments)),
            captured=money(sum(p.captured_minor for p in order.payments)),
            refunded=money(sum(p.refunded_minor for p in order.payments)),
        ),
        payments=[
            OrderPaymentOut(
                position=p.position,
                method=p.method,
                provider=p.provider,
                reference=p.reference,
                status=PaymentStatus(p.status),
                amount=money(p.amount_minor),
                authorized=money(p.authorized_minor),
                captured=money(p.captured_minor),
                refunded=money(p.refunded_minor),
                authorization_expires_at=p.authorization_expires_at,
                multicapture=p.multicapture,
                problem=p.problem,
            )
            for p in order.payments
        ],
    )


def stored_order_out(row: Mapping[str, Any]) -> OrderOut:
    """The API's order from a row read by `orders.queries.order_row`."""
    return order_out(OrderRecord.from_row(row))


# An order in these states owes no unit: cancelled, or shipped in full (by us, or by the
# marketplace from its own stock, with no allocation of ours).
_NOTHING_OWED = ("cancelled", "shipped", "delivered")

_AS_IS = tuple(
    name
    for name in OrderOut.model_fields
    if name in {f.name for f in fields(OrderRecord)} and name not in ("lines", "payments")
)


def order_summary(row: Any) -> dict[str, Any]:
    """An OrderSummary's fields from a list row (as read by queries.list_orders); a page of
    them is validated in one go."""
    return {
        "id": row.id,
        "number": row.number,
        "channel": row.channel,
        "external_id": row.external_id,
        "status": row.status,
        "hold_reasons": row.hold_reasons,
        "currency": row.currency,
        "customer_email": row.customer_email,
        "total": from_minor(row.total_minor, row.currency),
        "created_at": row.created_at,
    }
