from __future__ import annotations

import csv
import io

import httpx
import pytest

from orderly.catalog import service
from orderly.catalog.errors import ImportRowInvalid
from orderly.catalog.importer import import_products
from orderly.kit.db import Database
from tests.factories import Org

HEADER = "sku,name,product,gtin,weight_grams,length_mm,width_mm,height_mm,hazmat,hs_code\n"


def rows(text: str) -> csv.DictReader[str]:
    return csv.DictReader(io.StringIO(HEADER + text))


async def listed(client: httpx.AsyncClient, org: Org) -> list[dict[str, object]]:
    response = await client.get("/v1/products", params={"limit": 200}, headers=org.headers)
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_a_good_file_imports_every_row(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    progress: list[int] = []
    async with db.transaction() as transaction:
        conn = transaction.connection
        count = await import_products(
            conn,
            org.id,
            rows(
                "TEE-M,Tee M,TEE,4006381333931,200,300,200,10,false\n"
                "TEE-L,Tee L,TEE,,220,,,,\n"
                "BAT-1,Battery,,,50,,,,true\n"
            ),
            on_progress=progress.append,
        )
    assert count == 3
    assert progress == [3]
    items = {p["sku"]: p for p in await listed(client, org)}
    assert set(items) == {"TEE-M", "TEE-L", "BAT-1"}
    assert items["TEE-M"]["product"] == items["TEE-L"]["product"] == "TEE"
    assert items["TEE-M"]["gtin"] == "4006381333931"
    assert items["TEE-M"]["height_mm"] == 10
    assert items["TEE-L"]["length_mm"] is None
    assert items["BAT-1"]["product"] == "BAT-1"
    assert items["BAT-1"]["hazmat"] is True


async def test_customs_columns_are_imported_when_the_file_has_them(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    text = "sku,name,weight_grams,hs_code,country_of_origin\nTEE-M,Tee M,200,6109.10,PT\n"
    async with db.transaction() as transaction:
        await import_products(transaction.connection, org.id, csv.DictReader(io.StringIO(text)))
    [tee] = await listed(client, org)
    assert (tee["hs_code"], tee["country_of_origin"]) == ("610910", "PT")


async def test_importing_again_updates_in_place(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        await import_products(conn, org.id, rows("TEE-M,Tee M,,,200,,,,\n"))
    async with db.transaction() as transaction:
        conn = transaction.connection
        await import_products(
            conn, org.id, rows("TEE-M,Tee medium,,,210,,,,\nTEE-M,Tee M2,,,230,,,,\n")
        )
    items = await listed(client, org)
    assert [(p["sku"], p["name"], p["weight_grams"]) for p in items] == [("TEE-M", "Tee M2", 230)]


async def test_large_files_go_in_batches(db: Database, org: Org) -> None:
    progress: list[int] = []
    body = "".join(f"SKU-{n},Item {n},,,{n},,,,\n" for n in range(2500))
    async with db.transaction() as transaction:
        conn = transaction.connection
        count = await import_products(conn, org.id, rows(body), on_progress=progress.append)
        found = await service.skus_by_code(conn, org.id, ["SKU-0", "SKU-2499", "SKU-9999"])
    assert count == 2500
    assert progress == [1000, 2000, 2500]
    assert set(found) == {"SKU-0", "SKU-2499"}
    assert found["SKU-2499"].weight_grams == 2499


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        ("BAD,Bad,,4006381333932,10,,,,", "gtin"),
        ("BAD,Bad,,,-3,,,,", "weight_grams"),
        ("BAD,Bad,,,ten,,,,", "weight_grams"),
        ("BAD,,,,10,,,,", "name"),
        ("BAD,Bad,,,10,,,,maybe", "hazmat"),
        ("BAD,Bad,,,10,,,,,12", "hs_code"),
    ],
)
async def test_a_bad_row_names_its_line_and_nothing_is_imported(
    db: Database, org: Org, client: httpx.AsyncClient, bad_row: str, field: str
) -> None:
    good = "".join(f"OK-{n},Fine {n},,,1,,,,\n" for n in range(1200))
    bad_line = 1 + 1200 + 1  # header, the good rows, then the bad one
    with pytest.raises(ImportRowInvalid) as raised:
        async with db.transaction() as transaction:
            conn = transaction.connection
            await import_products(conn, org.id, rows(good + bad_row + "\nLATE,Late,,,1,,,,\n"))
    error = raised.value
    assert error.code == "import_row_invalid"
    assert f"line {bad_line}" in error.detail
    assert field in error.detail
    assert error.field == field
    assert await listed(client, org) == []
