"""POST /v1/sourcing/simulate: plan and explanation for a hypothetical or existing order,
under the saved or a given configuration, reserving nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import (
    Org,
    create_location,
    create_sku,
    key_for,
    make_org,
    order_body,
    receive_stock,
)
from tests.orders.helpers import stock_of

SIMULATE = "/v1/sourcing/simulate"
NOT_NEWARK = {"rules": [{"type": "exclude_locations", "locations": ["WH1"]}]}


@pytest.fixture
async def shop(db: Database) -> Org:
    org = await make_org(db)
    await create_location(db, org, "WH1", city="Newark")
    await create_location(db, org, "WH2", city="Chicago")
    await create_location(db, org, "SUP", city="Dallas", kind="supplier")
    await create_sku(db, org, "MUG", weight_grams=400)
    for location in ("WH1", "WH2", "SUP"):
        await receive_stock(db, org, "MUG", location, 5)
    return org


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {d["location"]: d["code"] for d in body["locations"]}


class TestHypotheticalOrder:
    async def test_plans_and_explains_without_reserving(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        before = await stock_of(client, shop.headers, "MUG")
        response = await client.post(SIMULATE, json=order_body([("MUG", 2)]), headers=shop.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [s["location"] for s in body["shipments"]] == ["WH1"]
        assert body["shipments"][0]["lines"] == [{"line_no": 1, "sku": "MUG", "quantity": 2}]
        assert codes(body) == {
            "SUP": "not_eligible_for_channel",
            "WH1": "chosen",
            "WH2": "costs_more",
        }
        assert body["backordered"] == {}
        assert body["estimated_cost"] is not None
        assert await stock_of(client, shop.headers, "MUG") == before

    async def test_an_unsaved_configuration_changes_the_plan_only_here(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        body = {**order_body([("MUG", 1)]), "config": NOT_NEWARK}
        response = await client.post(SIMULATE, json=body, headers=shop.headers)
        assert response.status_code == 200
        assert [s["location"] for s in response.json()["shipments"]] == ["WH2"]
        assert codes(response.json())["WH1"] == "excluded"
        saved = await client.get("/v1/routing-configs/default", headers=shop.headers)
        assert saved.json()["saved"] is False

    async def test_short_stock_is_reported_not_refused(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        response = await client.post(SIMULATE, json=order_body([("MUG", 12)]), headers=shop.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["backordered"] == {"1": 2}
        assert sorted(s["location"] for s in body["shipments"]) == ["WH1", "WH2"]

    async def test_a_reader_may_simulate(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        viewer = await key_for(db, shop, Role.VIEWER)
        response = await client.post(SIMULATE, json=order_body([("MUG", 1)]), headers=viewer)
        assert response.status_code == 200

    async def test_bad_input_names_the_field(self, client: httpx.AsyncClient, shop: Org) -> None:
        unknown = await client.post(SIMULATE, json=order_body([("NOPE", 1)]), headers=shop.headers)
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "lines.0.sku"
        bad_config = {**order_body([("MUG", 1)]), "config": {"rules": [{"type": "nope"}]}}
        invalid = await client.post(SIMULATE, json=bad_config, headers=shop.headers)
        assert invalid.status_code == 422
        assert invalid.json()["errors"][0]["field"].startswith("config.rules.0")


class TestExistingOrder:
    async def test_replans_an_order_under_another_configuration_and_keeps_its_stock(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        placed = await client.post(
            "/v1/orders", json=order_body([("MUG", 2)]), headers=shop.headers
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        before = await stock_of(client, shop.headers, "MUG")
        assert before["WH1"]["reserved"] == 2

        same = await client.post(SIMULATE, json={"order_id": order_id}, headers=shop.headers)
        assert same.status_code == 200, same.text
        assert [s["location"] for s in same.json()["shipments"]] == ["WH1"]

        other = await client.post(
            SIMULATE, json={"order_id": order_id, "config": NOT_NEWARK}, headers=shop.headers
        )
        assert [s["location"] for s in other.json()["shipments"]] == ["WH2"]
        assert await stock_of(client, shop.headers, "MUG") == before

    async def test_another_organizations_order_is_404(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        placed = await client.post(
            "/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers
        )
        stranger = await make_org(db)
        response = await client.post(
            SIMULATE, json={"order_id": placed.json()["id"]}, headers=stranger.headers
        )
        assert response.status_code == 404
