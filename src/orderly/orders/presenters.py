"""Turn stored order rows into the API's shapes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from orderly.kit.money import from_minor
from orderly.orders.schemas import (
    AllocationOut,
    CustomerOut,
    OrderLineOut,
    OrderOut,
    PaymentOut,
)


def order_out(row: dict[str, Any]) -> OrderOut:
    """`row` has the orders columns plus channel_code, customer_*, pickup_code, lines and
    allocations (as read by queries.order_row, or assembled the same way at capture)."""
    currency = row["currency"]

    def money(minor: int) -> str:
        return from_minor(minor, currency)

    by_line: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in row["allocations"]:
        by_line[a["line_no"]].append(a)
    lines = []
    for line in row["lines"]:
        allocations = by_line[line["line_no"]]
        held = sum(a["quantity"] for a in allocations if a["status"] != "released")
        lines.append(
            OrderLineOut(
                line_no=line["line_no"],
                sku=line["sku"],
                quantity=line["quantity"],
                unit_price=money(line["unit_price_minor"]),
                discount=money(line["discount_minor"]),
                tax=money(line["tax_minor"]),
                total=money(line["total_minor"]),
                allocated=held,
                cancelled=line["cancelled_quantity"],
                backordered=0
                if row["status"] == "cancelled"
                else line["quantity"] - line["cancelled_quantity"] - held,
                allocations=[
                    AllocationOut(
                        location=a["location"], quantity=a["quantity"], status=a["status"]
                    )
                    for a in allocations
                ],
            )
        )
    return OrderOut(
        id=row["id"],
        number=row["number"],
        channel=row["channel_code"],
        external_id=row["external_id"],
        status=row["status"],
        hold_reasons=row["hold_reasons"],
        currency=currency,
        customer=CustomerOut(
            email=row["customer_email"], name=row["customer_name"], phone=row["customer_phone"]
        ),
        shipping_address=row["shipping_address"],
        billing_address=row["billing_address"],
        delivery_method=row["delivery_method"],
        pickup_location=row["pickup_code"],
        lines=lines,
        subtotal=money(row["subtotal_minor"]),
        discount=money(row["discount_minor"]),
        tax=money(row["tax_minor"]),
        shipping=money(row["shipping_minor"]),
        total=money(row["total_minor"]),
        payment=PaymentOut(
            status=row["payment_status"],
            amount=money(row["payment_amount_minor"]),
            method=row["payment_method"],
            reference=row["payment_reference"],
        ),
        notes=row["notes"],
        tags=row["tags"],
        requested_delivery_date=row["requested_delivery_date"],
        cancel_reason=row["cancel_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
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
