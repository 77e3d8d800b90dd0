"""Reading the customer messages Orderly sent (or is about to), and their raw .eml."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.notifications import mailer, repository
from orderly.notifications.domain import NotificationKind, NotificationStatus
from orderly.notifications.errors import MessageNotRendered, NotificationNotFound
from orderly.notifications.rendering import RenderedMessage
from orderly.notifications.schemas import NotificationDetail, NotificationOut
from orderly.settings import Settings


async def list_notifications(
    conn: AsyncConnection,
    org_id: int,
    *,
    status: NotificationStatus | None,
    kind: NotificationKind | None,
    recipient: str | None,
    order_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[NotificationOut]:
    before = id_cursor(cursor)
    filters = {
        "status": status.value if status else None,
        "kind": kind.value if kind else None,
        "recipient": recipient,
        "order_id": order_id,
    }
    rows = await repository.list_notifications(
        conn, org_id, filters=filters, limit=limit + 1, before_id=before
    )
    items = [NotificationOut(**r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def get_notification(
    conn: AsyncConnection, org_id: int, notification_id: int
) -> NotificationDetail:
    return NotificationDetail(**await _row(conn, org_id, notification_id))


async def raw_message(
    conn: AsyncConnection, org_id: int, notification_id: int, settings: Settings
) -> bytes:
    """The message as sent (or as written to the outbox directory), in RFC 5322 form."""
    row = await _row(conn, org_id, notification_id)
    if row["subject"] is None or row["recipient"] is None:
        raise MessageNotRendered("this message has not been composed yet")
    message = mailer.build_message(
        notification_id=row["id"],
        org_id=org_id,
        sender=settings.smtp_from,
        recipient=row["recipient"],
        rendered=RenderedMessage(row["subject"], row["body_text"], row["body_html"]),
        date=row["sent_at"] or row["updated_at"],
    )
    return message.as_bytes()


async def _row(conn: AsyncConnection, org_id: int, notification_id: int) -> dict[str, Any]:
    row = await repository.notification(conn, org_id, notification_id)
    if row is None:
        raise NotificationNotFound(f"no notification {notification_id}")
    return row
