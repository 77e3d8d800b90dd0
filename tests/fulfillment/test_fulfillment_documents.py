"""Pick list and packing slip PDFs open and carry what the warehouse needs to read."""

from __future__ import annotations

import io

import httpx
from pypdf import PdfReader

from orderly.kit.db import Database
from tests.factories import Org, create_product, place_order, receive_stock
from tests.fulfillment.helpers import act, fulfillment_orders, ok, pick, setup_warehouses


def text_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


class TestDocuments:
    async def test_pick_list_is_sorted_by_bin_and_prints(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 10})
        await create_product(db, org, "PLATE")
        await receive_stock(db, org, "PLATE", "WH1", 10)
        bins = await client.put(
            "/v1/fulfillment/locations/WH1/bins",
            json={"bins": [{"sku": "MUG", "bin": "B-02-01"}, {"sku": "PLATE", "bin": "A-01-03"}]},
            headers=org.headers,
        )
        assert bins.status_code == 200, bins.text
        first = await place_order(db, org, [("MUG", 1), ("PLATE", 2)])
        second = await place_order(db, org, [("MUG", 2)])
        for placed in (first, second):
            [fo] = await fulfillment_orders(client, org, placed["id"])
            await ok(await act(client, org, fo["id"], "accept"))
        wave = await pick(client, org, "WH1", max_orders=10)
        assert [(i["bin"], i["sku"], i["quantity"]) for i in wave["items"]] == [
            ("A-01-03", "PLATE", 2),
            ("B-02-01", "MUG", 3),
        ]
        assert len(wave["items"][1]["orders"]) == 2
        text = text_of(await client.get(f"/v1/pick-lists/{wave['id']}.pdf", headers=org.headers))
        for needle in ("A-01-03", "PLATE", "MUG", first["number"], second["number"]):
            assert needle in text, needle

    async def test_packing_slip_names_the_order_and_its_skus(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 10})
        placed = await place_order(db, org, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        text = text_of(
            await client.get(
                f"/v1/fulfillment-orders/{fo['id']}/packing-slip.pdf", headers=org.headers
            )
        )
        assert placed["number"] in text and "MUG" in text and "Boston" in text

    async def test_unknown_pick_list_is_404(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.get("/v1/pick-lists/999999999.pdf", headers=org.headers)
        assert response.status_code == 404
