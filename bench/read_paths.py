"""Read paths on a large database: one SKU's stock across 200 locations, and order list pages.

Generates 1,000,000 orders with set-based SQL, then one `http.client` keep-alive client (whose
own cost is small) times each path: docs/performance.md, "Read paths".

    python bench/read_paths.py                       # 1,000,000 orders, 2,000 requests per path
    python bench/read_paths.py --orders 100000 --requests 500
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from intake_report import BENCH_DIR, machine, orderly_revision
from server_process import orderly_env, run_orderly, start_server, stop_server

ORG_SLUG = "bench"
TARGET_P99_MS = 10.0
STATUSES = ("delivered", "shipped", "allocated", "cancelled", "on_hold")
CHANNELS = (("web", "web"), ("app", "app"), ("amazon", "marketplace"), ("pos", "pos"))

# Every statement takes :org and the sizes; generate_series does the work inside PostgreSQL.
GENERATE = [
    (
        "channels",
        """
        INSERT INTO channels (org_id, code, name, kind)
        SELECT %(org)s, c.code, c.code, c.kind
          FROM (VALUES ('app', 'app'), ('amazon', 'marketplace'), ('pos', 'pos')) AS c(code, kind)
        ON CONFLICT DO NOTHING
        """,
    ),
    (
        "locations",
        """
        INSERT INTO locations (org_id, code, name, kind, address, country, latitude, longitude,
                               capabilities)
        SELECT %(org)s, 'L' || lpad(n::text, 3, '0'), 'Location ' || n,
               CASE WHEN n <= 20 THEN 'warehouse' ELSE 'store' END,
               jsonb_build_object('line1', n || ' Main St', 'city', 'City ' || n,
                                  'postal_code', lpad(n::text, 5, '0'), 'country', 'US'),
               'US', 30 + (n %% 15), -120 + (n %% 45), '{ship}'
          FROM generate_series(1, %(locations)s) AS n
        """,
    ),
    (
        "products",
        """
        INSERT INTO products (org_id, code, name)
        SELECT %(org)s, 'P' || lpad(n::text, 6, '0'), 'Product ' || n
          FROM generate_series(1, %(skus)s) AS n
        """,
    ),
    (
        "skus",
        """
        INSERT INTO skus (org_id, product_id, code, name, weight_grams)
        SELECT %(org)s, p.id, 'SKU' || substr(p.code, 2), p.name, 100 + p.id %% 900
          FROM products p WHERE p.org_id = %(org)s
         ORDER BY p.id
        """,
    ),
    (
        "stock levels",
        # Every SKU at 5 locations 40 apart; the first --wide SKUs at every location.
        """
        WITH s AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                     FROM skus WHERE org_id = %(org)s),
             l AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                     FROM locations WHERE org_id = %(org)s),
             pairs AS (
                 SELECT s.id AS sku_id, s.n AS sku_n, l.id AS location_id, l.n AS location_n
                   FROM s CROSS JOIN l WHERE s.n <= %(wide)s
                 UNION ALL
                 SELECT s.id, s.n, l.id, l.n
                   FROM s CROSS JOIN generate_series(0, 4) AS k
                   JOIN l ON l.n = 1 + (s.n + k * (%(locations)s / 5)) %% %(locations)s
                  WHERE s.n > %(wide)s)
        INSERT INTO stock_levels (org_id, sku_id, location_id, on_hand, reserved)
        SELECT %(org)s, sku_id, location_id, 50 + (sku_n * 7 + location_n) %% 200,
               (sku_n + location_n) %% 5
          FROM pairs
        """,
    ),
    (
        "customers",
        """
        INSERT INTO customers (org_id, email, name)
        SELECT %(org)s, 'buyer' || n || '@example.com', 'Buyer ' || n
          FROM generate_series(1, %(customers)s) AS n
        """,
    ),
    (
        "orders",
        """
        WITH ch AS (SELECT array_agg(id ORDER BY code) AS ids FROM channels
                     WHERE org_id = %(org)s),
             cu AS (SELECT min(id) AS first FROM customers WHERE org_id = %(org)s)
        INSERT INTO orders (org_id, number, channel_id, external_id, status, currency,
                            customer_id, customer_email, shipping_address, subtotal_minor,
                            total_minor, payment_status, payment_amount_minor, created_at,
                            updated_at)
        SELECT %(org)s, 'SO-' || (1000 + n), ch.ids[1 + n %% 4], 'X' || n,
               (ARRAY['delivered', 'delivered', 'delivered', 'delivered', 'delivered',
                      'delivered', 'shipped', 'allocated', 'cancelled', 'on_hold'])
                   [1 + (n * 7) %% 10],
               'USD', cu.first + c, 'buyer' || (c + 1) || '@example.com',
               '{"city": "Boston", "postal_code": "02110", "country": "US"}',
               2500 + n %% 5000, 2500 + n %% 5000, 'captured', 2500 + n %% 5000,
               now() - make_interval(secs => (%(orders)s - n) * 30),
               now() - make_interval(secs => (%(orders)s - n) * 30)
          FROM generate_series(CAST(1 AS bigint), %(orders)s) AS n, ch, cu,
               LATERAL (SELECT (n * 7919) %% %(customers)s AS c) AS pick
        """,
    ),
    (
        "order lines",
        """
        WITH o AS (SELECT id, substr(external_id, 2)::bigint AS n
                     FROM orders WHERE org_id = %(org)s),
             s AS (SELECT min(id) AS first FROM skus WHERE org_id = %(org)s)
        INSERT INTO order_lines (org_id, order_id, line_no, sku_id, quantity, unit_price_minor,
                                 total_minor)
        SELECT %(org)s, o.id, k, s.first + (o.n * 7919 + k * 104729) %% %(skus)s, 1, 1250, 1250
          FROM o, s, generate_series(1, 2) AS k
        """,
    ),
    (
        "order allocations",
        """
        WITH l AS (SELECT min(id) AS first FROM locations WHERE org_id = %(org)s)
        INSERT INTO order_allocations (org_id, order_id, line_no, sku_id, location_id, quantity,
                                       status)
        SELECT %(org)s, ol.order_id, ol.line_no, ol.sku_id,
               l.first + (ol.order_id * 31 + ol.line_no) %% %(locations)s, 1, 'shipped'
          FROM order_lines ol, l WHERE ol.org_id = %(org)s
        """,
    ),
    ("vacuum analyze", "VACUUM ANALYZE"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--wide", type=int, default=2000, help="SKUs stocked at every location")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per read path")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the generated database in this directory, and reuse it when it is there",
    )
    return parser.parse_args(argv)


def generate(url: str, org_id: int, args: argparse.Namespace) -> dict[str, float]:
    sizes = {
        "org": org_id,
        "orders": args.orders,
        "skus": args.skus,
        "locations": args.locations,
        "wide": args.wide,
        "customers": args.customers,
    }
    seconds: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, sql in GENERATE:
            started = time.perf_counter()
            conn.execute(sql, sizes if "%(" in sql else None)
            seconds[name] = round(time.perf_counter() - started, 1)
            print(f"  {name}: {seconds[name]} s", flush=True)
    return seconds


def read_paths(rng: random.Random, args: argparse.Namespace, next_cursor: str) -> dict[str, Any]:
    """Each path is a function of the request number giving a path with its query."""

    def sku(n: int) -> str:
        return f"SKU{n:06d}"

    def location(n: int) -> str:
        return f"L{n:03d}"

    def pick(values: tuple[str, ...]) -> str:
        return rng.choice(values)

    return {
        "floor: GET /v1/channels?limit=1": lambda: "/v1/channels?limit=1",
        "availability, 1 SKU x 200 locations": lambda: (
            f"/v1/inventory?sku={sku(rng.randint(1, args.wide))}"
        ),
        "orders: status + channel": lambda: (
            f"/v1/orders?status={pick(STATUSES)}&channel={pick(tuple(c for c, _ in CHANNELS))}"
            "&limit=50"
        ),
        "orders: status + channel + customer_email": lambda: (
            f"/v1/orders?status=delivered&channel={pick(tuple(c for c, _ in CHANNELS))}"
            f"&customer_email=buyer{rng.randint(1, args.customers)}@example.com&limit=50"
        ),
        "orders: status + sku": lambda: (
            f"/v1/orders?status=delivered&sku={sku(rng.randint(1, args.skus))}&limit=50"
        ),
        "orders: status + channel + location": lambda: (
            f"/v1/orders?status={pick(STATUSES)}&channel={pick(tuple(c for c, _ in CHANNELS))}"
            f"&location={location(rng.randint(1, args.locations))}&limit=50"
        ),
        "orders: second page by cursor": lambda: (
            f"/v1/orders?status=delivered&channel=web&limit=50&cursor={next_cursor}"
        ),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class KeepAliveClient:
    """GET requests on one keep-alive HTTP/1.1 connection (the standard library's client)."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        address = urlsplit(base_url)
        assert address.hostname is not None and address.port is not None
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        self.headers = headers

    def get(self, url: str) -> tuple[int, bytes]:
        self.connection.request("GET", url, headers=self.headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self.connection.close()


def measure(base_url: str, api_key: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = random.Random(42)
    api = KeepAliveClient(base_url, {"Authorization": f"Bearer {api_key}"})
    results = []
    try:
        _, body = api.get("/v1/orders?status=delivered&channel=web&limit=50")
        first = json.loads(body)
        for name, path in read_paths(rng, args, first["next_cursor"]).items():
            for _ in range(50):  # warm-up
                api.get(path())
            latencies: list[float] = []
            items: list[int] = []
            for _ in range(args.requests):
                url = path()
                started = time.perf_counter()
                status, body = api.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"GET {url} answered {status}: {body.decode()}")
                items.append(len(json.loads(body)["items"]))
            row = {
                "path": name,
                "requests": args.requests,
                "p50_ms": round(statistics.median(latencies), 2),
                "p99_ms": round(percentile(latencies, 0.99), 2),
                "max_ms": round(max(latencies), 2),
                "mean_items": round(statistics.fmean(items), 1),
            }
            results.append(row)
            verdict = "ok" if row["p99_ms"] < TARGET_P99_MS else "MISSED"
            print(
                f"  {name:45s} p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  "
                f"items {row['mean_items']:5.1f}  {verdict}",
                flush=True,
            )
    finally:
        api.close()
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="orderly-bench-"))
    data_dir = args.keep or work / "data"
    reuse = args.keep is not None and (data_dir / "bench-api-key").exists()
    env = orderly_env(data_dir)
    generation_s: float | None = None
    steps: dict[str, float] = {}
    try:
        if reuse:
            api_key = (data_dir / "bench-api-key").read_text().strip()
            print(f"reusing the database in {data_dir}", flush=True)
            run_orderly(["migrate"], env=env)
        else:
            api_key, generation_s, steps = _create(data_dir, env, args)
        server = start_server(data_dir=data_dir, workers=1, log_path=work / "serve.log")
        try:
            results = measure(server.base_url, api_key, args)
        finally:
            stop_server(server)
    finally:
        from orderly.kit.embedded import stop_embedded_postgres

        stop_embedded_postgres(data_dir)
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "benchmark": "read_paths",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/read_paths.py", *sys.argv[1:]]),
        "machine": machine(None),
        "orderly": orderly_revision(),
        "sizes": {k: v for k, v in vars(args).items() if k != "keep"},
        "client": "http.client, one keep-alive connection",
        "generation_s": generation_s,
        "generation_steps_s": steps,
        "results": results,
    }
    out = BENCH_DIR / "results" / f"read_paths-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(BENCH_DIR.parent)}")


def _create(
    data_dir: Path, env: dict[str, str], args: argparse.Namespace
) -> tuple[str, float, dict[str, float]]:
    run_orderly(["migrate"], env=env)
    run_orderly(["org", "create", ORG_SLUG], env=env)
    created = run_orderly(["api-key", "create", "--org", ORG_SLUG, "--role", "admin"], env=env)
    api_key = created.strip().splitlines()[-1].strip()
    url = run_orderly(["db", "url"], env=env).strip().replace("+psycopg", "")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT id FROM organizations WHERE slug = %s", [ORG_SLUG]).fetchone()
        assert row is not None
        org_id = int(row[0])
    print(f"generating {args.orders:,} orders and {args.skus:,} SKUs ...", flush=True)
    started = time.perf_counter()
    steps = generate(url, org_id, args)
    generation_s = round(time.perf_counter() - started, 1)
    print(f"generated in {generation_s} s", flush=True)
    (data_dir / "bench-api-key").write_text(api_key)
    return api_key, generation_s, steps


if __name__ == "__main__":
    main()
