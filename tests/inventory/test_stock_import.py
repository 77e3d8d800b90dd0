from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
import pytest
from tests.factories import Org, create_location, create_sku, receive_stock
from tests.inventory.helpers import ledger, level, reserve

from orderly.catalog import service as catalog
from orderly.inventory import service
from orderly.inventory.errors import ImportRowInvalid
from orderly.inventory.importer import import_stock
from orderly.kit.db import Database


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def run_import(
    db: Database, org: Org, text: str, on_progress: Callable[[int], None] | None = None
) -> int:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await import_stock(conn, org.id, "importer", rows(text), on_progress=on_progress)


async def two_skus(db: Database, org: Org) -> None:
    await create_sku(db, org, "A")
    await create_sku(db, org, "B")
    await create_location(db, org, "WH1")


class TestGoodFiles:
    async def test_counts_become_on_hand_with_ledger_rows_for_the_difference(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_skus(db, org)
        await receive_stock(db, org, "A", "WH1", 10)
        progress: list[int] = []
        imported = await run_import(
            db,
            org,
            "sku,location,on_hand,safety_stock\nA,WH1,7,2\nB,WH1,5,\n",
            on_progress=progress.append,
        )
        assert imported == 2
        assert progress == [2]
        a = await level(client, org, "A", "WH1")
        b = await level(client, org, "B", "WH1")
        assert (a["on_hand"], a["safety_stock"], a["available"]) == (7, 2, 5)
        assert (b["on_hand"], b["safety_stock"]) == (5, 0)
        entries = await ledger(client, org)
        assert sorted((e["sku"], e["kind"], e["reason"], e["on_hand_delta"]) for e in entries) == [
            ("A", "adjusted", "import", -3),
            ("A", "received", "received", 10),
            ("B", "received", "import", 5),
        ]
        assert {e["actor"] for e in entries if e["reason"] == "import"} == {"importer"}
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_an_unchanged_count_writes_no_ledger_row(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_skus(db, org)
        await receive_stock(db, org, "A", "WH1", 4)
        assert await run_import(db, org, "sku,location,on_hand\nA,WH1,4\n") == 1
        assert len(await ledger(client, org)) == 1

    async def test_a_large_file_goes_in_batches(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        codes = [f"SKU-{i:05d}" for i in range(1100)]
        async with db.transaction() as transaction:
            conn = transaction.connection
            await catalog.upsert_skus(
                conn,
                org.id,
                [catalog.NewSku(code=c, name=c, product=c, weight_grams=1) for c in codes],
            )
        text = "sku,location,on_hand\n" + "".join(
            f"{c},{place},{i % 7}\n" for i, c in enumerate(codes) for place in ("WH1", "WH2")
        )
        progress: list[int] = []
        assert await run_import(db, org, text, on_progress=progress.append) == 2200
        assert progress == [1000, 2000, 2200]
        assert (await level(client, org, "SKU-00013", "WH2"))["on_hand"] == 13 % 7
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []


class TestBadFiles:
    @pytest.mark.parametrize(
        ("text", "line", "field"),
        [
            ("sku,location,on_hand\nA,WH1,3\nB,WH1,lots\n", 3, "on_hand"),
            ("sku,location,on_hand\nA,WH1,3\nB,WH1,-1\n", 3, "on_hand"),
            ("sku,location,on_hand\nA,WH1,3\nB,WH1,\n", 3, "on_hand"),
            ("sku,location,on_hand\nA,WH1,3\nB,WH1,1\nNOPE,WH1,1\n", 4, "sku"),
            ("sku,location,on_hand\nA,WH9,3\n", 2, "location"),
            ("sku,location,on_hand\n,WH1,3\n", 2, "sku"),
            ("sku,location,on_hand,safety_stock\nA,WH1,3,x\n", 2, "safety_stock"),
            ("sku,location\nA,WH1\n", 1, "on_hand"),
        ],
    )
    async def test_a_bad_row_names_its_line_and_field_and_nothing_is_kept(
        self, client: httpx.AsyncClient, db: Database, org: Org, text: str, line: int, field: str
    ) -> None:
        await two_skus(db, org)
        with pytest.raises(ImportRowInvalid) as caught:
            await run_import(db, org, text)
        assert caught.value.code == "import_row_invalid"
        assert caught.value.status == 422
        assert caught.value.field == field
        assert caught.value.detail.startswith(f"line {line}: {field}")
        assert (await level(client, org, "A", "WH1"))["on_hand"] == 0
        assert await ledger(client, org) == []

    async def test_an_inactive_location_is_refused(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_skus(db, org)
        await create_location(db, org, "OLD", active=False)
        with pytest.raises(ImportRowInvalid) as caught:
            await run_import(db, org, "sku,location,on_hand\nA,WH1,1\nA,OLD,1\n")
        assert caught.value.detail.startswith("line 3: location")

    async def test_a_count_below_reserved_is_refused(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        sku_id = (await create_sku(db, org, "A"))["id"]
        await create_sku(db, org, "B")
        location_id = (await create_location(db, org, "WH1"))["id"]
        await receive_stock(db, org, "A", "WH1", 10)
        await reserve(db, org, sku_id, location_id, 6)
        with pytest.raises(ImportRowInvalid) as caught:
            await run_import(db, org, "sku,location,on_hand\nB,WH1,9\nA,WH1,5\n")
        assert caught.value.detail.startswith("line 3: on_hand")
        assert "6" in caught.value.detail
        assert (await level(client, org, "A", "WH1"))["on_hand"] == 10
        assert (await level(client, org, "B", "WH1"))["on_hand"] == 0

    async def test_a_bad_row_in_a_later_batch_leaves_the_earlier_batches_out_too(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_skus(db, org)
        text = "sku,location,on_hand\n" + "A,WH1,5\n" * 1500 + "B,WH1,oops\n"
        with pytest.raises(ImportRowInvalid) as caught:
            await run_import(db, org, text)
        assert caught.value.detail.startswith("line 1502: on_hand")
        assert (await level(client, org, "A", "WH1"))["on_hand"] == 0
        assert await ledger(client, org) == []
