"""The webhook inbox: a platform's webhook is verified by its own signature, kept raw in the
request's transaction (once per platform event id), and handed to a job to map."""

from __future__ import annotations

from orderly.connections import repository as repo
from orderly.connections.access import connector_for
from orderly.connections.errors import ConnectionNotFound
from orderly.connections.port import InboundRequest
from orderly.connections.registry import connector_class
from orderly.connections.service import PROCESS_EVENT_TASK, Installation
from orderly.connections.sync import store_event
from orderly.kit.db import Transaction
from orderly.kit.jobs import defer_job


async def receive_webhook(
    tx: Transaction,
    installation: Installation,
    *,
    platform: str,
    connection_id: int,
    headers: dict[str, str],
    body: bytes,
) -> bool:
    """Keep the webhook; False for a ping or an event received before. Raises
    `WebhookRefused` (401) for a bad signature and `ConnectionNotFound` (404)."""
    connector_class(platform)
    row = await repo.find_connection_for_hook(
        tx.connection, connection_id=connection_id, platform=platform
    )
    if row is None:
        raise ConnectionNotFound(f"no {platform} connection {connection_id}")
    inbound = InboundRequest(
        url=installation.webhook_url(platform, connection_id) or "",
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
    )
    event = connector_for(row, installation).read_webhook(inbound)
    if event is None:
        return False
    event_row_id = await store_event(tx, row, event)
    if event_row_id is None:
        return False
    await defer_job(tx.connection, PROCESS_EVENT_TASK, event_row_id=event_row_id)
    return True
