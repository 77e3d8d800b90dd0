"""Hot SKU: many concurrent buyers of one SKU at one location, through the HTTP API.

Runs one hot SKU, the same SKU in high demand, and orders spread over many SKUs, then checks in
the database that nothing was oversold: docs/performance.md, "Hot SKU".

    python bench/hot_sku.py --workers 2 --clients 32 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from intake_load import _read_response
from intake_report import BENCH_DIR, machine, orderly_revision
from server_process import new_organization, orderly_env, run_orderly, start_server, stop_server

ORG_SLUG = "bench"
HOT_SKU = "HOT-1"
STOCK = 10_000_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--skus", type=int, default=2000, help="SKUs of the spread run")
    return parser.parse_args(argv)


def sku_code(index: int) -> str:
    return HOT_SKU if index == 0 else f"SPREAD-{index:05d}"


async def prepare(base_url: str, api_key: str, skus: int) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as api:
        location = {
            "code": "WH1",
            "name": "East DC",
            "kind": "warehouse",
            "address": {"line1": "1 Main St", "city": "Newark", "postal_code": "07102"}
            | {"country": "US"},
            "latitude": 40.73,
            "longitude": -74.17,
            "capabilities": ["ship"],
        }
        _expect(await api.post("/v1/locations", json=location))
        gate = asyncio.Semaphore(8)

        async def product(index: int) -> None:
            async with gate:
                body = {"sku": sku_code(index), "name": f"Item {index}", "weight_grams": 200}
                _expect(await api.post("/v1/products", json=body))

        await asyncio.gather(*(product(i) for i in range(skus + 1)))
        adjustments = [
            {"sku": sku_code(i), "location": "WH1", "delta": STOCK, "reason": "received"}
            for i in range(skus + 1)
        ]
        for start in range(0, len(adjustments), 1000):
            batch = {"adjustments": adjustments[start : start + 1000]}
            _expect(await api.post("/v1/inventory/adjustments", json=batch))


def _expect(answer: httpx.Response) -> None:
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"{answer.request.url} answered {answer.status_code}: {answer.text}")


def order_body(sku: str, serial: str) -> bytes:
    body = {
        "channel": "web",
        "currency": "USD",
        "customer": {"email": f"buyer-{serial}@example.com", "name": "Buyer"},
        "shipping_address": {
            "name": "Buyer",
            "line1": "5 Elm St",
            "city": "Boston",
            "postal_code": "02110",
            "country": "US",
        },
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "10.00"}],
        "payment": {"status": "authorized", "amount": "10.00"},
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class Run:
    name: str
    clients: int
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    hot_orders: int = 0
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]
        created = self.statuses.get(201, 0)
        return {
            "run": self.name,
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "orders_created": created,
            "reservations_per_s": round(created / max(self.seconds, 1e-9), 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        }


async def load(base_url: str, api_key: str, run: Run, seconds: float, spread: int) -> None:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST /v1/orders HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
    ).encode()
    token = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    deadline = started + seconds

    async def client(number: int) -> None:
        rng = random.Random(f"{token}-{number}")
        reader, writer = await asyncio.open_connection(host, port)
        serial = 0
        try:
            while time.perf_counter() < deadline:
                serial += 1
                tag = f"{token}-{number}-{serial}"
                sku = sku_code(rng.randint(1, spread) if spread else 0)
                body = order_body(sku, tag)
                request = (
                    head
                    + f"Idempotency-Key: {tag}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                sent = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                run.latencies.append(time.perf_counter() - sent)
                run.statuses[status] += 1
                if status == 201 and not spread:
                    run.hot_orders += 1
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(run.clients)))
    run.seconds = time.perf_counter() - started


def mark_high_demand(base_url: str, api_key: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        found = api.get("/v1/products", params={"sku": HOT_SKU})
        _expect(found)
        sku_id = next(p["id"] for p in found.json()["items"] if p["sku"] == HOT_SKU)
        _expect(api.patch(f"/v1/products/{sku_id}", json={"high_demand": True}))


RUNS = ("hot: 1 SKU", "hot: 1 SKU, high demand", "spread")


def measure(base_url: str, api_key: str, args: argparse.Namespace) -> tuple[list[Run], int]:
    runs = []
    hot_units = 0
    for name in RUNS:
        spread = args.skus if name == "spread" else 0
        if name.endswith("high demand"):
            mark_high_demand(base_url, api_key)
        if name == "spread":
            name = f"spread: {args.skus} SKUs"
        if args.warmup:
            warm = Run("warm-up", args.clients)
            asyncio.run(load(base_url, api_key, warm, args.warmup, spread))
            hot_units += warm.hot_orders
        run = Run(name, args.clients)
        asyncio.run(load(base_url, api_key, run, args.seconds, spread))
        hot_units += run.hot_orders
        runs.append(run)
        s = run.summary()
        print(
            f"  {name:24s} {s['reservations_per_s']:7.1f} reservations/s  p50 {s['p50_ms']} ms"
            f"  p99 {s['p99_ms']} ms  statuses {s['statuses']}",
            flush=True,
        )
    return runs, hot_units


# Every level of the organization, with what its ledger says and what its orders hold.
_CHECK = """
    SELECT s.code, sl.on_hand, sl.reserved,
           (SELECT coalesce(sum(on_hand_delta), 0) FROM stock_ledger l
             WHERE l.org_id = sl.org_id AND l.sku_id = sl.sku_id
               AND l.location_id = sl.location_id) AS ledger_on_hand,
           (SELECT coalesce(sum(reserved_delta), 0) FROM stock_ledger l
             WHERE l.org_id = sl.org_id AND l.sku_id = sl.sku_id
               AND l.location_id = sl.location_id) AS ledger_reserved,
           (SELECT coalesce(sum(quantity), 0) FROM order_allocations a
             WHERE a.org_id = sl.org_id AND a.sku_id = sl.sku_id
               AND a.location_id = sl.location_id AND a.status = 'reserved') AS allocated
      FROM stock_levels sl JOIN skus s ON s.id = sl.sku_id
      JOIN organizations o ON o.id = sl.org_id
     WHERE o.slug = %s
