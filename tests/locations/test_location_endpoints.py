from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org

WH1: dict[str, Any] = {
    "code": "WH1",
    "name": "East DC",
    "kind": "warehouse",
    "address": {"line1": "1 Main St", "city": "Newark", "postal_code": "07102", "country": "US"},
    "latitude": 40.73,
    "longitude": -74.17,
    "capabilities": ["ship"],
}


def location(**changes: Any) -> dict[str, Any]:
    return {**WH1, **changes}


async def create(client: httpx.AsyncClient, org: Org, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/locations", json=location(**changes), headers=org.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


class TestCreate:
    async def test_the_contract_body_creates_a_location_with_defaults(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = await create(client, org)
        assert body["code"] == "WH1"
        assert body["kind"] == "warehouse"
        assert body["country"] == "US"
        assert body["address"]["city"] == "Newark"
        assert body["capabilities"] == ["ship"]
        assert body["timezone"] == "UTC"
        assert body["priority"] == 100
        assert body["ships_to"] == ["US"]
        assert body["daily_order_capacity"] is None
        assert body["group"] is None
        assert body["active"] is True

        fetched = await client.get(f"/v1/locations/{body['id']}", headers=org.headers)
        assert fetched.status_code == 200
        assert fetched.json() == body

    async def test_optional_fields_are_kept(self, client: httpx.AsyncClient, org: Org) -> None:
        body = await create(
            client,
            org,
            code="ST1",
            kind="store",
            timezone="America/New_York",
            daily_order_capacity=40,
            priority=5,
            ships_to=["US", "CA"],
            capabilities=["pickup", "ship_from_store", "returns"],
        )
        assert body["timezone"] == "America/New_York"
        assert body["daily_order_capacity"] == 40
        assert body["priority"] == 5
        assert body["ships_to"] == ["US", "CA"]
        assert body["capabilities"] == ["pickup", "ship_from_store", "returns"]

    async def test_a_duplicate_code_is_409(self, client: httpx.AsyncClient, org: Org) -> None:
        await create(client, org)
        response = await client.post("/v1/locations", json=WH1, headers=org.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "location_code_taken"
        assert problem_fields(response) == ["code"]

    async def test_the_same_code_in_another_org_is_fine(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        other = await make_org(db)
        await create(client, org)
        await create(client, other)

    async def test_an_existing_group_is_accepted(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        async with db.transaction() as transaction:
            conn = transaction.connection
            await conn.execute(
                sa.text(
                    "WITH b AS (INSERT INTO brands (org_id, code, name) VALUES (:o, 'B', 'B')"
                    " RETURNING id), r AS (INSERT INTO regions (org_id, brand_id, code, name)"
                    " SELECT :o, id, 'R', 'R' FROM b RETURNING id)"
                    " INSERT INTO location_groups (org_id, region_id, code, name)"
                    " SELECT :o, id, 'EAST', 'East' FROM r"
                ),
                {"o": org.id},
            )
        body = await create(client, org, group="EAST")
        assert body["group"] == "EAST"
        listed = await client.get("/v1/locations", headers=org.headers)
        assert listed.json()["items"][0]["group"] == "EAST"


class TestValidation:
    async def test_bad_inputs_are_422_naming_the_field(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        address = WH1["address"]
        cases: list[tuple[dict[str, Any], str]] = [
            (location(kind="depot"), "kind"),
            (location(address={**address, "country": "USA"}), "address.country"),
            (location(address={**address, "country": "us"}), "address.country"),
            (location(capabilities=["ship", "teleport"]), "capabilities.1"),
            (location(timezone="Mars/Olympus_Mons"), "timezone"),
            (location(latitude=91), "latitude"),
            (location(longitude=-181), "longitude"),
            (location(daily_order_capacity=-1), "daily_order_capacity"),
            (location(ships_to=["US", "XXX"]), "ships_to.1"),
            (location(code=""), "code"),
            (location(group="NOPE"), "group"),
        ]
        for body, field in cases:
            response = await client.post("/v1/locations", json=body, headers=org.headers)
            assert response.status_code == 422, (field, response.text)
            assert field in problem_fields(response), (field, response.json())
        listed = await client.get("/v1/locations", headers=org.headers)
        assert listed.json()["items"] == []

    async def test_only_one_coordinate_is_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = location()
        del body["longitude"]
        response = await client.post("/v1/locations", json=body, headers=org.headers)
        assert response.status_code == 422
        assert "longitude" in response.json()["detail"]


class TestList:
    async def test_filters(self, client: httpx.AsyncClient, org: Org) -> None:
        await create(client, org, code="WH1")
        await create(client, org, code="ST1", kind="store", capabilities=["pickup"])
        store2 = await create(client, org, code="ST2", kind="store", capabilities=["ship"])
        await client.post(f"/v1/locations/{store2['id']}/deactivate", headers=org.headers)

        async def codes(**params: Any) -> list[str]:
            response = await client.get("/v1/locations", params=params, headers=org.headers)
            assert response.status_code == 200, response.text
            return [item["code"] for item in response.json()["items"]]

        assert await codes() == ["WH1", "ST1", "ST2"]
        assert await codes(kind="store") == ["ST1", "ST2"]
        assert await codes(capability="ship") == ["WH1", "ST2"]
        assert await codes(active="false") == ["ST2"]
        assert await codes(active="true", kind="store") == ["ST1"]
        assert await codes(code="ST1") == ["ST1"]

    async def test_pages_follow_the_cursor(self, client: httpx.AsyncClient, org: Org) -> None:
        for n in range(5):
            await create(client, org, code=f"L{n}")
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/locations", params=params, headers=org.headers)).json()
            seen += [item["code"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["L0", "L1", "L2", "L3", "L4"]

    async def test_a_forged_cursor_is_422(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.get("/v1/locations?cursor=WyJ4Il0", headers=org.headers)
        assert response.status_code == 422
        assert problem_fields(response) == ["cursor"]


class TestUpdate:
    async def test_patch_changes_only_what_is_sent(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        response = await client.patch(
            f"/v1/locations/{created['id']}",
            json={"name": "East hub", "priority": 1, "capabilities": ["ship", "returns"]},
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "East hub"
        assert body["priority"] == 1
        assert body["capabilities"] == ["ship", "returns"]
        assert body["address"] == created["address"]
        assert body["latitude"] == created["latitude"]

    async def test_a_new_address_moves_the_country(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        address = {"line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J", "country": "CA"}
        response = await client.patch(
            f"/v1/locations/{created['id']}", json={"address": address}, headers=org.headers
        )
        assert response.json()["country"] == "CA"
        assert response.json()["address"]["city"] == "Toronto"
        assert response.json()["ships_to"] == ["CA"]

    async def test_a_new_address_keeps_chosen_destinations(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org, ships_to=["US", "MX"])
        address = {"line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J", "country": "CA"}
        response = await client.patch(
            f"/v1/locations/{created['id']}", json={"address": address}, headers=org.headers
        )
        assert response.json()["ships_to"] == ["US", "MX"]
        response = await client.patch(
            f"/v1/locations/{created['id']}",
            json={"address": {**address, "country": "US"}, "ships_to": ["US"]},
            headers=org.headers,
        )
        assert (response.json()["country"], response.json()["ships_to"]) == ("US", ["US"])

    async def test_code_is_immutable_and_null_is_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        url = f"/v1/locations/{created['id']}"
        response = await client.patch(url, json={"code": "WH9"}, headers=org.headers)
        assert response.status_code == 422
        assert problem_fields(response) == ["code"]
        response = await client.patch(url, json={"name": None}, headers=org.headers)
        assert response.status_code == 422
        assert problem_fields(response) == ["name"]
        response = await client.patch(url, json={"timezone": "Nowhere"}, headers=org.headers)
        assert problem_fields(response) == ["timezone"]
        assert (await client.get(url, headers=org.headers)).json() == created

    async def test_capacity_can_be_cleared(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await create(client, org, daily_order_capacity=10)
        response = await client.patch(
            f"/v1/locations/{created['id']}",
            json={"daily_order_capacity": None},
            headers=org.headers,
        )
        assert response.json()["daily_order_capacity"] is None

    async def test_deactivate_and_activate(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await create(client, org)
        url = f"/v1/locations/{created['id']}"
        response = await client.post(f"{url}/deactivate", headers=org.headers)
        assert response.status_code == 200
        assert response.json()["active"] is False
        assert (await client.get(url, headers=org.headers)).json()["active"] is False
        response = await client.post(f"{url}/activate", headers=org.headers)
        assert response.json()["active"] is True


class TestAccess:
    async def test_another_orgs_location_is_404(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        other = await make_org(db)
        url = f"/v1/locations/{created['id']}"
        assert (await client.get(url, headers=other.headers)).status_code == 404
        response = await client.patch(url, json={"name": "Mine"}, headers=other.headers)
        assert response.status_code == 404
        assert (await client.post(f"{url}/deactivate", headers=other.headers)).status_code == 404
        assert (await client.get("/v1/locations", headers=other.headers)).json()["items"] == []

    async def test_a_viewer_reads_but_cannot_write(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        viewer = await key_for(db, org, Role.VIEWER)
        url = f"/v1/locations/{created['id']}"
        assert (await client.get(url, headers=viewer)).status_code == 200
        assert (await client.get("/v1/locations", headers=viewer)).status_code == 200
        response = await client.post("/v1/locations", json=location(code="X"), headers=viewer)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert (await client.patch(url, json={"name": "X"}, headers=viewer)).status_code == 403
        assert (await client.post(f"{url}/deactivate", headers=viewer)).status_code == 403

    async def test_without_a_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/locations")).status_code == 401


class TestIdempotency:
    async def test_a_replay_returns_the_first_body_and_creates_one_row(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        headers = {**org.headers, "Idempotency-Key": "loc-1"}
        first = await client.post("/v1/locations", json=WH1, headers=headers)
        again = await client.post("/v1/locations", json=WH1, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        listed = await client.get("/v1/locations", headers=org.headers)
        assert len(listed.json()["items"]) == 1
