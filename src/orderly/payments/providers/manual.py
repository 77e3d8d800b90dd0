"""The built-in `manual` provider: money moves offline (a bank transfer, cash at the counter)
and Orderly only records it. Every call succeeds, with a reference derived from the key, so the
same key always gives the same reference."""

from __future__ import annotations

import hashlib

from orderly.payments.base import Authorization, PaymentResult, RefundResult


def _reference(kind: str, idempotency_key: str) -> str:
    return f"manual-{kind}-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class ManualProvider:
    name = "manual"
    remote = False
    # Money that moves offline is taken as the goods leave, shipment by shipment.
    multicapture = True
    can_reauthorize = False

    async def refund(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult:
        return RefundResult(True, _reference("refund", idempotency_key))

    async def capture(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        *,
        final: bool = True,
    ) -> PaymentResult:
        return PaymentResult(True, _reference("capture", idempotency_key))

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult:
        return PaymentResult(True, _reference("void", idempotency_key))

    async def reauthorize(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> Authorization:
        return Authorization(False, None, "a manual payment is renewed by a person, offline")
