"""orders by location: each allocation carries its order's status and channel

Revision ID: 0014
Revises: 0013

The copy is kept by triggers, for an index that hands a list filtered by location exactly the
matching orders: docs/architecture.md, "Allocations carry their order's status and channel".
On a large database, run VACUUM ANALYZE order_allocations after the backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No order may change status between the copy and the trigger that keeps it (both commit
    # together); orders are locked before allocations, as the application's writers do.
    op.execute("LOCK TABLE orders IN SHARE MODE")
    op.add_column("order_allocations", sa.Column("order_status", sa.Text()))
    op.add_column("order_allocations", sa.Column("channel_id", sa.BigInteger()))
    op.execute(
        """
        UPDATE order_allocations a
           SET order_status = o.status, channel_id = o.channel_id
          FROM orders o
         WHERE o.id = a.order_id
        """
    )
    op.create_index(
        "ix_order_allocations_org_location_status_channel",
        "order_allocations",
        ["org_id", "location_id", "order_status", "channel_id", "order_id"],
    )
    op.execute(
        """
        CREATE FUNCTION orderly_allocations_follow_order() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE order_allocations
               SET order_status = NEW.status, channel_id = NEW.channel_id
             WHERE order_id = NEW.id
               AND (order_status IS DISTINCT FROM NEW.status
                    OR channel_id IS DISTINCT FROM NEW.channel_id);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER order_allocations_follow_order
        AFTER UPDATE OF status, channel_id ON orders
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.channel_id IS DISTINCT FROM NEW.channel_id)
        EXECUTE FUNCTION orderly_allocations_follow_order()
        """
    )
    op.execute(
        """
        CREATE FUNCTION orderly_allocation_takes_order() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE order_allocations a
               SET order_status = o.status, channel_id = o.channel_id
              FROM orders o
             WHERE a.id = NEW.id AND o.id = NEW.order_id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER order_allocation_takes_order
        AFTER INSERT ON order_allocations
        FOR EACH ROW
        WHEN (NEW.order_status IS NULL OR NEW.channel_id IS NULL)
        EXECUTE FUNCTION orderly_allocation_takes_order()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER order_allocation_takes_order ON order_allocations")
    op.execute("DROP FUNCTION orderly_allocation_takes_order()")
    op.execute("DROP TRIGGER order_allocations_follow_order ON orders")
    op.execute("DROP FUNCTION orderly_allocations_follow_order()")
    op.drop_index(
        "ix_order_allocations_org_location_status_channel", table_name="order_allocations"
    )
    op.drop_column("order_allocations", "channel_id")
    op.drop_column("order_allocations", "order_status")
