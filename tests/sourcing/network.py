"""A small fixed network for the engine's tests: codes, places and stock one can reason about."""

from __future__ import annotations

from orderly.sourcing.domain import CandidateLocation, Destination, LineDemand, SourcingRequest

BOSTON = Destination("US", 42.36, -71.06, "02110")


def location(
    id: int,
    code: str,
    *,
    lat: float,
    lon: float,
    kind: str = "warehouse",
    capabilities: tuple[str, ...] = ("ship",),
    country: str = "US",
    ships_to: tuple[str, ...] = (),
    capacity: int | None = None,
    load: int = 0,
    priority: int = 100,
) -> CandidateLocation:
    return CandidateLocation(
        id,
        code,
        priority,
        lat,
        lon,
        kind=kind,
        capabilities=capabilities,
        country=country,
        ships_to=ships_to,
        daily_capacity=capacity,
        today_load=load,
    )


NETWORK = (
    location(1, "WH-EAST", lat=40.73, lon=-74.17),  # Newark, 300 km from Boston
    location(2, "WH-WEST", lat=34.05, lon=-118.24),  # Los Angeles
    location(3, "ST-BOSTON", lat=42.36, lon=-71.06, kind="store"),
    location(4, "ST-PICKUP", lat=42.35, lon=-71.05, kind="store", capabilities=("pickup",)),
    location(5, "SUP-ACME", lat=41.88, lon=-87.63, kind="supplier"),
    location(6, "WH-TORONTO", lat=43.65, lon=-79.38, country="CA"),
    location(7, "ST-FULL", lat=42.30, lon=-71.10, kind="store", capacity=5, load=5),
    location(8, "WH-EMPTY", lat=39.95, lon=-75.17),  # Philadelphia
    location(9, "WH-CHICAGO", lat=41.88, lon=-87.63),
)
MUG, TEE = 101, 102
STOCK = {
    (MUG, 1): 10, (TEE, 1): 10,
    (MUG, 2): 10, (TEE, 2): 10,
    (MUG, 3): 1,
    (MUG, 4): 10, (TEE, 4): 10,
    (MUG, 5): 10, (TEE, 5): 10,
    (MUG, 6): 10, (TEE, 6): 10,
    (MUG, 7): 10, (TEE, 7): 10,
    (MUG, 9): 10, (TEE, 9): 10,
}  # fmt: skip


def order(*lines: tuple[int, int], **kwargs: object) -> SourcingRequest:
    demands = tuple(
        LineDemand(n, sku, quantity, 1999, 500) for n, (sku, quantity) in enumerate(lines, 1)
    )
    fields: dict[str, object] = {
        "channel": "web",
        "channel_location_kinds": ("warehouse", "store", "3pl"),
        **kwargs,
    }
    available = fields.pop("available", STOCK)
    return SourcingRequest(demands, BOSTON, NETWORK, available, **fields)  # type: ignore[arg-type]
