"""Stripe payments for orders a storefront authorized with a PaymentIntent in manual capture:
read the authorization, capture it (once, or once per shipment with multicapture), cancel it,
refund what was captured. See docs/payments.md, "Stripe"."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.errors import InvalidInput
from orderly.payments.providers.stripe import objects
from orderly.payments.providers.stripe.api import PRODUCTION, StripeApi, path_id
from orderly.payments.providers.stripe.objects import (
    CancellationReason,
    StripePaymentIntent,
    StripeRefund,
)
from orderly.payments.providers.stripe.webhooks import verify_webhook

# Every PaymentIntent answer carries its latest charge, where the authorization's expiry and
# multicapture availability are reported.
EXPAND_CHARGE = (("expand[]", "latest_charge"),)


class StripePayments:
    name = "stripe"
    # Stripe cannot extend a card authorization in general: one about to run out is flagged
    # for a person, who asks the customer to pay again.
    can_reauthorize = False

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str = PRODUCTION,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.api = StripeApi(secret_key, base_url=base_url, transport=transport, timeout=timeout)

    async def __aenter__(self) -> StripePayments:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.api.aclose()

    async def retrieve(self, payment_intent_id: str) -> StripePaymentIntent:
        intent = path_id(payment_intent_id, field="payment_intent_id")
        body = await self.api.get(f"/v1/payment_intents/{intent}", EXPAND_CHARGE)
        return objects.payment_intent(body)

    async def capture(
        self, payment_intent_id: str, amount_minor: int, *, final: bool, idempotency_key: str
    ) -> StripePaymentIntent:
        """Capture `amount_minor` of the authorization. A final capture (the only one, unless
        the PaymentIntent has multicapture) releases what is left; `final=False` keeps the rest
        for later captures and is refused by Stripe without multicapture."""
        intent = path_id(payment_intent_id, field="payment_intent_id")
        fields: list[tuple[str, str | int | bool]] = [
            ("amount_to_capture", _positive(amount_minor, "amount")),
            *EXPAND_CHARGE,
        ]
        if not final:
            # Stripe's default is a final capture; the parameter is only for multicapture.
            fields.append(("final_capture", False))
        body = await self.api.post(
            f"/v1/payment_intents/{intent}/capture", fields, idempotency_key=idempotency_key
        )
        return objects.payment_intent(body)

    async def cancel(
        self,
        payment_intent_id: str,
        *,
        reason: CancellationReason | str,
        idempotency_key: str,
    ) -> StripePaymentIntent:
        """Cancel the PaymentIntent, releasing what is still authorized."""
        intent = path_id(payment_intent_id, field="payment_intent_id")
        try:
            why = CancellationReason(reason)
        except ValueError:
            known = ", ".join(r.value for r in CancellationReason)
            raise InvalidInput(f"reason must be one of {known}", field="reason") from None
        body = await self.api.post(
            f"/v1/payment_intents/{intent}/cancel",
            [("cancellation_reason", why.value), *EXPAND_CHARGE],
            idempotency_key=idempotency_key,
        )
        return objects.payment_intent(body)

    async def refund(
        self, payment_intent_id: str, amount_minor: int, *, idempotency_key: str
    ) -> StripeRefund:
        path_id(payment_intent_id, field="payment_intent_id")
        body = await self.api.post(
            "/v1/refunds",
            [
                ("payment_intent", payment_intent_id),
                ("amount", _positive(amount_minor, "amount")),
            ],
            idempotency_key=idempotency_key,
        )
        return objects.refund(body)

    @staticmethod
    def verify_webhook(
        payload: bytes,
        signature_header: str | None,
        secret: str,
        *,
        now: float,
        tolerance_seconds: int = 300,
    ) -> dict[str, Any]:
        return verify_webhook(
            payload, signature_header, secret, now=now, tolerance_seconds=tolerance_seconds
        )


def _positive(amount_minor: int, field: str) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 1:
        raise InvalidInput(f"{field} must be a whole number of minor units above 0", field=field)
    return amount_minor
