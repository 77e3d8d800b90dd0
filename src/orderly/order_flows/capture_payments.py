"""A captured order's payments, as the request sent them: each tender's provider (store credit,
or the channel's), what it authorized or captured, and when its authorization lapses.
docs/payments.md, "An order's payments"."""

from __future__ import annotations

from datetime import datetime

from orderly.orders.domain import PaymentStatus, TenderAmounts, summary_status
from orderly.orders.errors import StoreCreditPaymentInvalid
from orderly.orders.records import PaymentRecord
from orderly.orders.schemas import OrderIn
from orderly.payments import service as payments
from orderly.payments.registry import (
    DEFAULT_PROVIDER,
    authorization_window,
    multicapture_by_default,
)

S = PaymentStatus
_AUTHORIZED = frozenset({S.AUTHORIZED, S.PARTIALLY_CAPTURED, S.CAPTURED, S.PARTIALLY_REFUNDED})
_CAPTURED = frozenset({S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED})


def check_store_credit_tenders(payload: OrderIn) -> None:
    """Store credit is drawn when the order is captured, from the balance of the customer with
    the order's e-mail address: checked before any round trip."""
    for n, tender in enumerate(payload.tenders):
        if tender.method == payments.PAID_WITH_STORE_CREDIT and tender.status is not S.CAPTURED:
            field = "payment.status" if payload.payments is None else f"payments.{n}.status"
            raise StoreCreditPaymentInvalid(
                "a payment with store credit is drawn at capture: send status 'captured'",
                field=field,
            )


def tender_records(
    payload: OrderIn,
    tender_minor: tuple[int, ...],
    *,
    total_minor: int,
    short_cancelled: bool,
    channel_provider: str | None,
    account_id: int | None,
    account_multicapture: bool | None,
    captured_at: datetime,
) -> tuple[PaymentRecord, ...]:
    """The order's payments. A pending tender with no amount, method or reference is no
    payment (an order sent without one). Store credit is drawn for no more than the order owes
    once units short were cancelled."""
    records = []
    for position, (tender, amount) in enumerate(
        zip(payload.tenders, tender_minor, strict=True), start=1
    ):
        if tender.status is S.PENDING and not (amount or tender.method or tender.reference):
            continue
        credit = tender.method == payments.PAID_WITH_STORE_CREDIT
        if credit and short_cancelled:
            others = sum(tender_minor) - amount
            amount = max(0, min(amount, total_minor - others))
        provider = (
            payments.STORE_CREDIT_PROVIDER if credit else channel_provider or DEFAULT_PROVIDER
        )
        window = authorization_window(provider)
        expires = tender.authorization_expires_at
        if expires is None and window is not None and tender.status in (S.AUTHORIZED,):
            expires = captured_at + window
        records.append(
            PaymentRecord(
                position=position,
                method=tender.method,
                provider=provider,
                account_id=None if credit else account_id,
                reference=tender.reference,
                currency=payload.currency,
                amount_minor=amount,
                authorized_minor=amount if tender.status in _AUTHORIZED | _CAPTURED else 0,
                captured_minor=amount if tender.status in _CAPTURED else 0,
                refunded_minor=amount if tender.status is S.REFUNDED else 0,
                status=tender.status.value,
                authorization_expires_at=expires if tender.status is S.AUTHORIZED else None,
                multicapture=multicapture_by_default(provider)
                if account_multicapture is None or credit
                else account_multicapture,
            )
        )
    return tuple(records)


def summary(records: tuple[PaymentRecord, ...]) -> PaymentStatus:
    return summary_status(
        [
            TenderAmounts(
                PaymentStatus(r.status),
                r.amount_minor,
                r.authorized_minor,
                r.captured_minor,
                r.refunded_minor,
            )
            for r in records
        ]
    )
