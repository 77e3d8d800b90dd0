"""Which template a message uses: the organization's for the order's channel, else its
default for every channel, else the built-in one; and editing and previewing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.notifications import repository
from orderly.notifications.customer_links import for_customer
from orderly.notifications.domain import KIND_OF_EVENT, NotificationKind
from orderly.notifications.rendering import (
    SAMPLE_EVENTS,
    SAMPLE_ORDER,
    RenderedMessage,
    TemplateSource,
    default_template,
    message_context,
    render,
)
from orderly.notifications.schemas import PreviewIn, TemplateIn, TemplateOut
from orderly.orders import service as orders
from orderly.settings import Settings

ALL_CHANNELS = ""


@dataclass(frozen=True, slots=True)
class ChosenTemplate:
    source: TemplateSource
    enabled: bool
    origin: str  # "channel", "organization" or "default"
    channel: str


async def template_for(
    conn: AsyncConnection, org_id: int, kind: NotificationKind, channel: str
) -> ChosenTemplate:
    rows = await repository.templates_for(conn, org_id, kind.value, [channel, ALL_CHANNELS])
    by_channel = {r["channel"]: r for r in rows}
    row = by_channel.get(channel) if channel else None
    origin = "channel"
    if row is None:
        row, origin = by_channel.get(ALL_CHANNELS), "organization"
    if row is None:
        return ChosenTemplate(default_template(kind), True, "default", ALL_CHANNELS)
    source = TemplateSource(row["subject"], row["body_text"], row["body_html"])
    return ChosenTemplate(source, bool(row["enabled"]), origin, row["channel"])


async def get_template(
    conn: AsyncConnection, org_id: int, kind: NotificationKind, channel: str | None
) -> TemplateOut:
    code = await _channel(conn, org_id, channel)
    chosen = await template_for(conn, org_id, kind, code)
    return _out(kind, code, chosen)


async def put_template(
    conn: AsyncConnection,
    org_id: int,
    kind: NotificationKind,
    channel: str | None,
    data: TemplateIn,
) -> TemplateOut:
    """Save after a trial render with the sample order, so that a broken template is refused
    (422 naming the part) rather than failing on a customer's message."""
    code = await _channel(conn, org_id, channel)
    source = TemplateSource(data.subject, data.body_text, data.body_html)
    await render(source, _sample_context(kind))
    await repository.save_template(
        conn,
        {
            "org_id": org_id,
            "kind": kind.value,
            "channel": code,
            "subject": data.subject,
            "body_text": data.body_text,
            "body_html": data.body_html,
            "enabled": data.enabled,
        },
    )
    return await get_template(conn, org_id, kind, channel)


async def reset_template(
    conn: AsyncConnection, org_id: int, kind: NotificationKind, channel: str | None
) -> TemplateOut:
    code = await _channel(conn, org_id, channel)
    await repository.delete_template(conn, org_id, kind.value, code)
    return await get_template(conn, org_id, kind, channel)


async def preview(
    conn: AsyncConnection,
    org_id: int,
    kind: NotificationKind,
    data: PreviewIn,
    *,
    settings: Settings,
) -> RenderedMessage:
    """Render with a real order (and its latest event of this kind) or the sample order, with
    the saved template or the one given (to see an edit before saving it)."""
    if data.order_id is None:
        order, event_type, event = SAMPLE_ORDER, _event_type(kind), SAMPLE_EVENTS[kind]
        channel = data.channel or ALL_CHANNELS
    else:
        found = await orders.get_order(conn, org_id, data.order_id)
        order, channel = found.model_dump(mode="json"), found.channel
        event_type, event = await _latest_event(conn, org_id, data.order_id, kind)
    if data.event is not None:
        event = data.event
    if data.template is not None:
        source = TemplateSource(
            data.template.subject, data.template.body_text, data.template.body_html
        )
    else:
        source = (await template_for(conn, org_id, kind, channel)).source
    event = for_customer(settings, org_id, event_type, event)
    return await render(
        source, message_context(order, event_type, event, public_url=settings.public_url)
    )


async def _latest_event(
    conn: AsyncConnection, org_id: int, order_id: int, kind: NotificationKind
) -> tuple[str, dict[str, Any]]:
    types = {t for t, k in KIND_OF_EVENT.items() if k is kind}
    if kind is NotificationKind.PICKUP_EXPIRING:
        types = {"fulfillment.ready_for_pickup"}
    found: tuple[str, dict[str, Any]] = (_event_type(kind), SAMPLE_EVENTS[kind])
    cursor: str | None = None
    for _ in range(20):  # a timeline of up to 4,000 events
        page = await orders.order_events(conn, org_id, order_id, limit=200, cursor=cursor)
        for e in page.items:
            if e.type in types:
                found = (e.type, e.data)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found


def _event_type(kind: NotificationKind) -> str:
    if kind is NotificationKind.PICKUP_EXPIRING:
        return "fulfillment.ready_for_pickup"
    return next(t for t, k in KIND_OF_EVENT.items() if k is kind)


def _sample_context(kind: NotificationKind) -> dict[str, Any]:
    return message_context(
        SAMPLE_ORDER, _event_type(kind), SAMPLE_EVENTS[kind], public_url="https://example.com"
    )


async def _channel(conn: AsyncConnection, org_id: int, channel: str | None) -> str:
    """'' for every channel; else a channel of the organization (422 naming `channel`)."""
    if not channel:
        return ALL_CHANNELS
    policy = await channels.channel_policy(conn, org_id, channel)
    return policy.code


def _out(kind: NotificationKind, channel: str, chosen: ChosenTemplate) -> TemplateOut:
    return TemplateOut(
        kind=kind,
        channel=channel or None,
        source=chosen.origin,
        enabled=chosen.enabled,
        subject=chosen.source.subject,
        body_text=chosen.source.body_text,
        body_html=chosen.source.body_html,
    )
