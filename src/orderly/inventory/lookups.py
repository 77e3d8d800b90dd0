"""SKU and location codes for ids and back, through the catalog and locations services.

Inventory stores ids; people and clients speak in codes. Unknown or unusable codes are a
422 naming every field that was wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.inventory.domain import Level, StockLevelView
from orderly.inventory.errors import UnknownLocation, UnknownSku
from orderly.kit.errors import InvalidInput, OrderlyError
from orderly.locations import service as locations

Key = tuple[int, int]


@dataclass
class Codes:
    """SKU and location codes for ids, both ways, for one request."""

    sku_id: dict[str, int]
    location_id: dict[str, int]
    sku_code: dict[int, str]
    location_code: dict[int, str]
    location_active: dict[int, bool]

    def key(self, sku: str, location: str) -> Key:
        return (self.sku_id[sku], self.location_id[location])

    def view(self, level: Level) -> StockLevelView:
        return StockLevelView(
            sku=self.sku_code[level.sku_id],
            location=self.location_code[level.location_id],
            on_hand=level.on_hand,
            reserved=level.reserved,
            safety_stock=level.safety_stock,
            active=self.location_active[level.location_id],
        )


async def resolve(
    conn: AsyncConnection,
    org_id: int,
    named: Sequence[tuple[str, str, str]],
    *,
    inactive_allowed: Collection[str] = (),
) -> Codes:
    """Resolve (field prefix, sku code, location code) triples; 422 naming every bad field.

    A transfer names its two locations with their own fields, so a prefix that is itself a
    location field ("from_location") is used as is and its SKU is reported as ``sku``.
    """
    skus = await catalog.skus_by_code(conn, org_id, list(dict.fromkeys(s for _, s, _ in named)))
    places = await locations.locations_by_code(
        conn, org_id, list(dict.fromkeys(loc for _, _, loc in named))
    )
    problems: list[OrderlyError] = []
    for prefix, sku, location in named:
        sku_field, location_field = _fields(prefix)
        if sku not in skus:
            problems.append(UnknownSku(f"no SKU with code {sku!r}", field=sku_field))
        ref = places.get(location)
        if ref is None:
            problems.append(
                UnknownLocation(f"no location with code {location!r}", field=location_field)
            )
        elif not ref.active and location not in inactive_allowed:
            problems.append(
                UnknownLocation(
                    f"location {location!r} is inactive; activate it first", field=location_field
                )
            )
    if problems:
        raise all_of(problems)
    return Codes(
        sku_id={code: ref.id for code, ref in skus.items()},
        location_id={code: ref.id for code, ref in places.items()},
        sku_code={ref.id: code for code, ref in skus.items()},
        location_code={ref.id: code for code, ref in places.items()},
        location_active={ref.id: ref.active for ref in places.values()},
    )


def _fields(prefix: str) -> tuple[str, str]:
    if prefix.endswith("_location"):
        return "sku", prefix
    return f"{prefix}.sku", f"{prefix}.location"


def all_of(problems: Sequence[OrderlyError]) -> OrderlyError:
    """The first problem, listing every field that was wrong (deduplicated)."""
    first = problems[0]
    seen: dict[tuple[str | None, str], None] = {}
    for p in problems:
        seen.setdefault((p.field, p.detail))
    errors = [{"field": field, "message": message} for field, message in seen]
    first.extra = {**first.extra, "errors": errors}
    return first


def raise_unknown(error: type[InvalidInput], unknown: Sequence[tuple[str, str]], noun: str) -> None:
    if unknown:
        raise all_of([error(f"no {noun} with code {code!r}", field=f) for f, code in unknown])


async def sku_ids_for(
    conn: AsyncConnection, org_id: int, codes: Sequence[str] | None, *, field: str
) -> list[int] | None:
    """Ids of the SKUs with these codes (None when no codes are given); 422 for unknown."""
    named = await skus_named(conn, org_id, codes, field=field)
    return None if named is None else list(named)


async def skus_named(
    conn: AsyncConnection, org_id: int, codes: Sequence[str] | None, *, field: str
) -> dict[int, str] | None:
    """Id to code of the SKUs with these codes (None when no codes are given); 422 for
    unknown."""
    if not codes:
        return None
    refs = await catalog.skus_by_code(conn, org_id, list(dict.fromkeys(codes)))
    raise_unknown(UnknownSku, [(field, c) for c in codes if c not in refs], "SKU")
    return {ref.id: code for code, ref in refs.items()}


async def location_ids_for(
    conn: AsyncConnection, org_id: int, codes: Sequence[str] | None, *, field: str
) -> list[int] | None:
    if not codes:
        return None
    refs = await locations.locations_by_code(conn, org_id, list(dict.fromkeys(codes)))
    raise_unknown(UnknownLocation, [(field, c) for c in codes if c not in refs], "location")
    return [ref.id for ref in refs.values()]


async def sku_codes(conn: AsyncConnection, org_id: int, ids: Collection[int]) -> dict[int, str]:
    return {i: ref.code for i, ref in (await catalog.skus_by_id(conn, org_id, ids)).items()}


async def location_refs(
    conn: AsyncConnection, org_id: int, ids: Collection[int]
) -> list[locations.LocationRef]:
    refs = await locations.locations_by_id(conn, org_id, ids)
    return [refs[i] for i in sorted(refs)]
