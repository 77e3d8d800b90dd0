"""Automation tables: replenishment rules, suppliers per SKU, purchase orders, fraud rule
settings and late-shipment flags. The schema is made by migration 0008."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

# When a SKU at a location runs low (available + on order below the reorder point), order up to
# `max_quantity`; `min_quantity` is the smallest quantity worth ordering in one go.
replenishment_rules = sa.Table(
    "replenishment_rules",
    metadata,
    id_column(),
    org_column(),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("reorder_point", sa.Integer, nullable=False),
    sa.Column("min_quantity", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_quantity", sa.Integer, nullable=False),
    updated_at(),
    sa.UniqueConstraint("org_id", "sku_id", "location_id"),
    sa.CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
    sa.CheckConstraint("min_quantity >= 0", name="min_not_negative"),
    sa.CheckConstraint("max_quantity >= reorder_point", name="max_covers_reorder_point"),
)

# Where a SKU is bought: one supplier (a location of kind `supplier`) per SKU.
sku_suppliers = sa.Table(
    "sku_suppliers",
    metadata,
    id_column(),
    org_column(),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("supplier_location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("cost_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("lead_time_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pack_size", sa.Integer, nullable=False, server_default="1"),
    updated_at(),
    sa.UniqueConstraint("org_id", "sku_id"),
    sa.CheckConstraint("cost_minor >= 0", name="cost_not_negative"),
    sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
    sa.CheckConstraint("pack_size >= 1", name="pack_size_positive"),
)

purchase_orders = sa.Table(
    "purchase_orders",
    metadata,
    id_column(),
    org_column(),
    sa.Column("supplier_location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column(
        "destination_location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False
    ),
    sa.Column("status", sa.Text, nullable=False, server_default="draft"),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("expected_on", sa.Date),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.CheckConstraint(
        "status IN ('draft', 'submitted', 'partially_received', 'received', 'cancelled')",
        name="status",
    ),
)
# The restock job's guard against duplicates: one draft per (supplier, destination) at a time.
sa.Index(
    "uq_purchase_orders_one_draft",
    purchase_orders.c.org_id,
    purchase_orders.c.supplier_location_id,
    purchase_orders.c.destination_location_id,
    unique=True,
    postgresql_where=purchase_orders.c.status == "draft",
)
sa.Index("ix_purchase_orders_org_status", purchase_orders.c.org_id, purchase_orders.c.status)

purchase_order_lines = sa.Table(
    "purchase_order_lines",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "purchase_order_id", sa.BigInteger, sa.ForeignKey("purchase_orders.id"), nullable=False
    ),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("quantity_ordered", sa.Integer, nullable=False),
    sa.Column("quantity_received", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unit_cost_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("purchase_order_id", "sku_id"),
    sa.CheckConstraint("quantity_ordered > 0", name="ordered_positive"),
    sa.CheckConstraint(
        "quantity_received >= 0 AND quantity_received <= quantity_ordered",
        name="received_within_ordered",
    ),
)
sa.Index(
    "ix_purchase_order_lines_org_sku", purchase_order_lines.c.org_id, purchase_order_lines.c.sku_id
)

# Per-organization settings of the fraud rules registered in the process (by name).
fraud_rules = sa.Table(
    "fraud_rules",
    metadata,
    id_column(),
    org_column(),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("score", sa.Integer, nullable=False),
    jsonb("params", nullable=False, default="{}"),
    updated_at(),
    sa.UniqueConstraint("org_id", "rule"),
    sa.CheckConstraint("score >= 0", name="score_not_negative"),
)

# Orders flagged by the SLA watch as not shipped by their promise date: one row per order.
late_orders = sa.Table(
    "late_orders",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("promised_by", sa.DateTime(timezone=True), nullable=False),
    # The locations holding the order's unshipped units when it was flagged (empty: none yet).
    sa.Column("location_ids", sa.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    created_at(),
    sa.UniqueConstraint("org_id", "order_id"),
)
