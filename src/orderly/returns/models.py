"""Returns (RMAs), their lines, and the self-service page's failed look-ups."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

RETURN_STATUSES = (
    "'requested', 'authorized', 'in_transit', 'received', 'partially_refunded', 'refunded', "
    "'closed', 'rejected', 'cancelled'"
)

returns = sa.Table(
    "returns",
    metadata,
    id_column(),
    org_column(),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    # Where the units come back: the returns location (ship back) or the store (in store).
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("shipment_id", sa.BigInteger, sa.ForeignKey("shipments.id")),
    # The label purchase under way for a ship-back return (returns.authorization), and what
    # went wrong with its label: not bought, or not voided when the return was cancelled.
    sa.Column("label_purchase_id", sa.BigInteger, sa.ForeignKey("label_purchases.id")),
    sa.Column("label_problem", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    # The order's shipping refunded with this return (by the policy's shipping rule).
    sa.Column("shipping_refund_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("exchange_order_id", sa.BigInteger, sa.ForeignKey("orders.id")),
    sa.Column("exchange_credit_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("notes", sa.Text),
    sa.Column("created_by", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "number"),
    sa.CheckConstraint(f"status IN ({RETURN_STATUSES})", name="status"),
    sa.CheckConstraint("method IN ('ship_back', 'in_store')", name="method"),
    sa.CheckConstraint("source IN ('staff', 'customer')", name="source"),
    sa.CheckConstraint("refunded_minor >= 0", name="refunded_not_negative"),
)
sa.Index("ix_returns_org_order", returns.c.org_id, returns.c.order_id)
sa.Index("ix_returns_org_created", returns.c.org_id, returns.c.created_at)

return_lines = sa.Table(
    "return_lines",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "return_id", sa.BigInteger, sa.ForeignKey("returns.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # What each authorised unit is worth, in the order it comes back (see returns/refunds.py).
    jsonb("unit_amounts", nullable=False, default="[]"),
    sa.Column("restocking_fee_percent", sa.Numeric(5, 2), nullable=False, server_default="0"),
    sa.Column("restocked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("damaged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("disposed", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("return_id", "line_no"),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint(
        "restocked >= 0 AND damaged >= 0 AND disposed >= 0", name="outcomes_not_negative"
    ),
    sa.CheckConstraint("restocked + damaged + disposed <= quantity", name="received_within"),
)
sa.Index("ix_return_lines_org_sku", return_lines.c.org_id, return_lines.c.sku_id)

# Failed look-ups on the self-service page, per client address and order number (an empty
# number counts the client's failures over all numbers): enough of them refuse that client.
return_lookup_failures = sa.Table(
    "return_lookup_failures",
    metadata,
    org_column(),
    sa.Column("client", sa.Text, nullable=False, server_default=""),
    sa.Column("order_number", sa.Text, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("org_id", "client", "order_number"),
)
