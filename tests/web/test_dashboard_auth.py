"""Signing in, sessions, CSRF and roles on the dashboard."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from orderly.tenancy import service as tenancy
from orderly.tenancy import sign_in as throttle
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.factories import place_order
from tests.web.shop import PASSWORD, Shop, csrf_of, sign_in


async def test_pages_need_a_signed_in_user(web: httpx.AsyncClient) -> None:
    response = await web.get("/app/orders?status=on_hold")

    assert response.status_code == 303
    assert response.headers["location"] == "/app/login?next=/app/orders%3Fstatus%3Don_hold"


async def test_signing_in_and_out(web: httpx.AsyncClient, shop: Shop) -> None:
    page = await web.get("/app/login")
    wrong = await web.post(
        "/app/login",
        data={
            "organization": shop.org.slug,
            "email": shop.email("admin"),
            "password": "not the password",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    assert "Traceback" not in wrong.text

    right = await web.post(
        "/app/login",
        data={
            "organization": shop.org.slug,
            "email": shop.email("admin").upper(),
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/app/orders",
        },
    )
    assert right.status_code == 303 and right.headers["location"] == "/app/orders"
    cookie = right.headers["set-cookie"].lower()
    assert "orderly_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    token = csrf_of((await web.get("/app/orders")).text)

    out = await web.post("/app/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert (await web.get("/app/")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    await sign_in(web, shop, "admin")

    response = await web.post(f"/app/orders/{order['id']}/hold", data={"reason": "x"})
    forged = await web.post(
        f"/app/orders/{order['id']}/hold", data={"reason": "x", "csrf_token": "forged"}
    )

    assert response.status_code == 403
    assert forged.status_code == 403
    assert "reload the page" in response.text
    after = await web.get(f"/v1/orders/{order['id']}", headers=shop.org.headers)
    assert after.json()["status"] == "allocated"


async def test_a_viewer_sees_no_action_and_a_crafted_post_is_refused(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "viewer")

    page = await web.get(f"/app/orders/{order['id']}")
    queue = await web.get("/app/fulfillment/WH1")
    crafted = await web.post(
        f"/app/orders/{order['id']}/cancel", data={"reason": "because", "csrf_token": token}
    )
    accept = await web.post("/app/fulfillment/orders/1/accept", data={"csrf_token": token})

    assert page.status_code == 200
    assert "Cancel order" not in page.text and "/hold" not in page.text
    assert "/accept" not in queue.text
    assert crafted.status_code == 403
    assert accept.status_code == 403
    after = await web.get(f"/v1/orders/{order['id']}", headers=shop.org.headers)
    assert after.json()["status"] == "allocated"


async def test_an_associate_sees_only_the_work_of_their_locations(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    # Sourced at WH1, the preferred location.
    shipped = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "store")

    choose = await web.get("/app/fulfillment")
    other = await web.get("/app/fulfillment/WH1")
    order = await web.get(f"/app/orders/{shipped['id']}")
    listed = await web.get("/app/orders")
    fos = await web.get(
        "/v1/fulfillment-orders", params={"order_id": shipped["id"]}, headers=shop.org.headers
    )
    accept = await web.post(
        f"/app/fulfillment/orders/{fos.json()['items'][0]['id']}/accept",
        data={"csrf_token": token},
    )

    assert choose.status_code == 303 and choose.headers["location"] == "/app/fulfillment/ST1"
    assert other.status_code == 404
    assert order.status_code == 404
    assert shipped["number"] not in listed.text
    assert accept.status_code == 404


async def test_a_copied_cookie_stops_working_when_its_user_signs_out(
    web: httpx.AsyncClient, web_app: FastAPI, shop: Shop
) -> None:
    token = await sign_in(web, shop, "support")
    async with browser(web_app) as thief:
        thief.cookies.set("orderly_session", web.cookies["orderly_session"], "orderly.test", "/app")
        before = await thief.get("/app/")

        await web.post("/app/logout", data={"csrf_token": token})
        after = await thief.get("/app/")

    assert before.status_code == 200
    assert after.status_code == 303 and after.headers["location"].startswith("/app/login")


async def test_a_password_change_signs_out_every_other_browser(
    web: httpx.AsyncClient, web_app: FastAPI, shop: Shop
) -> None:
    async with browser(web_app) as other:
        await sign_in(other, shop, "support")
        token = await sign_in(web, shop, "support")
        wrong = await web.post(
            "/app/account/password",
            data={"csrf_token": token, "current_password": "nope", "new_password": "x" * 12},
        )
        kept = await other.get("/app/")
        changed = await web.post(
            "/app/account/password",
            data={
                "csrf_token": token,
                "current_password": PASSWORD,
                "new_password": "a new long password",
            },
        )
        other_after = await other.get("/app/")
    this_after = await web.get("/app/account")

    assert wrong.status_code == 303 and kept.status_code == 200
    assert changed.status_code == 303
    assert other_after.status_code == 303
    assert this_after.status_code == 200 and "Password changed" in this_after.text


async def test_deactivation_and_a_role_change_end_the_users_sessions(
    web: httpx.AsyncClient, web_app: FastAPI, db: Database, shop: Shop
) -> None:
    token = await sign_in(web, shop, "admin")
    async with browser(web_app) as support, browser(web_app) as viewer:
        await sign_in(support, shop, "support")
        await sign_in(viewer, shop, "viewer")
        async with db.transaction() as transaction:
            conn = transaction.connection
            support_id = await users.find_user_id(conn, shop.org.id, shop.email("support"))
            viewer_id = await users.find_user_id(conn, shop.org.id, shop.email("viewer"))

        await web.post(
            f"/app/settings/users/{support_id}/active",
            data={"csrf_token": token, "active": "false"},
        )
        await web.post(
            f"/app/settings/users/{viewer_id}/role", data={"csrf_token": token, "role": "support"}
        )

        support_after = await support.get("/app/")
        viewer_after = await viewer.get("/app/")
        await sign_in(viewer, shop, "viewer")
        viewer_again = await viewer.get("/app/")

    assert support_after.status_code == 303 and viewer_after.status_code == 303
    assert f"{shop.email('viewer')} · support" in viewer_again.text


async def add_owner(db: Database, shop: Shop) -> users.User:
    async with db.transaction() as transaction:
        conn = transaction.connection
        owner = await users.create_user(
            conn,
            org_id=shop.org.id,
            email=f"owner-{secrets.token_hex(3)}@example.com",
            password=PASSWORD,
            role=Role.OWNER,
        )
    shop.emails["owner"] = owner.email
    return owner


async def test_an_admin_cannot_touch_an_owner_on_the_users_and_keys_pages(
    web: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    owner = await add_owner(db, shop)
    async with db.transaction() as transaction:
        conn = transaction.connection
        owner_key = await tenancy.create_api_key(conn, org_id=shop.org.id, role=Role.OWNER)
        viewer_id = await users.find_user_id(conn, shop.org.id, shop.email("viewer"))
    token = await sign_in(web, shop, "admin")

    user_page = await web.get("/app/settings/users")
    key_page = await web.get("/app/settings/api-keys")
    deactivate = await web.post(
        f"/app/settings/users/{owner.id}/active", data={"csrf_token": token, "active": "false"}
    )
    refusal = await web.get("/app/settings/users")
    await web.post(
        f"/app/settings/users/{owner.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    await web.post(
        f"/app/settings/users/{viewer_id}/role", data={"csrf_token": token, "role": "owner"}
    )
    create = await web.post(
        "/app/settings/users",
        data={
            "csrf_token": token,
            "email": "boss@example.com",
            "password": "long enough password",
            "role": "owner",
        },
    )
    await web.post(f"/app/settings/api-keys/{owner_key.id}/revoke", data={"csrf_token": token})

    assert f"/app/settings/users/{owner.id}/" not in user_page.text
    assert '<option value="owner"' not in user_page.text
    assert f"/app/settings/api-keys/{owner_key.id}/revoke" not in key_page.text
    assert '<option value="owner"' not in key_page.text
    assert deactivate.status_code == 303 and "may not change a user who is owner" in refusal.text
    assert create.status_code == 422 and "may not make a user owner" in create.text
    async with db.transaction() as transaction:
        conn = transaction.connection
        assert (await users.get_user(conn, shop.org.id, owner.id)).active
        assert (await users.get_user(conn, shop.org.id, owner.id)).role is Role.OWNER
        assert (await users.get_user(conn, shop.org.id, viewer_id or 0)).role is Role.VIEWER
        assert await users.find_user_id(conn, shop.org.id, "boss@example.com") is None
    still = await web.get("/v1/orders", headers={"Authorization": f"Bearer {owner_key.key}"})
    assert still.status_code == 200


async def test_the_last_owner_cannot_step_down(
    web: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    owner = await add_owner(db, shop)
    token = await sign_in(web, shop, "owner")

    await web.post(
        f"/app/settings/users/{owner.id}/role", data={"csrf_token": token, "role": "admin"}
    )
    page = await web.get("/app/settings/users")

    assert "last owner" in page.text
    async with db.transaction() as transaction:
        conn = transaction.connection
        assert (await users.get_user(conn, shop.org.id, owner.id)).role is Role.OWNER


async def test_dashboard_pages_carry_security_headers(web: httpx.AsyncClient, shop: Shop) -> None:
    login = await web.get("/app/login")
    await sign_in(web, shop, "viewer")
    home = await web.get("/app/")
    css = await web.get("/app/static/orderly.css")

    for page in (login, home):
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in home.text and " style=" not in home.text
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    assert "secure" not in login.headers["set-cookie"].lower()  # http://localhost by default


async def test_the_cookie_is_secure_when_orderly_is_served_over_https(
    settings: Settings, db: Database
) -> None:
    https = settings.model_copy(update={"public_url": "https://oms.example.com"})
    opted_out = https.model_copy(update={"secure_cookies": False})
    opted_in = settings.model_copy(update={"secure_cookies": True})

    cookies = {}
    for name, chosen in (("https", https), ("opted out", opted_out), ("opted in", opted_in)):
        async with browser(create_app(chosen, database=db)) as client:
            cookies[name] = (await client.get("/app/login")).headers["set-cookie"].lower()

    assert "; secure" in cookies["https"] and "; secure" in cookies["opted in"]
    assert "secure" not in cookies["opted out"]
    assert all("httponly" in c and "samesite=lax" in c for c in cookies.values())


ALERT = re.compile(r'<p class="flash error" role="alert">(.*?)</p>')


async def post_sign_in(
    client: httpx.AsyncClient, org: str, email: str, password: str, **headers: str
) -> httpx.Response:
    page = await client.get("/app/login")
    return await client.post(
        "/app/login",
        data={
            "organization": org,
            "email": email,
            "password": password,
            "csrf_token": csrf_of(page.text),
        },
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


@pytest.mark.slow
async def test_sign_in_answers_alike_for_unknown_wrong_deactivated_and_much_tried(
    web_app: FastAPI, db: Database, shop: Shop
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        admin = await users.get_user(
            conn, shop.org.id, await users.find_user_id(conn, shop.org.id, shop.email("admin"))
        )
        viewer_id = await users.find_user_id(conn, shop.org.id, shop.email("viewer"))
        await users.set_user_active(conn, admin.principal, viewer_id, active=False)
    slug = shop.org.slug
    async with browser(web_app, peer=_an_address()) as stranger:
        for _ in range(throttle.MAX_ACCOUNT_FAILURES):
            await post_sign_in(stranger, slug, shop.email("store"), "guess")
    async with browser(web_app, peer=_an_address()) as client:
        answers = [
            await post_sign_in(client, slug, "nobody@example.com", PASSWORD),
            await post_sign_in(client, slug, shop.email("support"), "not the password"),
            await post_sign_in(client, slug, shop.email("viewer"), PASSWORD),
            await post_sign_in(client, "no-such-org", shop.email("support"), PASSWORD),
            await post_sign_in(client, slug, shop.email("store"), "not the password"),
        ]

    assert {a.status_code for a in answers} == {401}
    assert len({tuple(ALERT.findall(a.text)) for a in answers}) == 1
    assert ALERT.findall(answers[0].text) == ["the organization, e-mail or password is not right"]


async def test_a_stranger_cannot_lock_the_real_user_out(
    settings: Settings, db: Database, shop: Shop
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"}), database=db)
    stranger, user = _an_address(), _an_address()
    email = shop.email("admin")
    async with browser(app, peer="10.1.2.3") as proxy:
        guesses = [
            await post_sign_in(proxy, shop.org.slug, email, "guess", x_forwarded_for=stranger)
            for _ in range(throttle.MAX_ACCOUNT_FAILURES + 1)
        ]
        stranger_right = await post_sign_in(
            proxy, shop.org.slug, email, PASSWORD, x_forwarded_for=stranger
        )
        proxy.cookies.clear()
        user_right = await post_sign_in(
            proxy, shop.org.slug, email, PASSWORD, x_forwarded_for=f"{stranger}, {user}"
        )

    assert [g.status_code for g in guesses] == [401] * throttle.MAX_ACCOUNT_FAILURES + [429]
    assert "too many failed sign-ins" in guesses[-1].text
    assert int(guesses[-1].headers["retry-after"]) > 0
    assert stranger_right.status_code == 429
    assert user_right.status_code == 303


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    web_app: FastAPI, shop: Shop
) -> None:
    email = shop.email("support")
    async with browser(web_app, peer=_an_address()) as client:
        answers = [
            await post_sign_in(client, shop.org.slug, email, "guess", x_forwarded_for=_an_address())
            for _ in range(throttle.MAX_ACCOUNT_FAILURES + 1)
        ]

    assert answers[-1].status_code == 429


def _an_address() -> str:
    return f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"


@asynccontextmanager
async def browser(app: FastAPI, *, peer: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """Another browser: a cookie jar of its own, connecting from `peer`."""
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as client:
        yield client
