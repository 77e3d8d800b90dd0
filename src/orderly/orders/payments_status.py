"""The order's payments as the payment flows see them: read with the order row locked, so that
one change to an order's money is decided at a time, and each payment's amounts and status
moved here, with the order's summary columns following (`orders.payment_*`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders.domain import PaymentStatus, TenderAmounts, status_after, summary_status
from orderly.orders.errors import OrderNotFound
from orderly.orders.models import order_payments, orders


@dataclass(frozen=True, slots=True)
class Tender:
    """One of the order's payments."""

    id: int
    order_id: int
    position: int
    method: str | None
    provider: str
    account_id: int | None
    reference: str | None
    currency: str
    amount_minor: int
    authorized_minor: int
    captured_minor: int
    refunded_minor: int
    status: PaymentStatus
    authorization_expires_at: datetime | None
    multicapture: bool
    problem: str | None

    @property
    def amounts(self) -> TenderAmounts:
        return TenderAmounts(
            self.status,
            self.amount_minor,
            self.authorized_minor,
            self.captured_minor,
            self.refunded_minor,
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
    order_status: str
    shipping_minor: int
    tenders: tuple[Tender, ...]

    @property
    def paid_minor(self) -> int:
        """What refunds may give back in all: what was captured."""
        return sum(t.captured_minor for t in self.tenders)

    @property
    def refundable_minor(self) -> int:
        return sum(t.amounts.refundable_minor for t in self.tenders)


async def lock_order_payment(
    conn: AsyncConnection, org_id: int, order_id: int, *, lock: bool = True
) -> OrderPayment:
    """The order's payments, with the order row locked until the transaction ends, so that
    changes to one order's money are decided one at a time (``lock=False`` only reads)."""
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
        o.status,
        o.shipping_minor,
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
        order_status=row.status,
        shipping_minor=row.shipping_minor,
        tenders=await _tenders(conn, org_id, order_id),
    )


async def _tenders(conn: AsyncConnection, org_id: int, order_id: int) -> tuple[Tender, ...]:
    p = order_payments.c
    rows = await conn.execute(
        sa.select(order_payments)
        .where(p.org_id == org_id, p.order_id == order_id)
        .order_by(p.position)
    )
    return tuple(_tender(r._mapping) for r in rows)


def _tender(row: Any) -> Tender:
    return Tender(
        id=row["id"],
        order_id=row["order_id"],
        position=row["position"],
        method=row["method"],
        provider=row["provider"],
        account_id=row["account_id"],
        reference=row["reference"],
        currency=row["currency"],
        amount_minor=row["amount_minor"],
        authorized_minor=row["authorized_minor"],
        captured_minor=row["captured_minor"],
        refunded_minor=row["refunded_minor"],
        status=PaymentStatus(row["status"]),
        authorization_expires_at=row["authorization_expires_at"],
        multicapture=row["multicapture"],
        problem=row["problem"],
    )


async def tender_by_id(conn: AsyncConnection, org_id: int, payment_id: int) -> Tender:
    row = (
        await conn.execute(
            sa.select(order_payments).where(
                order_payments.c.org_id == org_id, order_payments.c.id == payment_id
            )
        )
    ).first()
    if row is None:
        raise OrderNotFound(f"no payment {payment_id}")
    return _tender(row._mapping)


async def record_amounts(
    conn: AsyncConnection,
    org_id: int,
    tender: Tender,
    *,
    captured_minor: int = 0,
    refunded_minor: int = 0,
    released: bool = False,
) -> PaymentStatus:
    """Add to what the payment captured and refunded (a refund that failed takes back what it
    had set aside, with a negative amount), and with `released` note that what is left of its
    authorization was released. The caller holds the order's lock; the table's check keeps
    refunded within captured within authorized whatever happens. Returns the order's payment
    status after."""
    captured = tender.captured_minor + captured_minor
    refunded = tender.refunded_minor + refunded_minor
    status = status_after(
        tender.amounts, captured_minor=captured, refunded_minor=refunded, released=released
    )
    await conn.execute(
        sa.update(order_payments)
        .where(order_payments.c.id == tender.id)
        .values(
            captured_minor=captured,
            refunded_minor=refunded,
            status=status.value,
            updated_at=sa.func.now(),
        )
    )
    return await sum_up(conn, org_id, tender.order_id)


async def note_problem(conn: AsyncConnection, tender: Tender, problem: str | None) -> None:
    """What a person must look at on this payment (None: nothing any more)."""
    await conn.execute(
        sa.update(order_payments)
        .where(order_payments.c.id == tender.id)
        .values(problem=problem, updated_at=sa.func.now())
    )


async def note_authorization(
    conn: AsyncConnection,
    tender: Tender,
    *,
    expires_at: datetime | None,
    multicapture: bool | None = None,
) -> None:
    """What the provider says of the authorization: when it lapses, whether it may be
    captured more than once."""
    values: dict[str, Any] = {"authorization_expires_at": expires_at, "updated_at": sa.func.now()}
    if multicapture is not None:
        values["multicapture"] = multicapture
    await conn.execute(
        sa.update(order_payments).where(order_payments.c.id == tender.id).values(**values)
    )


async def sum_up(conn: AsyncConnection, org_id: int, order_id: int) -> PaymentStatus:
    """The order's payment status from its payments'."""
    tenders = await _tenders(conn, org_id, order_id)
    if not tenders:
        row = await conn.execute(
            sa.select(orders.c.payment_status).where(
                orders.c.org_id == org_id, orders.c.id == order_id
            )
        )
        return PaymentStatus(row.scalar_one())
    status = summary_status([t.amounts for t in tenders])
    await conn.execute(
        sa.update(orders)
        .where(orders.c.org_id == org_id, orders.c.id == order_id)
        .values(payment_status=status.value, updated_at=sa.func.now())
    )
    return status


async def lapsing_authorizations(
    conn: AsyncConnection, before: datetime, *, limit: int = 500
) -> list[tuple[int, int, int]]:
    """(organization, order, payment) of authorizations still held that lapse before
    `before`, in every organization, the soonest first."""
    p = order_payments.c
    rows = await conn.execute(
        sa.select(p.org_id, p.order_id, p.id)
        .where(
            p.status.in_([PaymentStatus.AUTHORIZED.value, PaymentStatus.PARTIALLY_CAPTURED.value]),
            p.authorization_expires_at <= before,
        )
        .order_by(p.authorization_expires_at)
        .limit(limit)
    )
    return [(r.org_id, r.order_id, r.id) for r in rows]


_SHIPPED = sa.text(
    """
    SELECT ol.quantity - ol.cancelled_quantity AS owed, ol.total_minor,
           coalesce((SELECT sum(a.quantity) FROM order_allocations a
                      WHERE a.order_id = ol.order_id AND a.line_no = ol.line_no
                        AND a.status = 'shipped'), 0) AS shipped
      FROM order_lines ol
     WHERE ol.org_id = :org_id AND ol.order_id = :order_id
    """
)


async def shipped_value(conn: AsyncConnection, org_id: int, order_id: int) -> tuple[int, bool]:
    """What the units shipped so far are worth (each line's total shared over its units owed,
    rounded down until the line's last unit), and whether every unit owed has shipped."""
    value, complete = 0, True
    for line in await conn.execute(_SHIPPED, {"org_id": org_id, "order_id": order_id}):
        shipped = min(int(line.shipped), line.owed)
        if shipped >= line.owed:
            value += line.total_minor if line.owed else 0
        else:
            complete = False
            value += line.total_minor * shipped // line.owed
    return value, complete
