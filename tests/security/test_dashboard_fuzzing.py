"""Hostile input on every dashboard route: NUL bytes, malformed dates and cursors, numbers out
of range, very long text, in path parameters, filters and form fields. The answer is a page or
a redirect, never a server error or a dropped connection. Routes are read from the app, so a
new route is walked without being listed here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from tests.factories import place_order
from tests.web.shop import open_shop, sign_in

HOSTILE = [
    "\x00",
    "a\x00b",
    "-1",
    "99999999999999999999999",
    "2026-13-45",
    "W3RydWVd",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "NaN",
    "x" * 5000,
]
HOSTILE_IDS = ["0", "-1", "99999999999999999999", "abc", "%00", "1e3"]
# Names the dashboard's lists and forms read (query parameters are mostly read by hand, so
# they are not in the routes' signatures).
FIELDS = [
    "q",
    "tag",
    "status",
    "location",
    "sku",
    "channel",
    "created_from",
    "created_to",
    "from",
    "to",
    "cursor",
    "limit",
    "page",
    "kind",
    "quantity",
    "reason",
    "code",
    "amount",
    "email",
    "role",
    "url",
    "note",
    "line1",
    "postal_code",
    "country",
    "source",
    "event_types",
    "subject",
    "body_text",
    "body_html",
    "next",
    "back",
]
# Signing out would end the walk; it has nothing to parse.
SKIPPED = {("POST", "/logout")}


def dashboard_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    dashboard = next(r for r in app.routes if getattr(r, "path", "") == "/app")
    yield from _flatten(dashboard.app.router.routes)  # type: ignore[attr-defined]


def _flatten(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            yield from _flatten(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods):
                if (method, prefix + route.path) not in SKIPPED:
                    yield method, prefix + route.path


def _walk(routes: list[tuple[str, str]]) -> Iterator[tuple[str, str, str, str]]:
    """Every route with every hostile value in its fields, and a route with ids with every
    hostile id (under the first hostile value): an id that does not parse or names nothing is
    refused before the fields are read, so the full cross product would only repeat that."""
    for method, path in routes:
        if "{" not in path:
            for value in HOSTILE:
                yield method, path, "-", value
            continue
        for value in HOSTILE:
            yield method, path, HOSTILE_IDS[0], value
        for id_value in HOSTILE_IDS[1:]:
            yield method, path, id_value, HOSTILE[0]


def _with_ids(path: str, value: str) -> str:
    parts = path.split("/")
    return "/".join(value if p.startswith("{") else p for p in parts)


@pytest.fixture
async def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.mark.slow
async def test_no_dashboard_route_answers_hostile_input_with_a_server_error(
    app: FastAPI, db: Database
) -> None:
    shop = await open_shop(db)
    await place_order(db, shop.org, [("MUG", 1)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    failures: list[str] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as web:
        token = await sign_in(web, shop, "admin")
        routes = list(dashboard_routes(app))
        assert len(routes) > 50
        for method, path, id_value, value in _walk(routes):
            url = "/app" + _with_ids(path, id_value)
            fields = dict.fromkeys(FIELDS, value)
            try:
                if method == "GET":
                    # A URL has room for some 64 KiB: the long value is cut for it.
                    short = {k: v[:1000] for k, v in fields.items()}
                    answer = await web.get(url, params=short)
                else:
                    answer = await web.post(url, data={**fields, "csrf_token": token})
            except httpx.TransportError as dropped:
                failures.append(f"{method} {url} {value[:20]!r}: dropped ({dropped})")
                continue
            if answer.status_code >= 500:
                failures.append(f"{method} {url} {value[:20]!r}: {answer.status_code}")
        # Still signed in: the walk reached every route as the admin.
        assert (await web.get("/app/")).status_code == 200
    assert failures == [], "\n".join(failures)
