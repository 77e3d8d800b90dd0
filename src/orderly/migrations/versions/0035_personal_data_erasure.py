"""personal data erasure: when an order's buyer data was erased

Revision ID: 0035
Revises: 0034

A channel may keep its buyers' personal data for a set number of days after delivery (Amazon
allows at most 30), and a customer may ask for theirs to be erased; the order notes when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("personal_data_erased_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("orders", "personal_data_erased_at")
