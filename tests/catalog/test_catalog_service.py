"""The lookups and bulk writes other features make of the catalog."""

from __future__ import annotations

import httpx

from orderly.catalog import service
from orderly.kit.db import Database
from tests.factories import Org, make_org


async def test_skus_by_code_finds_known_codes_only(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    tee = (
        await client.post(
            "/v1/products",
            json={"sku": "TEE-M", "name": "Tee M", "weight_grams": 200},
            headers=org.headers,
        )
    ).json()
    other = await make_org(db)
    async with db.transaction() as transaction:
        conn = transaction.connection
        found = await service.skus_by_code(conn, org.id, ["TEE-M", "NOPE"])
        assert await service.skus_by_code(conn, other.id, ["TEE-M"]) == {}
        assert await service.skus_by_code(conn, org.id, []) == {}
    assert found == {
        "TEE-M": service.SkuRef(
            id=tee["id"], code="TEE-M", name="Tee M", weight_grams=200, active=True
        )
    }


async def test_upsert_skus_creates_then_overwrites_but_keeps_active(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        written = await service.upsert_skus(
            conn,
            org.id,
            [
                service.NewSku(code="A", name="A", product="P", weight_grams=1),
                service.NewSku(code="B", name="B", product="P", weight_grams=2, hazmat=True),
            ],
        )
    assert written == 2
    a_id = (await client.get("/v1/products?sku=A", headers=org.headers)).json()["items"][0]["id"]
    await client.post(f"/v1/products/{a_id}/deactivate", headers=org.headers)
    async with db.transaction() as transaction:
        conn = transaction.connection
        await service.upsert_skus(
            conn, org.id, [service.NewSku(code="A", name="A2", product="Q", weight_grams=5)]
        )
    a = (await client.get(f"/v1/products/{a_id}", headers=org.headers)).json()
    assert (a["name"], a["product"], a["weight_grams"], a["active"]) == ("A2", "Q", 5, False)
