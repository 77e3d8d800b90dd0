"""WooCommerce webhook signatures: base64 HMAC-SHA256 of the raw body with the webhook's secret,
in X-WC-Webhook-Signature. The unsigned ping sent when a webhook is saved is recognised apart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

SIGNATURE_HEADER = "x-wc-webhook-signature"
_PING = re.compile(rb"webhook_id=\d+")


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_matches(body: bytes, signature: str, secret: str) -> bool:
    return hmac.compare_digest(sign(body, secret).encode(), signature.strip().encode())


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """The form body `webhook_id=N` WooCommerce posts, unsigned and without a topic, when a
    webhook is created; nothing else counts as a ping."""
    return (
        SIGNATURE_HEADER not in headers
        and "x-wc-webhook-topic" not in headers
        and _PING.fullmatch(body.strip()) is not None
    )
