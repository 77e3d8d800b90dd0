"""Settings in the dashboard: routing rules with simulate, webhooks and their delivery log,
notification templates with preview; a viewer sees no action and a crafted POST is refused."""

from __future__ import annotations

import json

import httpx

from orderly.kit.db import Database
from orderly.notifications import repository as notification_rows
from orderly.notifications.tasks import dispatch_all
from tests.factories import place_order
from tests.web.shop import Shop, sign_in


async def test_routing_rules_simulate_and_save(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "admin")

    page = await web.get("/app/settings/routing")
    assert page.status_code == 200 and "Nothing saved: the defaults apply." in page.text
    assert "&#34;rules&#34;" in page.text
    simulated = await web.post(
        "/app/settings/routing/simulate",
        data={
            "csrf_token": token,
            "lines": "MUG 2\nTEE 1",
            "country": "US",
            "postal_code": "07102",
        },
    )
    assert simulated.status_code == 200
    assert "<strong>chosen</strong>" in simulated.text and "Each location" in simulated.text
    assert "WH1" in simulated.text and "ST1" in simulated.text
    existing = await web.post(
        "/app/settings/routing/simulate",
        data={"csrf_token": token, "order_id": str(order["id"]), "channel": "web"},
    )
    assert existing.status_code == 200 and f"Plan for order {order['id']}" in existing.text
    unknown = await web.post(
        "/app/settings/routing/simulate",
        data={"csrf_token": token, "lines": "NOPE 1", "country": "US"},
    )
    assert unknown.status_code == 422 and "no SKU &#39;NOPE&#39;" in unknown.text

    config = {"rules": [{"type": "exclude_locations", "locations": ["ST1"]}]}
    saved = await web.post(
        "/app/settings/routing",
        data={"csrf_token": token, "channel": "web", "config": json.dumps(config)},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?channel=web")
    stored = await web.get("/v1/routing-configs/channels/web", headers=shop.org.headers)
    assert stored.json()["saved"] is True
    assert stored.json()["config"]["rules"][0]["type"] == "exclude_locations"
    tried = await web.post(
        "/app/settings/routing/simulate",
        data={
            "csrf_token": token,
            "channel": "web",
            "lines": "MUG 1",
            "country": "US",
            "try_edit": "1",
            "config": json.dumps(config),
        },
    )
    assert "excluded" in tried.text

    broken = await web.post(
        "/app/settings/routing",
        data={"csrf_token": token, "channel": "", "config": '{"rules": [{"type": "nope"}]}'},
    )
    assert broken.status_code == 422 and 'id="config-error"' in broken.text
    default = await web.get("/v1/routing-configs/default", headers=shop.org.headers)
    assert default.json()["saved"] is False


async def test_a_location_limited_user_simulates_with_their_locations_only(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    warehouse_order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "store")

    simulated = await web.post(
        "/app/settings/routing/simulate",
        data={"csrf_token": token, "lines": "MUG 2\nTEE 1", "country": "US"},
    )
    existing = await web.post(
        "/app/settings/routing/simulate",
        data={"csrf_token": token, "order_id": str(warehouse_order["id"])},
    )

    assert simulated.status_code == 200 and "Each location" in simulated.text
    assert "ST1" in simulated.text and "WH1" not in simulated.text
    assert existing.status_code == 404 and warehouse_order["number"] not in existing.text


async def test_webhooks_their_log_and_redeliver(
    web: httpx.AsyncClient, shop: Shop, db: Database
) -> None:
    token = await sign_in(web, shop, "admin")

    created = await web.post(
        "/app/settings/webhooks",
        data={
            "csrf_token": token,
            "url": "https://erp.example.com/hooks",
            "event_types": "order.* refund.*",
            "description": "ERP",
        },
    )
    assert created.status_code == 200 and "whsec_" in created.text
    assert created.headers["cache-control"] == "no-store"
    listed = await web.get("/app/settings/webhooks")
    assert "https://erp.example.com/hooks" in listed.text and "whsec_" not in listed.text
    bad = await web.post(
        "/app/settings/webhooks",
        data={"csrf_token": token, "url": "ftp://nowhere", "event_types": "order.*"},
    )
    assert bad.status_code == 422 and "http:// or https://" in bad.text
    [hook] = (await web.get("/v1/webhooks", headers=shop.org.headers)).json()["items"]

    await place_order(db, shop.org, [("MUG", 1)])
    await dispatch_all(db)
    log = await web.get(f"/app/settings/webhooks/{hook['id']}")
    assert log.status_code == 200 and "order.allocated" in log.text
    deliveries = await web.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=shop.org.headers)
    delivery = deliveries.json()["items"][0]
    back = f"/app/settings/webhooks/{hook['id']}"

    pending = await web.post(
        f"/app/settings/webhook-deliveries/{delivery['id']}/redeliver",
        data={"csrf_token": token, "back": back},
    )
    assert pending.status_code == 303
    assert "still being tried" in (await web.get(back)).text
    async with db.transaction() as transaction:
        conn = transaction.connection
        await notification_rows.update_delivery(conn, delivery["id"], status="dead")
    dead = await web.get("/app/settings/webhooks")
    assert f"Delivery {delivery['id']}" in dead.text
    await web.post(
        f"/app/settings/webhook-deliveries/{delivery['id']}/redeliver",
        data={"csrf_token": token, "back": back},
    )
    assert "sent again within seconds" in (await web.get(back)).text
    again = await web.get(f"/v1/webhook-deliveries/{delivery['id']}", headers=shop.org.headers)
    assert again.json()["status"] == "pending"

    await web.post(f"{back}/active", data={"csrf_token": token, "active": "false"})
    assert (await web.get(f"/v1/webhooks/{hook['id']}", headers=shop.org.headers)).json()[
        "active"
    ] is False
    await web.post(f"{back}/delete", data={"csrf_token": token})
    gone = await web.get(back)
    assert gone.status_code == 404


