"""connections: sales platforms connected to channels, their inbox, listings and pushes

Revision ID: 0023
Revises: 0022

A connection belongs to one channel. Inbound webhooks land raw in connection_events, the orders
they bring are kept by platform id in connection_orders, and every change of stock of an
organization with a stock-pushing connection is appended to stock_changes by a trigger on the
ledger, in the change's own transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One statement-level trigger per ledger INSERT: one row per changed SKU, and nothing at all for
# an organization without a connection that pushes stock.
STOCK_CHANGED = """
CREATE FUNCTION orderly_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_changes (org_id, sku_id)
    SELECT DISTINCT n.org_id, n.sku_id FROM new_rows n
    WHERE EXISTS (
        SELECT 1 FROM connections c
        WHERE c.org_id = n.org_id AND c.active
          AND coalesce((c.settings ->> 'push_stock')::boolean, true)
    );
    RETURN NULL;
END $$;
CREATE TRIGGER stock_changed AFTER INSERT ON stock_ledger
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orderly_stock_changed();
"""

# A parcel of an order that a platform sent leaves: the platform is told, with its tracking.
PARCEL_SHIPPED = """
CREATE FUNCTION orderly_parcel_shipped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO connection_pushes (org_id, connection_id, order_id, kind, reference)
    SELECT co.org_id, co.connection_id, co.order_id, 'fulfillment', 'parcel:' || NEW.id
      FROM fulfillment_orders fo
      JOIN connection_orders co ON co.org_id = fo.org_id AND co.order_id = fo.order_id
      JOIN connections c ON c.id = co.connection_id AND c.active
       AND coalesce((c.settings ->> 'push_fulfillments')::boolean, true)
     WHERE fo.id = NEW.fulfillment_order_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER parcel_shipped AFTER UPDATE OF status ON fulfillment_parcels
    FOR EACH ROW WHEN (NEW.status = 'shipped' AND OLD.status IS DISTINCT FROM 'shipped')
    EXECUTE FUNCTION orderly_parcel_shipped();
"""

# An order a platform sent is cancelled here (not there): the platform is told.
ORDER_CANCELLED = """
CREATE FUNCTION orderly_order_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO connection_pushes (org_id, connection_id, order_id, kind, reference)
    SELECT co.org_id, co.connection_id, co.order_id, 'cancellation', 'order:' || NEW.id
      FROM connection_orders co
      JOIN connections c ON c.id = co.connection_id AND c.active
     WHERE co.org_id = NEW.org_id AND co.order_id = NEW.id AND NOT co.cancelled_on_platform
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER order_cancelled AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION orderly_order_cancelled();
"""


def upgrade() -> None:
    op.create_table(
        "stock_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_changes")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("credentials_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("health", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("health_detail", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pull_cursor", sa.Text(), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhooks_registered", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "health IN ('unknown', 'ok', 'unreachable', 'credentials_refused', 'refused')",
            name=op.f("ck_connections_health"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_connections_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_connections_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("org_id", "channel_id", name=op.f("uq_connections_org_id_channel_id")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_connections_org_id_id")),
    )
    op.create_table(
        "connection_errors",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_errors_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_errors")),
    )
    op.create_index(
        "ix_connection_errors_recent", "connection_errors", ["connection_id", "id"], unique=False
    )
    op.create_table(
        "connection_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("platform_order_id", sa.Text(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'ignored', 'needs_mapping', 'failed')",
            name=op.f("ck_connection_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_events_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_events")),
        sa.UniqueConstraint(
            "connection_id", "event_id", name=op.f("uq_connection_events_connection_id_event_id")
        ),
    )
    op.create_index(
        "ix_connection_events_open",
        "connection_events",
        ["connection_id", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'needs_mapping', 'failed')"),
    )
    op.create_table(
        "connection_listings",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=True),
        sa.Column("variant_id", sa.Text(), nullable=True),
        sa.Column("inventory_item_id", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_listings_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "sku", name=op.f("pk_connection_listings")),
    )
    op.create_table(
        "connection_orders",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("platform_order_id", sa.Text(), nullable=False),
        sa.Column("platform_number", sa.Text(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("platform_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("needs_attention", sa.Text(), nullable=True),
        sa.Column("cancelled_on_platform", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_orders_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "platform_order_id", name=op.f("pk_connection_orders")
        ),
    )
    op.create_index(
        "ix_connection_orders_order", "connection_orders", ["org_id", "order_id"], unique=False
    )
    op.create_table(
        "connection_pushes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("platform_reference", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('fulfillment', 'cancellation')", name=op.f("ck_connection_pushes_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name=op.f("ck_connection_pushes_status")
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_pushes_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_pushes")),
        sa.UniqueConstraint(
            "connection_id",
            "kind",
            "reference",
            name=op.f("uq_connection_pushes_connection_id_kind_reference"),
        ),
    )
    op.create_table(
        "connection_stock_pending",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "marked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "connection_id"],
            ["connections.org_id", "connections.id"],
            name=op.f("fk_connection_stock_pending_org_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "sku_id", name=op.f("pk_connection_stock_pending")
        ),
    )
    op.create_index(
        "ix_connection_pushes_due",
        "connection_pushes",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.execute(STOCK_CHANGED)
    op.execute(PARCEL_SHIPPED)
    op.execute(ORDER_CANCELLED)


def downgrade() -> None:
    op.execute("DROP TRIGGER order_cancelled ON orders")
    op.execute("DROP FUNCTION orderly_order_cancelled()")
    op.execute("DROP TRIGGER parcel_shipped ON fulfillment_parcels")
    op.execute("DROP FUNCTION orderly_parcel_shipped()")
    op.drop_index("ix_connection_pushes_due", table_name="connection_pushes")
    op.execute("DROP TRIGGER stock_changed ON stock_ledger")
    op.execute("DROP FUNCTION orderly_stock_changed()")
    op.drop_table("connection_stock_pending")
    op.drop_table("connection_pushes")
    op.drop_index("ix_connection_orders_order", table_name="connection_orders")
    op.drop_table("connection_orders")
    op.drop_table("connection_listings")
    op.drop_index(
        "ix_connection_events_open",
        table_name="connection_events",
        postgresql_where=sa.text("status IN ('pending', 'needs_mapping', 'failed')"),
    )
    op.drop_table("connection_events")
    op.drop_index("ix_connection_errors_recent", table_name="connection_errors")
    op.drop_table("connection_errors")
    op.drop_table("connections")
    op.drop_table("stock_changes")
