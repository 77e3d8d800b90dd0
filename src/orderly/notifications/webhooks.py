"""Webhook subscriptions (per organization, with the event types they want) and their
delivery log, dead-letter list and manual redelivery."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.clock import utcnow
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.notifications import repository
from orderly.notifications.domain import DeliveryStatus, new_webhook_secret
from orderly.notifications.errors import (
    DeliveryPending,
    InvalidWebhookUrl,
    WebhookDeliveryNotFound,
    WebhookNotFound,
)
from orderly.notifications.schemas import (
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from orderly.shipping.vault import Vault


def _check_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise InvalidWebhookUrl("not a URL", field="url") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidWebhookUrl("the URL must be http:// or https:// with a host", field="url")
    return url


async def create_subscription(
    conn: AsyncConnection, org_id: int, data: WebhookIn, vault: Vault
) -> WebhookCreated:
    secret = new_webhook_secret()
    row = await repository.insert_subscription(
        conn,
        {
            "org_id": org_id,
            "url": _check_url(data.url),
            "event_types": sorted(set(data.event_types)),
            "description": data.description,
            "active": data.active,
            "secret_sealed": vault.seal(secret),
        },
    )
    return WebhookCreated(**_public(row), secret=secret)


async def get_subscription(conn: AsyncConnection, org_id: int, subscription_id: int) -> WebhookOut:
    row = await repository.subscription(conn, org_id, subscription_id)
    if row is None:
        raise WebhookNotFound(f"no webhook {subscription_id}")
    return WebhookOut(**_public(row))


async def list_subscriptions(
    conn: AsyncConnection, org_id: int, *, limit: int, cursor: str | None
) -> Page[WebhookOut]:
    after = id_cursor(cursor)
    rows = await repository.list_subscriptions(conn, org_id, limit=limit + 1, after_id=after)
    items = [WebhookOut(**_public(r)) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def update_subscription(
    conn: AsyncConnection, org_id: int, subscription_id: int, data: WebhookPatch
) -> WebhookOut:
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "active"):
        if name in values and values[name] is None:
            del values[name]  # these cannot be emptied
    if "url" in values:
        _check_url(values["url"])
    if "event_types" in values:
        values["event_types"] = sorted(set(values["event_types"]))
    if not values:
        return await get_subscription(conn, org_id, subscription_id)
    row = await repository.update_subscription(conn, org_id, subscription_id, values)
    if row is None:
        raise WebhookNotFound(f"no webhook {subscription_id}")
    return WebhookOut(**_public(row))


async def delete_subscription(conn: AsyncConnection, org_id: int, subscription_id: int) -> None:
    if not await repository.delete_subscription(conn, org_id, subscription_id):
        raise WebhookNotFound(f"no webhook {subscription_id}")


async def list_deliveries(
    conn: AsyncConnection,
    org_id: int,
    *,
    subscription_id: int | None,
    status: DeliveryStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[WebhookDeliveryOut]:
    if subscription_id is not None:
        await get_subscription(conn, org_id, subscription_id)
    before = id_cursor(cursor)
    rows = await repository.list_deliveries(
        conn,
        org_id,
        subscription_id=subscription_id,
        status=status.value if status else None,
        limit=limit + 1,
        before_id=before,
    )
    items = [delivery_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def get_delivery(conn: AsyncConnection, org_id: int, delivery_id: int) -> WebhookDeliveryOut:
    row = await repository.delivery(conn, org_id, delivery_id)
    if row is None:
        raise WebhookDeliveryNotFound(f"no webhook delivery {delivery_id}")
    return delivery_out(row)


async def redeliver(conn: AsyncConnection, org_id: int, delivery_id: int) -> WebhookDeliveryOut:
    """Send a delivery once more, now (by the next run of the delivery job). A dead one that
    fails again goes back to the dead-letter list."""
    row = await repository.delivery(conn, org_id, delivery_id, for_update=True)
    if row is None:
        raise WebhookDeliveryNotFound(f"no webhook delivery {delivery_id}")
    if row["status"] == DeliveryStatus.PENDING.value:
        raise DeliveryPending("this delivery is still being tried; it is not dead")
    await repository.update_delivery(
        conn, delivery_id, status=DeliveryStatus.PENDING.value, next_attempt_at=utcnow()
    )
    return await get_delivery(conn, org_id, delivery_id)


def delivery_out(row: dict[str, Any]) -> WebhookDeliveryOut:
    pending = row["status"] == DeliveryStatus.PENDING.value
    return WebhookDeliveryOut(
        id=row["id"],
        subscription_id=row["subscription_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if pending else None,
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
        log=row["log"],
        payload=row["payload"],
    )


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("secret_sealed", "org_id")}
