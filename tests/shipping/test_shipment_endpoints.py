"""Carriers, rates, labels and shipments over the API, scoped to the organization."""

from __future__ import annotations

import io

import httpx
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from orderly.kit.db import Database
from orderly.shipping.domain import Parcel
from orderly.shipping.tracking_numbers import is_valid_tracking_number
from tests.factories import Org, make_org, place_order
from tests.shipping.factories import (
    CUSTOMER,
    WAREHOUSE,
    buy_labels,
    open_shop,
)


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    return await open_shop(db, org)


class TestCarrierAccounts:
    async def test_credentials_are_stored_encrypted_and_never_returned(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        body = {
            "code": "parcelway",
            "name": "Parcelway",
            "credentials": {"api_key": "pw-live-very-secret"},
        }
        created = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert created.status_code == 201, created.text
        assert created.json()["has_credentials"] is True
        assert "pw-live-very-secret" not in created.text
        listed = await client.get("/v1/carriers", headers=org.headers)
        assert [c["code"] for c in listed.json()["items"]] == ["parcelway"]
        assert "pw-live-very-secret" not in listed.text
        async with db.engine.connect() as conn:
            stored = await conn.scalar(
                sa.text("SELECT credentials_encrypted FROM carrier_accounts WHERE org_id = :o"),
                {"o": org.id},
            )
        assert b"pw-live-very-secret" not in bytes(stored)

    async def test_a_taken_code_is_a_conflict(self, client: httpx.AsyncClient, org: Org) -> None:
        body = {"code": "swiftpost", "name": "SwiftPost"}
        assert (await client.post("/v1/carriers", json=body, headers=org.headers)).is_success
        again = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "carrier_code_taken"

    async def test_an_unknown_kind_names_the_field(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {"code": "ups", "name": "UPS", "kind": "carrier_pigeon"}
        response = await client.post("/v1/carriers", json=body, headers=org.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "kind"

    async def test_rate_card_upload_and_a_bad_row(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await client.post(
            "/v1/carriers", json={"code": "local", "name": "Local"}, headers=org.headers
        )
        csv_text = (
            "kind,service,name,zone,max_weight_grams,transit_days,price,currency\n"
            "rate,LOCAL,Local Courier,2,5000,1,5.00,USD\n"
            "rate,LOCAL,Local Courier,3,5000,1,-1,USD\n"
        )
        headers = {**org.headers, "Content-Type": "text/csv"}
        bad = await client.post("/v1/carriers/local/rate-card", content=csv_text, headers=headers)
        assert bad.status_code == 422
        assert bad.json()["code"] == "rate_card_invalid"
        assert bad.json()["line"] == 3
        assert bad.json()["errors"][0]["field"] == "price"
        good = csv_text.replace(",-1,", ",6.50,")
        loaded = await client.post("/v1/carriers/local/rate-card", content=good, headers=headers)
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["rate_card"]["services"][0]["zones"] == [2, 3]
        missing = await client.post("/v1/carriers/nope/rate-card", content=good, headers=headers)
        assert missing.status_code == 404


class TestRates:
    async def test_quotes_across_carriers_and_the_recommendation(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        body = {
            "ship_from": WAREHOUSE,
            "ship_to": CUSTOMER,
            "parcels": [
                {"weight_grams": 1200, "length_mm": 300, "width_mm": 200, "height_mm": 100}
            ],
            "ship_date": "2026-11-23",
        }
        cheapest = await client.post("/v1/rates", json=body, headers=shop.headers)
        assert cheapest.status_code == 200, cheapest.text
        quotes = cheapest.json()["quotes"]
        assert {q["service"] for q in quotes} == {
            "PW_GROUND",
            "PW_EXPRESS",
            "SP_GROUND",
            "SP_EXPRESS",
        }
        assert cheapest.json()["recommended"]["service"] == "PW_GROUND"
        assert cheapest.json()["recommended"]["price"] == "11.51"
        fastest = await client.post(
            "/v1/rates", json={**body, "policy": "fastest"}, headers=shop.headers
        )
        assert fastest.json()["recommended"]["service"] == "SP_EXPRESS"
        promised = await client.post(
            "/v1/rates", json={**body, "promise_date": "2026-11-25"}, headers=shop.headers
        )
        # Parcelway Ground takes 3 days to zone 3, SwiftPost Ground 2: the cheapest in time wins.
        assert promised.json()["recommended"]["service"] == "SP_GROUND"


class TestLabels:
    async def test_one_shipment_per_parcel_with_labels_that_open(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        order = await place_order(db, shop, [("MUG", 1)])
        bought = await buy_labels(
            db, shop, order["id"], Parcel(1200, 300, 200, 100), Parcel(800, 200, 200, 100)
        )
        assert len(bought) == 2
        assert {s.service for s in bought} == {"PW_GROUND"}
        assert all(is_valid_tracking_number(s.tracking_number) for s in bought)
        listed = await client.get(
            "/v1/shipments", params={"order_id": order["id"]}, headers=shop.headers
        )
        assert [s["id"] for s in listed.json()["items"]] == [s.id for s in bought]
        assert listed.json()["items"][0]["status"] == "label_created"

        first = bought[0]
        pdf = await client.get(f"/v1/shipments/{first.id}/label.pdf", headers=shop.headers)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        page = PdfReader(io.BytesIO(pdf.content)).pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
        assert first.tracking_number in page.extract_text()
        zpl = await client.get(f"/v1/shipments/{first.id}/label.zpl", headers=shop.headers)
        assert zpl.headers["content-type"].startswith("application/zpl")
        assert "^BC" in zpl.text and first.tracking_number in zpl.text

    async def test_a_named_service(self, db: Database, shop: Org) -> None:
        order = await place_order(db, shop, [("MUG", 1)])
        [bought] = await buy_labels(db, shop, order["id"], service="swiftpost:SP_EXPRESS")
        assert (bought.carrier, bought.service) == ("swiftpost", "SP_EXPRESS")
        assert bought.tracking_number.startswith("SP")

    async def test_cancel_once(self, client: httpx.AsyncClient, db: Database, shop: Org) -> None:
        order = await place_order(db, shop, [("MUG", 1)])
        [bought] = await buy_labels(db, shop, order["id"])
        url = f"/v1/shipments/{bought.id}/cancel"
        cancelled = await client.post(url, headers=shop.headers)
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        again = await client.post(url, headers=shop.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "shipment_not_cancellable"

    async def test_another_organizations_shipment_is_not_found(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        order = await place_order(db, shop, [("MUG", 1)])
        [bought] = await buy_labels(db, shop, order["id"])
        other = await make_org(db)
        for path in ("", "/label.pdf", "/label.zpl"):
            response = await client.get(f"/v1/shipments/{bought.id}{path}", headers=other.headers)
            assert response.status_code == 404, path
        cancel = await client.post(f"/v1/shipments/{bought.id}/cancel", headers=other.headers)
        assert cancel.status_code == 404
        listed = await client.get(
            "/v1/shipments",
            params={"tracking_number": bought.tracking_number},
            headers=other.headers,
        )
        assert listed.json()["items"] == []
