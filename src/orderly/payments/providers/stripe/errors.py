"""Stripe's error object (`{"error": {"type", "code", "decline_code", "message", "param",
"payment_intent"}}`) turned into Orderly's errors, keeping Stripe's own words and codes.

Stripe answers 402 for a card error, 400 for an invalid request, 401/403 for a key it refuses,
404 for an object it does not know, 409 while a request with the same idempotency key is still
running, 429 when rate limited and 5xx when it failed (see docs/payments.md, "Stripe")."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from orderly.kit.errors import InvalidInput, Unauthorized
from orderly.kit.vendor_http import VendorErrors, excerpt
from orderly.payments.errors import PaymentProviderError, RefundExceedsCaptured

# Stripe's own reason for cancelling an authorization that ran out before it was captured.
EXPIRED = "expired"
UNEXPECTED_STATE = "payment_intent_unexpected_state"
# Codes Stripe gives a refund above what is left to refund (see docs/payments.md: the first is
# what integrations meet, neither is named for this case in Stripe's specification).
REFUND_TOO_LARGE = frozenset({"amount_too_large", "charge_already_refunded"})


class StripeAccountInvalid(InvalidInput):
    """The Stripe account's own settings are missing or wrong (no secret key)."""

    code = "payment_account_invalid"


class StripeUnavailable(PaymentProviderError):
    """5xx, timeouts or no connection, after the retries: try again later with the same key.
    After a 5xx the request may have been carried out: read the PaymentIntent before a new key."""

    code = "payment_provider_unavailable"
    status = 503


class StripeRequestInFlight(StripeUnavailable):
    """Stripe is still working on a request with the same idempotency key (409)."""

    code = "payment_request_in_flight"


class StripeOutcomeUnknown(StripeUnavailable):
    """Stripe's answer was lost or unreadable: the request may or may not have been done."""

    code = "payment_outcome_unknown"
    status = 504


class StripeRateLimited(PaymentProviderError):
    """Stripe rate-limits the account for longer than a job should wait."""

    code = "payment_provider_rate_limited"
    status = 503


class StripeCredentialsRefused(PaymentProviderError):
    """401 or 403: the secret key is wrong, revoked, or a restricted key lacks a permission."""

    code = "payment_credentials_refused"


class StripeRefused(PaymentProviderError):
    """Stripe refused the request; the same request would fail again. `detail` carries
    Stripe's message, `extra` its type, code, decline code and parameter."""

    code = "payment_provider_refused"
    status = 422


class PaymentDeclined(StripeRefused):
    """A card error (402): the issuer or Stripe declined; `extra["decline_code"]` says why."""

    code = "payment_declined"
    status = 402


class PaymentStateConflict(StripeRefused):
    """The PaymentIntent's status does not allow this: captured already, cancelled, ..."""

    code = "payment_unexpected_state"
    status = 409


class AuthorizationExpired(PaymentStateConflict):
    """The authorization ran out before it was captured; Stripe cancelled the PaymentIntent.
    Stripe cannot extend it: a person has to ask the customer to pay again."""

    code = "payment_authorization_expired"


class CaptureExceedsCapturable(StripeRefused):
    code = "capture_exceeds_capturable"


class MulticaptureUnavailable(StripeRefused):
    """A capture that is not the last one, on a PaymentIntent that cannot be captured twice."""

    code = "multicapture_unavailable"
    status = 409


class RefundAboveCaptured(StripeRefused, RefundExceedsCaptured):
    code = "refund_exceeds_captured"
    status = 422


class IdempotencyKeyReused(StripeRefused):
    """The idempotency key was first used for another request (another amount, another path)."""

    code = "payment_idempotency_key_reused"


class PaymentNotFound(StripeRefused):
    code = "payment_not_found"


class StripeSignatureInvalid(Unauthorized):
    """A webhook whose Stripe-Signature is missing, malformed, wrong or too old."""

    code = "stripe_signature_invalid"


STRIPE_ERRORS = VendorErrors(
    unavailable=StripeUnavailable,
    busy=StripeRateLimited,
    credentials_refused=StripeCredentialsRefused,
    refused=StripeRefused,
    outcome_unknown=StripeOutcomeUnknown,
)


