"""Location isolation in the dashboard, over every dashboard route the app has: a user limited to
location A finds nothing of location B (no code, number, SKU or link of it in any page), is
answered 404 for B's objects and changes nothing of them, and the figures count A's orders
only. New routes are walked without touching this file, or the walk fails until they are."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount

from orderly.app import create_app
from orderly.automation.tasks import flag_late_orders
from orderly.kit.db import Database
from orderly.settings import Settings
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.factories import (
    Org,
    create_location,
    create_sku,
    place_order,
    receive_stock,
    set_fraud_rules,
)
from tests.security.routes import APP
from tests.security.world import KIND, World, build_world
from tests.web.shop import PASSWORD, csrf_of


@dataclass(frozen=True)
class WebRoute:
    method: str
    path: str
    params: tuple[str, ...]
    # It changes what every location shares (its user comes from web.deps.may_everywhere).
    everywhere: bool

    def __str__(self) -> str:
        return f"{self.method} /app{self.path}"


def dashboard_routes() -> list[WebRoute]:
    (mount,) = [r for r in APP.routes if isinstance(r, Mount) and r.path == "/app"]
    found = []
    for route in getattr(mount.app, "routes", []):
        if isinstance(route, APIRoute):
            contexts = [(route.path, route.methods, route.dependant)]
        elif hasattr(route, "effective_route_contexts"):
            # Routers included as FastAPI keeps them.
            contexts = [
                (c.path_format, c.methods, c.dependant)
                for c in route.effective_route_contexts()
                if isinstance(c.original_route, APIRoute) and c.dependant
            ]
        else:
            continue
        for path, methods, dependant in contexts:
            params = tuple(p.name for p in dependant.path_params)
            everywhere = _asks_for_every_location(dependant)
            found += [WebRoute(m, path, params, everywhere) for m in sorted(methods)]
    assert len(found) > 50, "the dashboard's routes went missing"
    return found


def _asks_for_every_location(dependant: Dependant) -> bool:
    return any(
        (sub.call is not None and sub.call.__qualname__.startswith("may_everywhere."))
        or _asks_for_every_location(sub)
        for sub in dependant.dependencies
    )


ROUTES = dashboard_routes()

# Routes that show or change nothing of any location.
EXEMPT = {
    "/login": "the sign-in page and form: no organization data",
    "/logout": "signing out: no organization data",
    "/account/password": "the user's own password: no organization data",
}
# What every location shares is refused (403) to a user of some locations only: the actions
# whose user comes from `may_everywhere` (AccessActor, SettingsActor), and these pages.
ORGANIZATION_WIDE_PAGES = {
    "/settings/users": "whoever manages users can grant every location",
    "/settings/api-keys": "an API key sees every location",
    "/settings/webhooks": "deliveries carry every location's events",
    "/settings/webhooks/{webhook_id}": "deliveries carry every location's events",
    "/settings/connections": "a store's connection serves every location",
    "/settings/connections/{connection_id}": "a store's connection serves every location",
    "/inventory/channels": "what channels see is the stock of every location",
}
# Path parameters that name the same thing for every location rather than an object of one.
SHARED_PARAMS = {"kind"}

# The form each action is sent with: enough for it to go through if it were not refused.
FORMS: dict[str, dict[str, str]] = {
    "/orders/{order_id}/hold": {"reason": "walk"},
    "/orders/{order_id}/cancel": {"reason": "walk"},
    "/orders/{order_id}/address": {"line1": "1 Walk St", "city": "Boston", "country": "US"},
    "/orders/{order_id}/note": {"note": "walked"},
    "/orders/{order_id}/tag": {"tag": "walked"},
    "/orders/{order_id}/return": {"quantity-1": "1", "reason": "damaged", "method": "ship_back"},
    "/fulfillment/orders/{fo_id}/reject": {"reason": "out_of_stock"},
    "/store/orders/{fo_id}/collect": {"code": "000000"},
    "/returns/{return_id}/receive": {"restock-1": "1"},
    "/returns/{return_id}/refund": {"amount": "1.00"},
    "/automation/fraud/{order_id}/approve": {"reason": "walk"},
    "/automation/fraud/{order_id}/reject": {"reason": "walk"},
}
# Routes without an object in the path: the form (or query) names B's objects, and the answer.
NAMED_IN_FORM: dict[tuple[str, str], tuple[dict[str, str], int]] = {
    ("GET", "/inventory/ledger"): ({"sku": "SKU{b}", "location": "WH{b}"}, 404),
    ("POST", "/inventory/adjust"): (
        {"sku": "SKU{b}", "location": "WH{b}", "reason": "damaged", "quantity": "-1"},
        404,
    ),
    ("POST", "/inventory/receive"): ({"sku": "SKU{b}", "location": "WH{b}", "quantity": "5"}, 404),
    ("POST", "/inventory/transfer"): (
        {
            "sku": "SKU{b}",
            "from_location": "WH{b}",
            "to_location": "WH{a}",
            "transfer_quantity": "1",
        },
        404,
    ),
    ("POST", "/settings/routing/simulate"): ({"order_id": "{order_id}"}, 404),
    ("POST", "/settings/notification-templates/{kind}/preview"): (
        {"order_id": "{order_id}", "subject": "Hi", "body_text": "x"},
        404,
    ),
    # Drafts for the user's locations only: B's purchase orders stay as they are.
    ("POST", "/automation/restock/run"): ({}, 303),
}
# Filters every list is also opened with, each set to something of B's.
LIST_QUERIES = ("q={sku}", "q={ext}", "sku={sku}", "location={wh}", "order={order_id}")
A, B = "LA", "LB"


@dataclass
class Walk:
    world: World  # location B's objects, and the organization
    user_email: str
    b_ids: dict[str, Any]
    markers: list[str]  # B's codes, numbers and links, as patterns
    a_orders: list[dict[str, Any]]


def _marker(text: str) -> str:
    return re.escape(text) + r"(?![0-9A-Za-z])"


async def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _hold_every_order_for_review(db: Database, org: Org) -> None:
    body = {
        "hold_threshold": 100,
        "rules": [{"rule": "amount", "enabled": True, "score": 100, "params": {"amount": "1.00"}}],
    }
    await set_fraud_rules(db, org, body)


async def _place(db: Database, org: Org, sku: str, tag: str) -> Any:
    return await place_order(db, org, [(sku, 1)], external_id=f"{tag}-{secrets.token_hex(2)}")


@pytest_asyncio.fixture(scope="module")
async def walk(client: httpx.AsyncClient, db: Database, settings: Settings) -> Walk:
    """Location B with one object of every kind (tests/security/world.py), more orders at B
    (one held for fraud review), location A with two orders of its own (one held), every
    unshipped order flagged late, and an admin limited to A."""
    world = await build_world(client, db, B, settings)
    h = world.org.headers
    org = world.org
    a = await create_location(db, org, f"WH{A}", capabilities=("ship", "returns", "pickup"))
    await create_sku(db, org, f"SKU{A}")
    await receive_stock(db, org, f"SKU{A}", f"WH{A}", 20)
    a_orders = [await _place(db, org, f"SKU{A}", "A")]
    b_orders = [await _place(db, org, f"SKU{B}", f"EXT{B}")]
    await _hold_every_order_for_review(db, org)
    a_orders.append(await _place(db, org, f"SKU{A}", "A"))
    held = await _place(db, org, f"SKU{B}", f"EXT{B}")
    assert held["status"] == "on_hold", held
    b_orders.append(held)
    async with db.transaction() as transaction:
        conn = transaction.connection
        await flag_late_orders(conn, org_id=world.org.id, now=datetime.now(UTC) + timedelta(days=9))
        email = f"limited-{secrets.token_hex(3)}@example.com"
        await users.create_user(
            conn, org_id=world.org.id, email=email, password=PASSWORD, role=Role.ADMIN,
            location_ids=[a["id"]],
        )  # fmt: skip
        other = await users.create_user(
            conn, org_id=world.org.id, email=f"other-{secrets.token_hex(3)}@example.com",
            password=PASSWORD, role=Role.VIEWER,
        )  # fmt: skip
    returned = await _ok(await client.get(f"/v1/returns/{world.ids['return_id']}", headers=h), 200)
    order_ids = [
        world.ids["order_id"],
        returned["order_id"],
        world.ids["sale_id"],
        *(o["id"] for o in b_orders),
    ]
    numbers = [(await _ok(await client.get(f"/v1/orders/{i}", headers=h), 200))["number"]
               for i in order_ids]  # fmt: skip
    # The world's markers, but for what the whole organization shares.
    shared = {f"CH{B}", f"BR{B}", f"car{B.lower()}", f"hooks.example.com/{B}", f"TPL{B}"}
    texts = {m for m in world.markers if m not in shared and not m.startswith("oly_")}
    texts |= {f"EXT{B}", *numbers, returned["number"]}
    links = [f"/app/orders/{i}" for i in order_ids] + [
        f"/app/returns/{world.ids['return_id']}",
        f"/app/pick-lists/{world.ids['pick_list_id']}",
        f"/app/shipments/{world.ids['shipment_id']}",
        f"/fulfillment/orders/{world.ids['fo_id']}",
        f"/store/orders/{world.ids['fo_id']}",
        f"/purchase-orders/{world.ids['po_id']}",
        f"/automation/fraud/{held['id']}",
    ]
    b_ids = {
        **{k: world.ids[k] for k in ("order_id", "fo_id", "pick_list_id", "shipment_id")},
        **{k: world.ids[k] for k in ("return_id", "po_id", "webhook_id", "delivery_id", "key_id")},
        "connection_id": world.ids["connection_id"],
        "difference_id": world.ids["difference_id"],
        "sale_id": world.ids["sale_id"],
        "decision": "accept",
        "code": f"DS{B}",  # B's supplier: a location with a provider, for its pages too
        "kind": KIND,
        "user_id": other.id,
        "order_ids": order_ids,
        "held_order_id": held["id"],
    }
    return Walk(world, email, b_ids, [_marker(t) for t in sorted(texts | set(links))], a_orders)


@pytest_asyncio.fixture(scope="module")
async def web(settings: Settings, db: Database, walk: Walk) -> Any:
    """A browser signed in as the admin limited to location A."""
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        page = await c.get("/app/login")
        form = {
            "organization": walk.world.org.slug,
            "email": walk.user_email,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/app/",
        }
        assert (await c.post("/app/login", data=form)).status_code == 303
        yield c


async def _csrf(web: httpx.AsyncClient) -> str:
    return csrf_of((await web.get("/app/")).text)


def assert_nothing_of_b(walk: Walk, response: httpx.Response, sent: str) -> None:
    """No marker of location B in the answer, unless the request itself carried it."""
    for marker in walk.markers:
        if not re.search(marker, sent):
            assert not re.search(marker, response.text), (marker, response.text[:3000])


async def state_of_b(client: httpx.AsyncClient, db: Database, walk: Walk) -> list[Any]:
    """Everything of B (and of the whole organization) an action could change."""
    h, ids = walk.world.org.headers, walk.b_ids
    paths = [f"/v1/orders/{i}" for i in ids["order_ids"]]
    paths += [f"/v1/orders/{i}/events?limit=200" for i in ids["order_ids"]]
    paths += [
        f"/v1/fulfillment-orders/{ids['fo_id']}",
        f"/v1/pick-lists/{ids['pick_list_id']}",
        f"/v1/returns/{ids['return_id']}",
        "/v1/purchase-orders?limit=200",
        f"/v1/inventory?location=WH{B}",
        f"/v1/inventory/ledger?location=WH{B}&limit=200",
        "/v1/api-keys",
        "/v1/webhooks",
        f"/v1/webhooks/{ids['webhook_id']}/deliveries",
        "/v1/routing-configs/default",
        f"/v1/notification-templates/{KIND}",
    ]
    state: list[Any] = [(p, (await client.get(p, headers=h)).json()) for p in paths]
    async with db.transaction() as transaction:
        conn = transaction.connection
        state.append([(u.email, u.active) for u in await users.list_users(conn, walk.world.org.id)])
    return state


def _fill(template: str, walk: Walk) -> str:
    return template.format(a=A, b=B, order_id=walk.b_ids["held_order_id"])


def _expected(route: WebRoute) -> int:
    if route.everywhere or (route.method == "GET" and route.path in ORGANIZATION_WIDE_PAGES):
        return 403
    if set(route.params) - SHARED_PARAMS:
        return 404
    if (route.method, route.path) in NAMED_IN_FORM:
        return NAMED_IN_FORM[(route.method, route.path)][1]
    if route.method == "GET":
        return 200
    pytest.fail(
        f"{route} names no object in its path: add the form that names B's objects to "
        "NAMED_IN_FORM, or list it in EXEMPT with a reason"
    )


def _path(route: WebRoute, walk: Walk) -> str:
    missing = [p for p in route.params if p not in walk.b_ids]
    assert not missing, f"{route}: give location B an object for {missing} in this file"
    return "/app" + route.path.format(**{p: walk.b_ids[p] for p in route.params})


def test_exemptions_name_real_routes() -> None:
    paths = {r.path for r in ROUTES}
    assert set(EXEMPT) <= paths
    assert set(ORGANIZATION_WIDE_PAGES) <= paths
    changes = {(r.method, r.path) for r in ROUTES if r.everywhere}
    assert ("POST", "/settings/users") in changes and ("POST", "/settings/routing") in changes
    assert {path for _, path in NAMED_IN_FORM} <= paths
    assert set(FORMS) <= paths


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_a_location_limited_user_finds_and_changes_nothing_of_another_location(
    route: WebRoute, web: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, walk: Walk
) -> None:
    if why := EXEMPT.get(route.path):
        pytest.skip(why)
    expected = _expected(route)
    path = _path(route, walk)
    named = NAMED_IN_FORM.get((route.method, route.path), ({}, 0))[0]
    fields = {k: _fill(v, walk) for k, v in {**FORMS.get(route.path, {}), **named}.items()}
    if route.method == "GET":
        response = await web.get(path, params=fields, follow_redirects=True)
        assert response.status_code == expected, (str(route), response.text[:2000])
        assert_nothing_of_b(walk, response, sent=str(response.request.url))
        if expected == 200:
            await _lists_show_nothing_of_b(web, walk, path)
        return
    before = await state_of_b(client, db, walk)
    response = await web.post(path, data={"csrf_token": await _csrf(web), **fields})
    assert response.status_code == expected, (str(route), response.text[:2000])
    assert_nothing_of_b(walk, response, sent=path + str(fields))
    after = await web.get("/app/")  # the flash of the action, if any
    assert_nothing_of_b(walk, after, sent=path + str(fields))
    assert await state_of_b(client, db, walk) == before, str(route)


async def _lists_show_nothing_of_b(web: httpx.AsyncClient, walk: Walk, path: str) -> None:
    values = {
        "sku": f"SKU{B}",
        "ext": f"EXT{B}",
        "wh": f"WH{B}",
        "order_id": walk.b_ids["order_id"],
    }
    for query in LIST_QUERIES:
        response = await web.get(f"{path}?{query.format(**values)}", follow_redirects=True)
        assert response.status_code in {200, 404, 422}, (path, query, response.text[:2000])
        # An id the user typed may come back (say, in a link to the order they asked for).
        typed = f"/app/orders/{walk.b_ids['order_id']}" if query.startswith("order=") else ""
        assert_nothing_of_b(walk, response, sent=str(response.request.url) + typed)


def _figure(html: str, label: str) -> int:
    found = re.search(r'<span class="figure">(\d+)</span> ' + label, html)
    assert found, label
    return int(found.group(1))


async def test_the_figures_count_only_the_users_locations(
    web: httpx.AsyncClient, client: httpx.AsyncClient, walk: Walk
) -> None:
    home = await web.get("/app/")

    assert home.status_code == 200
    assert _figure(home.text, "orders today") == len(walk.a_orders)
    assert _figure(home.text, "open orders") == len(walk.a_orders)
    assert _figure(home.text, "on hold") == 1
    assert "nothing shipped yet" in home.text  # B's parcels are not A's
    everything = await client.get("/v1/orders?limit=200", headers=walk.world.org.headers)
    assert len(everything.json()["items"]) > len(walk.a_orders)


async def test_the_queues_show_the_users_own_orders(web: httpx.AsyncClient, walk: Walk) -> None:
    fraud = await web.get("/app/automation/fraud")
    late = await web.get("/app/automation/late")

    assert walk.a_orders[1]["number"] in fraud.text
    assert all(o["number"] in late.text for o in walk.a_orders)
    assert f"WH{A}" in late.text
