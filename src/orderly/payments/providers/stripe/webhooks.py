"""Stripe's webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]`, each
v1 the HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint's signing secret (whsec_...).
Several v1 values come while a secret is being rolled; one match is enough."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from orderly.payments.providers.stripe.errors import StripeSignatureInvalid

SIGNATURE_HEADER = "Stripe-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300


def expected_signature(secret: str, timestamp: int, payload: bytes) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a Stripe-Signature header; elements of other
    schemes (such as v0) are left out."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        if not part.strip():
            continue
        name, equals, value = part.strip().partition("=")
        if not equals:
            raise StripeSignatureInvalid(f"{SIGNATURE_HEADER} is malformed")
        if name == "t":
            if timestamp is not None or not value.isdigit():
                raise StripeSignatureInvalid(f"{SIGNATURE_HEADER} has no single valid t=")
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise StripeSignatureInvalid(f"{SIGNATURE_HEADER} has no t= timestamp")
    if not signatures:
        raise StripeSignatureInvalid(f"{SIGNATURE_HEADER} has no {SCHEME} signature")
    return timestamp, signatures


def verify_webhook(
    payload: bytes,
    signature_header: str | None,
    secret: str,
    *,
    now: float,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """The event Stripe sent, once the signature matches the raw body and its timestamp is
    within `tolerance_seconds` of `now` (Unix seconds) either way; raises
    `StripeSignatureInvalid` otherwise. Verify the raw bytes, before any JSON parsing."""
    if not secret:
        raise StripeSignatureInvalid("no webhook signing secret is configured for Stripe")
    if not signature_header or not signature_header.strip():
        raise StripeSignatureInvalid(f"the {SIGNATURE_HEADER} header is missing")
    timestamp, signatures = parse_header(signature_header)
    expected = expected_signature(secret, timestamp, payload).encode()
    matched = False
    for candidate in signatures:
        # Every candidate is compared, in constant time, whatever the earlier ones gave.
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise StripeSignatureInvalid("no v1 signature matches the body")
    if abs(now - timestamp) > tolerance_seconds:
        raise StripeSignatureInvalid(
            f"the signature's timestamp is more than {tolerance_seconds} s from now"
        )
    try:
        event = json.loads(payload)
    except ValueError:
        raise StripeSignatureInvalid("the signed body is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise StripeSignatureInvalid("the signed body is not a Stripe event")
    return event
