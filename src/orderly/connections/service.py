"""Connections as the API and the dashboard manage them: create, show, change, remove, and ask
for a pull or a full stock resync. No platform is called here: the jobs do that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.channels.schemas import ChannelPatch
from orderly.connections import repository as repo
from orderly.connections.errors import (
    ChannelAlreadyConnected,
    ConnectionNotFound,
    EventNotFound,
    InvalidCredentials,
)
from orderly.connections.registry import connector_class
from orderly.connections.schemas import (
    ConnectionError_,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    ConnectionSettings,
    EventCounts,
    EventOut,
    SyncQueued,
)
from orderly.kit.jobs import defer_job
from orderly.kit.outbound import OutboundPolicy, check_url, networks_of, parse_networks
from orderly.kit.pagination import Page
from orderly.kit.vault import Vault, vault_for
from orderly.settings import Settings

SET_UP_TASK = "connections:set_up_connection"
PULL_TASK = "connections:pull_orders"
PUSH_STOCK_TASK = "connections:push_stock"
PLATFORM_PAYMENTS = "sales_platform"
PROCESS_EVENT_TASK = "connections:process_event"

PLATFORM_NOTES: Mapping[str, tuple[str, ...]] = {
    "shopify": ("Orders older than 60 days are pulled only with the read_all_orders scope.",),
    "magento": ("Magento Open Source sends no webhooks: its orders are pulled.",),
    "amazon": (
        "Amazon's Orders API v0 calls are deprecated: Orderly moves to Orders v2026-01-01 before"
        " Amazon retires them (27 March 2027).",
    ),
}


class Installation:
    """What the installation decides for every connection: whether private addresses may be
    called, and the public URL that webhook addresses are built from."""

    def __init__(self, *, allow_private_urls: bool, public_url: str, vault: Vault) -> None:
        self.allow_private_urls = allow_private_urls
        self.public_url = public_url.rstrip("/")
        self.vault = vault

    @classmethod
    def of(cls, settings: Settings) -> Installation:
        """The installation as its settings (ORDERLY_*) describe it."""
        return cls(
            allow_private_urls=settings.allow_private_urls,
            public_url=settings.public_url,
            vault=vault_for(settings),
        )

    def policy(self, settings: ConnectionSettings) -> OutboundPolicy:
        return OutboundPolicy(
            allow_private=self.allow_private_urls,
            allowed_networks=networks_of(settings.allowed_networks),
        )

    def webhook_url(self, platform: str, connection_id: int) -> str | None:
        if not connector_class(platform).sends_webhooks:
            return None
        return f"{self.public_url}/hooks/{platform}/{connection_id}"


def _check_credentials(platform: str, credentials: Mapping[str, str]) -> None:
    needed = connector_class(platform).credential_keys
    missing = [k for k in needed if not credentials.get(k)]
    unknown = sorted(set(credentials) - set(needed))
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        raise InvalidCredentials(
            f"{platform} needs the credentials {', '.join(needed)}: {'; '.join(parts)}",
            field="credentials",
        )


def _checked_settings(settings: ConnectionSettings) -> ConnectionSettings:
    parse_networks(settings.allowed_networks, field="settings.allowed_networks")
    return settings


async def create_connection(
    conn: AsyncConnection, org_id: int, data: ConnectionIn, *, installation: Installation
) -> ConnectionOut:
    connector_class(data.platform)  # an unknown platform is a 422 naming the field
    _check_credentials(data.platform, data.credentials)
    settings = _checked_settings(data.settings)
    base_url = check_url(data.base_url, installation.policy(settings), field="base_url")
    channel = await channels.channel_policy(conn, org_id, data.channel)
    row = await repo.insert_connection(
        conn,
        org_id=org_id,
        values={
            "channel_id": channel.id,
            "platform": data.platform,
            "base_url": base_url.rstrip("/"),
            "credentials_encrypted": installation.vault.seal_json(dict(data.credentials)),
            "settings": settings.model_dump(mode="json"),
        },
    )
    if row is None:
        raise ChannelAlreadyConnected(
            f"the channel {data.channel!r} already has a connection", field="channel"
        )
    await _paid_on_the_platform(conn, org_id, channel.id)
    # Webhook subscriptions, the health check and the catalog pull happen in a job: creating a
    # connection never needs the platform to answer.
    await defer_job(conn, SET_UP_TASK, lock=f"connection:{row.id}", connection_id=row.id)
    return await get_connection(conn, org_id, row.id, installation=installation)


async def _paid_on_the_platform(conn: AsyncConnection, org_id: int, channel_id: int) -> None:
    """The platform is the payment provider of the orders it sends: refunds are made there and
    recorded here when it reports them, never made twice."""
    settings = await channels.channel_settings(conn, org_id, channel_id)
    if settings.get("payment_provider") != PLATFORM_PAYMENTS:
        settings["payment_provider"] = PLATFORM_PAYMENTS
        await channels.update_channel(conn, org_id, channel_id, ChannelPatch(settings=settings))


async def get_connection(
    conn: AsyncConnection, org_id: int, connection_id: int, *, installation: Installation
) -> ConnectionOut:
    row = await repo.find_connection(conn, org_id=org_id, connection_id=connection_id)
    if row is None:
        raise ConnectionNotFound(f"no connection {connection_id}")
    return await present(conn, row, installation=installation)


async def list_connections(
    conn: AsyncConnection,
    org_id: int,
    *,
    limit: int,
    after_id: int | None,
    installation: Installation,
) -> Page[ConnectionOut]:
    rows = await repo.list_connections(conn, org_id=org_id, after_id=after_id, limit=limit + 1)
    items = [await present(conn, r, installation=installation) for r in rows[:limit]]
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return Page[ConnectionOut](items=items, next_cursor=next_cursor)


async def update_connection(
    conn: AsyncConnection,
    org_id: int,
    connection_id: int,
    patch: ConnectionPatch,
    *,
    installation: Installation,
) -> ConnectionOut:
    row = await repo.find_connection(conn, org_id=org_id, connection_id=connection_id, lock=True)
    if row is None:
        raise ConnectionNotFound(f"no connection {connection_id}")
    values: dict[str, Any] = {}
    settings = ConnectionSettings.model_validate(row.settings)
    if patch.settings is not None:
        settings = _checked_settings(patch.settings)
        values["settings"] = settings.model_dump(mode="json")
    if patch.base_url is not None:
        values["base_url"] = check_url(
            patch.base_url, installation.policy(settings), field="base_url"
        ).rstrip("/")
    if patch.credentials is not None:
        _check_credentials(row.platform, patch.credentials)
        values["credentials_encrypted"] = installation.vault.seal_json(dict(patch.credentials))
    if patch.active is not None:
        values["active"] = patch.active
    if values:
        if {"base_url", "credentials_encrypted"} & set(values):
            values["health"] = "unknown"
        await repo.update_connection(
            conn, org_id=org_id, connection_id=connection_id, values=values
        )
        # New credentials, address or SKU map: check again and read the catalog's ids again.
        if {"base_url", "credentials_encrypted", "settings"} & set(values) or patch.active:
            await defer_job(
                conn, SET_UP_TASK, lock=f"connection:{connection_id}", connection_id=connection_id
            )
    return await get_connection(conn, org_id, connection_id, installation=installation)


async def delete_connection(conn: AsyncConnection, org_id: int, connection_id: int) -> None:
    if not await repo.delete_connection(conn, org_id=org_id, connection_id=connection_id):
        raise ConnectionNotFound(f"no connection {connection_id}")


async def request_pull(conn: AsyncConnection, org_id: int, connection_id: int) -> SyncQueued:
    await _existing(conn, org_id, connection_id)
    await defer_job(conn, PULL_TASK, lock=f"pull:{connection_id}", connection_id=connection_id)
    return SyncQueued(connection=connection_id, queued="pull")


async def request_stock_resync(
    conn: AsyncConnection, org_id: int, connection_id: int
) -> SyncQueued:
    await _existing(conn, org_id, connection_id)
    marked = await repo.mark_all_skus(conn, org_id=org_id, connection_id=connection_id)
    await defer_job(
        conn, PUSH_STOCK_TASK, lock=f"push:{connection_id}", connection_id=connection_id
    )
    return SyncQueued(connection=connection_id, queued="inventory_resync", skus=marked)


async def list_events(
    conn: AsyncConnection, org_id: int, connection_id: int, *, status: str | None, limit: int
) -> list[EventOut]:
    """The connection's inbox, newest first."""
    await _existing(conn, org_id, connection_id)
    rows = await repo.events(conn, connection_id=connection_id, status=status, limit=limit)
    return [EventOut.model_validate(dict(r._mapping)) for r in rows]


