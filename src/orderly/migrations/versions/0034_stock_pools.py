"""stock pools: shared stock, or shares of it per channel

Revision ID: 0034
Revises: 0033

An organization shows its stock to its channels from one shared pool (each less its buffer),
or gives each channel a share (a percent or a fixed number of units) so that what all channels
were promised adds up to no more than what exists.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_pools",
        sa.Column("org_id", sa.BigInteger, nullable=False),
        sa.Column("model", sa.Text, server_default="shared", nullable=False),
        sa.Column(
            "shares",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_stock_pools")),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_stock_pools_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("model IN ('shared', 'allocated')", name=op.f("ck_stock_pools_model")),
    )


def downgrade() -> None:
    op.drop_table("stock_pools")
