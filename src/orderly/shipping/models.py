import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

carrier_accounts = sa.Table(
    "carrier_accounts",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # A connector in the carrier registry; checked by the service, so new connectors need no
    # migration.
    sa.Column("kind", sa.Text, nullable=False),
    jsonb("settings", nullable=False, default="{}"),
    # Fernet token of the JSON credentials (see kit/vault.py); never leaves the service.
    sa.Column("credentials_encrypted", sa.LargeBinary),
    jsonb("rate_card"),
    sa.Column("rate_card_loaded_at", sa.DateTime(timezone=True)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "code"),
)

# Where carriers and aggregators push tracking events: one public token and one signing
# secret per organization.
tracking_webhooks = sa.Table(
    "tracking_webhooks",
    metadata,
    id_column(),
    org_column(),
    sa.Column("account_token", sa.Text, nullable=False),
    sa.Column("secret_encrypted", sa.LargeBinary, nullable=False),
    created_at(),
    sa.UniqueConstraint("org_id"),
    sa.UniqueConstraint("account_token"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    # The fulfillment order's table arrived in a later revision (0004), which added this key.
    sa.Column("fulfillment_order_id", sa.BigInteger, sa.ForeignKey("fulfillment_orders.id")),
    # None for a parcel someone else sent (a 3PL, a drop-ship supplier), with no label of ours.
    sa.Column("carrier_account_id", sa.BigInteger, sa.ForeignKey("carrier_accounts.id")),
    sa.Column("carrier", sa.Text, nullable=False),
    sa.Column("service", sa.Text, nullable=False),
    sa.Column("service_name", sa.Text, nullable=False),
    sa.Column("tracking_number", sa.Text, nullable=False),
    # The shipment's tracking number at the carrier when it carries several parcels (one row
    # each): the number the customer follows.
    sa.Column("master_tracking_number", sa.Text),
    # The label purchase that made it (label_purchases), when it went through one.
    sa.Column("label_purchase_id", sa.BigInteger),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("cost_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("weight_grams", sa.Integer, nullable=False),
    sa.Column("reference", sa.Text, nullable=False, server_default=""),
    sa.Column("label_pdf", sa.LargeBinary, nullable=False),
    sa.Column("label_zpl", sa.Text, nullable=False),
    sa.Column("estimated_delivery", sa.Date),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("created_by", sa.Text),
    sa.Column("cancelled_by", sa.Text),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "tracking_number"),
    sa.CheckConstraint(
        "status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', "
        "'exception', 'returned_to_sender', 'cancelled')",
        name="status",
    ),
    sa.CheckConstraint("cost_minor >= 0", name="cost_not_negative"),
)
sa.Index("ix_shipments_org_order", shipments.c.org_id, shipments.c.order_id)
sa.Index("ix_shipments_org_status", shipments.c.org_id, shipments.c.status, shipments.c.id)
sa.Index("ix_shipments_tracking_number", shipments.c.tracking_number)

# A label bought from a carrier, from the intent to the outcome. The carrier is called outside
# any transaction: the row is written first (`buying`, with our `reference`, which the carrier
# keeps on its shipment), then the call, then the outcome in a second transaction. A purchase
# whose outcome is unknown (a lost answer) is resolved by looking the reference up, voiding
# what turned up, or `needs_attention` for a person when the carrier offers neither.
label_purchases = sa.Table(
    "label_purchases",
    metadata,
    id_column(),
    org_column(),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("fulfillment_order_id", sa.BigInteger),
    sa.Column("carrier_account_id", sa.BigInteger, sa.ForeignKey("carrier_accounts.id")),
    sa.Column("carrier", sa.Text),
    sa.Column("service", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="buying"),
    sa.Column("tracking_number", sa.Text),
    # Labels the carrier made that are not in use: voided, or waiting for a person.
    sa.Column("stray_tracking_numbers", sa.ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("problem", sa.Text),
    sa.Column("created_by", sa.Text),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "reference"),
    sa.CheckConstraint(
        "status IN ('buying', 'bought', 'failed', 'needs_attention', 'resolved')", name="status"
    ),
)
sa.Index(
    "ix_label_purchases_open",
    label_purchases.c.org_id,
    label_purchases.c.status,
    postgresql_where=label_purchases.c.status.in_(["buying", "needs_attention"]),
)

tracking_events = sa.Table(
    "tracking_events",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "shipment_id",
        sa.BigInteger,
        sa.ForeignKey("shipments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("location", sa.Text),
    # False when the event would have moved the shipment backwards: kept, but not applied.
    sa.Column("applied", sa.Boolean, nullable=False),
    sa.Column(
        "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("shipment_id", "code", "occurred_at"),
)

# A carrier's opinion of an order's shipping address, asked after capture (migration 0026).
# One row per order: the latest check, and the address it was about, so that an address
# changed since is checked again.
address_checks = sa.Table(
    "address_checks",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("carrier", sa.Text),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("residential", sa.Boolean),
    jsonb("address", nullable=False),
    jsonb("suggestions", nullable=False, default="[]"),
    jsonb("messages", nullable=False, default="[]"),
    sa.Column(
        "checked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("org_id", "order_id"),
    sa.CheckConstraint(
        "verdict IN ('deliverable', 'undeliverable', 'not_checked')", name="verdict"
    ),
)
