"""The payment provider port: what Orderly asks of a payment service provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RefundResult:
    succeeded: bool
    provider_reference: str | None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentResult:
    succeeded: bool
    provider_reference: str | None
    failure_reason: str | None = None


class PaymentProvider(Protocol):
    """One adapter per provider. Every call carries an idempotency key, and the same key must
    give the same result however often it is sent (providers honour this themselves; an
    adapter passes the key on)."""

    name: str

    async def refund(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult: ...

    async def capture(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> PaymentResult: ...

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult: ...
