"""Refunds through the payment provider port, or to store credit: never more than was captured,
and at most once per idempotency key; and giving back what a cancelled order holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Transaction
from orderly.kit.money import from_minor
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import PaymentStatus
from orderly.orders.payments_status import (
    Tender,
    lock_order_payment,
    record_amounts,
    sum_up,
)
from orderly.payments import lifecycle
from orderly.payments import repository as repo
from orderly.payments.errors import (
    RefundDeclined,
    RefundExceedsCaptured,
    RefundKeyReused,
    StoreCreditUnavailable,
)
from orderly.payments.schemas import RefundDestination, RefundOut, StoreCreditOut
from orderly.payments.store_credit import STORE_CREDIT_METHOD, draw_at_commit
from orderly.tenancy.domain import Principal

STORE_CREDIT_PROVIDER = lifecycle.STORE_CREDIT_PROVIDER
# An order's `payment.method` that draws its payment from the customer's store credit.
PAID_WITH_STORE_CREDIT = STORE_CREDIT_METHOD


@dataclass(frozen=True, slots=True)
class IssuedRefund:
    refund: RefundOut
    created: bool  # False when the key had already refunded


async def find_refund(conn: AsyncConnection, org_id: int, key: str) -> RefundOut | None:
    row = await repo.refund_by_key(conn, org_id, key)
    return refund_out(row) if row else None


async def refund_order(
    conn: AsyncConnection,
    principal: Principal,
    *,
    order_id: int,
    amount_minor: int,
    destination: RefundDestination,
    idempotency_key: str,
    return_id: int | None = None,
    reason: str | None = None,
    made_by: str | None = None,
    from_provider: str | None = None,
) -> IssuedRefund:
    """Give money back on an order, from what its payments captured and have not given back:
    the last payment first. The order row stays locked until commit, and a key that already
    refunded returns that refund. A provider reached over the network is asked by a job (the
    refund is `pending` until it answers); one that answers at once and declines refuses the
    refund, and nothing is written. `made_by` records a refund already made elsewhere (by the
    sales platform the customer paid): no provider is called. `from_provider` gives back only
    what payments of that provider took."""
    org_id = principal.org_id
    payment = await lock_order_payment(conn, org_id, order_id)
    existing = await repo.refund_by_key(conn, org_id, idempotency_key)
    if existing is not None:
        if existing["order_id"] != order_id or existing["amount_minor"] != amount_minor:
            raise RefundKeyReused(
                "this refund key was used for another refund", field="idempotency_key"
            )
        return IssuedRefund(refund_out(existing), created=False)
    tenders = [
        t for t in reversed(payment.tenders) if from_provider is None or t.provider == from_provider
    ]
    left = sum(t.amounts.refundable_minor for t in tenders)
    if amount_minor <= 0 or amount_minor > left:
        raise _too_much(left, payment.currency, captured=payment.paid_minor > 0)
    to_credit = destination is RefundDestination.STORE_CREDIT or all(
        t.provider == STORE_CREDIT_PROVIDER for t in tenders
    )
    if to_credit and made_by is None and payment.customer_id is None:
        raise StoreCreditUnavailable(
            "the order has no customer to hold store credit", field="destination"
        )
    parts = _parts(tenders, amount_minor)
    provider_name = made_by or (STORE_CREDIT_PROVIDER if to_credit else parts[0][0].provider)
    row = await repo.insert_refund(
        conn,
        {
            "org_id": org_id,
            "order_id": order_id,
            "return_id": return_id,
            "amount": amount_minor,
            "currency": payment.currency,
            "destination": destination.value,
            "provider": provider_name,
            "provider_reference": None,
            "key": idempotency_key,
            "reason": reason,
            "actor": principal.actor,
        },
    )
    credited = 0
    references = []
    for tender, part in parts:
        if made_by is not None or to_credit or tender.provider == STORE_CREDIT_PROVIDER:
            await record_amounts(conn, org_id, tender, refunded_minor=part)
            credited += part if made_by is None else 0
            continue
        outcome = await lifecycle.submit_refund(
            conn,
            principal,
            payment,
            tender,
            part,
            refund_id=row["id"],
            key=f"refund:{idempotency_key}:{tender.position}",
            reason=reason,
        )
        if outcome is not None and not outcome.succeeded:
            raise RefundDeclined(
                f"the payment provider {tender.provider!r} declined the refund: {outcome.failure}"
            )
        if outcome is not None and outcome.reference:
            references.append(outcome.reference)
    if credited and payment.customer_id is not None:
        await repo.add_store_credit(
            conn,
            org_id=org_id,
            customer_id=payment.customer_id,
            currency=payment.currency,
            amount_minor=credited,
            reason="refund",
            refund_id=row["id"],
            order_id=order_id,
            actor=principal.actor,
        )
    row = await repo.finish_refund(conn, row["id"], references[0] if references else None)
    status = await sum_up(conn, org_id, order_id)
    refund = refund_out(row)
    await order_timeline.append_events(
        conn,
        org_id,
        order_id,
        [
            (
                "refund.issued",
                {
                    "refund_id": refund.id,
                    "amount": refund.amount,
                    "currency": refund.currency,
                    "destination": destination.value,
                    "provider": provider_name,
                    "return_id": return_id,
                    "status": refund.status,
                    "payment_status": status.value,
                },
            )
        ],
        principal.actor,
    )
    return IssuedRefund(refund, created=True)


def _parts(tenders: list[Tender], amount_minor: int) -> list[tuple[Tender, int]]:
    """How a refund is shared over the payments given (the last one first)."""
    parts = []
    for tender in tenders:
        part = min(amount_minor, tender.amounts.refundable_minor)
        if part > 0:
            parts.append((tender, part))
            amount_minor -= part
    return parts


def spend_store_credit(
    tx: Transaction,
    principal: Principal,
    *,
    order_id: int,
    currency: str,
    amount_minor: int,
) -> None:
    """Draw a new order's payment from its customer's store credit, with the order's COMMIT
    (payments.store_credit); refused 409 `store_credit_insufficient` when it does not cover
    the amount."""
    draw_at_commit(
        tx,
        org_id=principal.org_id,
        order_id=order_id,
        currency=currency,
        amount_minor=amount_minor,
        actor=principal.actor,
    )


async def give_back_store_credit(
    conn: AsyncConnection, principal: Principal, order_id: int, *, amount_minor: int | None = None
) -> None:
    """A cancelled order gives back what its store credit payments have not refunded yet, to
    the customer's balance (a refund like any other: row, ledger entry, event); units
    cancelled off an order give back `amount_minor`, their value, within the same bound."""
    payment = await lock_order_payment(conn, principal.org_id, order_id)
    credit = [t for t in payment.tenders if t.provider == STORE_CREDIT_PROVIDER]
    left = sum(t.amounts.refundable_minor for t in credit)
    amount = left if amount_minor is None else min(amount_minor, left)
    if amount <= 0:
        return
    # What is left to refund only shrinks, so it tells one cancellation of units from another.
    key = (
        f"order-cancelled:{order_id}"
        if amount_minor is None
        else f"units-cancelled:{order_id}:{left - amount}"
    )
    await refund_order(
        conn,
        principal,
        order_id=order_id,
        amount_minor=amount,
        destination=RefundDestination.ORIGINAL_PAYMENT,
        idempotency_key=key,
        reason="order cancelled" if amount_minor is None else "units cancelled",
        from_provider=STORE_CREDIT_PROVIDER,
    )


async def give_back_payment(
    conn: AsyncConnection, principal: Principal, order_id: int, *, key: str, reason: str
) -> PaymentStatus:
    """Give back all the customer's money a cancelled order still holds: the cancellation
    released its authorizations (`release_authorization`), and what was captured is refunded
    (store credit to the customer's balance) less what was refunded already. Returns the
    payment status after."""
    payment = await lock_order_payment(conn, principal.org_id, order_id)
    if payment.refundable_minor > 0:
        await refund_order(
            conn,
            principal,
            order_id=order_id,
            amount_minor=payment.refundable_minor,
            destination=RefundDestination.ORIGINAL_PAYMENT,
            idempotency_key=key,
            reason=reason,
        )
    return (await lock_order_payment(conn, principal.org_id, order_id)).status


async def release_authorization(
    conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
) -> None:
    """Release what the order's payments still hold authorized (a cancelled order captures
    nothing). A provider that declines does not stop the cancellation: the payment notes the
    problem for a person, and `payment.void_declined` is on the timeline."""
    await lifecycle.release_authorizations(conn, principal, order_id, reason=reason)


async def refunded_minor(conn: AsyncConnection, org_id: int, order_id: int) -> int:
    """What the order's refunds add up to, in minor units."""
    return await repo.refunded_total(conn, org_id, order_id)


