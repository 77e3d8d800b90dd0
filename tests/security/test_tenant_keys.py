"""The database itself keeps an order's rows in its organization (migrations 0015, 0016): a line,
allocation, fulfillment order or timeline event that names another organization's order, and a
ledger row of a stock level that does not exist, are refused whatever code writes them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from orderly.kit.db import Database
from tests.factories import (
    Org,
    create_location,
    create_sku,
    make_org,
    place_order,
    receive_stock,
)


async def captured_order(db: Database, org: Org) -> dict[str, Any]:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    order = await place_order(db, org, [("MUG", 1)])
    assert order["status"] == "allocated"
    return order


async def ids_of(db: Database, org: Org, order_number: str) -> dict[str, int]:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    """
                    SELECT o.id AS order_id, ol.sku_id, a.location_id,
                           f.id AS fulfillment_order_id
                      FROM orders o
                      JOIN order_lines ol ON ol.order_id = o.id
                      JOIN order_allocations a ON a.order_id = o.id
                      JOIN fulfillment_orders f ON f.order_id = o.id
                     WHERE o.org_id = :org AND o.number = :number
                    """
                ),
                {"org": org.id, "number": order_number},
            )
        ).one()
    return dict(row._mapping)


FOREIGN_ROWS = {
    "order line": """INSERT INTO order_lines (org_id, order_id, line_no, sku_id, quantity,
                                              unit_price_minor, total_minor)
                     VALUES (:other, :order_id, 9, :sku_id, 1, 100, 100)""",
    "allocation": """INSERT INTO order_allocations (org_id, order_id, line_no, sku_id,
                                                    location_id, quantity)
                     VALUES (:other, :order_id, 1, :sku_id, :location_id, 1)""",
    "fulfillment order": """INSERT INTO fulfillment_orders (org_id, order_id, location_id)
                            VALUES (:other, :order_id, :location_id)""",
    "fulfillment order line": """INSERT INTO fulfillment_order_lines
                                     (org_id, fulfillment_order_id, line_no, sku_id, quantity)
                                 VALUES (:other, :fulfillment_order_id, 9, :sku_id, 1)""",
    "timeline event": """INSERT INTO order_events (org_id, order_id, type)
                         VALUES (:other, :order_id, 'note')""",
    "ledger row": """INSERT INTO stock_ledger (org_id, sku_id, location_id, kind,
                                               on_hand_delta)
                     VALUES (:other, :sku_id, :location_id, 'adjusted', 1)""",
}


@pytest.mark.parametrize("row", FOREIGN_ROWS)
async def test_a_row_that_names_another_organizations_parent_is_refused(
    org: Org, db: Database, row: str
) -> None:
    order = await captured_order(db, org)
    other = await make_org(db)
    params = {**await ids_of(db, org, order["number"]), "other": other.id}
    with pytest.raises(IntegrityError, match="foreign key"):
        async with db.engine.begin() as conn:
            await conn.execute(sa.text(FOREIGN_ROWS[row]), params)
    # The same row in the order's own organization is accepted: the key is what refused it.
    async with db.engine.connect() as conn:
        await conn.execute(sa.text(FOREIGN_ROWS[row]), {**params, "other": org.id})
        await conn.rollback()


async def test_a_ledger_row_needs_its_stock_level(org: Org, db: Database) -> None:
    order = await captured_order(db, org)
    await create_location(db, org, "WH2", city="Chicago")
    params = await ids_of(db, org, order["number"])
    async with db.engine.connect() as conn:
        wh2 = (
            await conn.execute(
                sa.text("SELECT id FROM locations WHERE org_id = :org AND code = 'WH2'"),
                {"org": org.id},
            )
        ).scalar_one()
    with pytest.raises(IntegrityError, match="fk_stock_ledger_org_id_stock_levels"):
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(FOREIGN_ROWS["ledger row"]),
                {**params, "other": org.id, "location_id": wh2},
            )
