"""address checks: a carrier's opinion of an order's shipping address, asked after capture

Revision ID: 0026
Revises: 0025

Carriers that validate addresses are asked about each order to ship, outside any transaction,
by a job that runs after capture. One row per order keeps the latest verdict and the address
it was about; an undeliverable address holds the order for a person.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address_checks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("residential", sa.Boolean(), nullable=True),
        sa.Column("address", postgresql.JSONB(), nullable=False),
        sa.Column(
            "suggestions", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column(
            "messages", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column(
            "checked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "verdict IN ('deliverable', 'undeliverable', 'not_checked')",
            name=op.f("ck_address_checks_verdict"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_address_checks_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_address_checks_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_checks")),
        sa.UniqueConstraint("org_id", "order_id", name=op.f("uq_address_checks_org_id_order_id")),
    )


def downgrade() -> None:
    op.drop_table("address_checks")