"""


def check_no_oversell(url: str, hot_units: int) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(_CHECK, [ORG_SLUG]).fetchall()
    bad = [r for r in rows if r[2] > r[1] or r[3] != r[1] or r[4] != r[2] or r[5] != r[2]]
    hot = next(r for r in rows if r[0] == HOT_SKU)
    return {
        "levels_checked": len(rows),
        "levels_wrong": len(bad),
        "hot_on_hand": hot[1],
        "hot_reserved": hot[2],
        "hot_orders_answered_201": hot_units,
        "hot_reserved_equals_orders": hot[2] == hot_units,
        "ok": not bad and hot[2] == hot_units,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="orderly-bench-"))
    data_dir = work / "data"
    env = orderly_env(data_dir)
    try:
        api_key = new_organization(env, ORG_SLUG)
        url = run_orderly(["db", "url"], env=env).strip().replace("+psycopg", "")
        server = start_server(data_dir=data_dir, workers=args.workers, log_path=work / "serve.log")
        try:
            asyncio.run(prepare(server.base_url, api_key, args.skus))
            runs, hot_units = measure(server.base_url, api_key, args)
        finally:
            stop_server(server)
        check = check_no_oversell(url, hot_units)
        print(f"  no oversell: {check}", flush=True)
    finally:
        from orderly.kit.embedded import stop_embedded_postgres

        stop_embedded_postgres(data_dir)
        shutil.rmtree(work, ignore_errors=True)
    hot, high_demand, spread = (r.summary() for r in runs)
    report = {
        "benchmark": "hot_sku",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/hot_sku.py", *sys.argv[1:]]),
        "machine": machine(None),
        "orderly": orderly_revision(),
        "workers": args.workers,
        "runs": [hot, high_demand, spread],
        "hot_over_spread": round(
            hot["reservations_per_s"] / max(spread["reservations_per_s"], 1e-9), 2
        ),
        "high_demand_over_spread": round(
            high_demand["reservations_per_s"] / max(spread["reservations_per_s"], 1e-9), 2
        ),
        "check": check,
    }
    print(
        f"  hot / spread = {report['hot_over_spread']}, "
        f"hot in high demand / spread = {report['high_demand_over_spread']}"
    )
    out = BENCH_DIR / "results" / f"hot_sku-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
