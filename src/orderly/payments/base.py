"""The payment provider port: what Orderly asks of a payment service provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


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
    # A capture asked to keep the rest of the authorization that the provider made final
    # (the payment could be captured only once): what was left is released.
    released_rest: bool = False


@dataclass(frozen=True, slots=True)
class Authorization:
    """An authorization as its provider reports it, or as it was renewed."""

    succeeded: bool
    expires_at: datetime | None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderAccount:
    """An organization's account at a provider: its credentials opened from the vault."""

    id: int
    code: str
    credentials: dict[str, str]
    settings: dict[str, Any]


class PaymentProvider(Protocol):
    """One adapter per provider. Every call carries an idempotency key, and the same key must
    give the same result however often it is sent (providers honour this themselves; an
    adapter passes the key on).

    `remote` providers are reached over the network: Orderly calls them from a job with no
    transaction open (docs/payments.md). `multicapture` says whether an authorization may be
    captured once per shipment; `can_reauthorize` whether one about to lapse can be renewed."""

    name: str
    remote: bool
    multicapture: bool
    can_reauthorize: bool

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
        *,
        final: bool = True,
    ) -> PaymentResult: ...

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult: ...

    async def reauthorize(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> Authorization: ...
