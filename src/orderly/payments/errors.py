from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound, OrderlyError


class UnknownPaymentProvider(InvalidInput):
    code = "unknown_payment_provider"


class RefundExceedsCaptured(InvalidInput):
    code = "refund_exceeds_captured"


class RefundKeyReused(InvalidInput):
    code = "refund_key_reused"


class StoreCreditUnavailable(InvalidInput):
    code = "store_credit_unavailable"


class RefundDeclined(Conflict):
    code = "refund_declined"


class VoidDeclined(Conflict):
    code = "void_declined"


class RefundNotFound(NotFound):
    code = "refund_not_found"


class PaymentProviderError(OrderlyError):
    code = "payment_provider_error"
    status = 502
    title = "Payment provider failed"


class StoreCreditInsufficient(Conflict):
    code = "store_credit_insufficient"


class PaymentAccountNotFound(NotFound):
    code = "payment_account_not_found"


class WebhookSignatureInvalid(OrderlyError):
    """A provider's webhook whose signature is missing, wrong or stale: nothing is written."""

    code = "webhook_signature_invalid"
    status = 400
    title = "Webhook signature invalid"
