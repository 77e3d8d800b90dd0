"""Turning a kind of message, an order and its event into a subject, a text and an HTML body.

Templates are Jinja2 in a sandbox with limits, in a child process (an organization's template
is code its staff typed): HTML is autoescaped, text and subject are not. Built-in defaults live
in ``templates/``.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orderly.notifications.domain import NotificationKind
from orderly.notifications.errors import InvalidTemplate
from orderly.notifications.renderers import Refusal, render_isolated

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class TemplateSource:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    body_text: str
    body_html: str


@functools.cache
def default_template(kind: NotificationKind) -> TemplateSource:
    def read(suffix: str) -> str:
        return (TEMPLATE_DIR / f"{kind.value}{suffix}").read_text(encoding="utf-8")

    return TemplateSource(
        subject=read(".subject.txt").strip(), body_text=read(".txt"), body_html=read(".html")
    )


async def render(source: TemplateSource, context: dict[str, Any]) -> RenderedMessage:
    """Render the three parts off the event loop and within the sandbox's limits; a template
    that fails or goes past a limit, for any reason, is InvalidTemplate naming the part."""
    sources = {
        "subject": source.subject,
        "body_text": source.body_text,
        "body_html": source.body_html,
    }
    parts = await asyncio.to_thread(render_isolated, sources, context)
    if isinstance(parts, Refusal):
        raise InvalidTemplate(parts.reason, field=parts.field)
    subject = " ".join(parts["subject"].split())  # a header is one line
    return RenderedMessage(subject, parts["body_text"], parts["body_html"])


def message_context(
    order: dict[str, Any], event_type: str, event: dict[str, Any], *, public_url: str
) -> dict[str, Any]:
    """What every template may use: `order`, `customer`, `event` (the timeline event's data),
    and per kind `tracking`/`tracking_url`, `pickup`, `rma`, `refund`, `partial`."""
    tracking = [
        {
            "number": number,
            "carrier": carrier,
            "url": f"{public_url.rstrip('/')}/track/{number}",
        }
        for number, carrier in _tracking_numbers(event)
    ]
    expires = _parse_time(event.get("expires_at"))
    return {
        "order": order,
        "customer": order.get("customer") or {},
        "event": event,
        "tracking": tracking,
        "tracking_url": tracking[0]["url"] if tracking else None,
        "partial": event_type == "fulfillment.partially_shipped",
        "pickup": {
            "code": event.get("pickup_code"),
            "location": event.get("location") or order.get("pickup_location"),
            "expires_at": event.get("expires_at"),
            "expires_on": expires.strftime("%d %B %Y, %H:%M UTC") if expires else None,
        },
        "rma": {
            "number": event.get("return_number") or event.get("number") or event.get("return_id"),
            # A link the customer can open (notifications.customer_links), never the API's.
            "label_url": event.get("label_url"),
            "tracking_number": event.get("tracking_number"),
        },
        "refund": {
            "amount": event.get("amount"),
            "currency": event.get("currency") or order.get("currency"),
        },
    }


def _tracking_numbers(event: dict[str, Any]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    parcels = event.get("parcels")
    for parcel in parcels if isinstance(parcels, list) else []:
        if isinstance(parcel, dict) and parcel.get("tracking_number"):
            found.append((str(parcel["tracking_number"]), parcel.get("carrier")))
    if not found and event.get("tracking_number"):
        found.append((str(event["tracking_number"]), event.get("carrier")))
    return list(dict.fromkeys(found))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


SAMPLE_ORDER: dict[str, Any] = {
    "id": 0,
    "number": "SO-1001",
    "channel": "web",
    "status": "allocated",
    "currency": "EUR",
    "customer": {"email": "ada@example.com", "name": "Ada Lovelace", "phone": None},
    "delivery_method": "ship",
    "pickup_location": "STORE-1",
    "shipping_address": {"name": "Ada Lovelace", "city": "London", "country": "GB"},
    "lines": [
        {"line_no": 1, "sku": "TEE-BLK-M", "quantity": 2, "unit_price": "19.99", "total": "39.98"},
        {"line_no": 2, "sku": "CAP-RED", "quantity": 1, "unit_price": "12.00", "total": "12.00"},
    ],
    "subtotal": "51.98",
    "discount": "0.00",
    "tax": "0.00",
    "shipping": "4.90",
    "total": "56.88",
}

SAMPLE_EVENTS: dict[NotificationKind, dict[str, Any]] = {
    NotificationKind.ORDER_CONFIRMED: {"hold_reasons": []},
    NotificationKind.SHIPPED: {
        "parcels": [{"id": 1, "tracking_number": "RT000000001", "carrier": "demo"}]
    },
    NotificationKind.OUT_FOR_DELIVERY: {"tracking_number": "RT000000001"},
    NotificationKind.DELIVERED: {"tracking_number": "RT000000001"},
    NotificationKind.READY_FOR_PICKUP: {
        "pickup_code": "482913",
        "location": "STORE-1",
        "expires_at": "2030-01-08T18:00:00+00:00",
    },
    NotificationKind.PICKUP_EXPIRING: {
        "pickup_code": "482913",
        "location": "STORE-1",
        "expires_at": "2030-01-08T18:00:00+00:00",
    },
    NotificationKind.RETURN_AUTHORIZED: {
        "number": "RMA-1001",
        "label_url": "https://example.com/returns/label/sample-link",
        "tracking_number": "RT000000002",
    },
    NotificationKind.REFUND_ISSUED: {"amount": "39.98", "currency": "EUR"},
}
