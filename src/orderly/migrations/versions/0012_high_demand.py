"""high demand: a SKU can be marked in high demand (a launch, a flash sale)

Revision ID: 0012
Revises: 0011

Order capture locks the stock rows an order could use while it plans the order, so that the
plan cannot lose a race. Many buyers of one SKU then queue behind that lock one at a time.
For a SKU in high demand the rows are only read while planning; the write that reserves
them locks them for a moment, in (sku, location) order, and its guard refuses the order if
the units were taken meanwhile. The CHECK constraints of stock_levels are unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "skus",
        sa.Column("high_demand", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("skus", "high_demand")
