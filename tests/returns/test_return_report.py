"""Return rates on a small known dataset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orderly.kit.db import Database
from tests.factories import Org, shipped_order
from tests.returns.helpers import open_return, open_shop, post


async def report(client: httpx.AsyncClient, org: Org, group_by: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    response = await client.get(
        "/v1/reports/returns",
        params={
            "from": str(today - timedelta(days=1)),
            "to": str(today + timedelta(days=1)),
            "group_by": group_by,
        },
        headers=org.headers,
    )
    assert response.status_code == 200, response.text
    return {
        item["key"]: (item["units_shipped"], item["units_returned"], item["return_rate"])
        for item in response.json()["items"]
    }


class TestReturnRates:
    async def test_rates_by_sku_reason_channel_location(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        first = await shipped_order(db, org, [("MUG", 3)])
        second = await shipped_order(db, org, [("MUG", 1), ("HAT", 4)])
        await open_return(client, org, first["id"], [(1, 1, "too_small")])
        await open_return(client, org, second["id"], [(1, 1, "damaged"), (2, 2, "too_small")])
        dropped = await open_return(client, org, first["id"], [(1, 1, "damaged")])
        await post(client, org, f"/v1/returns/{dropped['id']}/cancel")

        assert await report(client, org, "sku") == {
            "HAT": (4, 2, "0.5000"),
            "MUG": (4, 2, "0.5000"),
        }
        assert await report(client, org, "reason") == {
            "damaged": (8, 1, "0.1250"),
            "too_small": (8, 3, "0.3750"),
        }
        assert await report(client, org, "channel") == {"web": (8, 4, "0.5000")}
        assert await report(client, org, "location") == {"WH1": (8, 4, "0.5000")}

    async def test_bad_period_and_viewer_may_read(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        bad = await client.get(
            "/v1/reports/returns",
            params={"from": "2026-02-01", "to": "2026-01-01"},
            headers=org.headers,
        )
        assert bad.status_code == 422
        empty = await client.get(
            "/v1/reports/returns",
            params={"from": "2026-01-01", "to": "2026-01-31", "group_by": "reason"},
            headers=org.headers,
        )
        assert empty.json()["items"] == []
        assert empty.json()["from"] == "2026-01-01"
