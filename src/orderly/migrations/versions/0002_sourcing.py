"""sourcing tables

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_configs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
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
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_routing_configs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_routing_configs_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_configs")),
    )
    op.create_index(
        "ux_routing_configs_org_default",
        "routing_configs",
        ["org_id"],
        unique=True,
        postgresql_where=sa.text("channel_id IS NULL"),
    )
    op.create_index(
        "ux_routing_configs_org_channel",
        "routing_configs",
        ["org_id", "channel_id"],
        unique=True,
        postgresql_where=sa.text("channel_id IS NOT NULL"),
    )
    op.create_index(
        "ix_order_allocations_location_day",
        "order_allocations",
        ["org_id", "location_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_order_allocations_location_day", table_name="order_allocations")
    op.drop_index("ux_routing_configs_org_channel", table_name="routing_configs")
    op.drop_index("ux_routing_configs_org_default", table_name="routing_configs")
    op.drop_table("routing_configs")
