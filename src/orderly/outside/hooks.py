"""Providers' webhooks (`POST /hooks/outside/{provider_id}`, no login: the provider's signature
is the key). A delivery verified by its signature is kept once by its id and makes the provider
be polled at once."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from orderly.kit.deps import Conn
from orderly.kit.jobs import defer_job
from orderly.kit.problems import responses
from orderly.outside import repository as repo
from orderly.outside.access import Installation
from orderly.outside.errors import ProviderNotFound, WebhookRefused
from orderly.outside.service import POLL_TASK
from orderly.outside.shipbob import webhooks as shipbob

hooks = APIRouter(tags=["locations operated by others"])
ProviderId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_BODY = 1_000_000


@hooks.post(
    "/hooks/outside/{provider_id}",
    status_code=204,
    summary="A provider's webhook (ShipBob): verified, kept once, and the provider polled",
    responses=responses(401, 404),
)
async def provider_webhook(provider_id: ProviderId, request: Request, conn: Conn) -> Response:
    row = await repo.provider_by_id(conn, provider_id)
    if row is None or row.kind != "shipbob":
        raise ProviderNotFound(f"no provider {provider_id} takes webhooks")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise WebhookRefused("the delivery is too large")
    installation = Installation.of(request.app.state.settings)
    secret = installation.vault.open_json(row.credentials_encrypted).get("webhook_secret", "")
    headers = {k.lower(): v for k, v in request.headers.items()}
    delivery = shipbob.verify(secret, headers, body, now=time.time())
    fresh = await repo.record_event(
        conn,
        org_id=row.org_id,
        provider_id=row.id,
        event_id=f"webhook:{delivery}",
        kind="webhook",
        reference=None,
        status="applied",
        payload={"topic": headers.get("x-webhook-topic")},
    )
    if fresh and row.active:
        await defer_job(conn, POLL_TASK, lock=f"provider:{row.id}:poll", provider_id=row.id)
    return Response(status_code=204)
