from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org

TEE_M: dict[str, Any] = {"sku": "TEE-M", "name": "Tee M", "weight_grams": 200}


async def create(client: httpx.AsyncClient, org: Org, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/products", json={**TEE_M, **fields}, headers=org.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


class TestCreate:
    async def test_the_contract_body_creates_a_sku_of_its_own_product(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = await create(client, org)
        assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
            "sku": "TEE-M",
            "product": "TEE-M",
            "name": "Tee M",
            "gtin": None,
            "weight_grams": 200,
            "length_mm": None,
            "width_mm": None,
            "height_mm": None,
            "hazmat": False,
            "hs_code": None,
            "country_of_origin": None,
            "high_demand": False,
            "active": True,
            "list_price": None,
        }
        fetched = await client.get(f"/v1/products/{body['id']}", headers=org.headers)
        assert fetched.status_code == 200
        assert fetched.json() == body

    async def test_a_list_price_is_kept_in_its_currency_changed_and_taken_away(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = await create(client, org, list_price={"amount": "19.9", "currency": "USD"})
        assert body["list_price"] == {"amount": "19.90", "currency": "USD"}
        path = f"/v1/products/{body['id']}"
        yen = await client.patch(
            path, json={"list_price": {"amount": "1500", "currency": "JPY"}}, headers=org.headers
        )
        assert yen.json()["list_price"] == {"amount": "1500", "currency": "JPY"}
        cents = await client.patch(
            path, json={"list_price": {"amount": "15.5", "currency": "JPY"}}, headers=org.headers
        )
        assert cents.status_code == 422
        assert problem_fields(cents)[0].startswith("list_price")
        gone = await client.patch(path, json={"list_price": None}, headers=org.headers)
        assert gone.json()["list_price"] is None

    async def test_skus_of_one_style_share_a_product(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        medium = await create(client, org, product="TEE", gtin="4006381333931", length_mm=300)
        large = await create(client, org, sku="TEE-L", name="Tee L", product="TEE", hazmat=True)
        assert medium["product"] == large["product"] == "TEE"
        assert medium["gtin"] == "4006381333931"
        assert medium["length_mm"] == 300
        assert large["hazmat"] is True
        listed = await client.get("/v1/products?product=TEE", headers=org.headers)
        assert [p["sku"] for p in listed.json()["items"]] == ["TEE-M", "TEE-L"]

    async def test_customs_details_are_kept_as_carriers_take_them(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = await create(client, org, hs_code="6109.10 00", country_of_origin="pt")
        assert (body["hs_code"], body["country_of_origin"]) == ("61091000", "PT")
        patched = await client.patch(
            f"/v1/products/{body['id']}", json={"hs_code": "620520"}, headers=org.headers
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["hs_code"], patched.json()["country_of_origin"]) == ("620520", "PT")

    async def test_a_duplicate_sku_is_409(self, client: httpx.AsyncClient, org: Org) -> None:
        await create(client, org)
        response = await client.post("/v1/products", json=TEE_M, headers=org.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "sku_taken"
        assert problem_fields(response) == ["sku"]

    async def test_bad_inputs_are_422_naming_the_field(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({**TEE_M, "gtin": "4006381333932"}, "gtin"),
            ({**TEE_M, "gtin": "12345"}, "gtin"),
            ({**TEE_M, "weight_grams": -1}, "weight_grams"),
            ({**TEE_M, "length_mm": 0}, "length_mm"),
            ({"sku": "X", "name": "X"}, "weight_grams"),
            ({**TEE_M, "sku": "  "}, "sku"),
            ({**TEE_M, "colour": "red"}, "colour"),
            ({**TEE_M, "hs_code": "6109"}, "hs_code"),
            ({**TEE_M, "hs_code": "6109.1O"}, "hs_code"),
            ({**TEE_M, "country_of_origin": "Portugal"}, "country_of_origin"),
            ({**TEE_M, "country_of_origin": "P1"}, "country_of_origin"),
        ]
        for body, field in cases:
            response = await client.post("/v1/products", json=body, headers=org.headers)
            assert response.status_code == 422, (field, response.text)
            assert response.json()["code"] == "validation_error"
            assert field in problem_fields(response), (field, response.json())
        assert (await client.get("/v1/products", headers=org.headers)).json()["items"] == []


class TestList:
    async def test_filters(self, client: httpx.AsyncClient, org: Org) -> None:
        await create(client, org, sku="TEE-M", name="Tee M", product="TEE")
        await create(client, org, sku="TEE-L", name="Tee L", product="TEE")
        mug = await create(client, org, sku="MUG_1", name="Big mug")
        await client.post(f"/v1/products/{mug['id']}/deactivate", headers=org.headers)

        async def skus(**params: Any) -> list[str]:
            response = await client.get("/v1/products", params=params, headers=org.headers)
            assert response.status_code == 200, response.text
            return [item["sku"] for item in response.json()["items"]]

        assert await skus() == ["TEE-M", "TEE-L", "MUG_1"]
        assert await skus(sku="TEE-L") == ["TEE-L"]
        assert await skus(product="TEE") == ["TEE-M", "TEE-L"]
        assert await skus(active="false") == ["MUG_1"]
        assert await skus(active="true") == ["TEE-M", "TEE-L"]
        assert await skus(q="tee") == ["TEE-M", "TEE-L"]
        assert await skus(q="BIG") == ["MUG_1"]
        assert await skus(q="-l") == ["TEE-L"]
        assert await skus(q="_") == ["MUG_1"]
        assert await skus(q="%") == []

    async def test_pages_follow_the_cursor(self, client: httpx.AsyncClient, org: Org) -> None:
        for n in range(5):
            await create(client, org, sku=f"S{n}")
        first = (await client.get("/v1/products?limit=3", headers=org.headers)).json()
        assert [p["sku"] for p in first["items"]] == ["S0", "S1", "S2"]
        second = (
            await client.get(
                "/v1/products",
                params={"limit": 3, "cursor": first["next_cursor"]},
                headers=org.headers,
            )
        ).json()
        assert [p["sku"] for p in second["items"]] == ["S3", "S4"]
        assert second["next_cursor"] is None


class TestUpdate:
    async def test_patch_changes_only_what_is_sent(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org, gtin="4006381333931", length_mm=10)
        url = f"/v1/products/{created['id']}"
        response = await client.patch(
            url, json={"name": "Tee medium", "gtin": None, "weight_grams": 210}, headers=org.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "Tee medium"
        assert body["gtin"] is None
        assert body["weight_grams"] == 210
        assert body["length_mm"] == 10
        assert body["sku"] == "TEE-M"

    async def test_a_sku_moves_to_another_product(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        response = await client.patch(
            f"/v1/products/{created['id']}", json={"product": "TEE"}, headers=org.headers
        )
        assert response.json()["product"] == "TEE"

    async def test_sku_is_immutable_and_bad_values_are_refused(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await create(client, org)
        url = f"/v1/products/{created['id']}"
        for patch, field in [
            ({"sku": "TEE-XL"}, "sku"),
            ({"weight_grams": -5}, "weight_grams"),
            ({"weight_grams": None}, "weight_grams"),
            ({"gtin": "036000291453"}, "gtin"),
        ]:
            response = await client.patch(url, json=patch, headers=org.headers)
            assert response.status_code == 422, patch
            assert problem_fields(response) == [field]
        assert (await client.get(url, headers=org.headers)).json() == created

    async def test_deactivate_and_activate(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await create(client, org)
        url = f"/v1/products/{created['id']}"
        response = await client.post(f"{url}/deactivate", headers=org.headers)
        assert response.status_code == 200
        assert response.json()["active"] is False
        response = await client.post(f"{url}/activate", headers=org.headers)
        assert response.json()["active"] is True


class TestAccess:
    async def test_another_orgs_product_is_404(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        other = await make_org(db)
        url = f"/v1/products/{created['id']}"
        response = await client.get(url, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"
        assert (
            await client.patch(url, json={"name": "X"}, headers=other.headers)
        ).status_code == 404
        assert (await client.post(f"{url}/activate", headers=other.headers)).status_code == 404

    async def test_a_viewer_reads_but_cannot_write(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        created = await create(client, org)
        viewer = await key_for(db, org, Role.VIEWER)
        url = f"/v1/products/{created['id']}"
        assert (await client.get(url, headers=viewer)).status_code == 200
        response = await client.post("/v1/products", json={**TEE_M, "sku": "X"}, headers=viewer)
        assert response.status_code == 403
        assert (await client.patch(url, json={"name": "X"}, headers=viewer)).status_code == 403
        assert (await client.post(f"{url}/deactivate", headers=viewer)).status_code == 403

    async def test_an_integration_key_may_write_the_catalog(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        integration = await key_for(db, org, Role.INTEGRATION)
        response = await client.post("/v1/products", json=TEE_M, headers=integration)
        assert response.status_code == 201


class TestIdempotency:
    async def test_a_replay_returns_the_first_body_and_creates_one_row(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        headers = {**org.headers, "Idempotency-Key": "tee-m"}
        first = await client.post("/v1/products", json=TEE_M, headers=headers)
        again = await client.post("/v1/products", json=TEE_M, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers.get("idempotent-replayed") == "true"
        assert len((await client.get("/v1/products", headers=org.headers)).json()["items"]) == 1

    async def test_the_same_key_with_another_body_is_422(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        headers = {**org.headers, "Idempotency-Key": "tee"}
        await client.post("/v1/products", json=TEE_M, headers=headers)
        other = {**TEE_M, "sku": "TEE-L"}
        response = await client.post("/v1/products", json=other, headers=headers)
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
