"""The tables of connections: a connection per channel, its raw inbound events (the inbox), the
platform's ids for our SKUs, the orders it brought, and the pushes waiting to go out."""

import sqlalchemy as sa

from orderly.kit.columns import (
    created_at,
    id_column,
    jsonb,
    org_column,
    owned_by_parent,
    updated_at,
)
from orderly.kit.db import metadata

_AT = sa.DateTime(timezone=True)

connections = sa.Table(
    "connections",
    metadata,
    id_column(),
    org_column(),
    sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("base_url", sa.Text, nullable=False),
    sa.Column("credentials_encrypted", sa.LargeBinary, nullable=False),
    jsonb("settings", nullable=False, default="{}"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("health", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("health_detail", sa.Text),
    sa.Column("checked_at", _AT),
    sa.Column("pull_cursor", sa.Text),
    sa.Column("last_pull_at", _AT),
    sa.Column("last_push_at", _AT),
    sa.Column("webhooks_registered", sa.Text),
    created_at(),
    updated_at(),
    # One connection per channel: a platform's order ids never collide within a channel.
    sa.UniqueConstraint("org_id", "channel_id"),
    sa.UniqueConstraint("org_id", "id"),
    sa.CheckConstraint(
        "health IN ('unknown', 'ok', 'unreachable', 'credentials_refused', 'refused')",
        name="health",
    ),
)

# Problems a connection met (pull, push, mapping), newest first on its page.
connection_errors = sa.Table(
    "connection_errors",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    sa.Column("activity", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    created_at(),
)
sa.Index("ix_connection_errors_recent", connection_errors.c.connection_id, connection_errors.c.id)

connection_events = sa.Table(
    "connection_events",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    # The platform's event or delivery id: the same event twice is stored once.
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("platform_order_id", sa.Text),
    jsonb("payload", nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("order_id", sa.BigInteger),
    sa.Column("received_at", _AT, nullable=False, server_default=sa.func.now()),
    sa.Column("processed_at", _AT),
    sa.UniqueConstraint("connection_id", "event_id"),
    sa.CheckConstraint(
        "status IN ('pending', 'done', 'ignored', 'needs_mapping', 'failed')", name="status"
    ),
)
sa.Index(
    "ix_connection_events_open",
    connection_events.c.connection_id,
    connection_events.c.id,
    postgresql_where=connection_events.c.status.in_(["pending", "needs_mapping", "failed"]),
)

connection_listings = sa.Table(
    "connection_listings",
    metadata,
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    sa.Column("sku", sa.Text, nullable=False),
    sa.Column("product_id", sa.Text),
    sa.Column("variant_id", sa.Text),
    sa.Column("inventory_item_id", sa.Text),
    updated_at(),
    sa.PrimaryKeyConstraint("connection_id", "sku"),
)

# The orders a connection brought in, by the platform's id and number.
connection_orders = sa.Table(
    "connection_orders",
    metadata,
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    sa.Column("platform_order_id", sa.Text, nullable=False),
    sa.Column("platform_number", sa.Text, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("platform_updated_at", _AT, nullable=False),
    jsonb("lines", nullable=False, default="[]"),
    # A change on the platform that Orderly could not apply by itself (the order had shipped).
    sa.Column("needs_attention", sa.Text),
    # Cancelled because the platform said so: nothing to tell the platform back.
    sa.Column("cancelled_on_platform", sa.Boolean, nullable=False, server_default=sa.false()),
    created_at(),
    sa.PrimaryKeyConstraint("connection_id", "platform_order_id"),
)
sa.Index("ix_connection_orders_order", connection_orders.c.org_id, connection_orders.c.order_id)

# Every change of stock of an organization that has a stock-pushing connection, appended by a
# trigger on the ledger in the change's own transaction; the push job consumes them.
stock_changes = sa.Table(
    "stock_changes",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    created_at(),
)

# The SKUs whose stock a connection has yet to push: one row per (connection, SKU) however
# many changes came in, so a burst is one push.
connection_stock_pending = sa.Table(
    "connection_stock_pending",
    metadata,
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("marked_at", _AT, nullable=False, server_default=sa.func.now()),
    # Raised on every new mark: a push removes the row only if no change came in meanwhile.
    sa.Column("version", sa.BigInteger, nullable=False, server_default="1"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.PrimaryKeyConstraint("connection_id", "sku_id"),
)

# Fulfillments and cancellations to tell the platform, one row per thing told, queued by
# triggers on shipped parcels and cancelled orders in the change's own transaction.
connection_pushes = sa.Table(
    "connection_pushes",
    metadata,
    id_column(),
    sa.Column("org_id", sa.BigInteger, nullable=False),
    sa.Column("connection_id", sa.BigInteger, nullable=False),
    owned_by_parent("connections", ["org_id", "connection_id"], ["org_id", "id"]),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("platform_reference", sa.Text),
    sa.Column("next_attempt_at", _AT, nullable=False, server_default=sa.func.now()),
    created_at(),
    sa.Column("done_at", _AT),
    sa.UniqueConstraint("connection_id", "kind", "reference"),
    sa.CheckConstraint("kind IN ('fulfillment', 'cancellation')", name="kind"),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
)
sa.Index(
    "ix_connection_pushes_due",
    connection_pushes.c.next_attempt_at,
    postgresql_where=connection_pushes.c.status == "pending",
)

# How an organization's stock is shown to its channels (migration 0034): one shared pool every
# channel sees less its buffer, or shares of it per channel code ({"percent": 40} or
# {"units": 5}) that add up to no more than what exists.
stock_pools = sa.Table(
    "stock_pools",
    metadata,
    sa.Column(
        "org_id",
        sa.BigInteger,
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("model", sa.Text, nullable=False, server_default="shared"),
    jsonb("shares", nullable=False, default="{}"),
    updated_at(),
    sa.CheckConstraint("model IN ('shared', 'allocated')", name="model"),
)
