"""Shopify webhooks: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body, keyed with
the app's client secret; the event id and topic headers name the delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from orderly.connections.platforms.shopify.mapping import legacy_id
from orderly.connections.port import InboundRequest


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def is_signed_by(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), signature.strip().encode())


def delivery_key(request: InboundRequest, topic: str) -> str:
    """Shopify's event id is shared by every topic one merchant action triggers, so the topic is
    part of the key; a resent delivery keeps both."""
    event_id = request.headers.get("x-shopify-event-id")
    if event_id:
        return f"{event_id}:{topic}"
    webhook_id = request.headers.get("x-shopify-webhook-id")
    if webhook_id:
        return f"webhook:{webhook_id}"
    return "body:" + hashlib.sha256(topic.encode() + b"\n" + request.body).hexdigest()


def order_id_of(topic: str, payload: dict[str, Any]) -> str | None:
    if topic.startswith("orders/") and payload.get("id") is not None:
        return legacy_id(payload["id"])
    if payload.get("order_id") is not None:
        return legacy_id(payload["order_id"])
    return None
