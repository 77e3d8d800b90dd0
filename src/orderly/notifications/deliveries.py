"""Delivering webhooks: a signed HTTP POST per due delivery, retried with backoff, dead after
the last attempt; at least once, shared by workers (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly import __version__
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.outbound import (
    OutboundAddressRefused,
    OutboundPolicy,
    guarded_client,
    networks_of,
)
from orderly.kit.vault import Vault
from orderly.notifications import repository
from orderly.notifications.domain import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    DeliveryStatus,
    is_success,
    signature,
    webhook_retry_delay,
)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BATCH = 20
LOG_LENGTH = 20
ERROR_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and is_success(self.status_code)


async def deliver_due_webhooks(
    database: Database,
    vault: Vault,
    *,
    now: datetime | None = None,
    org_id: int | None = None,
    max_rounds: int = 50,
    allow_private_urls: bool = False,
) -> int:
    """Post every due delivery (in rounds of BATCH); returns how many attempts were made."""
    attempts = 0
    async with _Clients(allow_private_urls) as clients:
        for _ in range(max_rounds):
            async with database.transaction() as transaction:
                conn = transaction.connection
                at = now or utcnow()
                due = await repository.claim_due_deliveries(conn, at, org_id, BATCH)
                posts = [post(await clients.for_delivery(d), vault, d) for d in due]
                outcomes = await asyncio.gather(*posts)
                for d, outcome in zip(due, outcomes, strict=True):
                    await record(conn, d, outcome, at)
            attempts += len(due)
            if len(due) < BATCH:
                break
    return attempts


class _Clients(contextlib.AsyncExitStack):
    """One HTTP client per outbound policy: a pooled connection, opened under one webhook's
    allowed networks, is never reused for a webhook without them."""

    def __init__(self, allow_private_urls: bool) -> None:
        super().__init__()
        self._allow_private_urls = allow_private_urls
        self._ssl_context: ssl.SSLContext | None = None
        self._clients: dict[OutboundPolicy, httpx.AsyncClient] = {}

    async def for_delivery(self, delivery: dict[str, Any]) -> httpx.AsyncClient:
        policy = OutboundPolicy(self._allow_private_urls, networks_of(delivery["allowed_networks"]))
        if policy not in self._clients:
            self._ssl_context = self._ssl_context or httpx.create_ssl_context(trust_env=False)
            client = guarded_client(policy, timeout=TIMEOUT, ssl_context=self._ssl_context)
            self._clients[policy] = await self.enter_async_context(client)
        return self._clients[policy]


async def post(client: httpx.AsyncClient, vault: Vault, delivery: dict[str, Any]) -> Outcome:
    body = orjson.dumps(delivery["payload"])
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Orderly-Webhooks/{__version__}",
        SIGNATURE_HEADER: signature(vault.open(delivery["secret_sealed"]), timestamp, body),
        EVENT_ID_HEADER: str(delivery["event_id"]),
        EVENT_TYPE_HEADER: delivery["event_type"],
        DELIVERY_ID_HEADER: str(delivery["id"]),
    }
    started = time.monotonic()
    try:
        response = await client.post(delivery["url"], content=body, headers=headers)
    except OutboundAddressRefused as refused:
        return Outcome(None, f"Refused: {refused.detail}"[:ERROR_LENGTH], _ms(started))
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:ERROR_LENGTH], _ms(started))
    # The status's standard phrase, never the receiver's answer: it could be anything an
    # internal service says, and the delivery log is shown to every reader of the account.
    code = response.status_code
    reason = None if is_success(code) else httpx.codes.get_reason_phrase(code) or f"HTTP {code}"
    return Outcome(code, reason, _ms(started))


async def record(
    conn: AsyncConnection, delivery: dict[str, Any], outcome: Outcome, at: datetime
) -> None:
    attempts = int(delivery["attempts"]) + 1
    entry = {
        "at": at.isoformat(),
        "status_code": outcome.status_code,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "log": [*delivery["log"], entry][-LOG_LENGTH:],
    }
    if outcome.delivered:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=at)
    else:
        delay = webhook_retry_delay(attempts)
        if delay is None:
            values.update(status=DeliveryStatus.DEAD.value)
        else:
            values.update(next_attempt_at=at + delay)
    await repository.update_delivery(conn, delivery["id"], **values)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
