"""ShipBob's webhooks (2026-01 subscriptions), signed as Standard Webhooks: HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}` keyed by the base64 after `whsec_`. A delivery is only
a nudge: the provider is polled at once, and the poll's event ids keep the news applied once."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from orderly.outside.errors import WebhookRefused

# What makes an order's news: a shipment left, or was cancelled (order.shipment.cancelled).
TOPICS = ("order.shipped", "order.shipment.cancelled")
# A delivery older (or newer) than this is refused: a replay.
TOLERANCE_SECONDS = 300


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> str:
    """The delivery's id, when its signature is ShipBob's; raises WebhookRefused otherwise."""
    delivery = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (delivery and timestamp.isdigit() and signatures and secret.startswith("whsec_")):
        raise WebhookRefused("not a signed ShipBob delivery")
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookRefused("the delivery's timestamp is too far from now")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except (binascii.Error, ValueError):
        raise WebhookRefused("the stored signing secret is not ShipBob's") from None
    signed = f"{delivery}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return delivery
    raise WebhookRefused("the signature is not ShipBob's")
