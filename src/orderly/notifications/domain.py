"""Rules of notifications and webhooks: which timeline events make which customer message,
when a failed webhook is tried again, and how a delivery is signed. No I/O here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum
from typing import Any


class NotificationKind(StrEnum):
    ORDER_CONFIRMED = "order_confirmed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKUP_EXPIRING = "pickup_expiring"
    RETURN_AUTHORIZED = "return_authorized"
    REFUND_ISSUED = "refund_issued"


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


# The timeline events that tell the customer something. `pickup_expiring` has no event of its
# own: a periodic check finds pickups about to expire (see reminders.py).
KIND_OF_EVENT: dict[str, NotificationKind] = {
    "order.allocated": NotificationKind.ORDER_CONFIRMED,
    "order.backordered": NotificationKind.ORDER_CONFIRMED,
    "fulfillment.shipped": NotificationKind.SHIPPED,
    "fulfillment.partially_shipped": NotificationKind.SHIPPED,
    "shipment.out_for_delivery": NotificationKind.OUT_FOR_DELIVERY,
    "shipment.delivered": NotificationKind.DELIVERED,
    "fulfillment.ready_for_pickup": NotificationKind.READY_FOR_PICKUP,
    "return.authorized": NotificationKind.RETURN_AUTHORIZED,
    "refund.issued": NotificationKind.REFUND_ISSUED,
}


def kind_of_event(event_type: str) -> NotificationKind | None:
    return KIND_OF_EVENT.get(event_type)


# E-mail: a refused message is tried again a few times, then it is failed.
EMAIL_RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)

# Webhooks: the first attempt, then one after each of these delays (9 attempts over about
# 16 hours), then the delivery is dead (the dead-letter list) until redelivered by hand.
WEBHOOK_RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_RETRY_DELAYS) + 1


def retry_delay(attempts_made: int, delays: tuple[timedelta, ...]) -> timedelta | None:
    """How long to wait after `attempts_made` failed attempts; None when it was the last."""
    if attempts_made < 1 or attempts_made > len(delays):
        return None
    return delays[attempts_made - 1]


def webhook_retry_delay(attempts_made: int) -> timedelta | None:
    return retry_delay(attempts_made, WEBHOOK_RETRY_DELAYS)


def email_retry_delay(attempts_made: int) -> timedelta | None:
    return retry_delay(attempts_made, EMAIL_RETRY_DELAYS)


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


# Subscriptions name event types exactly ("order.shipped"), by family ("order.*") or all ("*").
def subscribed(event_types: list[str], event_type: str) -> bool:
    family = event_type.split(".", 1)[0] + ".*"
    return "*" in event_types or event_type in event_types or family in event_types


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


SIGNATURE_HEADER = "Orderly-Signature"
EVENT_ID_HEADER = "Orderly-Event-Id"
EVENT_TYPE_HEADER = "Orderly-Event-Type"
DELIVERY_ID_HEADER = "Orderly-Delivery-Id"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, Stripe's well-known shape."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does: recompute the HMAC and compare in constant time, and refuse a
    timestamp too far from its clock (a replayed request)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


def webhook_payload(event: dict[str, Any]) -> dict[str, Any]:
    """The body of a delivery: the timeline event, as the order's timeline shows it."""
    return {
        "id": str(event["id"]),
        "type": event["type"],
        "created_at": event["created_at"].isoformat(),
        "order_id": event["order_id"],
        "data": event["data"],
    }
