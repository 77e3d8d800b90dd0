"""Instructions per order capture in one API process, counted by valgrind's callgrind.

Instruction counts repeat where CPU seconds do not: (MANY - FEW runs) / (MANY - FEW orders),
PostgreSQL outside the count. Needs valgrind (docs/performance.md).

    python bench/capture_instructions.py            # 20 and 120 orders
    python bench/capture_instructions.py --few 10 --many 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from intake_load import order_body
from order_intake import ORG_SLUG, prepare_catalog
from server_process import new_organization, orderly_env, start_server, stop_server

SKUS = 2000
LOCATIONS = 5
WARMUP_ORDERS = 20


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=int, default=20)
    parser.add_argument("--many", type=int, default=120)
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)  # the counted process
    return parser.parse_args(argv)


async def drive(orders: int) -> None:
    """Capture WARMUP_ORDERS + `orders` orders through the app, one after the other."""
    from orderly.app import create_app

    app = create_app()
    key = os.environ["BENCH_API_KEY"].encode()
    rng = random.Random(7)
    async with app.router.lifespan_context(app):
        for _ in range(3000):  # the key cache's listener connects (slowly under valgrind)
            if app.state.api_keys.listening:
                break
            await asyncio.sleep(0.01)
        for _ in range(WARMUP_ORDERS + orders):
            body = order_body(rng, SKUS, uuid.uuid4().hex[:8])
            answers: list[dict[str, object]] = []

            async def receive(body: bytes = body) -> dict[str, object]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(
                message: dict[str, object], answers: list[dict[str, object]] = answers
            ) -> None:
                answers.append(message)

            headers = [
                (b"host", b"bench"),
                (b"authorization", b"Bearer " + key),
                (b"content-type", b"application/json"),
                (b"idempotency-key", uuid.uuid4().hex.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/v1/orders",
                "raw_path": b"/v1/orders",
                "query_string": b"",
                "root_path": "",
                "headers": headers,
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 80),
                "state": {},
            }
            await app(scope, receive, send)
            if answers[0].get("status") != 201:
                raise RuntimeError(f"POST /v1/orders answered {answers}")


def counted(data_dir: Path, api_key: str, orders: int, out: Path) -> int:
    env = {**orderly_env(data_dir), "BENCH_API_KEY": api_key, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--drive",
            str(orders),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"the counted run failed:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.drive is not None:
        asyncio.run(drive(args.drive))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    work = Path(tempfile.mkdtemp(prefix="orderly-instructions-"))
    data_dir = work / "data"
    env = orderly_env(data_dir)
    try:
        api_key = new_organization(env, ORG_SLUG)
        server = start_server(data_dir=data_dir, workers=1, log_path=work / "serve.log")
        try:
            asyncio.run(prepare_catalog(server.base_url, api_key, skus=SKUS, locations=LOCATIONS))
        finally:
            stop_server(server)
        few = counted(data_dir, api_key, args.few, work / "few.out")
        many = counted(data_dir, api_key, args.many, work / "many.out")
        per_order = (many - few) / (args.many - args.few)
        print(f"{per_order / 1e6:.3f} M instructions per captured order (API process)")
    finally:
        from orderly.kit.embedded import stop_embedded_postgres

        stop_embedded_postgres(data_dir)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
