"""shipments sent elsewhere: a parcel a 3PL or a drop-ship supplier sent has no carrier account

Revision ID: 0028
Revises: 0027

The provider that operates a location buys its own labels; its parcels are recorded as
shipments with their tracking number, so that the customer follows them like ours, but with
no carrier account of ours behind them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("shipments", "carrier_account_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM shipments WHERE carrier_account_id IS NULL")
    op.alter_column("shipments", "carrier_account_id", nullable=False)
