"""Etsy signs webhooks after the Standard Webhooks scheme, keyed by the endpoint's signing
secret (`whsec_` and base64 of the key): HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.
<body>", sent as one or more space-separated "v1,<base64>" in `webhook-signature`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not one)
# Standard Webhooks refuses a timestamp more than five minutes from the receiver's clock.
TOLERANCE_SECONDS = 300


class SignatureInvalid(ValueError):
    pass


def signing_key(secret: str) -> bytes:
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise SignatureInvalid("the connection's webhook_secret is not an Etsy signing secret")
    return key


def signed(key: bytes, *, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(key, content, hashlib.sha256).digest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime) -> str:
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
    expected = signed(signing_key(secret), webhook_id=webhook_id, timestamp=timestamp, body=body)
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return webhook_id
    raise SignatureInvalid("no webhook-signature matches")
