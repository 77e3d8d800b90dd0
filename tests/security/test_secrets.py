"""Secrets never show up in logs, errors or API responses: API keys (only their hash is kept),
webhook signing secrets (shown once, at creation), carrier credentials (never returned) and user
passwords. A run of requests creates and uses each; every response and log line is scanned."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.factories import make_org
from tests.security.routes import SPEC
from tests.security.world import carrier_secret

LOGGERS = ("orderly", "uvicorn", "uvicorn.error", "uvicorn.access", "procrastinate", "")
PASSWORD = "correct horse battery staple 42"


class Recorder:
    """Every response of the run, and where each secret may legitimately appear (once)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.responses: list[tuple[str, httpx.Response]] = []

    async def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, path, **kwargs)
        self.responses.append((f"{method} {path}", response))
        return response


async def test_secrets_stay_secret(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    call = Recorder(client)
    org = await make_org(db)
    h = org.headers
    secrets: dict[str, str] = {"admin key": org.key}
    shown_once: dict[str, str] = {}  # secret name -> the one response allowed to carry it

    issued = await call("POST", "/v1/api-keys", json={"name": "shop", "role": "integration"},
                        headers=h)  # fmt: skip
    assert issued.status_code == 201
    secrets["issued key"] = issued.json()["key"]
    shown_once["issued key"] = "POST /v1/api-keys"
    issued_headers = {"Authorization": f"Bearer {secrets['issued key']}"}
    assert (await call("GET", "/v1/orders", headers=issued_headers)).status_code == 200
    listed = (await call("GET", "/v1/api-keys", headers=h)).json()
    assert {k["prefix"] for k in listed} >= {secrets["issued key"][:12]}
    await call("POST", f"/v1/api-keys/{issued.json()['id']}/revoke", headers=h)
    refused = await call("GET", "/v1/orders", headers=issued_headers)
    assert refused.status_code == 401
    wrong = {"Authorization": f"Bearer {secrets['issued key']}x"}
    assert (await call("GET", "/v1/orders", headers=wrong)).status_code == 401

    secrets["carrier credential"] = carrier_secret("SEC")
    carrier = await call(
        "POST",
        "/v1/carriers",
        json={"code": "own", "name": "Own", "credentials": {"password": carrier_secret("SEC")}},
        headers=h,
    )
    assert carrier.status_code == 201 and carrier.json()["has_credentials"] is True
    await call("GET", "/v1/carriers", headers=h)
    too_long = {"code": "own2", "name": "x", "credentials": {"k": carrier_secret("SEC") * 400}}
    assert (await call("POST", "/v1/carriers", json=too_long, headers=h)).status_code == 422

    secrets["platform token"] = "shpat_" + "5" * 32
    secrets["platform app secret"] = "shpss_" + "6" * 32
    connection = await call(
        "POST",
        "/v1/connections",
        json={
            "channel": "web",
            "platform": "shopify",
            "base_url": "https://secret-shop.myshopify.com",
            "credentials": {
                "access_token": secrets["platform token"],
                "client_secret": secrets["platform app secret"],
            },
        },
        headers=h,
    )
    assert connection.status_code == 201, connection.text
    await call("GET", f"/v1/connections/{connection.json()['id']}", headers=h)
    await call("GET", "/v1/connections", headers=h)
    await call(
        "PATCH",
        f"/v1/connections/{connection.json()['id']}",
        json={"credentials": {"access_token": secrets["platform token"], "client_secret": "x"}},
        headers=h,
    )

    secrets["payment secret key"] = "sk_test_" + "7" * 32
    secrets["payment webhook secret"] = "whsec_" + "8" * 32
    account = await call(
        "POST",
        "/v1/payment-accounts",
        json={
            "code": "stripe-main",
            "provider": "stripe",
            "credentials": {
                "secret_key": secrets["payment secret key"],
                "webhook_secret": secrets["payment webhook secret"],
            },
        },
        headers=h,
    )
    assert account.status_code == 201, account.text
    await call("GET", "/v1/payment-accounts", headers=h)
    unsigned = await call(
        "POST", f"/hooks/payments/stripe/{account.json()['id']}", content=b'{"id": "evt_1"}'
    )
    assert unsigned.status_code == 400

    hook = await call("GET", "/v1/tracking/webhook", headers=h)
    secrets["tracking secret"] = hook.json()["secret"]
    shown_once["tracking secret"] = "GET /v1/tracking/webhook"  # its settings page, for admins
    bad = await call(
        "POST",
        "/v1/tracking/events",
        json={"events": []},
        headers={
            "X-Orderly-Account": hook.json()["account_token"],
            "X-Orderly-Signature": "t=1,v1=00",
        },
    )
    assert bad.status_code in {401, 422}

    if "/v1/webhooks" in SPEC["paths"]:
        created = await call(
            "POST",
            "/v1/webhooks",
            json={"url": "https://hooks.example.com/orderly", "event_types": ["*"]},
            headers=h,
        )
        assert created.status_code == 201, created.text
        secrets["webhook secret"] = created.json()["secret"]
        shown_once["webhook secret"] = "POST /v1/webhooks"
        await call("GET", "/v1/webhooks", headers=h)
        await call("GET", f"/v1/webhooks/{created.json()['id']}", headers=h)

    secrets["password"] = PASSWORD
    async with db.transaction() as transaction:
        conn = transaction.connection
        await users.create_user(
            conn, org_id=org.id, email="ann@example.com", password=PASSWORD, role=Role.MANAGER
        )
    async with db.transaction() as transaction:
        conn = transaction.connection
        with pytest.raises(users.SignInFailed) as failed:
            await users.authenticate(
                conn, org=org.slug, email="ann@example.com", password=PASSWORD + "!"
            )
    assert PASSWORD not in str(failed.value)

    for name, secret in secrets.items():
        # Past the prefix that lists show, nothing of an API key may appear.
        needle = secret[12:] if name.endswith("key") else secret
        carriers = [label for label, response in call.responses if needle in response.text]
        allowed = [shown_once[name]] if name in shown_once else []
        assert carriers == allowed, f"the {name} is in the response to {carriers}"
        for record in caplog.records:
            line = record.getMessage() + str(record.args) + str(record.exc_text or "")
            assert needle not in line, f"the {name} is logged by {record.name}"
