"""Stripe behind the `PaymentProvider` port, for one payment account: captures, voids and
refunds of PaymentIntents a storefront authorized. Stripe's refusals are answers (the payment
notes the problem); an outage raises, and the job sends the same idempotency key again."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from orderly.kit.errors import InvalidInput
from orderly.payments.base import Authorization, PaymentResult, ProviderAccount, RefundResult
from orderly.payments.providers.stripe.api import KEY_PREFIXES, PRODUCTION
from orderly.payments.providers.stripe.connector import StripePayments
from orderly.payments.providers.stripe.errors import PaymentStateConflict, StripeRefused
from orderly.payments.providers.stripe.objects import (
    CancellationReason,
    IntentStatus,
    StripePaymentIntent,
)

NAME = "stripe"
# The names of an account's credentials, and how a signing secret begins (no secrets here).
SECRET_KEY = "secret_key"  # noqa: S105
WEBHOOK_SECRET = "webhook_secret"  # noqa: S105
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105
PUBLISHABLE_KEY_PREFIX = "pk_"
# What Orderly tells Stripe when it releases an authorization (a cancelled order).
VOID_REASON = CancellationReason.REQUESTED_BY_CUSTOMER

_transport: httpx.AsyncBaseTransport | None = None


def use_stripe_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    """For tests: send every Stripe account's calls through `transport` (a fake Stripe);
    None sends them to Stripe again."""
    global _transport
    _transport = transport


class PaymentAccountRequired(InvalidInput):
    code = "payment_account_required"


def check_credentials(credentials: Mapping[str, str]) -> None:
    """A Stripe account's credentials as Orderly needs them: the secret (or restricted) key and
    the webhook endpoint's signing secret; 422 naming the field otherwise."""
    unknown = sorted(set(credentials) - {SECRET_KEY, WEBHOOK_SECRET})
    if unknown:
        raise InvalidInput(
            f"a Stripe account takes only {SECRET_KEY} and {WEBHOOK_SECRET}",
            field=f"credentials.{unknown[0]}",
        )
    key = credentials.get(SECRET_KEY, "").strip()
    if key.startswith(PUBLISHABLE_KEY_PREFIX):
        raise InvalidInput(
            "this is a publishable key (pk_...): give the secret key (sk_...) or a restricted "
            "key (rk_...)",
            field=f"credentials.{SECRET_KEY}",
        )
    if not key.startswith(KEY_PREFIXES) or len(key) < 8:
        raise InvalidInput(
            "give the Stripe secret key (sk_...) or a restricted key (rk_...)",
            field=f"credentials.{SECRET_KEY}",
        )
    secret = credentials.get(WEBHOOK_SECRET, "").strip()
    if not secret.startswith(WEBHOOK_SECRET_PREFIX) or len(secret) <= len(WEBHOOK_SECRET_PREFIX):
        raise InvalidInput(
            "give the webhook endpoint's signing secret (whsec_...)",
            field=f"credentials.{WEBHOOK_SECRET}",
        )


class StripeProvider:
    """One Stripe account. Each call opens its own connection to Stripe and closes it."""

    name = NAME
    remote = True
    can_reauthorize = False

    def __init__(
        self,
        account: ProviderAccount,
        *,
        base_url: str = PRODUCTION,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._secret_key = account.credentials.get(SECRET_KEY, "")
        self.multicapture = account.settings.get("multicapture") is True
        self._base_url = base_url
        self._transport = transport

    def _stripe(self) -> StripePayments:
        return StripePayments(self._secret_key, base_url=self._base_url, transport=self._transport)

    async def capture(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        *,
        final: bool = True,
    ) -> PaymentResult:
        """The intent is read first: one without multicapture is captured final even when a
        later capture was meant, and the answer says the rest was released."""
        if not payment_reference:
            return PaymentResult(False, None, _NO_INTENT)
        async with self._stripe() as stripe:
            try:
                intent = await stripe.retrieve(payment_reference)
                if intent.authorization_expired or intent.status == IntentStatus.CANCELED:
                    return PaymentResult(False, None, _cancelled(intent))
                releases_rest = not final and not intent.multicapture_available
                captured = await stripe.capture(
                    payment_reference,
                    amount_minor,
                    final=final or releases_rest,
                    idempotency_key=idempotency_key,
                )
            except (StripeRefused, InvalidInput) as refused:
                return PaymentResult(False, None, refused.detail)
        return PaymentResult(
            True, captured.latest_charge_id or captured.id, released_rest=releases_rest
        )

    async def void(self, payment_reference: str | None, idempotency_key: str) -> PaymentResult:
        """Cancel the intent, releasing what it still holds; one already cancelled, or captured
        in full, holds nothing more: that is success too."""
        if not payment_reference:
            return PaymentResult(False, None, _NO_INTENT)
        async with self._stripe() as stripe:
            try:
                cancelled = await stripe.cancel(
                    payment_reference, reason=VOID_REASON, idempotency_key=idempotency_key
                )
                return PaymentResult(True, cancelled.id)
            except PaymentStateConflict as conflict:
                try:
                    intent = await stripe.retrieve(payment_reference)
                except (StripeRefused, InvalidInput):
                    return PaymentResult(False, None, conflict.detail)
                if intent.status in (IntentStatus.CANCELED, IntentStatus.SUCCEEDED):
                    return PaymentResult(True, intent.id)
                return PaymentResult(False, None, conflict.detail)
            except (StripeRefused, InvalidInput) as refused:
                return PaymentResult(False, None, refused.detail)

    async def refund(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult:
        if not payment_reference:
            return RefundResult(False, None, _NO_INTENT)
        async with self._stripe() as stripe:
            try:
                refund = await stripe.refund(
                    payment_reference, amount_minor, idempotency_key=idempotency_key
                )
            except (StripeRefused, InvalidInput) as refused:
                return RefundResult(False, None, refused.detail)
        if not refund.accepted:
            why = refund.failure_reason or f"the refund is {refund.status}"
            return RefundResult(False, refund.id, f"Stripe did not refund: {why}")
        return RefundResult(True, refund.id)

    async def reauthorize(
        self,
        payment_reference: str | None,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
    ) -> Authorization:
        return Authorization(
            False,
            None,
            "Stripe cannot extend a card authorization: ship and capture before it lapses, or "
            "ask the customer to pay again",
        )


_NO_INTENT = "the payment has no Stripe PaymentIntent id (pi_...) as its reference"


def _cancelled(intent: StripePaymentIntent) -> str:
    if intent.authorization_expired:
        return "the authorization expired before it was captured: ask the customer to pay again"
    return f"Stripe cancelled the PaymentIntent ({intent.cancellation_reason or 'no reason'})"


def stripe_provider(account: ProviderAccount | None) -> StripeProvider:
    """The registry's factory: Stripe is always reached through an organization's account."""
    if account is None:
        raise PaymentAccountRequired(
            "the stripe provider needs a payment account: give the channel "
            'settings["payment_account"] naming one (POST /v1/payment-accounts)',
            field="payment_account",
        )
    return StripeProvider(account, transport=_transport)
