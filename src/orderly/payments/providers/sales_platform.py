"""The `sales_platform` provider: the customer paid a sales platform (Shopify, WooCommerce, ...)
that a connection brings orders from, so the money moves there, never here. A refund is made on
the platform and recorded in Orderly when the platform reports it (docs/channels.md), so it is
never made twice; a cancellation is pushed to the platform, which voids there, and a capture
at shipment is the platform's own."""

from __future__ import annotations

import hashlib

from orderly.payments.base import Authorization, PaymentResult, RefundResult

REFUND_ON_THE_PLATFORM = (
    "the customer paid the sales platform: refund the order there, and Orderly records the "
    "refund when the platform reports it"
)


def _reference(kind: str, idempotency_key: str) -> str:
    return f"platform-{kind}-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class SalesPlatformProvider:
    name = "sales_platform"
    remote = False
    multicapture = True
    can_reauthorize = False

    async def refund(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult:
        return RefundResult(False, None, REFUND_ON_THE_PLATFORM)

    async def capture(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        *,
        final: bool = True,
    ) -> PaymentResult:
        # The platform takes the money as it sees the goods leave: Orderly only records it.
        return PaymentResult(True, _reference("capture", idempotency_key))

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult:
        # The cancellation pushed to the platform releases the payment there.
        return PaymentResult(True, _reference("void", idempotency_key))

    async def reauthorize(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> Authorization:
        return Authorization(False, None, "the sales platform holds the payment")
