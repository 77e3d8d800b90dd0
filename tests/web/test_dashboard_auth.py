"""Signing in, sessions, CSRF and roles on the dashboard."""

from __future__ import annotations

import contextlib

import httpx

from orderly.kit.db import Database
from orderly.tenancy import users
from tests.web.shop import PASSWORD, Shop, csrf_of, place, sign_in


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


async def test_a_form_without_its_csrf_token_is_refused(web: httpx.AsyncClient, shop: Shop) -> None:
    order = await place(web, shop, [("MUG", 1)])
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
    web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place(web, shop, [("MUG", 1)])
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
    web: httpx.AsyncClient, shop: Shop
) -> None:
    shipped = await place(web, shop, [("MUG", 1)])  # sourced at WH1, the preferred location
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


async def test_failed_sign_ins_lock_the_account(db: Database, shop: Shop) -> None:
    for _ in range(users.MAX_FAILED_LOGINS):
        async with db.transaction() as conn:
            with contextlib.suppress(users.SignInFailed):
                await users.authenticate(
                    conn, org=shop.org.slug, email=shop.email("support"), password="wrong"
                )
    async with db.transaction() as conn:
        try:
            await users.authenticate(
                conn, org=shop.org.slug, email=shop.email("support"), password=PASSWORD
            )
            locked = False
        except users.SignInFailed as failed:
            locked = failed.code == "account_locked"
    assert locked
