"""BigCommerce signs webhooks after the Standard Webhooks scheme, keyed by the app's client
secret: HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>", sent as "v1,<base64>"."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

# Standard Webhooks refuses a timestamp more than five minutes from the receiver's clock.
TOLERANCE_SECONDS = 300


class SignatureInvalid(ValueError):
    pass


def expected_signature(
    client_secret: str, *, webhook_id: str, timestamp: str, body: bytes
) -> bytes:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(client_secret.encode(), signed, hashlib.sha256).digest()


def verify(client_secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime) -> str:
    """The delivery's `webhook-id` once its signature and timestamp check out; raises
    `SignatureInvalid` otherwise. `headers` have lower-cased names."""
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and timestamp and signatures):
        raise SignatureInvalid("webhook-id, webhook-timestamp or webhook-signature missing")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureInvalid("webhook-timestamp is not a Unix time") from None
    if abs(now.timestamp() - sent_at) > TOLERANCE_SECONDS:
        raise SignatureInvalid("webhook-timestamp is outside the five-minute tolerance")
    expected = expected_signature(
        client_secret, webhook_id=webhook_id, timestamp=timestamp, body=body
    )
    for candidate in signatures.split(" "):
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(expected, given):
            return webhook_id
    raise SignatureInvalid("no webhook-signature matches")