async def list_refunds(conn: AsyncConnection, org_id: int, order_id: int) -> list[RefundOut]:
    await lock_order_payment(conn, org_id, order_id, lock=False)  # 404 for another's order
    return [refund_out(r) for r in await repo.list_refunds(conn, org_id, order_id)]


async def store_credit(
    conn: AsyncConnection, org_id: int, customer_id: int
) -> list[StoreCreditOut]:
    accounts = await repo.store_credit_of(conn, org_id, customer_id)
    return [
        StoreCreditOut(
            currency=a["currency"],
            balance=from_minor(a["balance_minor"], a["currency"]),
            balance_minor=a["balance_minor"],
            entries=[
                {
                    "amount": from_minor(e["delta_minor"], a["currency"]),
                    "reason": e["reason"],
                    "refund_id": e["refund_id"],
                    "order_id": e["order_id"],
                    "created_at": e["created_at"],
                }
                for e in a["entries"]
            ],
        )
        for a in accounts
    ]


async def store_credit_of_order_customer(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[StoreCreditOut]:
    """The store credit of an order's customer, as customer service sees it beside the order."""
    payment = await lock_order_payment(conn, org_id, order_id, lock=False)
    if payment.customer_id is None:
        return []
    return await store_credit(conn, org_id, payment.customer_id)


def _too_much(left_minor: int, currency: str, *, captured: bool) -> RefundExceedsCaptured:
    if not captured:
        return RefundExceedsCaptured(
            "nothing of the order's payment was captured yet: cancel the order or its units "
            "instead, which releases the authorization",
            field="amount",
        )
    left = from_minor(max(left_minor, 0), currency)
    return RefundExceedsCaptured(
        f"the order can refund at most {left} {currency} more", field="amount"
    )


def refund_out(row: dict[str, Any]) -> RefundOut:
    return RefundOut(
        id=row["id"],
        order_id=row["order_id"],
        return_id=row["return_id"],
        amount=from_minor(row["amount_minor"], row["currency"]),
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        destination=row["destination"],
        provider=row["provider"],
        provider_reference=row["provider_reference"],
        status=row["status"],
        idempotency_key=row["idempotency_key"],
        reason=row["reason"],
        created_at=row["created_at"],
    )
