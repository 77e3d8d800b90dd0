"""Settling a return: refunds of what came back, and exchanges for other goods."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Transaction
from orderly.kit.errors import IllegalTransition, InvalidInput
from orderly.kit.money import MoneyError, from_minor, to_minor
from orderly.order_flows.capture import capture_order
from orderly.orders.domain import DeliveryMethod, PaymentStatus
from orderly.orders.schemas import OrderIn, OrderLineIn, PaymentIn
from orderly.payments import service as payments
from orderly.payments.schemas import RefundOut
from orderly.returns import repository as repo
from orderly.returns import service
from orderly.returns.domain import (
    EXCHANGEABLE,
    ReturnStatus,
    ensure_transition,
    status_after_refund,
)
from orderly.returns.errors import ExchangeExists, NothingToRefund, RefundExceedsReturnValue
from orderly.returns.presenters import full_value, outstanding, return_out
from orderly.returns.schemas import ExchangeIn, ExchangeOut, RefundIn, ReturnOut
from orderly.tenancy.domain import Principal

REFUNDABLE = frozenset({ReturnStatus.RECEIVED, ReturnStatus.PARTIALLY_REFUNDED})


@dataclass(frozen=True, slots=True)
class ReturnRefund:
    refund: RefundOut
    return_: ReturnOut
    created: bool


async def refund_return(
    conn: AsyncConnection,
    principal: Principal,
    return_id: int,
    data: RefundIn,
    *,
    header_key: str | None,
) -> ReturnRefund:
    """Refund what the received units are worth (or part of it). The refund's key makes a
    retry return the first refund instead of paying twice."""
    org_id = principal.org_id
    row = await service.return_row(conn, org_id, return_id, for_update=True)
    key = data.idempotency_key or header_key or f"return:{return_id}:{uuid.uuid4()}"
    earlier = await payments.find_refund(conn, org_id, key)
    if earlier is not None and earlier.return_id == return_id:
        return ReturnRefund(earlier, return_out(row), created=False)
    status = ReturnStatus(row["status"])
    if status not in REFUNDABLE:
        ensure_transition(status, ReturnStatus.REFUNDED)
    owed = outstanding(row)
    if owed <= 0:
        raise NothingToRefund(f"return {row['number']} owes nothing more")
    amount = owed if data.amount is None else _minor(data.amount, row["currency"], "amount")
    if amount <= 0 or amount > owed:
        raise RefundExceedsReturnValue(
            f"return {row['number']} can refund at most {from_minor(owed, row['currency'])}",
            field="amount",
        )
    issued = await payments.refund_order(
        conn,
        principal,
        order_id=row["order_id"],
        amount_minor=amount,
        destination=data.destination,
        idempotency_key=key,
        return_id=return_id,
        reason=f"return {row['number']}",
    )
    refunded = row["refunded_minor"] + amount
    settled = refunded + row["exchange_credit_minor"]
    target = status_after_refund(settled_minor=settled, full_value_minor=full_value(row))
    ensure_transition(status, target)
    await repo.update_return(conn, org_id, return_id, refunded_minor=refunded, status=target.value)
    return ReturnRefund(
        issued.refund, await service.get_return(conn, org_id, return_id), created=True
    )


async def exchange_return(
    tx: Transaction, principal: Principal, return_id: int, data: ExchangeIn
) -> ExchangeOut:
    """A replacement order for the returned units. The return's value pays for it; what the
    replacement costs beyond that stays a pending payment on the new order, and what it costs
    less is refunded."""
    conn = tx.connection
    org_id = principal.org_id
    row = await service.return_row(conn, org_id, return_id, for_update=True)
    status = ReturnStatus(row["status"])
    if status not in EXCHANGEABLE:
        raise_illegal(status)
    if row["exchange_order_id"] is not None:
        raise ExchangeExists(f"return {row['number']} already has a replacement order")
    original = (await service.returnable_order(conn, org_id, row["order_id"])).order
    currency = row["currency"]
    value = max(full_value(row) - row["refunded_minor"], 0)
    new_total = _replacement_total(data, currency)
    credit = min(value, new_total)
    difference = new_total - value
    payment = PaymentIn(
        status=PaymentStatus.CAPTURED if difference <= 0 else PaymentStatus.PENDING,
        amount=from_minor(credit, currency),
        method="exchange",
        reference=row["number"],
    )
    pickup = original["delivery_method"] == DeliveryMethod.PICKUP.value
    captured = await capture_order(
        tx,
        principal,
        OrderIn(
            channel=original["channel_code"],
            external_id=f"exchange:{row['number']}",
            currency=currency,
            customer={"email": original["customer_email"], "name": original["customer_name"]},
            shipping_address=original["shipping_address"],
            billing_address=original["billing_address"],
            delivery_method=DeliveryMethod(original["delivery_method"]),
            pickup_location=original["pickup_code"] if pickup else None,
            lines=[OrderLineIn(**line.model_dump()) for line in data.lines],
            shipping_price=data.shipping_price,
            payment=payment,
            notes=f"Exchange for return {row['number']} of order {row['order_number']}",
            tags=["exchange"],
        ),
    )
    # The return goes on with the replacement order: its write is sent now.
    await tx.send_queued()
    new_order = captured.order
    refund = None
    refunded = row["refunded_minor"]
    if difference < 0:
        issued = await payments.refund_order(
            conn,
            principal,
            order_id=row["order_id"],
            amount_minor=-difference,
            destination=data.destination,
            idempotency_key=f"exchange:{org_id}:{return_id}",
            return_id=return_id,
            reason=f"exchange difference, return {row['number']}",
        )
        refund = issued.refund
        refunded += -difference
    await repo.update_return(
        conn,
        org_id,
        return_id,
        exchange_order_id=new_order.id,
        exchange_credit_minor=credit,
        refunded_minor=refunded,
    )
    await service.record_event(
        conn,
        principal,
        row["order_id"],
        "exchange.created",
        {
            "return_id": return_id,
            "number": row["number"],
            "order_id": new_order.id,
            "order_number": new_order.number,
            "credit": from_minor(credit, currency),
            "difference": from_minor(difference, currency),
        },
    )
    return ExchangeOut(
        return_=await service.get_return(conn, org_id, return_id),
        order_id=new_order.id,
        order_number=new_order.number,
        credit=from_minor(credit, currency),
        difference=from_minor(difference, currency),
        refund=refund,
    )


def raise_illegal(status: ReturnStatus) -> None:
    raise IllegalTransition(
        f"a return that is {status.value} cannot be exchanged",
        extra={"status": status.value, "target": "exchanged"},
    )


def _replacement_total(data: ExchangeIn, currency: str) -> int:
    total = _minor(data.shipping_price, currency, "shipping_price")
    for i, line in enumerate(data.lines):
        price = _minor(line.unit_price, currency, f"lines.{i}.unit_price")
        discount = _minor(line.discount, currency, f"lines.{i}.discount")
        tax = _minor(line.tax, currency, f"lines.{i}.tax")
        total += line.quantity * price - discount + tax
    return total


def _minor(amount: str, currency: str, field: str) -> int:
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        raise InvalidInput(str(exc), code="invalid_amount", field=field) from None
