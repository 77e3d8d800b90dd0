"""Tables of locations operated by others: the provider of a location, the orders sent to it,
the news it sent back (each applied once), what went wrong, and stock differences for a person
to decide. The schema is made by migration 0027."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

_AT = sa.DateTime(timezone=True)

# One provider per location (a 3PL's or a supplier's): its kind, settings and credentials.
fulfillment_providers = sa.Table(
    "fulfillment_providers",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "location_id",
        sa.BigInteger,
        sa.ForeignKey("locations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.Text, nullable=False),
    jsonb("settings", nullable=False, default="{}"),
    # Fernet token of the JSON credentials (kit/vault.py); never leaves the service.
    sa.Column("credentials_encrypted", sa.LargeBinary, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("health", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("health_detail", sa.Text),
    sa.Column("last_exchange_at", _AT),
    sa.Column("last_error_at", _AT),
    sa.Column("last_poll_at", _AT),
    sa.Column("last_stock_at", _AT),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "location_id"),
    sa.UniqueConstraint("id", "org_id"),
)

# A fulfillment order sent to its location's provider, from the intent to the provider's last
# word. `reference` is ours and what the provider keeps, so a lost answer is found again.
provider_orders = sa.Table(
    "provider_orders",
    metadata,
    id_column(),
    org_column(),
    # Kept when the provider is disconnected: the history stays, nothing is out any more.
    sa.Column(
        "provider_id",
        sa.BigInteger,
        sa.ForeignKey("fulfillment_providers.id", ondelete="SET NULL"),
    ),
    sa.Column("fulfillment_order_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("provider_ref", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="sending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", _AT, nullable=False, server_default=sa.func.now()),
    sa.Column("last_error", sa.Text),
    # A cancellation asked of the provider: why, and whether the order is cancelled on its yes.
    sa.Column("cancel_reason", sa.Text),
    sa.Column("cancel_order", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sent_at", _AT),
    created_at(),
    updated_at(),
    sa.ForeignKeyConstraint(
        ["fulfillment_order_id"], ["fulfillment_orders.id"], ondelete="CASCADE"
    ),
    sa.UniqueConstraint("fulfillment_order_id"),
    sa.UniqueConstraint("reference"),
    sa.CheckConstraint(
        "status IN ('sending', 'sent', 'cancel_requested', 'shipped', 'cancelled', 'refused')",
        name="status",
    ),
)
sa.Index("ix_provider_orders_order", provider_orders.c.org_id, provider_orders.c.order_id)
sa.Index(
    "ix_provider_orders_open",
    provider_orders.c.provider_id,
    provider_orders.c.status,
    postgresql_where=provider_orders.c.status.in_(["sending", "sent", "cancel_requested"]),
)

# News from a provider (and stock snapshots), one row per provider event id: the same news
# polled twice, or by two workers at once, is applied once.
provider_events = sa.Table(
    "provider_events",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "provider_id",
        sa.BigInteger,
        sa.ForeignKey("fulfillment_providers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reference", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    jsonb("payload", nullable=False, default="{}"),
    created_at(),
    sa.UniqueConstraint("provider_id", "event_id"),
    sa.CheckConstraint("status IN ('applied', 'refused')", name="status"),
)

# What went wrong in an exchange: a call refused, a file's bad row (file name and row number).
provider_errors = sa.Table(
    "provider_errors",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "provider_id",
        sa.BigInteger,
        sa.ForeignKey("fulfillment_providers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("activity", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("row_number", sa.Integer),
    created_at(),
)
sa.Index("ix_provider_errors_recent", provider_errors.c.provider_id, provider_errors.c.id)

# A SKU whose count at the provider is not ours: a person accepts it (a ledger row, reason
# 3pl_count, through inventory's own adjustment) or dismisses it.
stock_differences = sa.Table(
    "stock_differences",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "provider_id",
        sa.BigInteger,
        sa.ForeignKey("fulfillment_providers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("location_id", sa.BigInteger, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("sku_id", sa.BigInteger, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("snapshot_id", sa.Text, nullable=False),
    sa.Column("counted_at", _AT, nullable=False),
    sa.Column("expected", sa.Integer, nullable=False),
    sa.Column("counted", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", _AT),
    created_at(),
    sa.CheckConstraint(
        "status IN ('pending', 'accepted', 'dismissed', 'superseded')", name="status"
    ),
    sa.CheckConstraint("counted >= 0", name="counted_not_negative"),
)
sa.Index(
    "uq_stock_differences_pending",
    stock_differences.c.provider_id,
    stock_differences.c.sku_id,
    unique=True,
    postgresql_where=stock_differences.c.status == "pending",
)
