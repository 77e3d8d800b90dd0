"""Load generators for order intake: wrk with a Lua script when installed, else lean asyncio.

One keep-alive connection per client, each sending its next 3-line order on the last answer; with
a rate (asyncio only) paced instead, latency counted from when each order was due.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SKU_FORMAT = "BENCH-{:05d}"
LINES_PER_ORDER = 3

# Shipping destinations with coordinates, so sourcing can measure distances.
DESTINATIONS = [
    ("Boston", "02110", 42.36, -71.06),
    ("Chicago", "60601", 41.88, -87.62),
    ("Denver", "80202", 39.75, -104.99),
    ("Seattle", "98101", 47.61, -122.33),
    ("Austin", "78701", 30.27, -97.74),
    ("Atlanta", "30303", 33.75, -84.39),
    ("Phoenix", "85004", 33.45, -112.07),
    ("Miami", "33130", 25.77, -80.19),
]


def sku_code(index: int) -> str:
    return SKU_FORMAT.format(index)


def unit_price_minor(index: int) -> int:
    return 500 + (index * 37) % 5000


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def order_body(rng: random.Random, skus: int, serial: str) -> bytes:
    lines = []
    total = 0
    for index in rng.sample(range(1, skus + 1), LINES_PER_ORDER):
        quantity = rng.randint(1, 2)
        total += quantity * unit_price_minor(index)
        lines.append(
            {
                "sku": sku_code(index),
                "quantity": quantity,
                "unit_price": money(unit_price_minor(index)),
            }
        )
    city, postal_code, latitude, longitude = rng.choice(DESTINATIONS)
    body = {
        "channel": "web",
        "currency": "USD",
        "customer": {"email": f"buyer-{serial}@example.com", "name": "Buyer"},
        "shipping_address": {
            "name": "Buyer",
            "line1": "5 Elm St",
            "city": city,
            "postal_code": postal_code,
            "country": "US",
            "latitude": latitude,
            "longitude": longitude,
        },
        "lines": lines,
        "payment": {"status": "authorized", "amount": money(total)},
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class LoadResult:
    generator: str
    clients: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def orders(self) -> int:
        return self.statuses.get(201, 0)


def run_load(
    *,
    generator: str,
    base_url: str,
    api_key: str,
    clients: int,
    seconds: float,
    skus: int,
    run_token: str,
    rate: float | None = None,
) -> LoadResult:
    if generator == "wrk" and rate is None:
        return run_wrk(
            base_url=base_url,
            api_key=api_key,
            clients=clients,
            seconds=seconds,
            skus=skus,
            run_token=run_token,
        )
    load = run_asyncio(
        base_url=base_url,
        api_key=api_key,
        clients=clients,
        seconds=seconds,
        skus=skus,
        run_token=run_token,
        rate=rate,
    )
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load)
    return uvloop.run(load)


def pick_generator(requested: str) -> str:
    if requested == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if requested == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed; use --generator python")
    return requested


# --- wrk ---------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local skus = __SKUS__
local key = "__KEY__"
local token = "__TOKEN__"
local destinations = {
__DESTINATIONS__
}
local threads = {}
local counter = 0
counts = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(os.time() * 7919 + id * 104729)
end

local function price(i) return 500 + (i * 37) % 5000 end
local function money(m) return string.format("%d.%02d", math.floor(m / 100), m % 100) end

function request()
  counter = counter + 1
  local a = math.random(1, skus)
  local b = a
  while b == a do b = math.random(1, skus) end
  local c = a
  while c == a or c == b do c = math.random(1, skus) end
  local lines = {}
  local total = 0
  for n, i in ipairs({a, b, c}) do
    local q = math.random(1, 2)
    total = total + q * price(i)
    lines[n] = string.format('{"sku":"BENCH-%05d","quantity":%d,"unit_price":"%s"}',
                             i, q, money(price(i)))
  end
  local d = destinations[math.random(1, #destinations)]
  local serial = token .. "-" .. id .. "-" .. counter
  local body = string.format(
    '{"channel":"web","currency":"USD","customer":{"email":"buyer-%s@example.com","name":"Buyer"},'
    .. '"shipping_address":{"name":"Buyer","line1":"5 Elm St","city":"%s","postal_code":"%s",'
    .. '"country":"US","latitude":%s,"longitude":%s},"lines":[%s],'
    .. '"payment":{"status":"authorized","amount":"%s"}}',
    serial, d[1], d[2], d[3], d[4], table.concat(lines, ","), money(total))
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. key
  headers["Idempotency-Key"] = serial
  return wrk.format("POST", "/v1/orders", headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"socket_errors":%d,"statuses":{%s}}\n',
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
"""


def wrk_script(*, api_key: str, skus: int, run_token: str) -> str:
    destinations = ",\n".join(
        f'  {{"{city}", "{code}", "{lat}", "{lon}"}}' for city, code, lat, lon in DESTINATIONS
    )
    return (
        WRK_SCRIPT.replace("__SKUS__", str(skus))
        .replace("__KEY__", api_key)
        .replace("__TOKEN__", run_token)
        .replace("__DESTINATIONS__", destinations)
    )


def run_wrk(
    *, base_url: str, api_key: str, clients: int, seconds: float, skus: int, run_token: str
) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="orderly-wrk-") as work:
        script = Path(work) / "orders.lua"
        script.write_text(wrk_script(api_key=api_key, skus=skus, run_token=run_token))
        done = subprocess.run(
            [
                "wrk",
                f"--threads={min(2, clients)}",
                f"--connections={clients}",
                f"--duration={int(seconds)}s",
                "--timeout=10s",
                f"--script={script}",
                base_url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    return LoadResult(
        generator="wrk",
        clients=clients,
        seconds=raw["duration_us"] / 1e6,
        statuses=Counter({int(k): v for k, v in raw["statuses"].items()}),
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


# --- asyncio -----------------------------------------------------------------------------------


async def run_asyncio(
    *,
    base_url: str,
    api_key: str,
    clients: int,
    seconds: float,
    skus: int,
    run_token: str,
    rate: float | None = None,
) -> LoadResult:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST /v1/orders HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
    ).encode()
    result = LoadResult(
        generator="python" if rate is None else f"python, paced at {rate:g} orders/s",
        clients=clients,
        seconds=seconds,
    )
    # Paced: each client sends one order every `interval`, the clients evenly staggered.
    interval = clients / rate if rate else 0.0
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def client(number: int) -> None:
        rng = random.Random(f"{run_token}-{number}")
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        serial = 0
        due = started + interval * number / clients
        while time.perf_counter() < deadline:
            if interval:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            serial += 1
            tag = f"{run_token}-{number}-{serial}"
            body = order_body(rng, skus, tag)
            request = (
                head
                + f"Idempotency-Key: {tag}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                sent = due if interval else time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - sent)
                result.statuses[status] += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.socket_errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
            due += interval
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    result.seconds = time.perf_counter() - started
    if latencies:
        latencies.sort()
        result.p50_ms = latencies[len(latencies) // 2] * 1000
        result.p99_ms = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        result.max_ms = latencies[-1] * 1000
    return result


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise asyncio.IncompleteReadError(b"", None)
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status
