"""Sales at a store's counter: stock and ledger move at once, tenders pay them, a reserved unit
sold at the counter sends its order elsewhere, two tills never sell one unit twice, a counter
return restocks the store, and the receipt is a PDF."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pypdf import PdfReader

from orderly.kit.db import Database
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    order_view,
    place_order,
    receive_stock,
)
from tests.orders.helpers import ledger_mismatches

TAX = {"name": "City sales tax", "rate": "10"}
MUG_GTIN = "4006381333931"


async def _store(db: Database, org: Org, *, mugs: int = 3, warehouse_mugs: int = 0) -> None:
    await create_location(
        db,
        org,
        "ST1",
        kind="store",
        capabilities=("ship", "pickup", "returns"),
        priority=10,
        sales_tax=TAX,
    )
    await create_location(db, org, "WH1", city="Chicago", priority=20)
    await create_sku(
        db, org, "MUG", gtin=MUG_GTIN, list_price={"amount": "10.00", "currency": "USD"}
    )
    await create_sku(db, org, "CUP", list_price={"amount": "4.50", "currency": "USD"})
    await create_channel(db, org, "pos", kind="pos")
    if mugs:
        await receive_stock(db, org, "MUG", "ST1", mugs)
    await receive_stock(db, org, "CUP", "ST1", 5)
    if warehouse_mugs:
        await receive_stock(db, org, "MUG", "WH1", warehouse_mugs)


def _sale(
    lines: list[dict[str, Any]], tenders: list[dict[str, Any]], **more: Any
) -> dict[str, Any]:
    return {"location": "ST1", "till": "till-1", "lines": lines, "tenders": tenders, **more}


async def _sell(
    client: httpx.AsyncClient,
    org: Org,
    lines: list[dict[str, Any]],
    tenders: list[dict[str, Any]],
    **more: Any,
) -> httpx.Response:
    return await client.post(
        "/v1/pos/sales", json=_sale(lines, tenders, **more), headers=org.headers
    )


async def _level(client: httpx.AsyncClient, org: Org, sku: str, location: str) -> dict[str, Any]:
    response = await client.get("/v1/inventory", params={"sku": sku}, headers=org.headers)
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    [row] = [r for r in item["locations"] if r["location"] == location]
    return dict(row)


class TestSelling:
    async def test_a_sale_moves_stock_and_the_ledger_at_once(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(
            client,
            org,
            [{"sku": MUG_GTIN, "quantity": 2}, {"sku": "CUP"}],  # scanned, and typed
            [{"method": "cash", "amount": "26.95", "tendered": "30.00"}],
        )
        assert sale.status_code == 201, sale.text
        body = sale.json()
        order = body["order"]
        # 2 x 10.00 + 4.50 = 24.50, and 10 % tax on top.
        assert (order["subtotal"], order["tax"], order["total"]) == ("24.50", "2.45", "26.95")
        assert order["status"] == "delivered" and body["change"] == "3.05"
        assert order["payments"][0]["captured"] == "26.95"
        mug = await _level(client, org, "MUG", "ST1")
        assert (mug["on_hand"], mug["reserved"]) == (1, 0)
        ledger = await client.get(
            "/v1/inventory/ledger", params={"sku": "MUG"}, headers=org.headers
        )
        assert ledger.status_code == 200, ledger.text
        last = ledger.json()["items"][0]
        assert (last["kind"], last["reason"], last["on_hand_delta"]) == (
            "shipped",
            "counter_sale",
            -2,
        )
        assert await ledger_mismatches(db, org.id) == []
        # Nothing to pick: the units left with the customer.
        fos = await client.get(
            "/v1/fulfillment-orders", params={"order_id": order["id"]}, headers=org.headers
        )
        assert fos.json()["items"] == []

    async def test_split_tenders_must_add_up_to_the_total(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        short = await _sell(client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "5.00"}])
        assert short.status_code == 422
        assert short.json()["code"] == "tenders_do_not_add_up"
        assert short.json()["errors"][0]["field"] == "tenders"
        no_reference = await _sell(
            client, org, [{"sku": "MUG"}], [{"method": "card", "amount": "11.00"}]
        )
        assert no_reference.status_code == 422
        split = await _sell(
            client,
            org,
            [{"sku": "MUG"}],
            [
                {"method": "cash", "amount": "5.00"},
                {"method": "card", "amount": "6.00", "reference": "TERM-77-0042"},
            ],
        )
        assert split.status_code == 201, split.text
        payments = split.json()["order"]["payments"]
        assert [(p["method"], p["amount"], p["reference"]) for p in payments] == [
            ("cash", "5.00", None),
            ("card", "6.00", "TERM-77-0042"),
        ]
        mug = await _level(client, org, "MUG", "ST1")
        assert mug["on_hand"] == 2  # the refused sales moved nothing

    async def test_two_tills_selling_the_last_unit_sell_it_once(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org, mugs=1)
        body = _sale([{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}])
        answers = await asyncio.gather(
            *(client.post("/v1/pos/sales", json=body, headers=org.headers) for _ in range(2))
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [201, 409], [a.text for a in answers]
        mug = await _level(client, org, "MUG", "ST1")
        assert (mug["on_hand"], mug["reserved"]) == (0, 0)
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_reserved_unit_sold_at_the_counter_sends_its_order_elsewhere(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org, mugs=1, warehouse_mugs=5)
        web = await place_order(db, org, [("MUG", 1)])
        assert [a["location"] for a in web["lines"][0]["allocations"]] == ["ST1"]
        sale = await _sell(client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}])
        assert sale.status_code == 201, sale.text
        [taken] = sale.json()["taken_from"]
        assert taken["order_id"] == web["id"] and taken["units"] == 1
        moved = await order_view(db, org, web["id"])
        held = [(a["location"], a["status"]) for a in moved["lines"][0]["allocations"]]
        assert ("WH1", "reserved") in held and ("ST1", "released") in held
        assert moved["status"] == "allocated"
        store_mug = await _level(client, org, "MUG", "ST1")
        assert (store_mug["on_hand"], store_mug["reserved"]) == (0, 0)
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_unit_not_on_the_shelf_is_refused_and_nothing_moves(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org, mugs=1)
        refused = await _sell(
            client, org, [{"sku": "MUG", "quantity": 2}], [{"method": "cash", "amount": "22.00"}]
        )
        assert refused.status_code == 409
        assert refused.json()["code"] == "insufficient_stock"
        unknown = await _sell(
            client, org, [{"sku": "NOPE"}], [{"method": "cash", "amount": "1.00"}]
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "lines.0.sku"
        warehouse = await _sell(
            client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}], location="WH1"
        )
        assert warehouse.status_code == 422
        assert warehouse.json()["code"] == "not_a_store"
        assert (await _level(client, org, "MUG", "ST1"))["on_hand"] == 1


class TestEndlessAisle:
    async def test_an_order_paid_at_the_counter_ships_from_where_the_stock_is(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org, mugs=0, warehouse_mugs=4)
        sale = await _sell(client, org,
                [{"sku": "MUG", "quantity": 2}],
                [{"method": "card", "amount": "22.00", "reference": "TERM-9"}],
                customer={"email": "ann@example.com", "name": "Ann"},
                ship_to={"line1": "5 Elm St", "city": "Boston", "postal_code": "02110",
                         "country": "US"},
            )  # fmt: skip
        assert sale.status_code == 201, sale.text
        order = sale.json()["order"]
        assert order["status"] == "allocated" and order["delivery_method"] == "ship"
        assert [a["location"] for a in order["lines"][0]["allocations"]] == ["WH1"]
        assert order["payments"][0]["captured"] == "22.00"
        warehouse = await _level(client, org, "MUG", "WH1")
        assert (warehouse["on_hand"], warehouse["reserved"]) == (4, 2)
        receipt = await client.get(sale.json()["receipt"], headers=org.headers)
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    async def test_shipping_needs_the_customer(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        refused = await _sell(client, org,
                [{"sku": "MUG"}],
                [{"method": "cash", "amount": "11.00"}],
                ship_to={"line1": "5 Elm St", "city": "Boston", "postal_code": "02110",
                         "country": "US"},
            )  # fmt: skip
        assert refused.status_code == 422


class TestAfterTheSale:
    async def test_the_receipt_is_a_pdf_with_the_lines_and_the_change(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(
            client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00", "tendered": "20"}]
        )
        assert sale.status_code == 201, sale.text
        receipt = await client.get(sale.json()["receipt"], headers=org.headers)
        assert receipt.status_code == 200
        assert receipt.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(_bytes(receipt.content)).pages)
        assert sale.json()["order"]["number"] in text
        assert "MUG x 1" in text and "City sales tax 10%" in text and "9.00" in text

    async def test_a_counter_return_restocks_the_store(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}])
        order_id = sale.json()["order"]["id"]
        opened = await client.post(
            "/v1/returns",
            json={
                "order_id": order_id,
                "method": "in_store",
                "location": "ST1",
                "lines": [{"line_no": 1, "quantity": 1, "reason": "changed_mind"}],
            },
            headers=org.headers,
        )
        assert opened.status_code == 201, opened.text
        received = await client.post(
            f"/v1/returns/{opened.json()['id']}/receive",
            json={"lines": [{"line_no": 1, "restock": 1}]},
            headers=org.headers,
        )
        assert received.status_code == 200, received.text
        mug = await _level(client, org, "MUG", "ST1")
        assert mug["on_hand"] == 3
        assert await ledger_mismatches(db, org.id) == []


def _bytes(content: bytes) -> Any:
    import io

    return io.BytesIO(content)


class TestCounterReturns:
    async def test_a_return_at_the_counter_restocks_and_refunds_the_tenders_at_once(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(
            client,
            org,
            [{"sku": "MUG", "quantity": 2}],
            [
                {"method": "card", "amount": "12.00", "reference": "TERM-1"},
                {"method": "cash", "amount": "10.00"},
            ],
        )
        number = sale.json()["order"]["number"]
        back = await client.post(
            "/v1/pos/returns",
            json={
                "location": "ST1",
                "order": number,  # as the receipt's barcode reads
                "lines": [{"line_no": 1, "quantity": 1, "reason": "changed_mind"}],
            },
            headers=org.headers,
        )
        assert back.status_code == 201, back.text
        assert back.json()["refund"]["amount"] == "11.00"  # one mug with its tax
        assert back.json()["return"]["status"] == "refunded"
        order = await order_view(db, org, sale.json()["order"]["id"])
        # The last tender gives back first: the cash.
        assert [p["refunded"] for p in order["payments"]] == ["1.00", "10.00"]
        assert (await _level(client, org, "MUG", "ST1"))["on_hand"] == 2
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_damaged_unit_is_refunded_but_not_restocked(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}])
        back = await client.post(
            "/v1/pos/returns",
            json={
                "location": "ST1",
                "order": str(sale.json()["order"]["id"]),
                "lines": [{"line_no": 1, "quantity": 1, "reason": "damaged", "damaged": True}],
            },
            headers=org.headers,
        )
        assert back.status_code == 201, back.text
        assert (await _level(client, org, "MUG", "ST1"))["on_hand"] == 2

    async def test_more_than_was_sold_is_refused_and_nothing_is_written(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        await _store(db, org)
        sale = await _sell(client, org, [{"sku": "MUG"}], [{"method": "cash", "amount": "11.00"}])
        refused = await client.post(
            "/v1/pos/returns",
            json={
                "location": "ST1",
                "order": sale.json()["order"]["number"],
                "lines": [{"line_no": 1, "quantity": 2, "reason": "changed_mind"}],
            },
            headers=org.headers,
        )
        assert refused.status_code == 422, refused.text
        returns = await client.get("/v1/returns", headers=org.headers)
        assert returns.json()["items"] == []
        assert (await _level(client, org, "MUG", "ST1"))["on_hand"] == 2
