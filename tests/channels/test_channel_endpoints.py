from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderly.channels import service
from orderly.channels.errors import UnknownChannel
from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org

SHOP: dict[str, Any] = {"code": "amazon", "name": "Amazon US", "kind": "marketplace"}


async def create(client: httpx.AsyncClient, org: Org, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/channels", json={**SHOP, **fields}, headers=org.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


class TestCreate:
    async def test_a_new_org_has_the_web_channel_without_backorders(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        items = (await client.get("/v1/channels", headers=org.headers)).json()["items"]
        assert [(c["code"], c["kind"], c["allow_backorders"]) for c in items] == [
            ("web", "web", False)
        ]

    async def test_create_with_defaults_and_get(self, client: httpx.AsyncClient, org: Org) -> None:
        body = await create(client, org)
        assert body["allow_backorders"] is False
        assert body["fulfillment_location_kinds"] == []
        assert body["settings"] == {}
        assert body["active"] is True
        fetched = await client.get(f"/v1/channels/{body['id']}", headers=org.headers)
        assert fetched.json() == body

    async def test_policy_and_settings_are_kept(self, client: httpx.AsyncClient, org: Org) -> None:
        settings = {"marketplace_id": "ATVPDKIKX0DER", "fees": {"referral": 15}, "tags": ["a"]}
        body = await create(
            client,
            org,
            allow_backorders=True,
            fulfillment_location_kinds=["warehouse", "supplier"],
            settings=settings,
        )
        assert body["allow_backorders"] is True
        assert body["fulfillment_location_kinds"] == ["warehouse", "supplier"]
        assert body["settings"] == settings

    async def test_a_duplicate_code_is_409(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.post(
            "/v1/channels", json={**SHOP, "code": "web"}, headers=org.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "channel_code_taken"
        assert problem_fields(response) == ["code"]

    async def test_bad_inputs_are_422_naming_the_field(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        too_many = {f"k{n}": n for n in range(51)}
        cases: list[tuple[dict[str, Any], str]] = [
            ({**SHOP, "kind": "fax"}, "kind"),
            (
                {**SHOP, "fulfillment_location_kinds": ["warehouse", "moon"]},
                "fulfillment_location_kinds.1",
            ),
            ({**SHOP, "settings": too_many}, "settings"),
            ({**SHOP, "settings": ["not", "an", "object"]}, "settings"),
            ({**SHOP, "allow_backorders": "perhaps"}, "allow_backorders"),
            ({**SHOP, "name": ""}, "name"),
        ]
        for body, field in cases:
            response = await client.post("/v1/channels", json=body, headers=org.headers)
            assert response.status_code == 422, (field, response.text)
            assert field in problem_fields(response), (field, response.json())
        items = (await client.get("/v1/channels", headers=org.headers)).json()["items"]
        assert [c["code"] for c in items] == ["web"]


class TestList:
    async def test_filters_and_pages(self, client: httpx.AsyncClient, org: Org) -> None:
        await create(client, org, code="amazon")
        pos = await create(client, org, code="pos-nyc", kind="pos")
        await create(client, org, code="b2b", kind="b2b")
        await client.post(f"/v1/channels/{pos['id']}/deactivate", headers=org.headers)

        async def codes(**params: Any) -> list[str]:
            response = await client.get("/v1/channels", params=params, headers=org.headers)
            assert response.status_code == 200, response.text
            return [item["code"] for item in response.json()["items"]]

        assert await codes() == ["web", "amazon", "pos-nyc", "b2b"]
        assert await codes(kind="pos") == ["pos-nyc"]
        assert await codes(active="false") == ["pos-nyc"]
        assert await codes(active="true", kind="marketplace") == ["amazon"]

        page = (await client.get("/v1/channels?limit=3", headers=org.headers)).json()
        assert [c["code"] for c in page["items"]] == ["web", "amazon", "pos-nyc"]
        rest = await codes(limit=3, cursor=page["next_cursor"])
        assert rest == ["b2b"]


class TestUpdate:
    async def test_patch_changes_only_what_is_sent(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org, settings={"a": 1})
        response = await client.patch(
            f"/v1/channels/{created['id']}",
            json={"allow_backorders": True, "settings": {"b": 2}},
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["allow_backorders"] is True
        assert body["settings"] == {"b": 2}
        assert body["name"] == created["name"]
        assert body["kind"] == "marketplace"

    async def test_code_is_immutable_and_null_is_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        url = f"/v1/channels/{created['id']}"
        for patch, field in [
            ({"code": "ebay"}, "code"),
            ({"allow_backorders": None}, "allow_backorders"),
            ({"kind": "fax"}, "kind"),
        ]:
            response = await client.patch(url, json=patch, headers=org.headers)
            assert response.status_code == 422, patch
            assert problem_fields(response) == [field]
        assert (await client.get(url, headers=org.headers)).json() == created

    async def test_deactivate_and_activate(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await create(client, org)
        url = f"/v1/channels/{created['id']}"
        response = await client.post(f"{url}/deactivate", headers=org.headers)
        assert response.status_code == 200
        assert response.json()["active"] is False
        response = await client.post(f"{url}/activate", headers=org.headers)
        assert response.json()["active"] is True


class TestAccess:
    async def test_another_orgs_channel_is_404(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        other = await make_org(db)
        url = f"/v1/channels/{created['id']}"
        response = await client.get(url, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "channel_not_found"
        assert (
            await client.patch(url, json={"name": "X"}, headers=other.headers)
        ).status_code == 404
        assert (await client.post(f"{url}/deactivate", headers=other.headers)).status_code == 404

    async def test_a_viewer_reads_but_cannot_write(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        viewer = await key_for(db, org, Role.VIEWER)
        url = f"/v1/channels/{created['id']}"
        assert (await client.get(url, headers=viewer)).status_code == 200
        response = await client.post("/v1/channels", json={**SHOP, "code": "x"}, headers=viewer)
        assert response.status_code == 403
        assert (await client.patch(url, json={"name": "X"}, headers=viewer)).status_code == 403
        assert (await client.post(f"{url}/deactivate", headers=viewer)).status_code == 403

    async def test_an_integration_key_may_not_change_settings(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        integration = await key_for(db, org, Role.INTEGRATION)
        response = await client.post("/v1/channels", json=SHOP, headers=integration)
        assert response.status_code == 403


class TestIdempotency:
    async def test_a_replay_returns_the_first_body_and_creates_one_row(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        headers = {**org.headers, "Idempotency-Key": "chan-1"}
        first = await client.post("/v1/channels", json=SHOP, headers=headers)
        again = await client.post("/v1/channels", json=SHOP, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        items = (await client.get("/v1/channels?kind=marketplace", headers=org.headers)).json()
        assert len(items["items"]) == 1


class TestChannelPolicy:
    async def test_the_web_channel_ships_from_every_kind_but_suppliers(
        self, db: Database, org: Org
    ) -> None:
        async with db.transaction() as transaction:
            conn = transaction.connection
            policy = await service.channel_policy(conn, org.id, "web")
        assert policy.code == "web"
        assert policy.allow_backorders is False
        assert policy.eligible_location_kinds == ("warehouse", "store", "3pl")

    async def test_a_channel_policy_follows_its_settings(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        created = await create(
            client, org, allow_backorders=True, fulfillment_location_kinds=["supplier"]
        )
        async with db.transaction() as transaction:
            conn = transaction.connection
            policy = await service.channel_policy(conn, org.id, "amazon")
        assert policy.id == created["id"]
        assert policy.allow_backorders is True
        assert policy.eligible_location_kinds == ("supplier",)

    async def test_an_unknown_or_inactive_channel_is_refused(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        created = await create(client, org)
        await client.post(f"/v1/channels/{created['id']}/deactivate", headers=org.headers)
        for code in ("nope", "amazon"):
            with pytest.raises(UnknownChannel) as raised:
                async with db.transaction() as transaction:
                    conn = transaction.connection
                    await service.channel_policy(conn, org.id, code)
            assert raised.value.code == "unknown_channel"
            assert raised.value.field == "channel"
            assert raised.value.status == 422
