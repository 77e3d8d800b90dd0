"""An order's money through its life: captured as units ship, released when the order is
cancelled, and each operation sent to the payment's provider. A provider reached over the
network is called by a job with no transaction open (`run_operation`); the others at once.
docs/payments.md, "The lifecycle"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.jobs import defer_job
from orderly.kit.money import from_minor
from orderly.kit.vault import Vault
from orderly.orders import payments_status as order_payments
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import CAPTURABLE
from orderly.orders.payments_status import OrderPayment, Tender
from orderly.payments import operations as ops
from orderly.payments import repository as repo
from orderly.payments.base import ProviderAccount
from orderly.payments.operations import Operation, OperationKind, OperationStatus
from orderly.payments.registry import is_remote, payment_provider
from orderly.tenancy.domain import Principal

STORE_CREDIT_PROVIDER = "store_credit"


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool
    reference: str | None
    failure: str | None = None
    released_rest: bool = False


async def collect_for_shipment(conn: AsyncConnection, principal: Principal, order_id: int) -> None:
    """Capture what the units shipped so far are worth (the shipping price with the first),
    less what was captured or is being captured, from the payments in their order. A payment
    captured only once is captured in full at its first shipment and the rest of its
    authorization released; the order's last shipment releases what is left of every one."""
    payment = await order_payments.lock_order_payment(conn, principal.org_id, order_id)
    if not payment.tenders:
        return
    value, complete = await order_payments.shipped_value(conn, principal.org_id, order_id)
    if value == 0 and not complete:
        return
    target = value + payment.shipping_minor
    taken = sum(t.captured_minor for t in payment.tenders)
    due = target - taken - await ops.pending_captures_minor(conn, principal.org_id, order_id)
    for tender in payment.tenders:
        pending = await ops.pending_of_payment(conn, principal.org_id, tender.id)
        capturing = [o for o in pending if o.kind is OperationKind.CAPTURE]
        if tender.status not in CAPTURABLE or any(o.final for o in capturing):
            continue
        # What captures sent and not yet answered will take is not capturable again.
        in_flight = sum(o.amount_minor for o in capturing)
        capturable = tender.amounts.capturable_minor - in_flight
        take = max(0, min(due, capturable))
        final = complete or not tender.multicapture
        if take > 0:
            # The key names what the payment will have captured with this one: a retry of the
            # same shipment sends the same key, another shipment another.
            up_to = tender.captured_minor + in_flight + take
            await _submit(
                conn,
                principal,
                payment,
                tender,
                OperationKind.CAPTURE,
                take,
                final=final,
                key=f"capture:{order_id}:{tender.position}:{up_to}",
                reason="shipped",
            )
            due -= take
        elif complete and not any(o.kind is OperationKind.VOID for o in pending):
            # Nothing more will ship: what is left of the authorization is let go (asked again
            # under a key of its own if it was declined before).
            tries = await ops.count_of_kind(conn, principal.org_id, tender.id, OperationKind.VOID)
            await _submit(
                conn,
                principal,
                payment,
                tender,
                OperationKind.VOID,
                0,
                key=f"release:{order_id}:{tender.position}:{tries}",
                reason="the order shipped in full",
            )
    if due > 0:
        await order_timeline.append_events(
            conn,
            principal.org_id,
            order_id,
            [
                (
                    "payment.uncollected",
                    {
                        "amount": from_minor(due, payment.currency),
                        "currency": payment.currency,
                        "detail": "units shipped with no authorization left to capture them",
                    },
                )
            ],
            principal.actor,
        )


async def release_authorizations(
    conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
) -> None:
    """Release what is still authorized on the order's payments (a cancelled order captures
    nothing more)."""
    payment = await order_payments.lock_order_payment(conn, principal.org_id, order_id)
    for tender in payment.tenders:
        pending = await ops.pending_of_payment(conn, principal.org_id, tender.id)
        if tender.status not in CAPTURABLE or any(o.kind is OperationKind.VOID for o in pending):
            continue
        # A void declined before is asked again under a key of its own.
        tries = await ops.count_of_kind(conn, principal.org_id, tender.id, OperationKind.VOID)
        await _submit(
            conn,
            principal,
            payment,
            tender,
            OperationKind.VOID,
            tender.amounts.capturable_minor,
            key=f"cancel:{order_id}:{tender.position}:{tries}",
            reason=reason,
        )


