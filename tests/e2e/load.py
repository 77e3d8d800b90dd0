"""A bounded load of order captures, cancellations and stock changes that outlives crashes:
each request is retried, with the same Idempotency-Key and body, until Orderly answers it."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.cluster import Cluster
from tests.factories import order_body

SKUS = ("E2E-MUG", "E2E-CAP", "E2E-TEE", "E2E-BAG")
LOCATIONS = ("EAST", "WEST")
# Answers that mean "not answered yet": the request may be sent again, unchanged.
RETRY_CODES = {"idempotency_key_in_use", "concurrent_update", "database_unavailable"}
ANSWER_DEADLINE = 90.0


@dataclass
class Load:
    cluster: Cluster
    http: httpx.AsyncClient
    seed: int
    stop: asyncio.Event
    # external_id -> final status of its capture
    captures: dict[str, int] = field(default_factory=dict)
    captured_ids: list[int] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)

    async def call(
        self, method: str, path: str, body: dict[str, Any], *, key: str | None = None
    ) -> httpx.Response:
        """Send until answered: lost connections, 5xx and in-flight conflicts are retried."""
        headers = dict(self.cluster.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + ANSWER_DEADLINE
        while time.monotonic() < deadline:
            server = self.cluster.server
            if server is None:  # being restarted
                if self.stop.is_set():
                    raise AssertionError(f"{method} {path}: the API is not running")
                await asyncio.sleep(0.2)
                continue
            try:
                answer = await self.http.request(
                    method, server.base_url + path, json=body, headers=headers
                )
            except httpx.TransportError as error:
                self.retries[type(error).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            code = _problem_code(answer)
            if answer.status_code >= 500 or code in RETRY_CODES:
                self.retries[f"{answer.status_code} {code}"] += 1
                await asyncio.sleep(0.3)
                continue
            self.answers[f"{path.rsplit('/', 1)[-1]} {answer.status_code}"] += 1
            return answer
        raise AssertionError(f"{method} {path} was never answered")

    async def client(self, number: int) -> None:
        rng = random.Random(self.seed * 100 + number)
        mine: list[int] = []
        sent = 0
        while not self.stop.is_set():
            roll = rng.random()
            if roll < 0.55 or not mine:
                order_id = await self.capture(rng, f"e2e-{self.seed}-{number}-{sent}")
                if order_id is not None:
                    mine.append(order_id)
            elif roll < 0.75:
                await self.cancel(mine.pop(rng.randrange(len(mine))))
            else:
                await self.adjust(rng)
            sent += 1
            await asyncio.sleep(rng.uniform(0.05, 0.2))

    async def capture(self, rng: random.Random, external_id: str) -> int | None:
        lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(SKUS, rng.randint(1, 2))]
        body = order_body(lines, external_id=external_id)
        answer = await self.call("POST", "/v1/orders", body, key=uuid.uuid4().hex)
        self.captures[external_id] = answer.status_code
        if answer.is_success:
            order_id = int(answer.json()["id"])
            self.captured_ids.append(order_id)
            return order_id
        return None

    async def cancel(self, order_id: int) -> None:
        answer = await self.call(
            "POST", f"/v1/orders/{order_id}/cancel", {"reason": "customer changed their mind"}
        )
        # 409: already cancelled (the first attempt committed before its answer was lost)
        # or past the point of cancelling.
        assert answer.status_code in (200, 409), answer.text

    async def adjust(self, rng: random.Random) -> None:
        delta, reason = rng.choice([(rng.randint(1, 10), "received"), (-1, "damaged")])
        change = {
            "sku": rng.choice(SKUS),
            "location": rng.choice(LOCATIONS),
            "delta": delta,
            "reason": reason,
        }
        answer = await self.call(
            "POST", "/v1/inventory/adjustments", {"adjustments": [change]}, key=uuid.uuid4().hex
        )
        # 409: taking one unit out would go below what orders reserved.
        assert answer.status_code in (201, 409), answer.text


def _problem_code(answer: httpx.Response) -> str | None:
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        code = answer.json().get("code")
        return str(code) if code is not None else None
    return None
