"""Isolation and access, over every route the app has: another organization's ids are 404, each
role is refused (403) what its permissions do not cover, and no list or search shows another
organization's data. New routes are covered without touching this file."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from orderly.kit.db import Database
from orderly.settings import Settings
from orderly.tenancy.domain import ROLE_PERMISSIONS, Role
from tests.factories import key_for
from tests.security.routes import (
    Route,
    missing_kinds,
    path_values,
    routes,
    send,
    valid_requests,
)
from tests.security.world import World, build_world

ROUTES = routes()
ID_ROUTES = [r for r in ROUTES if r.params]
# Routes a client calls without an API key, each with its own guard.
UNGUARDED = {
    "/healthz": "liveness probe",
    "/track/": "public tracking page: a tracking number is the secret",
    "/returns/": "the customer's return portal: order number and e-mail are the secret",
    "/v1/tracking/events": "carrier push, authenticated by account token and signature",
    "/hooks/": "a sales platform's webhook, authenticated by the platform's signature",
    "/drop-ship/": "a supplier's confirmation page: the signed token in its e-mail is the key",
}


def _unguarded(route: Route) -> str | None:
    return next((why for start, why in UNGUARDED.items() if route.path.startswith(start)), None)


# A response a request can get before its ids are looked at, so it proves nothing either way.
NOT_YET_LOOKED_UP = {422}
# Path parameters that name the same thing in every organization rather than an object of one:
# another organization may use them, but sees only its own data through them.
SHARED_NAMES = {"kind": "a kind of customer message: each organization has its own template"}


@pytest_asyncio.fixture(scope="module")
async def shop_a(client: httpx.AsyncClient, db: Database, settings: Settings) -> World:
    return await build_world(client, db, "IA", settings)


@pytest_asyncio.fixture(scope="module")
async def shop_b(client: httpx.AsyncClient, db: Database, settings: Settings) -> World:
    return await build_world(client, db, "IB", settings)


def test_every_route_asks_for_a_permission() -> None:
    unguarded = [str(r) for r in ROUTES if r.permission is None and not _unguarded(r)]
    assert not unguarded, f"routes anyone may call: {unguarded}"
    guarded_public = [str(r) for r in ROUTES if r.permission is not None and _unguarded(r)]
    assert not guarded_public


@pytest.mark.slow
@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
async def test_another_organizations_ids_are_not_found(
    route: Route, client: httpx.AsyncClient, shop_a: World, shop_b: World
) -> None:
    if why := _unguarded(route):
        pytest.skip(why)
    if missing := missing_kinds(route, shop_a):
        pytest.skip(f"the test shop has no {missing} yet: add one to tests/security/world.py")
    shared = all(name in SHARED_NAMES for name in route.params)
    statuses = []
    for case in valid_requests(route, shop_a, count=12):
        response = await send(client, case, shop_b.org.headers)
        if shared:
            assert response.status_code < 500, (case.body, response.text)
            assert_nothing_of(shop_a, response, sent=str(response.request.url) + str(case.body))
            continue
        statuses.append((response.status_code, case.body, response.text))
        assert response.status_code in {404} | NOT_YET_LOOKED_UP, (case.body, response.text)
        assert_nothing_of(shop_a, response, sent=str(response.request.url) + str(case.body))
    assert shared or any(s[0] == 404 for s in statuses), (
        f"no request reached the lookup: {statuses}"
    )


def assert_nothing_of(shop: World, response: httpx.Response, sent: str) -> None:
    """No marker of `shop` in the response, unless the request itself carried it."""
    for marker in shop.markers:
        if marker not in sent:
            assert marker not in response.text, (marker, response.text)


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_each_role_is_refused_what_it_may_not_do(
    role: Role, client: httpx.AsyncClient, db: Database, shop_a: World
) -> None:
    headers = await key_for(db, shop_a.org, role)
    refused = [
        r for r in ROUTES if r.permission is not None and r.permission not in ROLE_PERMISSIONS[role]
    ]
    for route in refused:
        path = route.path.format(**path_values(route, shop_a))
        body = None if route.method in {"GET", "DELETE"} else {}
        response = await client.request(route.method, path, json=body, headers=headers)
        assert response.status_code == 403, (str(route), response.text)
        assert response.json()["code"] == "forbidden"
    allowed = [r for r in ROUTES if r.permission in ROLE_PERMISSIONS[role] and r.method == "GET"]
    for route in allowed:
        # The reads it may do are not refused (their answers may be 404/422 for other reasons).
        path = route.path.format(**path_values(route, shop_a))
        response = await client.get(path, headers=headers)
        assert response.status_code != 403, (str(route), response.text)


LIST_ROUTES = [r for r in ROUTES if r.method == "GET" and not r.params and r.permission]


def _searches(route: Route, shop: World) -> list[dict[str, str | int]]:
    """Every filter of a list, set to a value only `shop` has."""
    by_name: dict[str, str | int] = {
        "sku": f"SKU{shop.ids['code'][2:]}",
        "location": str(shop.ids["code"]),
        "channel": str(shop.ids["channel_code"]),
        "order_id": shop.ids["order_id"],
        "customer_email": next(m for m in shop.markers if "@" in m),
        "email": next(m for m in shop.markers if "@" in m),
        "q": next(m for m in shop.markers if "@" in m),
        "tracking_number": str(shop.ids["tracking_number"]),
        "external_id": next(m for m in shop.markers if m.startswith("EXT")),
    }
    parameters = [p["name"] for p in _operation(route).get("parameters", []) if p["in"] == "query"]
    searches: list[dict[str, str | int]] = [{"limit": 200}]
    searches += [{name: by_name[name]} for name in parameters if name in by_name]
    return searches


def _operation(route: Route) -> dict[str, object]:
    from tests.security.routes import SPEC

    operation: dict[str, object] = SPEC["paths"][route.path][route.method.lower()]
    return operation


@pytest.mark.slow
@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
async def test_lists_and_searches_show_nothing_of_another_organization(
    route: Route, client: httpx.AsyncClient, shop_a: World, shop_b: World
) -> None:
    for params in _searches(route, shop_a):
        response = await client.get(route.path, params=params, headers=shop_b.org.headers)
        assert response.status_code in {200, 422}, (params, response.text)
        assert_nothing_of(shop_a, response, sent=str(response.request.url))
