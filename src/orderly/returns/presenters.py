"""Return rows to API shapes, with what they are worth."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderly.kit.money import from_minor
from orderly.returns.refunds import ReturnedLine, line_value, return_value
from orderly.returns.schemas import ReturnLineOut, ReturnOut


def returned_lines(row: dict[str, Any]) -> list[ReturnedLine]:
    return [
        ReturnedLine(
            unit_amounts=[int(x) for x in line["unit_amounts"]],
            received=line["restocked"] + line["damaged"] + line["disposed"],
            fee_percent=Decimal(line["restocking_fee_percent"]),
        )
        for line in row["lines"]
    ]


def full_value(row: dict[str, Any]) -> int:
    return return_value(
        returned_lines(row), shipping_refund_minor=row["shipping_refund_minor"], received_only=False
    )


def received_value(row: dict[str, Any]) -> int:
    return return_value(
        returned_lines(row), shipping_refund_minor=row["shipping_refund_minor"], received_only=True
    )


def outstanding(row: dict[str, Any]) -> int:
    """What the received units are still owed, after refunds and any exchange credit."""
    settled = int(row["refunded_minor"]) + int(row["exchange_credit_minor"])
    return max(received_value(row) - settled, 0)


def return_out(row: dict[str, Any]) -> ReturnOut:
    currency = row["currency"]
    lines = returned_lines(row)

    def money(minor: int) -> str:
        return from_minor(minor, currency)

    return ReturnOut(
        id=row["id"],
        number=row["number"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        status=row["status"],
        method=row["method"],
        location=row["location"],
        source=row["source"],
        currency=currency,
        lines=[
            ReturnLineOut(
                line_no=line["line_no"],
                sku=line["sku"],
                quantity=line["quantity"],
                reason=line["reason"],
                restocked=line["restocked"],
                damaged=line["damaged"],
                disposed=line["disposed"],
                received=value.received,
                value=money(line_value(value, len(value.unit_amounts))),
            )
            for line, value in zip(row["lines"], lines, strict=True)
        ],
        shipment_id=row["shipment_id"],
        label_pdf_url=(
            f"/v1/shipments/{row['shipment_id']}/label.pdf" if row["shipment_id"] else None
        ),
        label_problem=row["label_problem"],
        shipping_refund=money(row["shipping_refund_minor"]),
        value=money(full_value(row)),
        received_value=money(received_value(row)),
        refunded=money(row["refunded_minor"]),
        exchange_order_id=row["exchange_order_id"],
        exchange_credit=money(row["exchange_credit_minor"]),
        notes=row["notes"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        received_at=row["received_at"],
        closed_at=row["closed_at"],
    )
