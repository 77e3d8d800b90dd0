import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from orderly.kit.columns import (
    created_at,
    id_column,
    jsonb,
    org_column,
    owned_by_parent,
    updated_at,
)
from orderly.kit.db import metadata

FULFILLMENT_STATUSES = (
    "'pending', 'accepted', 'rejected', 'picking', 'packed', 'ready_for_pickup', 'shipped', "
    "'delivered', 'cancelled'"
)

# A wave: the accepted fulfillment orders of one location, picked in one walk.
pick_lists = sa.Table(
    "pick_lists",
    metadata,
    id_column(),
    org_column(),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("actor", sa.Text),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    created_at(),
    sa.CheckConstraint("status IN ('open', 'confirmed')", name="status"),
)
sa.Index("ix_pick_lists_org_location", pick_lists.c.org_id, pick_lists.c.location_id)

# What one location sends of one order.
fulfillment_orders = sa.Table(
    "fulfillment_orders",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    owned_by_parent("orders", ["org_id", "order_id"], ["org_id", "id"]),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("pickup", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reject_reason", sa.Text),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("pick_list_id", sa.BigInteger, sa.ForeignKey("pick_lists.id")),
    sa.Column("pickup_code_hash", sa.Text),
    sa.Column("pickup_expires_at", sa.DateTime(timezone=True)),
    sa.Column("accepted_at", sa.DateTime(timezone=True)),
    sa.Column("picked_at", sa.DateTime(timezone=True)),
    sa.Column("packed_at", sa.DateTime(timezone=True)),
    sa.Column("ready_at", sa.DateTime(timezone=True)),
    sa.Column("shipped_at", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.CheckConstraint(f"status IN ({FULFILLMENT_STATUSES})", name="status"),
    # the target of the key of its lines, id first (migration 0016)
    sa.UniqueConstraint("id", "org_id"),
)
sa.Index(
    "ix_fulfillment_orders_org_order", fulfillment_orders.c.org_id, fulfillment_orders.c.order_id
)
sa.Index(
    "ix_fulfillment_orders_org_location_status",
    fulfillment_orders.c.org_id,
    fulfillment_orders.c.location_id,
    fulfillment_orders.c.status,
    fulfillment_orders.c.id,
)
sa.Index(
    "ix_fulfillment_orders_pickup_expiry",
    fulfillment_orders.c.pickup_expires_at,
    postgresql_where=sa.text("status = 'ready_for_pickup'"),
)

fulfillment_order_lines = sa.Table(
    "fulfillment_order_lines",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("fulfillment_order_id", sa.BigInteger, nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    # NULL until a pick is confirmed; a short pick records fewer than wanted.
    sa.Column("picked", sa.Integer),
    sa.Column("packed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("shipped", sa.Integer, nullable=False, server_default="0"),
    owned_by_parent("fulfillment_orders", ["org_id", "fulfillment_order_id"], ["org_id", "id"]),
    sa.UniqueConstraint("fulfillment_order_id", "line_no"),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("rejected >= 0 AND rejected <= quantity", name="rejected_within_quantity"),
    sa.CheckConstraint("picked IS NULL OR picked >= 0", name="picked_not_negative"),
    sa.CheckConstraint("packed >= 0 AND shipped >= 0", name="packed_shipped_not_negative"),
    sa.CheckConstraint("shipped + rejected <= quantity", name="shipped_within_quantity"),
)

# A box on its way: what is in it, and the label it left with.
fulfillment_parcels = sa.Table(
    "fulfillment_parcels",
    metadata,
    id_column(),
    org_column(),
    sa.Column("fulfillment_order_id", sa.BigInteger, nullable=False),
    sa.Column("box_code", sa.Text, nullable=False),
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("weight_grams", sa.Integer, nullable=False),
    # [{"line_no": 1, "quantity": 2}, ...]
    jsonb("items", nullable=False, default="[]"),
    sa.Column("status", sa.Text, nullable=False, server_default="packed"),
    # The label purchase under way for the parcel: a second one waits until it ends.
    sa.Column("label_purchase_id", sa.BigInteger),
    # The shipping feature's shipment, when the label came from it.
    sa.Column("shipment_id", sa.BigInteger),
    sa.Column("tracking_number", sa.Text),
    sa.Column("carrier", sa.Text),
    sa.Column("service", sa.Text),
    sa.Column("shipped_at", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    created_at(),
    sa.ForeignKeyConstraint(
        ["fulfillment_order_id"],
        ["fulfillment_orders.id"],
        name=conv("fk_fulfillment_parcels_fulfillment_order"),
    ),
    sa.CheckConstraint("status IN ('packed', 'shipped', 'delivered')", name="status"),
    sa.CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
)
sa.Index("ix_fulfillment_parcels_order", fulfillment_parcels.c.fulfillment_order_id)
sa.Index(
    "ix_fulfillment_parcels_shipment",
    fulfillment_parcels.c.org_id,
    fulfillment_parcels.c.shipment_id,
)

# Where each SKU sits in a location, as a bin code such as "A-01-03".
sku_bins = sa.Table(
    "sku_bins",
    metadata,
    id_column(),
    org_column(),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("bin", sa.Text, nullable=False),
    updated_at(),
    sa.UniqueConstraint("org_id", "location_id", "sku_id"),
)

# The box catalogue of a location; dimensions are inside measures.
boxes = sa.Table(
    "boxes",
    metadata,
    id_column(),
    org_column(),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("max_weight_grams", sa.Integer, nullable=False),
    sa.Column("tare_grams", sa.Integer, nullable=False, server_default="0"),
    updated_at(),
    sa.UniqueConstraint("org_id", "location_id", "code"),
    sa.CheckConstraint(
        "length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="dimensions_positive"
    ),
    sa.CheckConstraint("max_weight_grams > 0 AND tare_grams >= 0", name="weights"),
)
