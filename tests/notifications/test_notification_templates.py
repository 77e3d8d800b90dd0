"""Templates per organization and channel: read, edit, reset and preview over the API."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.notifications.domain import NotificationKind
from orderly.settings import Settings
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org, place_order
from tests.fulfillment.helpers import setup_warehouses
from tests.notifications.helpers import messages, run_mail

TEMPLATE = {
    "subject": "Thanks {{ customer.name }}, {{ order.number }} is in",
    "body_text": "Order {{ order.number }} for {{ order.total }} {{ order.currency }}.",
    "body_html": "<p>Order <b>{{ order.number }}</b> for {{ customer.name }}</p>",
}


class TestTemplates:
    async def test_every_kind_has_a_default(self, client: httpx.AsyncClient, org: Org) -> None:
        for kind in NotificationKind:
            response = await client.get(f"/v1/notification-templates/{kind}", headers=org.headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["source"] == "default" and body["enabled"] is True
            assert body["subject"] and body["body_text"] and "<html" in body["body_html"]

            preview = await client.post(
                f"/v1/notification-templates/{kind}/preview", json={}, headers=org.headers
            )
            assert preview.status_code == 200, preview.text
            assert "SO-1001" in preview.json()["subject"] + preview.json()["body_text"]

    async def test_an_edited_template_is_used_for_the_next_message(
        self, client: httpx.AsyncClient, db: Database, org: Org, eml_settings: Settings
    ) -> None:
        saved = await client.put(
            "/v1/notification-templates/order_confirmed", json=TEMPLATE, headers=org.headers
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["source"] == "organization"
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(
            db, org, [("MUG", 1)], customer={"email": "ann@example.com", "name": "Ann"}
        )
        await run_mail(db, eml_settings, org)
        [message] = await messages(client, org)
        assert message["subject"] == f"Thanks Ann, {placed['number']} is in"

    async def test_a_channel_template_overrides_the_organizations(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await client.put("/v1/notification-templates/shipped", json=TEMPLATE, headers=org.headers)
        web = {**TEMPLATE, "subject": "Web shop: {{ order.number }}"}
        response = await client.put(
            "/v1/notification-templates/shipped",
            params={"channel": "web"},
            json=web,
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json() | {"source": "channel", "channel": "web"} == response.json()
        preview = await client.post(
            "/v1/notification-templates/shipped/preview",
            json={"channel": "web"},
            headers=org.headers,
        )
        assert preview.json()["subject"] == "Web shop: SO-1001"
        everywhere = await client.get("/v1/notification-templates/shipped", headers=org.headers)
        assert everywhere.json()["source"] == "organization"

        reset = await client.delete(
            "/v1/notification-templates/shipped", params={"channel": "web"}, headers=org.headers
        )
        assert reset.json()["source"] == "organization"

    async def test_preview_renders_an_unsaved_template_with_a_real_order(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(
            db, org, [("MUG", 2)], customer={"email": "b@example.com", "name": "Bo <b>"}
        )
        response = await client.post(
            "/v1/notification-templates/order_confirmed/preview",
            json={"order_id": placed["id"], "template": TEMPLATE},
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["subject"] == f"Thanks Bo <b>, {placed['number']} is in"
        assert "Bo &lt;b&gt;" in body["body_html"]  # HTML is escaped, the subject is not
        assert placed["total"] in body["body_text"]
        saved = await client.get("/v1/notification-templates/order_confirmed", headers=org.headers)
        assert saved.json()["source"] == "default"

    async def test_a_broken_template_is_refused_naming_the_part(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        broken = {**TEMPLATE, "body_html": "<p>{% for x in %}</p>"}
        response = await client.put(
            "/v1/notification-templates/delivered", json=broken, headers=org.headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_template"
        assert response.json()["errors"][0]["field"] == "body_html"
        sandboxed = {**TEMPLATE, "body_text": "{{ order.lines.append(1) }}"}
        response = await client.put(
            "/v1/notification-templates/delivered", json=sandboxed, headers=org.headers
        )
        assert response.status_code == 422
        still = await client.get("/v1/notification-templates/delivered", headers=org.headers)
        assert still.json()["source"] == "default"

    async def test_unknown_kind_and_channel(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.get("/v1/notification-templates/birthday", headers=org.headers)
        assert response.status_code == 422
        response = await client.put(
            "/v1/notification-templates/shipped",
            params={"channel": "nope"},
            json=TEMPLATE,
            headers=org.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "channel"


class TestTemplateAccess:
    async def test_a_viewer_reads_but_may_not_edit(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        viewer = await key_for(db, org, Role.VIEWER)
        read = await client.get("/v1/notification-templates/shipped", headers=viewer)
        assert read.status_code == 200
        edit = await client.put("/v1/notification-templates/shipped", json=TEMPLATE, headers=viewer)
        assert edit.status_code == 403

    async def test_a_viewer_previews_the_saved_template_but_not_a_draft(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        viewer = await key_for(db, org, Role.VIEWER)
        url = "/v1/notification-templates/shipped/preview"
        saved = await client.post(url, json={}, headers=viewer)
        assert saved.status_code == 200, saved.text
        draft = await client.post(url, json={"template": TEMPLATE}, headers=viewer)
        assert draft.status_code == 403
        assert draft.json()["code"] == "forbidden"

    async def test_another_organizations_order_is_404_in_preview(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        other = await make_org(db)
        response = await client.post(
            "/v1/notification-templates/order_confirmed/preview",
            json={"order_id": placed["id"]},
            headers=other.headers,
        )
        assert response.status_code == 404


NESTED_LOOPS = (
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
    "{% endfor %}{% endfor %}{% endfor %}"
)


class TestTemplateLimits:
    async def test_a_huge_range_is_refused_naming_the_part(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        draft = {**TEMPLATE, "body_text": "{% for i in range(1000000) %}x{% endfor %}"}
        response = await client.post(
            "/v1/notification-templates/shipped/preview",
            json={"template": draft},
            headers=org.headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_template"
        [error] = response.json()["errors"]
        assert error["field"] == "body_text" and "range()" in error["message"]

    async def test_nested_loops_are_refused_at_preview_and_save(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        draft = {**TEMPLATE, "body_html": NESTED_LOOPS}
        preview = await client.post(
            "/v1/notification-templates/shipped/preview",
            json={"template": draft},
            headers=org.headers,
        )
        assert preview.status_code == 422, preview.text
        assert preview.json()["errors"][0]["field"] == "body_html"
        saved = await client.put(
            "/v1/notification-templates/shipped", json=draft, headers=org.headers
        )
        assert saved.status_code == 422
        assert saved.json()["code"] == "invalid_template"
        still = await client.get("/v1/notification-templates/shipped", headers=org.headers)
        assert still.json()["source"] == "default"

    async def test_huge_output_and_numbers_are_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        for body in (
            "{{ 'x' * 100000000 }}",
            "{{ 10 ** 100000000 }}",
            "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
            "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
        ):
            response = await client.post(
                "/v1/notification-templates/shipped/preview",
                json={"template": {**TEMPLATE, "body_text": body}},
                headers=org.headers,
            )
            assert response.status_code == 422, body
            assert response.json()["errors"][0]["field"] == "body_text"

    async def test_an_error_that_is_not_jinjas_is_a_422_not_a_500(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        draft = {**TEMPLATE, "subject": "{{ 1 // (order.lines|length - 2) }}"}
        response = await client.put(
            "/v1/notification-templates/shipped", json=draft, headers=org.headers
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == "subject" and "ZeroDivisionError" in error["message"]


class TestPreviewInput:
    async def test_odd_event_data_renders_without_error(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        for event in ({"parcels": 7}, {"parcels": "x", "expires_at": 3}, {"pickup_code": None}):
            response = await client.post(
                "/v1/notification-templates/shipped/preview",
                json={"event": event},
                headers=org.headers,
            )
            assert response.status_code == 200, response.text
