from __future__ import annotations

import httpx
from tests.factories import Org, create_location, create_sku, make_org, receive_stock
from tests.inventory.helpers import adjust, ledger, level, reserve

from orderly.inventory.schemas import SkuStockOut
from orderly.kit.db import Database
from orderly.kit.pagination import Page


async def get(client: httpx.AsyncClient, org: Org, path: str, **params: object) -> httpx.Response:
    return await client.get(path, params=params, headers=org.headers)


class TestStockPicture:
    async def test_levels_per_location_and_network_totals_over_active_locations(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        sku_id = (await create_sku(db, org, "TEE-M"))["id"]
        wh1 = (await create_location(db, org, "WH1"))["id"]
        await create_location(db, org, "ST1", kind="store")
        await create_location(db, org, "OLD")
        await receive_stock(db, org, "TEE-M", "WH1", 100)
        await receive_stock(db, org, "TEE-M", "ST1", 10)
        await receive_stock(db, org, "TEE-M", "OLD", 7)
        await reserve(db, org, sku_id, wh1, 30)
        await client.put(
            "/v1/inventory/safety-stock",
            json={"levels": [{"sku": "TEE-M", "location": "ST1", "safety_stock": 12}]},
            headers=org.headers,
        )
        old = (await get(client, org, "/v1/locations", code="OLD")).json()["items"][0]
        await client.post(f"/v1/locations/{old['id']}/deactivate", headers=org.headers)

        response = await get(client, org, "/v1/inventory", sku="TEE-M")
        assert response.status_code == 200
        assert response.json() == {
            "items": [
                {
                    "sku": "TEE-M",
                    "locations": [
                        {
                            "location": "WH1",
                            "active": True,
                            "on_hand": 100,
                            "reserved": 30,
                            "safety_stock": 0,
                            "available": 70,
                        },
                        {
                            "location": "ST1",
                            "active": True,
                            "on_hand": 10,
                            "reserved": 0,
                            "safety_stock": 12,
                            "available": 0,
                        },
                        {
                            "location": "OLD",
                            "active": False,
                            "on_hand": 7,
                            "reserved": 0,
                            "safety_stock": 0,
                            "available": 7,
                        },
                    ],
                    "totals": {"on_hand": 110, "reserved": 30, "safety_stock": 12, "available": 70},
                }
            ],
            "next_cursor": None,
        }

    async def test_a_location_filter_narrows_rows_not_totals(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        for sku in ("A", "B"):
            await create_sku(db, org, sku)
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        await receive_stock(db, org, "A", "WH1", 5)
        await receive_stock(db, org, "A", "WH2", 6)
        await receive_stock(db, org, "B", "WH2", 1)
        body = (await get(client, org, "/v1/inventory", location="WH1")).json()
        assert [item["sku"] for item in body["items"]] == ["A"]
        assert [row["location"] for row in body["items"][0]["locations"]] == ["WH1"]
        assert body["items"][0]["totals"]["on_hand"] == 11

    async def test_pages_by_sku(self, db: Database, client: httpx.AsyncClient, org: Org) -> None:
        await create_location(db, org, "WH1")
        codes = [f"S{i}" for i in range(5)]
        for code in codes:
            await create_sku(db, org, code)
            await receive_stock(db, org, code, "WH1", 1)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = (await get(client, org, "/v1/inventory", **params)).json()
            seen += [item["sku"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == codes

    async def test_skus_asked_for_by_code_page_by_sku_with_their_rows(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        for code in ("S0", "S1", "S2", "S3"):
            await create_sku(db, org, code)
        await receive_stock(db, org, "S0", "WH1", 1)
        await receive_stock(db, org, "S2", "WH1", 2)
        await receive_stock(db, org, "S2", "WH2", 3)
        asked = {"sku": ["S2", "S3", "S0"], "location": "WH2", "limit": 2}
        first = (await get(client, org, "/v1/inventory", **asked)).json()
        # Every SKU asked for is listed, even without a level at WH2; the totals cover WH1.
        assert [(i["sku"], [r["location"] for r in i["locations"]]) for i in first["items"]] == [
            ("S0", []),
            ("S2", ["WH2"]),
        ]
        assert [i["totals"]["on_hand"] for i in first["items"]] == [1, 5]
        rest = await get(client, org, "/v1/inventory", **asked, cursor=first["next_cursor"])
        assert [i["sku"] for i in rest.json()["items"]] == ["S3"]
        assert rest.json()["next_cursor"] is None

    async def test_an_unknown_code_among_known_ones_is_422(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "KNOWN")
        response = await get(client, org, "/v1/inventory", sku=["KNOWN", "GHOST"])
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_sku"
        assert "GHOST" in response.json()["detail"]

    async def test_the_document_is_a_page_of_sku_stock(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        # The list is written from plain values, not through its response model: it must
        # still be exactly what the model describes.
        await create_sku(db, org, "A")
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        await receive_stock(db, org, "A", "WH1", 4)
        await receive_stock(db, org, "A", "WH2", 6)
        body = (await get(client, org, "/v1/inventory")).json()
        assert Page[SkuStockOut].model_validate(body).model_dump(mode="json") == body

    async def test_a_known_sku_without_stock_shows_zeros(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "NEW")
        body = (await get(client, org, "/v1/inventory", sku="NEW")).json()
        assert body["items"] == [
            {
                "sku": "NEW",
                "locations": [],
                "totals": {"on_hand": 0, "reserved": 0, "safety_stock": 0, "available": 0},
            }
        ]

    async def test_unknown_filter_codes_are_422(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        other = await make_org(db)
        await create_sku(db, other, "THEIRS")
        response = await get(client, org, "/v1/inventory", sku="THEIRS")
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_sku"
        assert response.json()["errors"][0]["field"] == "sku"
        response = await get(client, org, "/v1/inventory", location="NOWHERE")
        assert response.json()["code"] == "unknown_location"

    async def test_an_organization_sees_only_its_own_stock(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        other = await make_org(db)
        await create_sku(db, other, "X")
        await create_location(db, other, "WH1")
        await receive_stock(db, other, "X", "WH1", 3)
        assert (await get(client, org, "/v1/inventory")).json()["items"] == []
        assert (await get(client, org, "/v1/inventory/ledger")).json()["items"] == []


class TestSafetyStock:
    async def test_safety_stock_lowers_available_and_writes_no_ledger_row(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "TEE-M")
        await create_location(db, org, "WH1")
        await receive_stock(db, org, "TEE-M", "WH1", 10)
        response = await client.put(
            "/v1/inventory/safety-stock",
            json={"levels": [{"sku": "TEE-M", "location": "WH1", "safety_stock": 3}]},
            headers=org.headers,
        )
        assert response.status_code == 200
        assert response.json()["levels"][0]["available"] == 7
        assert (await level(client, org, "TEE-M", "WH1"))["safety_stock"] == 3
        assert len(await ledger(client, org)) == 1

    async def test_safety_stock_cannot_be_negative(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.put(
            "/v1/inventory/safety-stock",
            json={"levels": [{"sku": "TEE-M", "location": "WH1", "safety_stock": -1}]},
            headers=org.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "levels.0.safety_stock"

    async def test_safety_stock_on_a_new_level_creates_it_empty(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "TEE-M")
        await create_location(db, org, "WH1")
        response = await client.put(
            "/v1/inventory/safety-stock",
            json={"levels": [{"sku": "TEE-M", "location": "WH1", "safety_stock": 5}]},
            headers=org.headers,
        )
        assert response.json()["levels"] == [
            {
                "sku": "TEE-M",
                "location": "WH1",
                "on_hand": 0,
                "reserved": 0,
                "safety_stock": 5,
                "available": 0,
            }
        ]


class TestLedger:
    async def test_movements_newest_first_with_filters_and_pages(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "A")
        await create_sku(db, org, "B")
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        await receive_stock(db, org, "A", "WH1", 1)
        await receive_stock(db, org, "B", "WH1", 2)
        await receive_stock(db, org, "A", "WH2", 3)
        await adjust(client, org, {"sku": "A", "location": "WH1", "delta": 4, "reason": "found"})

        everything = await ledger(client, org)
        assert [e["on_hand_delta"] for e in everything] == [4, 3, 2, 1]
        assert [e["on_hand_delta"] for e in await ledger(client, org, sku="A")] == [4, 3, 1]
        by_place = await ledger(client, org, sku="A", location="WH1")
        assert [(e["sku"], e["location"], e["reason"]) for e in by_place] == [
            ("A", "WH1", "found"),
            ("A", "WH1", "received"),
        ]

        first = (await get(client, org, "/v1/inventory/ledger", limit=3)).json()
        assert len(first["items"]) == 3
        rest = (
            await get(client, org, "/v1/inventory/ledger", limit=3, cursor=first["next_cursor"])
        ).json()
        assert [e["on_hand_delta"] for e in rest["items"]] == [1]
        assert rest["next_cursor"] is None
