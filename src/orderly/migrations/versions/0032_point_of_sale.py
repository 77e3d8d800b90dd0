"""point of sale: list prices on SKUs and a sales tax per store

Revision ID: 0032
Revises: 0031

A store's counter sells at the SKU's list price plus the store's sales tax, since nothing
upstream computed them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("skus", sa.Column("list_price_minor", sa.BigInteger))
    op.add_column("skus", sa.Column("list_price_currency", sa.CHAR(3)))
    op.create_check_constraint(
        op.f("ck_skus_list_price"),
        "skus",
        "(list_price_minor IS NULL) = (list_price_currency IS NULL) AND list_price_minor >= 0",
    )
    op.add_column("locations", sa.Column("sales_tax", postgresql.JSONB(astext_type=sa.Text())))


def downgrade() -> None:
    op.drop_column("locations", "sales_tax")
    op.drop_constraint(op.f("ck_skus_list_price"), "skus", type_="check")
    op.drop_column("skus", "list_price_currency")
    op.drop_column("skus", "list_price_minor")
