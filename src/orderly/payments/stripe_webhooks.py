"""Stripe's webhooks for a payment account: verified with the endpoint's signing secret over
the raw body and kept raw, once by the event's id, in the request's transaction; a job applies
them. They tell Orderly what happened to a payment outside it: an authorization Stripe let go,
a refund made in Stripe's Dashboard, an amount captured there. docs/payments.md, "Stripe's
webhooks"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.jobs import defer_job
from orderly.kit.money import from_minor
from orderly.kit.vault import Vault
from orderly.orders import payments_status as order_payments
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import CAPTURABLE
from orderly.orders.payments_status import Tender
from orderly.payments import operations as ops
from orderly.payments import service
from orderly.payments.errors import PaymentAccountNotFound, WebhookSignatureInvalid
from orderly.payments.operations import OperationKind
from orderly.payments.providers.stripe import provider as stripe
from orderly.payments.providers.stripe.errors import EXPIRED, StripeSignatureInvalid
from orderly.payments.providers.stripe.objects import MULTICAPTURE_AVAILABLE, IntentStatus
from orderly.payments.providers.stripe.webhooks import verify_webhook
from orderly.payments.schemas import RefundDestination
from orderly.tenancy.domain import Principal, Role

ACTOR = "stripe"

Handler = Callable[[AsyncConnection, int, int, str, dict[str, Any]], Awaitable[str]]


APPLY_TASK = "payments:apply_webhook_event"


async def receive(
    conn: AsyncConnection,
    vault: Vault,
    *,
    account_id: int,
    payload: bytes,
    signature: str | None,
    now: float,
) -> str:
    """Verify and keep one delivery, and defer its job: "received", or "duplicate" for an event
    kept before. An unknown account is 404; a bad signature 400, and nothing is written."""
    account = await ops.webhook_account(conn, account_id)
    if account is None or account["provider"] != stripe.NAME:
        raise PaymentAccountNotFound(f"no Stripe payment account {account_id}")
    secret = vault.open_json(account["credentials"]).get(stripe.WEBHOOK_SECRET, "")
    try:
        event = verify_webhook(payload, signature, secret, now=now)
    except StripeSignatureInvalid as refused:
        raise WebhookSignatureInvalid(refused.detail) from None
    row_id = await ops.remember_webhook_event(
        conn,
        org_id=account["org_id"],
        account_id=account_id,
        event_id=event["id"],
        event_type=_text(event.get("type")),
        payload=event,
    )
    if row_id is None:
        return "duplicate"
    await defer_job(conn, APPLY_TASK, event_row_id=row_id)
    return "received"


async def apply_event(database: Database, event_row_id: int) -> str:
    """The job: apply a kept event in one transaction, once; what became of it ("released",
    "refunded", "captured", "ignored")."""
    async with database.transaction() as tx:
        conn = tx.connection
        kept = await ops.webhook_event_to_apply(conn, event_row_id)
        if kept is None:
            return "done before"
        event = kept["payload"]
        data = event.get("data")
        subject = data.get("object") if isinstance(data, dict) else None
        handler = _HANDLERS.get(kept["type"])
        outcome = "ignored"
        if handler is not None and isinstance(subject, dict):
            outcome = await handler(conn, kept["org_id"], kept["account_id"], kept["type"], subject)
        await ops.webhook_event_applied(conn, event_row_id, outcome)
    return outcome


async def _released(
    conn: AsyncConnection, org_id: int, account_id: int, event_type: str, intent: dict[str, Any]
) -> str:
    """`payment_intent.canceled`: Stripe let the authorization go (it expired, or someone
    cancelled the PaymentIntent in the Dashboard). A void Orderly sent is recorded by its job."""
    tender = await _payment(conn, org_id, account_id, _text(intent.get("id")))
    if tender is None or tender.status not in CAPTURABLE:
        return "ignored"
    pending = await ops.pending_of_payment(conn, org_id, tender.id)
    if any(o.kind is OperationKind.VOID for o in pending):
        return "ignored"
    reason = _text(intent.get("cancellation_reason")) or "none given"
    await order_payments.record_amounts(conn, org_id, tender, released=True)
    await order_payments.note_authorization(conn, tender, expires_at=None)
    if reason == EXPIRED:
        event, what = "payment.authorization_expired", "the authorization expired at Stripe"
    else:
        event, what = "payment.authorization_released", f"Stripe cancelled the payment ({reason})"
    problem = f"{what} before it was captured: ask the customer to pay again"
    await order_payments.note_problem(conn, tender, problem)
    await _on_timeline(conn, org_id, tender, event, {"reason": reason, "problem": problem})
    return "released"


async def _refunded(
    conn: AsyncConnection, org_id: int, account_id: int, event_type: str, charge: dict[str, Any]
) -> str:
    """`charge.refunded`: Stripe's `amount_refunded` (all refunds of the charge so far) beyond
    what the payment has refunded or set aside for refunds Orderly sent was refunded in Stripe,
    and is recorded as a refund made there (once: the key is that total)."""
    tender = await _payment(conn, org_id, account_id, _id(charge.get("payment_intent")))
    refunded = _amount(charge.get("amount_refunded"))
    if tender is None or refunded is None:
        return "ignored"
    amount = min(refunded - tender.refunded_minor, tender.amounts.refundable_minor)
    listed = _refund_ids(charge)
    ours = await ops.provider_references(conn, org_id, tender.id)
    theirs = [r for r in listed if r not in ours]
    if amount <= 0 or (listed and not theirs):
        return "ignored"
    charge_id = _text(charge.get("id")) or tender.reference
    await service.refund_order(
        conn,
        _principal(org_id),
        order_id=tender.order_id,
        amount_minor=amount,
        destination=RefundDestination.ORIGINAL_PAYMENT,
        idempotency_key=f"stripe:{charge_id}:refunded:{refunded}",
        reason="refunded in Stripe" + (f" ({', '.join(theirs)})" if theirs else ""),
        made_by=stripe.NAME,
        from_provider=tender.provider,
    )
    return "refunded"


async def _captured(
    conn: AsyncConnection, org_id: int, account_id: int, event_type: str, subject: dict[str, Any]
) -> str:
    """`payment_intent.succeeded` or `charge.captured`: what Stripe captured beyond what the
    payment captured and what Orderly's captures in flight will take was captured outside
    Orderly (in the Dashboard), and is recorded."""
    if event_type == "charge.captured":
        intent_id = _id(subject.get("payment_intent"))
        received = _amount(subject.get("amount_captured"))
        released = not _multicapture(subject)
    else:
        intent_id = _text(subject.get("id"))
        received = _amount(subject.get("amount_received"))
        released = subject.get("status") == IntentStatus.SUCCEEDED
    tender = await _payment(conn, org_id, account_id, intent_id)
    if tender is None or received is None:
        return "ignored"
    pending = await ops.pending_of_payment(conn, org_id, tender.id)
    in_flight = sum(o.amount_minor for o in pending if o.kind is OperationKind.CAPTURE)
    amount = min(
        received - tender.captured_minor - in_flight,
        tender.authorized_minor - tender.captured_minor,
    )
    if amount <= 0:
        return "ignored"
    await order_payments.record_amounts(
        conn, org_id, tender, captured_minor=amount, released=released
    )
    data = {"amount": from_minor(amount, tender.currency), "reason": "captured in Stripe"}
    await _on_timeline(conn, org_id, tender, "payment.captured", data)
    return "captured"


_HANDLERS: dict[str, Handler] = {
    "payment_intent.canceled": _released,
    "charge.refunded": _refunded,
    "payment_intent.succeeded": _captured,
    "charge.captured": _captured,
}


async def _payment(
    conn: AsyncConnection, org_id: int, account_id: int, intent_id: str
) -> Tender | None:
    """The account's payment of this PaymentIntent, read with its order locked."""
    if not intent_id:
        return None
    found = await ops.payment_of_reference(conn, org_id, account_id, intent_id)
    if found is None:
        return None
    order_id, payment_id = found
    await order_payments.lock_order_payment(conn, org_id, order_id)
    return await order_payments.tender_by_id(conn, org_id, payment_id)


