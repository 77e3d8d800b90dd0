"""The order's payment as refunds see it: locked while a refund is decided, and its status
moved to partially_refunded or refunded afterwards."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders.domain import PaymentStatus
from orderly.orders.errors import OrderNotFound
from orderly.orders.models import orders

# Statuses in which money was taken (or authorised) from the customer.
PAID_STATUSES = frozenset(
    {
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    }
)


@dataclass(frozen=True, slots=True)
class OrderPayment:
    order_id: int
    number: str
    status: PaymentStatus
    amount_minor: int
    currency: str
    method: str | None
    reference: str | None
    customer_id: int | None
    channel_id: int

    @property
    def paid_minor(self) -> int:
        """What refunds may give back in total: the captured (or authorised) amount."""
        return self.amount_minor if self.status in PAID_STATUSES else 0


async def lock_order_payment(
    conn: AsyncConnection, org_id: int, order_id: int, *, lock: bool = True
) -> OrderPayment:
    """The order's payment, with the order row locked until the transaction ends, so that
    refunds of one order are decided one at a time (``lock=False`` only reads it)."""
    o = orders.c
    statement = sa.select(
        o.id,
        o.number,
        o.payment_status,
        o.payment_amount_minor,
        o.currency,
        o.payment_method,
        o.payment_reference,
        o.customer_id,
        o.channel_id,
    ).where(o.org_id == org_id, o.id == order_id)
    row = (await conn.execute(statement.with_for_update() if lock else statement)).first()
    if row is None:
        raise OrderNotFound(f"no order {order_id}")
    return OrderPayment(
        order_id=row.id,
        number=row.number,
        status=PaymentStatus(row.payment_status),
        amount_minor=row.payment_amount_minor,
        currency=row.currency,
        method=row.payment_method,
        reference=row.payment_reference,
        customer_id=row.customer_id,
        channel_id=row.channel_id,
    )


async def record_refunded_total(
    conn: AsyncConnection, org_id: int, order_id: int, *, refunded_minor: int
) -> PaymentStatus:
    """Set the payment status from the total refunded so far; returns the new status."""
    payment = await lock_order_payment(conn, org_id, order_id)
    if refunded_minor <= 0:
        return payment.status
    status = (
        PaymentStatus.REFUNDED
        if refunded_minor >= payment.paid_minor
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    await conn.execute(
        sa.update(orders)
        .where(orders.c.org_id == org_id, orders.c.id == order_id)
        .values(payment_status=status.value, updated_at=sa.func.now())
    )
    return status


async def record_voided(conn: AsyncConnection, org_id: int, order_id: int) -> None:
    """The order's authorisation was released at the provider: nothing will be taken."""
    await conn.execute(
        sa.update(orders)
        .where(orders.c.org_id == org_id, orders.c.id == order_id)
        .values(payment_status=PaymentStatus.VOIDED.value, updated_at=sa.func.now())
    )
