"""How the lifecycle machine talks to the application: requests whose answers are checked
(answers.py), reads scoped to the example's organization, the worker's backorder jobs, and the
fulfillment steps that several rules share."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

from orderly.automation import tasks
from orderly.kit.db import Database
from tests.lifecycle.answers import IdempotencyKeys, check_answer
from tests.lifecycle.world import World

T = TypeVar("T")


@dataclass
class Harness:
    """What the machine drives: one event loop, the app behind an HTTP client, the database."""

    runner: asyncio.Runner
    client: httpx.AsyncClient
    db: Database


class Driver:
    """The machine's hands; the machine (machine.py) decides what to do with them."""

    harness: Harness
    world: World
    keys: IdempotencyKeys
    pickup_codes: dict[int, str]
    worker_seen_job: int

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.harness.runner.run(coroutine)

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> httpx.Response:
        headers = dict(self.world.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        response = self.run(self.harness.client.request(method, path, json=body, headers=headers))
        check_answer(response)
        if key is not None:
            self.keys.check(key, response)
        return response

    def sql(self, statement: str, **params: Any) -> list[Any]:
        async def read() -> list[Any]:
            async with self.harness.db.engine.connect() as conn:
                result = await conn.execute(
                    sa.text(statement), {"org_id": self.world.org_id, **params}
                )
                return list(result)

        return self.run(read())

    def fulfillment_order(self, pick: int) -> dict[str, Any] | None:
        """The `pick`-th fulfillment order of the organization, newest first."""
        ids = [r.id for r in self.sql(FO_IDS)]
        if not ids:
            return None
        response = self.call("GET", f"/v1/fulfillment-orders/{ids[pick % len(ids)]}")
        return dict(response.json())

    def order(self, order_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/v1/orders/{order_id}").json())

    def run_worker(self) -> None:
        """Run the backorder jobs that stock changes deferred, as a worker would."""
        jobs = self.sql(BACKORDER_JOBS, after=self.worker_seen_job)
        for job in jobs:
            self.worker_seen_job = max(self.worker_seen_job, job.id)

            async def source(args: dict[str, Any] = job.args) -> None:
                async with self.harness.db.transaction() as transaction:
                    conn = transaction.connection
                    await tasks.source_backorders(
                        conn, org_id=self.world.org_id, sku_ids=args["sku_ids"]
                    )

            self.run(source())

    def pick_units(self, fo: dict[str, Any], short: int) -> None:
        """A pick list for this fulfillment order alone, confirmed with `short` units missing
        from its first line."""
        body = {"location": fo["location"], "fulfillment_order_ids": [fo["id"]]}
        created = self.call("POST", "/v1/pick-lists", body)
        if created.status_code != 201:
            return
        first = fo["lines"][0]
        picks = []
        if short:
            open_units = first["quantity"] - first["rejected"]
            picks = [
                {
                    "fulfillment_order_id": fo["id"],
                    "line_no": first["line_no"],
                    "quantity": max(open_units - short, 0),
                }
            ]
        self.call("POST", f"/v1/pick-lists/{created.json()['id']}/confirm", {"picks": picks})

    def pack_parcels(self, fo: dict[str, Any], split: bool, key: str | None) -> None:
        """Pack in the boxes the location chooses, or one unit in a parcel of its own."""
        picked = [(x["line_no"], x["picked"] or 0) for x in fo["lines"] if x["picked"]]
        body = None
        if split and sum(q for _, q in picked) >= 2:
            (first_line, first_units), rest = picked[0], picked[1:]
            others = [(first_line, first_units - 1), *rest] if first_units > 1 else rest
            body = {
                "parcels": [
                    {"box": "M", "items": [{"line_no": first_line, "quantity": 1}]},
                    {
                        "box": "M",
                        "items": [{"line_no": n, "quantity": q} for n, q in others if q],
                    },
                ]
            }
        self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/pack", body, key=key)

    def ship_parcels(self, fo: dict[str, Any], first_parcel_only: bool, key: str | None) -> None:
        packed = [p["id"] for p in fo["parcels"] if p["status"] == "packed"]
        body = {"parcels": packed[:1]} if first_parcel_only and packed else None
        self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/ship", body, key=key)

    def make_ready(self, fo: dict[str, Any]) -> None:
        response = self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/ready-for-pickup")
        if response.status_code == 200:
            self.pickup_codes[fo["id"]] = response.json()["pickup_code"]


MOVING_ORDER = (
    "SELECT order_id FROM fulfillment_orders WHERE org_id = :org_id ORDER BY id DESC LIMIT 1"
)
FO_IDS = "SELECT id FROM fulfillment_orders WHERE org_id = :org_id ORDER BY id DESC"
TRACKING_NUMBERS = (
    "SELECT tracking_number FROM fulfillment_parcels"
    " WHERE org_id = :org_id AND tracking_number IS NOT NULL ORDER BY id DESC"
)
BACKORDER_JOBS = (
    "SELECT id, args FROM procrastinate_jobs"
    " WHERE task_name = 'automation:source_backorders' AND status = 'todo'"
    "   AND CAST(args ->> 'org_id' AS bigint) = :org_id AND id > :after ORDER BY id"
)