async def test_notification_templates_preview_save_and_reset(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "admin")

    listed = await web.get("/app/settings/notification-templates")
    assert listed.status_code == 200
    assert "order confirmed" in listed.text and "refund issued" in listed.text
    url = "/app/settings/notification-templates/shipped"
    editor = await web.get(url)
    assert editor.status_code == 200 and "built-in" in editor.text
    draft = {
        "csrf_token": token,
        "subject": "Parcel for {{ order.number }}",
        "body_text": "Hi {{ customer.name }}",
        "body_html": "<p>Hi {{ customer.name }}</p>",
        "enabled": "1",
    }
    sample = await web.post(url + "/preview", data=draft)
    assert sample.status_code == 200 and "Parcel for" in sample.text and "srcdoc=" in sample.text
    real = await web.post(url + "/preview", data={**draft, "order_id": str(order["id"])})
    assert f"Parcel for {order['number']}" in real.text and "Hi Ann" in real.text

    broken = await web.post(url, data={**draft, "subject": "{{ order.number"})
    assert broken.status_code == 422 and "field-error" in broken.text
    saved = await web.post(url + "?channel=", data={**draft, "channel": "web"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?channel=web")
    api = await web.get(
        "/v1/notification-templates/shipped", params={"channel": "web"}, headers=shop.org.headers
    )
    assert api.json()["source"] == "channel"
    assert api.json()["subject"] == "Parcel for {{ order.number }}"
    await web.post(url + "/reset", data={"csrf_token": token, "channel": "web"})
    api = await web.get(
        "/v1/notification-templates/shipped", params={"channel": "web"}, headers=shop.org.headers
    )
    assert api.json()["source"] == "default"


async def test_a_viewer_reads_and_simulates_but_cannot_change(
    web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop
) -> None:
    hook = await client.post(
        "/v1/webhooks",
        json={"url": "https://x.example.com", "event_types": ["*"]},
        headers=shop.org.headers,
    )
    hook_id = hook.json()["id"]
    token = await sign_in(web, shop, "viewer")

    routing = await web.get("/app/settings/routing")
    assert routing.status_code == 200 and "Save rules" not in routing.text
    simulated = await web.post(
        "/app/settings/routing/simulate",
        data={"csrf_token": token, "lines": "MUG 1", "country": "US"},
    )
    assert simulated.status_code == 200 and "<strong>chosen</strong>" in simulated.text
    hooks = await web.get("/app/settings/webhooks")
    detail = await web.get(f"/app/settings/webhooks/{hook_id}")
    templates = await web.get("/app/settings/notification-templates/shipped")
    for page in (hooks, detail, templates):
        assert page.status_code == 200
    assert "Subscribe a URL" not in hooks.text and "Pause" not in detail.text
    assert ">Save<" not in templates.text
    preview = await web.post(
        "/app/settings/notification-templates/shipped/preview",
        data={"csrf_token": token, "subject": "Typed {{ 7 * 6 }}", "body_text": "T"},
    )
    assert preview.status_code == 200  # the saved template, not the typed one
    assert "Typed" not in preview.text and "readonly" in preview.text
    for path, data in (
        ("/app/settings/routing", {"config": "{}"}),
        ("/app/settings/webhooks", {"url": "https://y.example.com", "event_types": "*"}),
        (f"/app/settings/webhooks/{hook_id}/active", {"active": "false"}),
        (f"/app/settings/webhooks/{hook_id}/delete", {}),
        ("/app/settings/webhook-deliveries/1/redeliver", {}),
        ("/app/settings/notification-templates/shipped", {"subject": "S"}),
        ("/app/settings/notification-templates/shipped/reset", {}),
    ):
        refused = await web.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403, path
    without_csrf = await web.post("/app/settings/routing/simulate", data={"lines": "MUG 1"})
    assert without_csrf.status_code == 403


async def test_a_webhook_page_shows_the_private_networks_it_may_reach(
    web: httpx.AsyncClient, shop: Shop
) -> None:
    await sign_in(web, shop, "admin")
    created = await web.post(
        "/v1/webhooks",
        json={
            "url": "http://10.20.30.40/erp",
            "event_types": ["order.*"],
            "allowed_networks": ["10.20.0.0/16"],
        },
        headers=shop.org.headers,
    )
    assert created.status_code == 201, created.text
    page = await web.get(f"/app/settings/webhooks/{created.json()['id']}")
    assert page.status_code == 200
    assert "May reach the private networks 10.20.0.0/16" in page.text
