"""The hierarchy and API keys over the API."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org


async def test_the_hierarchy_is_built_top_down_and_read_as_a_tree(
    client: httpx.AsyncClient, org: Org
) -> None:
    h = org.headers
    assert (
        await client.post("/v1/brands", json={"code": "ACME", "name": "Acme"}, headers=h)
    ).status_code == 201
    region = {"code": "EAST", "name": "East", "brand": "ACME"}
    assert (await client.post("/v1/regions", json=region, headers=h)).status_code == 201
    group = {"code": "NYC", "name": "New York stores", "region": "EAST"}
    assert (await client.post("/v1/location-groups", json=group, headers=h)).status_code == 201

    tree = (await client.get("/v1/hierarchy", headers=h)).json()
    assert tree == [
        {
            "code": "ACME",
            "name": "Acme",
            "regions": [
                {
                    "code": "EAST",
                    "name": "East",
                    "location_groups": [{"code": "NYC", "name": "New York stores"}],
                }
            ],
        }
    ]


async def test_a_region_needs_an_existing_brand_and_codes_are_unique(
    client: httpx.AsyncClient, org: Org
) -> None:
    h = org.headers
    missing = await client.post(
        "/v1/regions", json={"code": "W", "name": "West", "brand": "NOPE"}, headers=h
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "brand"
    await client.post("/v1/brands", json={"code": "ACME", "name": "Acme"}, headers=h)
    again = await client.post("/v1/brands", json={"code": "ACME", "name": "Acme"}, headers=h)
    assert again.status_code == 409
    assert again.json()["code"] == "hierarchy_code_taken"


async def test_api_keys_are_shown_once_and_can_be_revoked(
    client: httpx.AsyncClient, org: Org
) -> None:
    issued = await client.post(
        "/v1/api-keys", json={"name": "shop sync", "role": "integration"}, headers=org.headers
    )
    assert issued.status_code == 201
    key = issued.json()["key"]
    new_headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/v1/orders", headers=new_headers)).status_code == 200

    listed = (await client.get("/v1/api-keys", headers=org.headers)).json()
    assert all("key" not in k for k in listed)
    assert "shop sync" in [k["name"] for k in listed]

    revoked = await client.post(f"/v1/api-keys/{issued.json()['id']}/revoke", headers=org.headers)
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/v1/orders", headers=new_headers)).status_code == 401


async def test_an_issued_key_is_never_stored_for_a_replay_nor_replayed(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    headers = {**org.headers, "Idempotency-Key": "issue-once"}
    body = {"name": "shop sync", "role": "integration"}
    issued = await client.post("/v1/api-keys", json=body, headers=headers)
    assert issued.status_code == 201
    key = issued.json()["key"]

    replay = await client.post("/v1/api-keys", json=body, headers=headers)
    assert replay.status_code == 409
    assert replay.json()["code"] == "idempotency_secret_not_replayable"
    assert replay.json()["resource"]["id"] == issued.json()["id"]
    assert key not in replay.text
    listed = (await client.get("/v1/api-keys", headers=org.headers)).json()
    assert [k["name"] for k in listed].count("shop sync") == 1
    async with db.transaction() as transaction:
        conn = transaction.connection
        stored = (
            await conn.execute(
                sa.text("SELECT response FROM idempotency_keys WHERE org_id = :org"),
                {"org": org.id},
            )
        ).scalar_one()
    assert key.encode() not in bytes(stored)


async def test_only_admins_manage_keys_and_no_one_escalates(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    manager = await key_for(db, org, Role.MANAGER)
    assert (await client.get("/v1/api-keys", headers=manager)).status_code == 403
    owner_key = await client.post(
        "/v1/api-keys",
        json={"name": "x", "role": "owner"},
        headers=org.headers,  # org key: admin
    )
    assert owner_key.status_code == 403
    assert owner_key.json()["code"] == "role_above_yours"
    assert owner_key.json()["errors"][0]["field"] == "role"


async def test_an_admin_cannot_revoke_an_owners_key(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    owner = await key_for(db, org, Role.OWNER)
    issued = (
        await client.post("/v1/api-keys", json={"name": "boss", "role": "owner"}, headers=owner)
    ).json()

    response = await client.post(f"/v1/api-keys/{issued['id']}/revoke", headers=org.headers)

    assert response.status_code == 403
    assert response.json()["code"] == "role_above_yours"
    boss = {"Authorization": f"Bearer {issued['key']}"}
    assert (await client.get("/v1/orders", headers=boss)).status_code == 200


async def test_the_last_owner_key_cannot_be_revoked(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    owner = await key_for(db, org, Role.OWNER)
    keys = (await client.get("/v1/api-keys", headers=owner)).json()
    owner_id = next(k["id"] for k in keys if k["role"] == "owner")

    last = await client.post(f"/v1/api-keys/{owner_id}/revoke", headers=owner)
    await client.post("/v1/api-keys", json={"name": "heir", "role": "owner"}, headers=owner)
    not_last = await client.post(f"/v1/api-keys/{owner_id}/revoke", headers=owner)

    assert last.status_code == 409 and last.json()["code"] == "last_owner"
    assert not_last.status_code == 200 and not_last.json()["revoked_at"] is not None


async def test_another_organizations_key_cannot_be_revoked(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    issued = (
        await client.post("/v1/api-keys", json={"name": "x", "role": "viewer"}, headers=org.headers)
    ).json()
    other = await make_org(db)
    response = await client.post(f"/v1/api-keys/{issued['id']}/revoke", headers=other.headers)
    assert response.status_code == 404
