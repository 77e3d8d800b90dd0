import sqlalchemy as sa

from orderly.kit.columns import (
    created_at,
    id_column,
    jsonb,
    org_column,
    owned_by_parent,
    text_array,
    updated_at,
)
from orderly.kit.db import metadata

PAYMENT_STATUSES = (
    "'pending', 'authorized', 'partially_captured', 'captured', 'partially_refunded', "
    "'refunded', 'failed', 'voided'"
)

customers = sa.Table(
    "customers",
    metadata,
    id_column(),
    org_column(),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("phone", sa.Text),
    jsonb("addresses", nullable=False, default="[]"),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "email"),
)

orders = sa.Table(
    "orders",
    metadata,
    id_column(),
    org_column(),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("external_id", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customers.id")),
    sa.Column("customer_email", sa.Text),
    jsonb("billing_address"),
    jsonb("shipping_address"),
    sa.Column("delivery_method", sa.Text, nullable=False, server_default="ship"),
    sa.Column("pickup_location_id", sa.BigInteger, sa.ForeignKey("locations.id")),
    sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
    sa.Column("discount_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("tax_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("shipping_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("payment_status", sa.Text, nullable=False),
    sa.Column("payment_amount_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("payment_method", sa.Text),
    sa.Column("payment_reference", sa.Text),
    text_array("hold_reasons"),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("notes", sa.Text),
    text_array("tags"),
    sa.Column("requested_delivery_date", sa.Date),
    # The latest the order may ship: a marketplace's ship-by or dispatch-by date (migration
    # 0033). It is the order's promise, and ranks it in pick lists and backorders.
    sa.Column("ship_by", sa.DateTime(timezone=True)),
    # When its buyer's personal data was erased (a retention period, or on request: 0035).
    sa.Column("personal_data_erased_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "number"),
    sa.UniqueConstraint("org_id", "channel_id", "external_id"),
    # The target of the keys of the order's lines, allocations, fulfillment orders and
    # timeline events (migrations 0015, 0016), id first (see 0016).
    sa.UniqueConstraint("id", "org_id"),
    sa.CheckConstraint("delivery_method IN ('ship', 'pickup')", name="delivery_method"),
    sa.CheckConstraint(
        f"payment_status IN ({PAYMENT_STATUSES})",
        name="payment_status",
    ),
    sa.CheckConstraint("total_minor >= 0", name="total_not_negative"),
)
sa.Index("ix_orders_org_created", orders.c.org_id, orders.c.created_at.desc(), orders.c.id.desc())
sa.Index("ix_orders_org_status", orders.c.org_id, orders.c.status, orders.c.id.desc())
sa.Index("ix_orders_org_email", orders.c.org_id, orders.c.customer_email)
sa.Index(
    "ix_orders_org_status_channel",
    orders.c.org_id,
    orders.c.status,
    orders.c.channel_id,
    orders.c.id.desc(),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    owned_by_parent("orders", ["org_id", "order_id"], ["org_id", "id"]),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
    sa.Column("discount_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("tax_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    # Units taken off the line (migration 0020): `quantity` stays what was ordered; the
    # discount, tax and total are those of the units still owed.
    sa.Column("cancelled_quantity", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("order_id", "line_no"),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint(
        "cancelled_quantity >= 0 AND cancelled_quantity <= quantity",
        name="cancelled_within_quantity",
    ),
    sa.CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
)
sa.Index("ix_order_lines_org_sku", order_lines.c.org_id, order_lines.c.sku_id)

# The order's payments (tenders): what each was for, and what its provider authorized, captured
# and refunded. The order's `payment_*` columns sum them up (orders.payments_status).
order_payments = sa.Table(
    "order_payments",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    owned_by_parent("orders", ["org_id", "order_id"], ["org_id", "id"]),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.Column("method", sa.Text),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("account_id", sa.BigInteger),
    sa.Column("reference", sa.Text),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("authorized_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("captured_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("authorization_expires_at", sa.DateTime(timezone=True)),
    # Whether the provider lets this authorization be captured once per shipment.
    sa.Column("multicapture", sa.Boolean, nullable=False, server_default=sa.false()),
    # What a person must look at: a capture declined, an authorization about to lapse.
    sa.Column("problem", sa.Text),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("order_id", "position"),
    sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    sa.CheckConstraint(
        "0 <= refunded_minor AND refunded_minor <= captured_minor "
        "AND captured_minor <= authorized_minor",
        name="refunded_within_captured_within_authorized",
    ),
    sa.CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name="status"),
)
# A provider's webhook names the payment by its account and its reference there (Stripe's
# PaymentIntent id).
sa.Index(
    "ix_order_payments_account_reference",
    order_payments.c.account_id,
    order_payments.c.reference,
    postgresql_where=order_payments.c.account_id.is_not(None),
)
sa.Index(
    "ix_order_payments_expiring",
    order_payments.c.authorization_expires_at,
    postgresql_where=order_payments.c.status.in_(["authorized", "partially_captured"]),
)

# Where each line's units are reserved. A line may be split across locations.
order_allocations = sa.Table(
    "order_allocations",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    owned_by_parent("orders", ["org_id", "order_id"], ["org_id", "id"]),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="reserved"),
    created_at(),
    # Copies of the order's status and channel, for lists by location (migration 0014): give
    # them when writing an allocation; triggers fill them in when left out and keep them in
    # step with the order.
    sa.Column("order_status", sa.Text),
    sa.Column("channel_id", sa.BigInteger),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("status IN ('reserved', 'released', 'shipped')", name="status"),
)
sa.Index("ix_order_allocations_order", order_allocations.c.order_id)
sa.Index(
    "ix_order_allocations_org_location_order",
    order_allocations.c.org_id,
    order_allocations.c.location_id,
    order_allocations.c.order_id,
)
sa.Index(
    "ix_order_allocations_org_location_status_channel",
    order_allocations.c.org_id,
    order_allocations.c.location_id,
    order_allocations.c.order_status,
    order_allocations.c.channel_id,
    order_allocations.c.order_id,
)

# The timeline: append-only.
order_events = sa.Table(
    "order_events",
    metadata,
    id_column(),
    # One key over both columns (migration 0015), as for lines and allocations (0016).
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    owned_by_parent("orders", ["org_id", "order_id"], ["org_id", "id"]),
    sa.Column("type", sa.Text, nullable=False),
    jsonb("data", nullable=False, default="{}"),
    sa.Column("actor", sa.Text),
    created_at(),
)
sa.Index("ix_order_events_order", order_events.c.order_id, order_events.c.id)

# Sourcing enforces daily capacity by counting the orders allocated to a location since the
# start of its day, instead of a counter row that every capture would have to lock.
sa.Index(
    "ix_order_allocations_location_day",
    order_allocations.c.org_id,
    order_allocations.c.location_id,
    order_allocations.c.created_at,
)