async def retry_event(
    conn: AsyncConnection, org_id: int, connection_id: int, event_row_id: int
) -> EventOut:
    """Map an inbox event again now (after a SKU was created, or a failure was fixed)."""
    await _existing(conn, org_id, connection_id)
    row = await repo.event_of(conn, connection_id=connection_id, event_row_id=event_row_id)
    if row is None:
        raise EventNotFound(f"no event {event_row_id} on connection {connection_id}")
    if row.status in ("needs_mapping", "failed"):
        await repo.reopen_event(conn, event_row_id=event_row_id)
        await defer_job(conn, PROCESS_EVENT_TASK, event_row_id=event_row_id)
    row = await repo.event_of(conn, connection_id=connection_id, event_row_id=event_row_id)
    assert row is not None
    return EventOut.model_validate(dict(row._mapping))


async def _existing(conn: AsyncConnection, org_id: int, connection_id: int) -> sa.Row[Any]:
    row = await repo.find_connection(conn, org_id=org_id, connection_id=connection_id)
    if row is None:
        raise ConnectionNotFound(f"no connection {connection_id}")
    return row


async def present(
    conn: AsyncConnection, row: sa.Row[Any], *, installation: Installation
) -> ConnectionOut:
    counts = await repo.activity_counts(conn, connection_id=row.id)
    errors = await repo.recent_errors(conn, connection_id=row.id)
    unmapped = await repo.unmapped_skus(conn, org_id=row.org_id, connection_id=row.id)
    credential_keys = sorted(installation.vault.open_json(row.credentials_encrypted))
    return ConnectionOut(
        id=row.id,
        channel=row.channel_code,
        platform=row.platform,
        base_url=row.base_url,
        webhook_url=installation.webhook_url(row.platform, row.id),
        active=row.active,
        credential_keys=credential_keys,
        settings=ConnectionSettings.model_validate(row.settings),
        health=row.health,
        health_detail=row.health_detail,
        checked_at=row.checked_at,
        webhooks_registered=[t for t in (row.webhooks_registered or "").split(",") if t],
        pull_cursor=row.pull_cursor,
        last_pull_at=row.last_pull_at,
        last_push_at=row.last_push_at,
        pending_stock_pushes=counts["stock"],
        pending_pushes=counts["pushes"],
        events=EventCounts(
            pending=counts["pending"],
            needs_mapping=counts["needs_mapping"],
            failed=counts["failed"],
        ),
        recent_errors=[
            ConnectionError_(at=e.created_at, activity=e.activity, code=e.code, detail=e.detail)
            for e in errors
        ],
        unmapped_skus=unmapped,
        notes=list(PLATFORM_NOTES.get(row.platform, ())),
        orders_in=_orders_in(row),
        rate_limits=list(getattr(connector_class(row.platform), "rate_limits", ())),
        created_at=row.created_at,
    )


def _orders_in(row: sa.Row[Any]) -> str:
    every = ConnectionSettings.model_validate(row.settings).pull_interval_minutes
    pulled = f"pulled every {every} minute{'s' if every != 1 else ''}"
    if connector_class(row.platform).sends_webhooks:
        return f"webhooks, and {pulled} as a safety net"
    return f"{pulled} (the platform sends no webhooks to us)"
