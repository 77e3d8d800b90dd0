"""The `sales_platform` provider: the customer paid a sales platform (Shopify, WooCommerce, ...)
that a connection brings orders from, so the money moves there, never here. A refund is made on
the platform and recorded in Orderly when the platform reports it (docs/channels.md), so it is
never made twice; a cancellation is pushed to the platform, which voids there."""

from __future__ import annotations

import hashlib

from orderly.payments.base import PaymentResult, RefundResult

REFUND_ON_THE_PLATFORM = (
    "the customer paid the sales platform: refund the order there, and Orderly records the "
    "refund when the platform reports it"
)


def _reference(kind: str, idempotency_key: str) -> str:
    return f"platform-{kind}-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class SalesPlatformProvider:
    name = "sales_platform"

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
    ) -> PaymentResult:
        return PaymentResult(False, None, "the payment is captured on the sales platform")

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult:
        # The cancellation pushed to the platform releases the payment there.
        return PaymentResult(True, _reference("void", idempotency_key))
