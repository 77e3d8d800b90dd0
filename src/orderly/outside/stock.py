"""A provider's stock snapshot compared with ours at its location: every SKU whose count differs
becomes a pending difference for a person to accept or dismiss (`service.decide`). Nothing here
changes stock. A newer snapshot supersedes the pending differences of the SKUs it counts."""

from __future__ import annotations

from typing import Any

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.outside import repository as repo
from orderly.outside import stock_repository as counts
from orderly.outside.access import Installation, provider_row, record_failure, record_healthy
from orderly.outside.domain import SkuMap, differences
from orderly.outside.events import poll_provider, record_problems
from orderly.outside.port import ExchangeProblem, StockSnapshot


async def reconcile_stock(database: Database, installation: Installation, provider_id: int) -> int:
    """Apply the provider's news first (a shipment it made and we have not heard of would look
    like missing stock), then read its snapshot and record the differences. Returns how many."""
    await poll_provider(database, installation, provider_id)
    row = await provider_row(database, provider_id)
    if row is None or not row.active:
        return 0
    connector = installation.connector(row)
    try:
        snapshot = await connector.stock()
        found = 0 if snapshot is None else await record_snapshot(database, row, snapshot)
        if snapshot is not None and snapshot.source:
            await connector.archive([snapshot.source])
    except OrderlyError as error:
        await record_failure(database, row, "stock", error)
        return 0
    finally:
        await connector.close()
    await record_healthy(database, row, last_stock_at=utcnow())
    return found


async def record_snapshot(database: Database, row: Any, snapshot: StockSnapshot) -> int:
    """Once per snapshot id (read twice, it is compared once)."""
    skus = SkuMap(dict(row.settings.get("sku_map") or {}))
    counted = skus.ours_of(snapshot.on_hand)
    problems = list(snapshot.problems)
    async with database.transaction() as tx:
        conn = tx.connection
        fresh = await repo.record_event(
            conn,
            org_id=row.org_id,
            provider_id=row.id,
            event_id=f"stock:{snapshot.snapshot_id}",
            kind="stock",
            reference=None,
            status="applied",
            payload={"skus": len(counted), "source": snapshot.source},
        )
        if not fresh:
            return 0
        ids = await counts.skus_by_code(conn, row.org_id, counted)
        for sku in sorted(set(counted) - set(ids)):
            problems.append(
                ExchangeProblem(snapshot.source or snapshot.snapshot_id, f"unknown SKU {sku!r}")
            )
        known = {sku: units for sku, units in counted.items() if sku in ids}
        ours = await counts.on_hand_at(conn, row.org_id, row.location_id)
        found = differences(known, ours)
        await counts.supersede_pending(conn, row.id, [ids[sku] for sku in known])
        await counts.insert_differences(
            conn,
            [
                {
                    "org_id": row.org_id,
                    "provider_id": row.id,
                    "location_id": row.location_id,
                    "sku_id": ids[d.sku],
                    "snapshot_id": snapshot.snapshot_id,
                    "counted_at": snapshot.taken_at,
                    "expected": d.expected,
                    "counted": d.counted,
                }
                for d in found
            ],
        )
    await record_problems(database, row, "stock", tuple(problems))
    return len(found)
