import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, org_column, owned_by_parent, updated_at
from orderly.kit.db import metadata

# The stock of one SKU at one location. The CHECK constraints make an oversell impossible
# whatever code runs against the table.
stock_levels = sa.Table(
    "stock_levels",
    metadata,
    id_column(),
    org_column(),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("on_hand", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reserved", sa.Integer, nullable=False, server_default="0"),
    sa.Column("safety_stock", sa.Integer, nullable=False, server_default="0"),
    updated_at(),
    sa.UniqueConstraint("org_id", "sku_id", "location_id"),
    sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    sa.CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
)
sa.Index("ix_stock_levels_location_sku", stock_levels.c.location_id, stock_levels.c.sku_id)

# Append-only: every change of a stock level writes one row here in the same transaction,
# so that sum(on_hand_delta) = on_hand and sum(reserved_delta) = reserved for every level.
stock_ledger = sa.Table(
    "stock_ledger",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("location_id", sa.BigInteger, nullable=False),
    # the level the row changed (migration 0016)
    owned_by_parent(
        "stock_levels",
        ["org_id", "sku_id", "location_id"],
        ["org_id", "sku_id", "location_id"],
    ),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("on_hand_delta", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reserved_delta", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reason", sa.Text),
    sa.Column("reference", sa.Text),
    sa.Column("order_id", sa.BigInteger),
    sa.Column("actor", sa.Text),
    created_at(),
    sa.CheckConstraint(
        "kind IN ('received', 'adjusted', 'reserved', 'released', 'shipped', 'returned', "
        "'transferred')",
        name="kind",
    ),
)
sa.Index(
    "ix_stock_ledger_level",
    stock_ledger.c.org_id,
    stock_ledger.c.sku_id,
    stock_ledger.c.location_id,
    stock_ledger.c.id,
)