async def submit_refund(
    conn: AsyncConnection,
    principal: Principal,
    payment: OrderPayment,
    tender: Tender,
    amount_minor: int,
    *,
    refund_id: int,
    key: str,
    reason: str | None,
) -> Outcome | None:
    """Give `amount_minor` back on the payment, set aside at once (the payment's refunded
    amount); the outcome when the provider answered at once, None when a job will ask it."""
    await order_payments.record_amounts(conn, principal.org_id, tender, refunded_minor=amount_minor)
    return await _submit(
        conn,
        principal,
        payment,
        tender,
        OperationKind.REFUND,
        amount_minor,
        key=key,
        reason=reason,
        refund_id=refund_id,
    )


async def _submit(
    conn: AsyncConnection,
    principal: Principal,
    payment: OrderPayment,
    tender: Tender,
    kind: OperationKind,
    amount_minor: int,
    *,
    key: str,
    reason: str | None,
    final: bool = True,
    refund_id: int | None = None,
) -> Outcome | None:
    operation = await ops.add_operation(
        conn,
        org_id=principal.org_id,
        order_id=payment.order_id,
        payment_id=tender.id,
        kind=kind,
        amount_minor=amount_minor,
        key=f"{principal.org_id}:{key}",
        actor=principal.actor,
        final=final,
        refund_id=refund_id,
        reason=reason,
    )
    if tender.provider != STORE_CREDIT_PROVIDER and is_remote(tender.provider):
        await defer_job(conn, ops.RUN_OPERATION_TASK, operation_id=operation.id)
        return None
    outcome = await _call(tender, operation, account=None)
    await _record(conn, principal.actor, operation, tender, outcome)
    return outcome


async def _call(
    tender: Tender, operation: Operation, *, account: ProviderAccount | None
) -> Outcome:
    """Ask the provider; a failure to reach it is raised, a refusal is an outcome."""
    if tender.provider == STORE_CREDIT_PROVIDER:
        # Money Orderly holds itself: captured at the order, given back to the balance.
        return Outcome(True, None)
    provider = payment_provider(tender.provider, account)
    if operation.kind is OperationKind.CAPTURE:
        result = await provider.capture(
            tender.reference,
            operation.amount_minor,
            tender.currency,
            operation.idempotency_key,
            final=operation.final,
        )
        return Outcome(
            result.succeeded, result.provider_reference, result.failure_reason, result.released_rest
        )
    if operation.kind is OperationKind.VOID:
        result = await provider.void(tender.reference, operation.idempotency_key)
        return Outcome(result.succeeded, result.provider_reference, result.failure_reason)
    refund = await provider.refund(
        tender.reference, operation.amount_minor, tender.currency, operation.idempotency_key
    )
    return Outcome(refund.succeeded, refund.provider_reference, refund.failure_reason)


async def _record(
    conn: AsyncConnection, actor: str | None, operation: Operation, tender: Tender, outcome: Outcome
) -> None:
    """Write what the provider answered: the payment's amounts and status, the operation, the
    refund it belongs to, and the order's timeline."""
    org_id, order_id = operation.org_id, operation.order_id
    tender = await order_payments.tender_by_id(conn, org_id, tender.id)  # as it is now
    status = OperationStatus.SUCCEEDED if outcome.succeeded else OperationStatus.DECLINED
    await ops.settle(
        conn, operation.id, status, provider_reference=outcome.reference, error=outcome.failure
    )
    money = {
        "amount": from_minor(operation.amount_minor, tender.currency),
        "currency": tender.currency,
        "payment": tender.position,
        "provider": tender.provider,
        "provider_reference": outcome.reference,
    }
    kind = operation.kind
    if outcome.succeeded:
        if kind is OperationKind.CAPTURE:
            await order_payments.record_amounts(
                conn,
                org_id,
                tender,
                captured_minor=operation.amount_minor,
                released=operation.final or outcome.released_rest,
            )
            if outcome.released_rest:
                await order_payments.note_authorization(
                    conn, tender, expires_at=None, multicapture=False
                )
            event = "payment.captured"
        elif kind is OperationKind.VOID:
            await order_payments.record_amounts(conn, org_id, tender, released=True)
            event = "payment.voided"
        else:
            await repo.settle_refund(
                conn, operation.refund_id, succeeded=True, provider_reference=outcome.reference
            )
            event = "payment.refunded"
        await order_timeline.append_events(
            conn, org_id, order_id, [(event, {**money, "reason": operation.reason})], actor or ""
        )
        return
    problem = (
        f"the {kind.value} of {money['amount']} {tender.currency} was declined: {outcome.failure}"
    )
    if kind is OperationKind.REFUND:
        # What was set aside for the refund is refundable again.
        await order_payments.record_amounts(
            conn, org_id, tender, refunded_minor=-operation.amount_minor
        )
        await repo.settle_refund(conn, operation.refund_id, succeeded=False)
    else:
        await order_payments.note_problem(conn, tender, problem)
    await order_timeline.append_events(
        conn,
        org_id,
        order_id,
        [(f"payment.{kind.value}_declined", {**money, "problem": outcome.failure})],
        actor or "",
    )


