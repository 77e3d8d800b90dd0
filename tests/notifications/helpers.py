"""Running the notification jobs' bodies directly, as the worker would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.notifications import sending
from orderly.notifications.tasks import dispatch_all
from orderly.settings import Settings
from tests.factories import Org


async def run_mail(db: Database, settings: Settings, org: Org, now: datetime | None = None) -> int:
    """Dispatch every new event, then send this organization's due messages."""
    await dispatch_all(db)
    return await sending.send_due_notifications(db, settings, org_id=org.id, now=now)


async def messages(client: httpx.AsyncClient, org: Org, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/notifications", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def subscribe(
    client: httpx.AsyncClient, org: Org, url: str, types: list[str], **headers: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks",
        json={"url": url, "event_types": types, "description": "ERP"},
        headers={**org.headers, **headers},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())
