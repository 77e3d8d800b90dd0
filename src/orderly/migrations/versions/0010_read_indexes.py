"""read indexes: order lists filtered by status and channel, or by location

Revision ID: 0010
Revises: 0009

`ix_orders_org_status_channel` lets a list filtered by status and channel read its page
straight from the index, newest first, even when few orders match. The allocations index by
location gains `order_id`, so a list filtered by location finds its orders from the index
alone; it replaces the shorter index it extends (no extra index on the capture path).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_org_status_channel",
        "orders",
        ["org_id", "status", "channel_id", sa.text("id DESC")],
    )
    op.create_index(
        "ix_order_allocations_org_location_order",
        "order_allocations",
        ["org_id", "location_id", "order_id"],
    )
    op.drop_index("ix_order_allocations_org_location", table_name="order_allocations")


def downgrade() -> None:
    op.create_index(
        "ix_order_allocations_org_location", "order_allocations", ["org_id", "location_id"]
    )
    op.drop_index("ix_order_allocations_org_location_order", table_name="order_allocations")
    op.drop_index("ix_orders_org_status_channel", table_name="orders")