async def _on_timeline(
    conn: AsyncConnection, org_id: int, tender: Tender, event: str, data: dict[str, Any]
) -> None:
    about = {
        "payment": tender.position,
        "provider": tender.provider,
        "provider_reference": tender.reference,
        "currency": tender.currency,
    }
    await order_timeline.append_events(
        conn, org_id, tender.order_id, [(event, {**about, **data})], ACTOR
    )


def _principal(org_id: int) -> Principal:
    return Principal(org_id=org_id, role=Role.ADMIN, actor=ACTOR)


def _refund_ids(charge: dict[str, Any]) -> list[str]:
    """The refunds listed on the charge: only where the webhook endpoint expands them (Stripe
    no longer includes them by default)."""
    refunds = charge.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    if not isinstance(listed, list):
        return []
    return [r["id"] for r in listed if isinstance(r, dict) and isinstance(r.get("id"), str)]


def _multicapture(charge: dict[str, Any]) -> bool:
    details = charge.get("payment_method_details")
    card = details.get("card") if isinstance(details, dict) else None
    multicapture = card.get("multicapture") if isinstance(card, dict) else None
    return isinstance(multicapture, dict) and multicapture.get("status") == MULTICAPTURE_AVAILABLE


def _id(value: Any) -> str:
    """An expandable field's id: the id itself, or the object carrying it."""
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _amount(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
