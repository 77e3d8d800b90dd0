"""Refunds through the payment provider port, or to store credit; never more than was paid,
and at most once per idempotency key. Voids of authorisations that were never captured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.kit.db import Transaction
from orderly.kit.money import from_minor
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import PaymentStatus
from orderly.orders.payments_status import (
    OrderPayment,
    lock_order_payment,
    record_refunded_total,
    record_voided,
)
from orderly.payments import repository as repo
from orderly.payments.errors import (
    PaymentProviderError,
    RefundDeclined,
    RefundExceedsCaptured,
    RefundKeyReused,
    StoreCreditUnavailable,
    VoidDeclined,
)
from orderly.payments.registry import DEFAULT_PROVIDER, payment_provider
from orderly.payments.schemas import RefundDestination, RefundOut, StoreCreditOut
from orderly.payments.store_credit import STORE_CREDIT_METHOD, draw_at_commit
from orderly.tenancy.domain import Principal

STORE_CREDIT_PROVIDER = "store_credit"
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
) -> IssuedRefund:
    """Give money back on an order. The order row stays locked until commit, the refund row
    is inserted only while the order's refunds stay within what was paid, and a key that
    already refunded returns that refund. `made_by` records a refund already made elsewhere
    (by the sales platform the customer paid): no provider is called."""
    org_id = principal.org_id
    payment = await lock_order_payment(conn, org_id, order_id)
    existing = await repo.refund_by_key(conn, org_id, idempotency_key)
    if existing is not None:
        if existing["order_id"] != order_id or existing["amount_minor"] != amount_minor:
            raise RefundKeyReused(
                "this refund key was used for another refund", field="idempotency_key"
            )
        return IssuedRefund(refund_out(existing), created=False)
    refunded = await repo.refunded_total(conn, org_id, order_id)
    if amount_minor <= 0 or amount_minor > payment.paid_minor - refunded:
        raise _too_much(payment.paid_minor - refunded, payment.currency)
    if made_by is not None:
        provider_name, reference = made_by, None
    else:
        provider_name, reference = await _pay_out(
            conn, principal, payment, amount_minor, destination, idempotency_key
        )
    row = await repo.insert_refund(
        conn,
        paid_minor=payment.paid_minor,
        values={
            "org_id": org_id,
            "order_id": order_id,
            "return_id": return_id,
            "amount": amount_minor,
            "currency": payment.currency,
            "destination": destination.value,
            "provider": provider_name,
            "provider_reference": reference,
            "key": idempotency_key,
            "reason": reason,
            "actor": principal.actor,
        },
    )
    if row is None:
        raise _too_much(payment.paid_minor - refunded, payment.currency)
    credited = provider_name == STORE_CREDIT_PROVIDER
    if credited and payment.customer_id is not None:
        await repo.add_store_credit(
            conn,
            org_id=org_id,
            customer_id=payment.customer_id,
            currency=payment.currency,
            amount_minor=amount_minor,
            reason="refund",
            refund_id=row["id"],
            order_id=order_id,
            actor=principal.actor,
        )
    status = await record_refunded_total(
        conn, org_id, order_id, refunded_minor=refunded + amount_minor
    )
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
                    "payment_status": status.value,
                },
            )
        ],
        principal.actor,
    )
    return IssuedRefund(refund, created=True)


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
    """A cancelled order that was paid with store credit gives back what it has not refunded
    yet, to the customer's balance (a refund like any other: row, ledger entry, event); units
    cancelled off an order give back `amount_minor`, their value, within the same bound."""
    payment = await lock_order_payment(conn, principal.org_id, order_id)
    if payment.method != STORE_CREDIT_METHOD:
        return
    left = payment.paid_minor - await repo.refunded_total(conn, principal.org_id, order_id)
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
    )


async def give_back_payment(
    conn: AsyncConnection, principal: Principal, order_id: int, *, key: str, reason: str
) -> PaymentStatus:
    """Give back all the customer's money an order still holds, by the means it was taken: an
    authorisation is voided at the provider, a capture is refunded (store credit to the
    customer's balance) less what was refunded already. Returns the payment status after."""
    payment = await lock_order_payment(conn, principal.org_id, order_id)
    if payment.status is PaymentStatus.AUTHORIZED:
        await _void(conn, principal, payment, key=key, reason=reason)
        return PaymentStatus.VOIDED
    left = payment.paid_minor - await repo.refunded_total(conn, principal.org_id, order_id)
    if left <= 0:
        return payment.status
    await refund_order(
        conn,
        principal,
        order_id=order_id,
        amount_minor=left,
        destination=RefundDestination.ORIGINAL_PAYMENT,
        idempotency_key=key,
        reason=reason,
    )
    return PaymentStatus.REFUNDED


async def release_authorization(
    conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
) -> None:
    """Void the order's authorized payment at its provider (a cancelled order captures
    nothing); a payment in any other state is left as it is. A provider that declines or
    fails does not stop the cancellation: `payment.void_failed` tells a person, and the
    payment stays authorized until its authorization lapses."""
    payment = await lock_order_payment(conn, principal.org_id, order_id)
    if payment.status is not PaymentStatus.AUTHORIZED:
        return
    try:
        async with conn.begin_nested():
            await _void(conn, principal, payment, key=f"cancel:{order_id}", reason=reason)
    except (VoidDeclined, PaymentProviderError) as error:
        await order_timeline.append_events(
            conn,
            principal.org_id,
            order_id,
            [("payment.void_failed", {"reason": reason, "problem": error.detail})],
            principal.actor,
        )


async def _void(
    conn: AsyncConnection, principal: Principal, payment: OrderPayment, *, key: str, reason: str
) -> None:
    """Release an authorisation at the channel's provider; a decline writes nothing."""
    name = await _provider_name(conn, principal, payment)
    try:
        result = await payment_provider(name).void(payment.reference, key)
    except Exception as exc:
        raise PaymentProviderError(f"the payment provider {name!r} failed: {exc}") from None
    if not result.succeeded:
        raise VoidDeclined(
            f"the payment provider {name!r} declined to void the payment: {result.failure_reason}"
        )
    await record_voided(conn, principal.org_id, payment.order_id)
    await order_timeline.append_events(
        conn,
        principal.org_id,
        payment.order_id,
        [
            (
                "payment.voided",
                {
                    "amount": from_minor(payment.amount_minor, payment.currency),
                    "currency": payment.currency,
                    "provider": name,
                    "provider_reference": result.provider_reference,
                    "reason": reason,
                },
            )
        ],
        principal.actor,
    )


async def _provider_name(conn: AsyncConnection, principal: Principal, payment: OrderPayment) -> str:
    settings = await channels.channel_settings(conn, principal.org_id, payment.channel_id)
    return str(settings.get("payment_provider") or DEFAULT_PROVIDER)


async def _pay_out(
    conn: AsyncConnection,
    principal: Principal,
    payment: Any,
    amount_minor: int,
    destination: RefundDestination,
    key: str,
) -> tuple[str, str | None]:
    if destination is RefundDestination.STORE_CREDIT or payment.method == STORE_CREDIT_METHOD:
        # An order paid with store credit is refunded to it: that was its original payment.
        if payment.customer_id is None:
            raise StoreCreditUnavailable(
                "the order has no customer to hold store credit", field="destination"
            )
        return STORE_CREDIT_PROVIDER, None
    name = await _provider_name(conn, principal, payment)
    provider = payment_provider(name)
    try:
        result = await provider.refund(payment.reference, amount_minor, payment.currency, key)
    except Exception as exc:
        raise PaymentProviderError(f"the payment provider {name!r} failed: {exc}") from None
    if not result.succeeded:
        raise RefundDeclined(
            f"the payment provider {name!r} declined the refund: {result.failure_reason}"
        )
    return name, result.provider_reference


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


def _too_much(left_minor: int, currency: str) -> RefundExceedsCaptured:
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
