"""Webhook subscriptions (per organization, with the event types they want) and their
delivery log, dead-letter list and manual redelivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit import outbound
from orderly.kit.clock import utcnow
from orderly.kit.errors import Forbidden
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.kit.vault import Vault
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
from orderly.tenancy.domain import Permission, Principal

# Who may open a private network to a webhook: those who administer access.
GRANTS_NETWORKS = Permission.ACCESS_ADMIN


def _check_url(url: str, networks: list[str], *, allow_private_urls: bool) -> str:
    """The URL as it will be called, if it may be: see kit.outbound."""
    policy = outbound.OutboundPolicy(allow_private_urls, outbound.networks_of(networks))
    try:
        return outbound.check_url(url, policy, field="url")
    except outbound.InvalidOutboundUrl as error:
        raise InvalidWebhookUrl(error.detail, field="url") from None


def _granted_networks(principal: Principal, networks: list[str]) -> list[str]:
    if not principal.can(GRANTS_NETWORKS):
        raise Forbidden(
            f"only owners and admins may set allowed_networks (the role is "
            f"{principal.role.value!r})",
            field="allowed_networks",
        )
    return outbound.parse_networks(networks, field="allowed_networks")


async def create_subscription(
    conn: AsyncConnection,
    principal: Principal,
    data: WebhookIn,
    vault: Vault,
    *,
    allow_private_urls: bool,
) -> WebhookCreated:
    networks = _granted_networks(principal, data.allowed_networks) if data.allowed_networks else []
    url = _check_url(data.url, networks, allow_private_urls=allow_private_urls)
    secret = new_webhook_secret()
    row = await repository.insert_subscription(
        conn,
        {
            "org_id": principal.org_id,
            "url": url,
            "allowed_networks": networks,
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
    conn: AsyncConnection,
    principal: Principal,
    subscription_id: int,
    data: WebhookPatch,
    *,
    allow_private_urls: bool = False,
) -> WebhookOut:
    org_id = principal.org_id
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "active"):
        if name in values and values[name] is None:
            del values[name]  # these cannot be emptied
    if "allowed_networks" in values:
        values["allowed_networks"] = _granted_networks(principal, values["allowed_networks"] or [])
    if "url" in values or "allowed_networks" in values:
        # The URL and the networks it may reach are checked together, as they will be used.
        current = await repository.subscription(conn, org_id, subscription_id, for_update=True)
        if current is None:
            raise WebhookNotFound(f"no webhook {subscription_id}")
        url: str = values["url"] if "url" in values else current["url"]
        networks: list[str] = (
            values["allowed_networks"]
            if "allowed_networks" in values
            else current["allowed_networks"]
        )
        values["url"] = _check_url(url, networks, allow_private_urls=allow_private_urls)
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
