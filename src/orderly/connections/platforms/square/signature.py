"""Square signs each webhook with its subscription's signature key: the base64 of an
HMAC-SHA256 over the notification URL followed by the raw body. The URL is the one the
subscription names, so it must be exactly the URL Orderly gives out for the connection."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


class SignatureInvalid(ValueError):
    pass


def expected_signature(signature_key: str, *, notification_url: str, body: bytes) -> str:
    signed = notification_url.encode() + body
    digest = hmac.new(signature_key.encode(), signed, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    signature_key: str, headers: Mapping[str, str], body: bytes, *, notification_url: str
) -> None:
    """Raises `SignatureInvalid` unless the delivery is signed for this URL and body.
    `headers` have lower-cased names."""
    given = headers.get(SIGNATURE_HEADER, "")
    if not given:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} missing")
    if not notification_url:
        raise SignatureInvalid("no notification URL to check the signature against")
    expected = expected_signature(signature_key, notification_url=notification_url, body=body)
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the URL and body")
