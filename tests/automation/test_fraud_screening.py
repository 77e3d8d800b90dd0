"""Fraud screening: each rule scores, scores add up, the threshold holds the order for review,
and the review queue approves (the order moves on) or rejects (cancelled, stock released)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.automation.helpers import event_types, get
from tests.factories import (
    Org,
    create_location,
    create_sku,
    key_for,
    make_org,
    order_body,
    place_order,
    receive_stock,
    set_channel_settings,
    set_fraud_rules,
)
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.payments.test_payment_providers import declining  # noqa: F401 (a fixture)
from tests.returns.test_store_credit_spending import credit, customer_with_credit, paid_with_credit


async def stocked_shop(db: Database, org: Org) -> None:
    await create_location(db, org, "WH1", city="Newark")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 50)


async def configure(
    client: httpx.AsyncClient, org: Org, *rules: dict[str, Any], threshold: int = 100
) -> dict[str, Any]:
    response = await client.put(
        "/v1/fraud/rules",
        json={"hold_threshold": threshold, "rules": list(rules)},
        headers=org.headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def capture(client: httpx.AsyncClient, org: Org, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/orders", json=order_body([("MUG", 3)], **overrides), headers=org.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def fraud_detail(client: httpx.AsyncClient, org: Org, order_id: int) -> str:
    events = (await get(client, org, f"/v1/orders/{order_id}/events"))["items"]
    return str(next(e for e in events if e["type"] == "check.fraud")["data"]["detail"])


async def refunds_of(client: httpx.AsyncClient, org: Org, order_id: int) -> list[Any]:
    return list(await get(client, org, f"/v1/orders/{order_id}/refunds"))


def held(order: dict[str, Any]) -> bool:
    return order["status"] == "on_hold" and order["hold_reasons"] == ["fraud_review"]


CAPTURED = {"status": "captured", "amount": "59.97"}
CANADA = {"line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J 2N8", "country": "CA"}


class TestRules:
    async def test_no_rule_enabled_passes_every_order(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        rules = await get(client, org, "/v1/fraud/rules")
        assert rules["hold_threshold"] == 100
        assert [(r["rule"], r["enabled"]) for r in rules["rules"]] == [
            ("velocity", False),
            ("amount", False),
            ("country_mismatch", False),
            ("high_risk_postal_code", False),
            ("first_time_express", False),
        ]
        order = await capture(client, org, billing_address=CANADA, tags=["express"])
        assert order["status"] == "allocated"
        assert await fraud_detail(client, org, order["id"]) == "score 0 (hold at 100)"

    async def test_velocity_per_email(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(
            client,
            org,
            {
                "rule": "velocity",
                "score": 100,
                "params": {"per_email": 2, "per_address": None, "per_payment_reference": None},
            },
        )
        first = await capture(client, org)
        second = await capture(client, org)
        third = await capture(client, org)
        other = await capture(client, org, customer={"email": "b@example.com", "name": "Bo"})
        assert [held(o) for o in (first, second, third, other)] == [False, False, True, False]
        assert "velocity +100: 3 orders per email" in await fraud_detail(client, org, third["id"])

    async def test_velocity_per_address_and_payment_reference(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(
            client,
            org,
            {
                "rule": "velocity",
                "score": 100,
                "params": {"per_email": None, "per_address": 1, "per_payment_reference": 1},
            },
        )
        payment = {"status": "authorized", "amount": "59.97", "reference": "card-42"}
        await capture(client, org, payment=payment)
        again = await capture(
            client, org, customer={"email": "c@example.com", "name": "Cy"}, payment=payment
        )
        assert held(again)
        detail = await fraud_detail(client, org, again["id"])
        assert "per address" in detail and "per payment reference" in detail

    async def test_amount(self, db: Database, client: httpx.AsyncClient, org: Org) -> None:
        await stocked_shop(db, org)
        await configure(
            client, org, {"rule": "amount", "score": 100, "params": {"amount": "59.97"}}
        )
        assert held(await capture(client, org))
        small = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=org.headers)
        assert small.json()["status"] == "allocated"

    async def test_country_mismatch(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(client, org, {"rule": "country_mismatch", "score": 100})
        assert held(await capture(client, org, billing_address=CANADA))
        same = {**CANADA, "country": "US", "postal_code": "02110"}
        assert not held(await capture(client, org, billing_address=same))

    async def test_high_risk_postal_code(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(
            client,
            org,
            {"rule": "high_risk_postal_code", "score": 100, "params": {"postal_codes": ["02110"]}},
        )
        order = await capture(client, org)
        assert held(order)
        assert "ships to high-risk postal code 02110" in await fraud_detail(
            client, org, order["id"]
        )

    async def test_first_time_customer_with_express_shipping(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(client, org, {"rule": "first_time_express", "score": 100})
        assert held(await capture(client, org, tags=["express"]))
        # a known customer may choose express; a new one choosing standard is fine too
        assert not held(await capture(client, org, tags=["express"]))
        new = {"email": "new@example.com", "name": "Neu"}
        assert not held(await capture(client, org, customer=new))

    async def test_scores_add_up_to_the_threshold(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked_shop(db, org)
        await configure(
            client,
            org,
            {"rule": "amount", "score": 60, "params": {"amount": "50.00"}},
            {"rule": "country_mismatch", "score": 40},
            threshold=100,
        )
        assert not held(await capture(client, org))
        order = await capture(client, org, billing_address=CANADA)
        assert held(order)
        detail = await fraud_detail(client, org, order["id"])
        assert detail.startswith("score 100 (hold at 100); amount +60")
        assert "country_mismatch +40" in detail

    async def test_bad_settings_are_422_naming_the_field(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.put(
            "/v1/fraud/rules", json={"rules": [{"rule": "astrology"}]}, headers=org.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "rules.0.rule"
        response = await client.put(
            "/v1/fraud/rules",
            json={"rules": [{"rule": "velocity", "params": {"per_email": -1}}]},
            headers=org.headers,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_fraud_rule"


class TestReview:
    async def held_order(self, db: Database, org: Org, **overrides: Any) -> dict[str, Any]:
        await stocked_shop(db, org)
        rules = {"hold_threshold": 100, "rules": [{"rule": "country_mismatch", "score": 100}]}
        await set_fraud_rules(db, org, rules)
        order = await place_order(db, org, [("MUG", 3)], billing_address=CANADA, **overrides)
        assert held(order)
        return order

    async def test_the_queue_lists_held_orders(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        order = await self.held_order(db, org)
        await capture(client, org)
        queue = await get(client, org, "/v1/fraud/review")
        assert [o["id"] for o in queue["items"]] == [order["id"]]

    async def test_approve_resumes_the_order(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        order = await self.held_order(db, org)
        response = await client.post(
            f"/v1/fraud/review/{order['id']}/approve",
            json={"reason": "called the customer"},
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "allocated"
        assert response.json()["hold_reasons"] == []
        fos = await get(client, org, "/v1/fulfillment-orders", order_id=order["id"])
        assert len(fos["items"]) == 1
        assert (await get(client, org, "/v1/fraud/review"))["items"] == []
        again = await client.post(f"/v1/fraud/review/{order['id']}/approve", headers=org.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "order_not_in_fraud_review"
        assert await ledger_mismatches(db, org.id) == []

    async def test_reject_cancels_and_releases_stock(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        order = await self.held_order(db, org)
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 3
        response = await client.post(f"/v1/fraud/review/{order['id']}/reject", headers=org.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "fraud_rejected"
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 0
        types = await event_types(client, org, order["id"])
        assert "order.cancelled" in types
        assert await ledger_mismatches(db, org.id) == []

    async def test_reject_voids_an_authorised_payment(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        order = await self.held_order(db, org)  # payment authorised, never captured

        response = await client.post(f"/v1/fraud/review/{order['id']}/reject", headers=org.headers)

        assert response.status_code == 200, response.text
        assert response.json()["payment"]["status"] == "voided"
        assert await refunds_of(client, org, order["id"]) == []
        events = (await get(client, org, f"/v1/orders/{order['id']}/events"))["items"]
        voided = next(e for e in events if e["type"] == "payment.voided")
        assert (voided["data"]["amount"], voided["data"]["provider"]) == ("59.97", "manual")
        assert "refund.issued" not in [e["type"] for e in events]
        rejected = next(e for e in events if e["type"] == "fraud.rejected")
        assert rejected["data"]["refund"] == "voided"

    async def test_reject_refunds_a_captured_payment_once(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        order = await self.held_order(db, org, payment=CAPTURED)

        response = await client.post(f"/v1/fraud/review/{order['id']}/reject", headers=org.headers)

        assert response.status_code == 200, response.text
        assert response.json()["payment"]["status"] == "refunded"
        [refund] = await refunds_of(client, org, order["id"])
        assert (refund["amount"], refund["provider"]) == ("59.97", "manual")
        assert refund["provider_reference"].startswith("manual-refund-")
        events = (await get(client, org, f"/v1/orders/{order['id']}/events"))["items"]
        rejected = next(e for e in events if e["type"] == "fraud.rejected")
        assert rejected["data"]["refund"] == "issued"

    async def test_reject_gives_store_credit_back_to_the_balance_once(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=2)
        await configure(client, org, {"rule": "country_mismatch", "score": 100})
        body = {**paid_with_credit(2), "billing_address": CANADA}
        placed = await client.post("/v1/orders", json=body, headers=org.headers)
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert held(order)
        assert (await credit(client, org, customer_id))["balance"] == "0.00"

        response = await client.post(f"/v1/fraud/review/{order['id']}/reject", headers=org.headers)

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        assert response.json()["payment"]["status"] == "refunded"
        assert (await credit(client, org, customer_id))["balance"] == "39.98"
        [refund] = await refunds_of(client, org, order["id"])
        assert (refund["amount"], refund["provider"]) == ("39.98", "store_credit")
        events = (await get(client, org, f"/v1/orders/{order['id']}/events"))["items"]
        rejected = next(e for e in events if e["type"] == "fraud.rejected")
        assert rejected["data"]["refund"] == "issued"
        assert await ledger_mismatches(db, org.id) == []

    @pytest.mark.usefixtures("declining")
    async def test_a_declined_void_is_left_for_a_person_and_the_reject_stands(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await set_channel_settings(db, org, "web", {"payment_provider": "declining"})
        order = await self.held_order(db, org)

        response = await client.post(f"/v1/fraud/review/{order['id']}/reject", headers=org.headers)

        assert response.status_code == 200, response.text
        rejected = response.json()
        assert rejected["status"] == "cancelled"
        assert rejected["payment"]["status"] == "authorized"
        assert "declined" in rejected["payments"][0]["problem"]
        events = (await get(client, org, f"/v1/orders/{order['id']}/events"))["items"]
        assert next(e for e in events if e["type"] == "fraud.rejected")["data"]["refund"] == (
            "not_voided"
        )
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 0
        assert await ledger_mismatches(db, org.id) == []

    async def test_other_org_404_and_viewer_403(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        order = await self.held_order(db, org)
        other = await make_org(db)
        for action in ("approve", "reject"):
            response = await client.post(
                f"/v1/fraud/review/{order['id']}/{action}", headers=other.headers
            )
            assert response.status_code == 404
        viewer = await key_for(db, org, Role.VIEWER)
        response = await client.post(f"/v1/fraud/review/{order['id']}/approve", headers=viewer)
        assert response.status_code == 403
        response = await client.put("/v1/fraud/rules", json={"rules": []}, headers=viewer)
        assert response.status_code == 403
        assert (await get(client, other, "/v1/fraud/review"))["items"] == []
