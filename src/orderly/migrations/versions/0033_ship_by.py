"""ship by: an order's latest shipping time, a marketplace's deadline

Revision ID: 0033
Revises: 0032

A marketplace's ship-by or dispatch-by date becomes the order's promise: the SLA watch flags
the order by it, and pick lists take the orders that must ship soonest first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("ship_by", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("orders", "ship_by")