@dataclass(frozen=True, slots=True)
class StripeErrorBody:
    status: int
    type: str
    code: str
    decline_code: str
    message: str
    param: str
    intent_status: str
    intent_cancellation_reason: str

    def extra(self) -> dict[str, Any]:
        found = {
            "vendor_status": self.status,
            "vendor_type": self.type,
            "vendor_code": self.code,
            "decline_code": self.decline_code,
            "vendor_param": self.param,
        }
        return {key: value for key, value in found.items() if value}


def error_body(status: int, content: bytes) -> StripeErrorBody | None:
    """Stripe's error object, or None when the body is not one."""
    try:
        body = json.loads(content or b"null")
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    intent = error.get("payment_intent")
    intent = intent if isinstance(intent, dict) else {}
    return StripeErrorBody(
        status=status,
        type=_text(error.get("type")),
        code=_text(error.get("code")),
        decline_code=_text(error.get("decline_code")),
        message=_text(error.get("message")) or f"Stripe answered {status}",
        param=_text(error.get("param")),
        intent_status=_text(intent.get("status")),
        intent_cancellation_reason=_text(intent.get("cancellation_reason")),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def stripe_error(error: StripeErrorBody, *, path: str) -> PaymentProviderError:
    """The Orderly error for Stripe's error object, answered to a request at `path`."""
    extra = error.extra()
    said = error.message
    if error.status in (401, 403):
        return StripeCredentialsRefused(f"Stripe refused the secret key: {said}", extra=extra)
    if error.status == 409:
        return StripeRequestInFlight(
            f"Stripe is still working on a request with this key: {said}", extra=extra
        )
    if error.status == 402 or error.type == "card_error":
        return PaymentDeclined(f"Stripe declined the payment: {said}", extra=extra)
    if error.type == "idempotency_error":
        return IdempotencyKeyReused(
            f"the idempotency key was used for another request: {said}", extra=extra
        )
    if error.code == UNEXPECTED_STATE:
        if error.intent_cancellation_reason == EXPIRED:
            return AuthorizationExpired(
                f"the authorization expired before it was captured: {said}", extra=extra
            )
        return PaymentStateConflict(said, extra=extra)
    if error.status == 404 or error.code == "resource_missing":
        return PaymentNotFound(f"Stripe has no such object: {said}", extra=extra)
    if error.param == "amount_to_capture":
        return CaptureExceedsCapturable(said, field="amount", extra=extra)
    if error.param == "final_capture":
        return MulticaptureUnavailable(said, extra=extra)
    if path.endswith("/refunds") and (error.code in REFUND_TOO_LARGE or error.param == "amount"):
        return RefundAboveCaptured(said, field="amount", extra=extra)
    return StripeRefused(f"Stripe refused the request: {said}", extra=extra)


class RateLimitBackoff:
    """Stripe asks for exponential backoff on 429 and sends no Retry-After to say how long:
    each 429 in a row doubles the wait (with jitter) that the shared vendor HTTP waits out."""

    def __init__(self, *, first_wait: float, longest: float) -> None:
        self.first_wait = first_wait
        self.longest = longest
        self.in_a_row = 0

    def next_wait(self) -> float:
        wait = min(self.first_wait * float(2**self.in_a_row), self.longest)
        self.in_a_row += 1
        return wait * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.in_a_row = 0


def response_hook(backoff: RateLimitBackoff) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook: a Stripe error object becomes an Orderly error carrying Stripe's
    code and message; a 429 without Retry-After gets the next backoff as its Retry-After; a 5xx
    Stripe says not to retry (its idempotency layer would replay it) stops the retries. Other
    429s and 5xx are left to the shared vendor HTTP, which retries them."""

    async def hook(response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            if "retry-after" not in response.headers:
                response.headers["Retry-After"] = f"{backoff.next_wait():.3f}"
            return
        backoff.reset()
        if status >= 500:
            if response.headers.get("stripe-should-retry") == "false":
                await response.aread()
                raise StripeUnavailable(
                    f"Stripe answered {status} and replays that answer to this idempotency key: "
                    f"{excerpt(response)}",
                    extra={"vendor_status": status},
                )
            return
        if status < 400:
            return
        await response.aread()
        error = error_body(status, response.content)
        if error is not None:
            raise stripe_error(error, path=response.request.url.path)

    return hook
