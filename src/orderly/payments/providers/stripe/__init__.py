"""Stripe, through its PaymentIntents API in manual capture: read, capture (multicapture per
shipment where the card allows it), cancel, refund, and webhook signatures."""

from orderly.payments.providers.stripe.connector import StripePayments
from orderly.payments.providers.stripe.objects import (
    CancellationReason,
    IntentStatus,
    StripePaymentIntent,
    StripeRefund,
)
from orderly.payments.providers.stripe.webhooks import verify_webhook

__all__ = [
    "CancellationReason",
    "IntentStatus",
    "StripePaymentIntent",
    "StripePayments",
    "StripeRefund",
    "verify_webhook",
]