async def run_operation(database: Database, vault: Vault, operation_id: int) -> str:
    """The job: read the operation, call its provider with no transaction open, then write
    the answer, unless another run wrote it first. A provider that cannot be reached raises,
    and the job is tried again with the same idempotency key."""
    async with database.transaction() as tx:
        operation = await ops.operation(tx.connection, operation_id)
        if operation is None or operation.status is not OperationStatus.PENDING:
            return "done before"
        tender = await order_payments.tender_by_id(
            tx.connection, operation.org_id, operation.payment_id
        )
        account = (
            await ops.account(tx.connection, operation.org_id, tender.account_id, vault)
            if tender.account_id is not None
            else None
        )
    try:
        outcome = await _call(tender, operation, account=account)
    except Exception as exc:
        async with database.transaction() as tx:
            await ops.count_attempt(tx.connection, operation_id, f"{type(exc).__name__}: {exc}")
        raise
    async with database.transaction() as tx:
        await order_payments.lock_order_payment(tx.connection, operation.org_id, operation.order_id)
        again = await ops.operation(tx.connection, operation_id, lock=True)
        if again is None or again.status is not OperationStatus.PENDING:
            return "done before"
        tender = await order_payments.tender_by_id(
            tx.connection, operation.org_id, operation.payment_id
        )
        await _record(tx.connection, operation.actor, operation, tender, outcome)
    return "succeeded" if outcome.succeeded else "declined"


# An authorization is looked at this long before it lapses: time enough to ship and capture.
LAPSE_WARNING = timedelta(hours=24)


async def watch_authorizations(database: Database, now: datetime) -> int:
    """Authorizations of unshipped units about to lapse are renewed where the provider allows
    it (one answering at once), else flagged on the payment for a person, who ships and
    captures in time or asks the customer to pay again; one that has lapsed is released (the
    provider let it go) and flagged. Returns how many payments were looked at."""
    async with database.transaction() as tx:
        due = await order_payments.lapsing_authorizations(tx.connection, now + LAPSE_WARNING)
    for org_id, order_id, payment_id in due:
        async with database.transaction() as tx:
            await _watch(tx.connection, org_id, order_id, payment_id, now)
    return len(due)


async def _watch(
    conn: AsyncConnection, org_id: int, order_id: int, payment_id: int, now: datetime
) -> None:
    await order_payments.lock_order_payment(conn, org_id, order_id)
    tender = await order_payments.tender_by_id(conn, org_id, payment_id)
    expires = tender.authorization_expires_at
    if tender.status not in CAPTURABLE or expires is None:
        return
    when = expires.isoformat(timespec="minutes")
    if expires <= now:
        await order_payments.record_amounts(conn, org_id, tender, released=True)
        problem = (
            f"the authorization lapsed at {when} before the order shipped: ask the customer to "
            "pay again"
        )
        await order_payments.note_authorization(conn, tender, expires_at=None)
        await order_payments.note_problem(conn, tender, problem)
        await _flag(conn, org_id, order_id, tender, "payment.authorization_expired", when)
        return
    if tender.problem is not None:
        return  # flagged before
    if not is_remote(tender.provider):
        provider = payment_provider(tender.provider)
        if provider.can_reauthorize:
            renewed = await provider.reauthorize(
                tender.reference,
                tender.authorized_minor - tender.captured_minor,
                tender.currency,
                f"{org_id}:reauthorize:{payment_id}:{when}",
            )
            if renewed.succeeded:
                await order_payments.note_authorization(conn, tender, expires_at=renewed.expires_at)
                await _flag(conn, org_id, order_id, tender, "payment.reauthorized", when)
                return
    problem = (
        f"the authorization lapses at {when}: ship and capture before, or ask the customer to "
        "pay again"
    )
    await order_payments.note_problem(conn, tender, problem)
    await _flag(conn, org_id, order_id, tender, "payment.authorization_lapsing", when)


async def _flag(
    conn: AsyncConnection, org_id: int, order_id: int, tender: Tender, event: str, when: str
) -> None:
    await order_timeline.append_events(
        conn,
        org_id,
        order_id,
        [(event, {"payment": tender.position, "provider": tender.provider, "expires_at": when})],
        "system:payments",
    )
