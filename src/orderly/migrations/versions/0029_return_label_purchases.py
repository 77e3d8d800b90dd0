"""return label purchases: a ship-back return's label is bought with no transaction open

Revision ID: 0029
Revises: 0028

The first transaction claims the return for a label purchase, the carrier is called outside
any transaction, and the second records the label and authorizes the return. A label that
could not be bought, or not voided when its return was cancelled, is noted on the return.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "returns",
        sa.Column(
            "label_purchase_id",
            sa.BigInteger,
            sa.ForeignKey("label_purchases.id", name="returns_label_purchase_id_fkey"),
        ),
    )
    op.add_column("returns", sa.Column("label_problem", sa.Text))


def downgrade() -> None:
    op.drop_column("returns", "label_problem")
    op.drop_column("returns", "label_purchase_id")
