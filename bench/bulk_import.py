"""Bulk imports through the `orderly import` command: products, stock, orders; rows/s.

Times each command from start to exit on a throwaway embedded PostgreSQL, the order file twice
(the second time adds nothing): docs/performance.md, "Bulk imports".

    python bench/bulk_import.py                   # 100,000 orders, 1,000,000 stock rows
    python bench/bulk_import.py --orders 10000 --stock-rows 100000
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from intake_report import BENCH_DIR, machine, orderly_revision
from server_process import orderly_env, run_orderly

ORG_SLUG = "bench"
ORDER_COLUMNS = [
    "external_id",
    "channel",
    "currency",
    "customer_email",
    "customer_name",
    "status",
    "placed_at",
    "ship_name",
    "ship_line1",
    "ship_city",
    "ship_postal_code",
    "ship_country",
    "sku",
    "quantity",
    "unit_price",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--stock-rows", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=10_000)
    return parser.parse_args(argv)


def write_products(path: Path, skus: int) -> int:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["sku", "name", "weight_grams"])
        out.writerows([f"SKU{n:06d}", f"Item {n}", 100 + n % 900] for n in range(1, skus + 1))
    return skus


def write_stock(path: Path, rows: int, skus: int) -> int:
    locations = -(-rows // skus)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["sku", "location", "on_hand"])
        written = 0
        for place in range(1, locations + 1):
            for n in range(1, skus + 1):
                if written == rows:
                    return written
                out.writerow([f"SKU{n:06d}", f"L{place:03d}", (n * 7 + place) % 500])
                written += 1
    return written


def write_orders(path: Path, orders: int, skus: int) -> int:
    rng = random.Random(42)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = 0
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(ORDER_COLUMNS)
        for n in range(1, orders + 1):
            buyer = rng.randint(1, orders // 3 + 1)
            status = "cancelled" if n % 20 == 0 else "delivered"
            placed = (start + timedelta(minutes=n)).isoformat()
            head = [
                f"H{n}",
                "web",
                "USD",
                f"buyer{buyer}@example.com",
                f"Buyer {buyer}",
                status,
                placed,
                f"Buyer {buyer}",
                f"{n % 900 + 1} Elm St",
                "Boston",
                "02110",
                "US",
            ]
            for sku in rng.sample(range(1, skus + 1), rng.randint(1, 3)):
                price = f"{5 + sku % 50}.{sku % 100:02d}"
                out.writerow([*head, f"SKU{sku:06d}", rng.randint(1, 3), price])
                rows += 1
    return rows


def timed_import(what: str, path: Path, rows: int, env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    output = run_orderly(["import", what, str(path), "--org", ORG_SLUG], env=env)
    seconds = time.perf_counter() - started
    result = {
        "import": what,
        "file": path.name,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "output": " ".join(output.split()),
    }
    print(
        f"  {what:10s} {path.name:22s} {rows:>9,} rows in {seconds:6.1f} s = "
        f"{rows / seconds:>9,.0f} rows/s   {result['output']}",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="orderly-bench-"))
    data_dir = work / "data"
    env = orderly_env(data_dir)
    results = []
    try:
        run_orderly(["migrate"], env=env)
        run_orderly(["org", "create", ORG_SLUG], env=env)
        url = run_orderly(["db", "url"], env=env).strip().replace("+psycopg", "")
        locations = -(-args.stock_rows // args.skus)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                """
                INSERT INTO locations (org_id, code, name, kind, address, country, capabilities)
                SELECT o.id, 'L' || lpad(n::text, 3, '0'), 'Location ' || n, 'warehouse',
                       '{"country": "US"}', 'US', '{ship}'
                  FROM organizations o, generate_series(1, %s) AS n
                 WHERE o.slug = %s
                """,
                [locations, ORG_SLUG],
            )
        files = {
            "products": (work / "products.csv", write_products(work / "products.csv", args.skus)),
            "stock": (
                work / "stock.csv",
                write_stock(work / "stock.csv", args.stock_rows, args.skus),
            ),
            "orders": (
                work / "orders.csv",
                write_orders(work / "orders.csv", args.orders, args.skus),
            ),
        }
        for what, (path, rows) in files.items():
            results.append(timed_import(what, path, rows, env))
        path, rows = files["orders"]
        again = timed_import("orders", path, rows, env)
        again["again"] = True
        results.append(again)
    finally:
        from orderly.kit.embedded import stop_embedded_postgres

        stop_embedded_postgres(data_dir)
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "benchmark": "bulk_import",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/bulk_import.py", *sys.argv[1:]]),
        "machine": machine(None),
        "orderly": orderly_revision(),
        "sizes": vars(args),
        "results": results,
    }
    out = BENCH_DIR / "results" / f"bulk_import-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
