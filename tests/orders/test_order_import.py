from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.orders.importer import OrderImportRowInvalid, OrdersImported, import_orders
from tests.factories import Org, create_sku

HEADER = (
    "external_id,channel,currency,customer_email,customer_name,status,placed_at,"
    "ship_name,ship_line1,ship_city,ship_postal_code,ship_country,sku,quantity,unit_price\n"
)
GOOD = HEADER + (
    "H-1,web,USD,ann@example.com,Ann Lee,,2025-03-01T10:00:00+00:00,"
    "Ann Lee,1 Elm St,Boston,02110,US,MUG,2,12.50\n"
    "H-1,web,USD,,,,,,,,,,TEE,1,20.00\n"
    "H-2,web,USD,bob@example.com,Bob Roy,cancelled,,,,,,,MUG,1,12.50\n"
)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def run_import(db: Database, org: Org, text: str) -> OrdersImported:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await import_orders(conn, org.id, rows(text))


async def catalog(db: Database, org: Org) -> None:
    await create_sku(db, org, "MUG")
    await create_sku(db, org, "TEE")


async def listed(client: httpx.AsyncClient, org: Org) -> list[dict[str, Any]]:
    answer = await client.get("/v1/orders", headers=org.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_a_good_file_records_orders_as_given(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    await catalog(db, org)
    outcome = await run_import(db, org, GOOD)
    assert outcome == OrdersImported(orders=2, lines=3, skipped=0)

    by_external = {o["external_id"]: o for o in await listed(client, org)}
    assert {k: v["status"] for k, v in by_external.items()} == {
        "H-1": "delivered",
        "H-2": "cancelled",
    }
    first = (await client.get(f"/v1/orders/{by_external['H-1']['id']}", headers=org.headers)).json()
    assert first["total"] == "45.00"
    assert first["created_at"].startswith("2025-03-01T10:00:00")
    assert first["shipping_address"]["city"] == "Boston"
    assert [(line["sku"], line["quantity"]) for line in first["lines"]] == [("MUG", 2), ("TEE", 1)]
    # Historical orders reserve nothing.
    stock = (await client.get("/v1/inventory?sku=MUG", headers=org.headers)).json()["items"]
    assert stock == [] or all(row["reserved"] == 0 for row in stock[0]["locations"])


async def test_importing_the_same_file_again_adds_nothing(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    await catalog(db, org)
    await run_import(db, org, GOOD)
    again = await run_import(db, org, GOOD)
    assert again == OrdersImported(orders=0, lines=0, skipped=2)
    assert len(await listed(client, org)) == 2


async def test_a_bad_row_names_its_line_and_keeps_nothing(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    await catalog(db, org)
    bad = GOOD + "H-3,web,USD,cy@example.com,,,,,,,,,MUG,two,12.50\n"
    with pytest.raises(OrderImportRowInvalid) as caught:
        await run_import(db, org, bad)
    assert caught.value.detail.startswith("line 5: quantity")
    assert await listed(client, org) == []


async def test_an_unknown_sku_names_its_line(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    await catalog(db, org)
    with pytest.raises(OrderImportRowInvalid) as caught:
        await run_import(db, org, GOOD.replace("TEE", "NOPE"))
    assert caught.value.detail.startswith("line 3: sku")
    assert await listed(client, org) == []


async def test_rows_of_an_order_must_be_consecutive(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    await catalog(db, org)
    with pytest.raises(OrderImportRowInvalid) as caught:
        await run_import(db, org, GOOD + "H-1,web,USD,ann@example.com,,,,,,,,,TEE,1,20.00\n")
    assert caught.value.detail.startswith("line 5: external_id")
