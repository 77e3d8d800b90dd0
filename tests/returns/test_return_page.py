"""The customer's self-service return page (no login)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from tests.factories import Org, shipped_order
from tests.returns.helpers import open_shop, set_return_policy


async def find(client: httpx.AsyncClient, org: Org, number: str, contact: str) -> httpx.Response:
    return await client.post(
        "/returns/start", data={"shop": org.slug, "number": number, "contact": contact}
    )


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


class TestReturnPage:
    async def test_start_form(self, client: httpx.AsyncClient, org: Org) -> None:
        page = await client.get("/returns/start", params={"shop": org.slug})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'name="number"' in page.text and 'name="contact"' in page.text
        assert "cdn" not in page.text.lower()

    async def test_find_by_email_choose_and_submit(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2), ("HAT", 1)])
        await set_return_policy(db, org, {"non_returnable_skus": ["HAT"]})
        listed = await find(client, org, placed["number"], "A@Example.com")
        assert listed.status_code == 200, listed.text
        assert 'name="qty_1"' in listed.text and 'max="2"' in listed.text
        assert 'name="qty_2"' not in listed.text and "Not returnable" in listed.text
        assert "ST1" in listed.text  # the store that takes returns

        done = await client.post(
            "/returns/submit",
            data={
                "shop": org.slug,
                "number": placed["number"],
                "contact": "a@example.com",
                "qty_1": "1",
                "reason_1": "damaged",
                "method": "ship_back",
            },
        )
        assert done.status_code == 200, done.text
        assert "RMA-1001" in done.text
        returns = await client.get(
            "/v1/returns", params={"order_id": placed["id"]}, headers=org.headers
        )
        [opened] = returns.json()["items"]
        assert (opened["source"], opened["status"]) == ("customer", "authorized")
        assert opened["shipment_id"] is not None

        [link] = re.findall(r'id="label" href="([^"]+)"', done.text)
        assert link.startswith("/returns/label/")
        printed = await client.get(link)
        assert printed.status_code == 200
        assert printed.content.startswith(b"%PDF")
        label = await client.post(
            "/returns/label",
            data={"shop": org.slug, "number": "RMA-1001", "contact": "a@example.com"},
        )
        assert label.status_code == 200
        assert label.headers["content-type"] == "application/pdf"
        assert label.content.startswith(b"%PDF")
        # The label shows the customer's name and address: the postal code does not unlock it.
        by_postal_code = await client.post(
            "/returns/label", data={"shop": org.slug, "number": "RMA-1001", "contact": "02110"}
        )
        assert by_postal_code.status_code == 422
        assert "e-mail address" in by_postal_code.text
        assert not by_postal_code.content.startswith(b"%PDF")
        stranger = await client.post(
            "/returns/label",
            data={"shop": org.slug, "number": "RMA-1001", "contact": "x@example.com"},
        )
        assert stranger.status_code == 404
        assert stranger.headers["content-type"].startswith("text/html")

        again = await find(client, org, placed["number"], "02110")  # by postal code
        assert again.status_code == 200
        assert 'max="1"' in again.text

    async def test_too_many_units_shows_the_form_again(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        refused = await client.post(
            "/returns/submit",
            data={
                "shop": org.slug,
                "number": placed["number"],
                "contact": "a@example.com",
                "qty_1": "3",
                "reason_1": "damaged",
                "method": "ship_back",
            },
        )
        assert refused.status_code == 422
        assert 'id="error"' in refused.text
        returns = await client.get(
            "/v1/returns", params={"order_id": placed["id"]}, headers=org.headers
        )
        assert returns.json()["items"] == []

    async def test_wrong_email_is_a_plain_refusal_and_guessing_is_stopped(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        wrong = await find(client, org, placed["number"], "b@example.com")
        assert wrong.status_code == 404
        assert wrong.headers["content-type"].startswith("text/html")
        assert "could not find an order" in wrong.text
        assert "Traceback" not in wrong.text and "qty_1" not in wrong.text
        unknown = await find(client, org, "SO-999999", "a@example.com")
        assert unknown.status_code == 404
        for _ in range(4):
            await find(client, org, placed["number"], "12345")
        blocked = await find(client, org, placed["number"], "a@example.com")
        assert blocked.status_code == 429
        assert "Too many attempts" in blocked.text

    async def test_a_stranger_guessing_does_not_lock_the_customer_out(
        self, org: Org, db: Database, settings: Settings
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        app = create_app(settings, database=db)
        async with from_address(app, "198.51.100.7") as stranger:
            for _ in range(5):
                assert (await find(stranger, org, placed["number"], "12345")).status_code == 404
            assert (await find(stranger, org, placed["number"], "02110")).status_code == 429
        async with from_address(app, "203.0.113.20") as customer:
            page = await find(customer, org, placed["number"], "02110")
        assert page.status_code == 200
        assert 'name="qty_1"' in page.text

    async def test_behind_a_trusted_proxy_each_client_counts_for_itself(
        self, org: Org, db: Database, settings: Settings
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        behind = settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"})
        app = create_app(behind, database=db)
        async with from_address(app, "10.0.0.2") as balancer:
            stranger = {"X-Forwarded-For": "198.51.100.9"}
            for _ in range(5):
                await balancer.post(
                    "/returns/start",
                    data={"shop": org.slug, "number": placed["number"], "contact": "1"},
                    headers=stranger,
                )
            page = await balancer.post(
                "/returns/start",
                data={"shop": org.slug, "number": placed["number"], "contact": "02110"},
                headers={"X-Forwarded-For": "203.0.113.30"},
            )
        assert page.status_code == 200
        assert 'name="qty_1"' in page.text

    async def test_a_client_guessing_many_numbers_is_stopped(
        self, org: Org, db: Database, settings: Settings
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        app = create_app(settings, database=db)
        async with from_address(app, "198.51.100.8") as guesser:
            for n in range(20):
                assert (await find(guesser, org, f"SO-{900000 + n}", "02110")).status_code == 404
            refused = await find(guesser, org, placed["number"], "02110")
        assert refused.status_code == 429

    async def test_closed_window_says_so(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        await set_return_policy(db, org, {"window_days": 0})
        page = await find(client, org, placed["number"], "a@example.com")
        assert page.status_code == 200
        assert 'id="closed"' in page.text and 'name="qty_1"' not in page.text

    async def test_unknown_shop(self, client: httpx.AsyncClient) -> None:
        page = await client.post(
            "/returns/start", data={"shop": "no-such-shop", "number": "SO-1", "contact": "x"}
        )
        assert page.status_code == 404
        assert "could not find this shop" in page.text
