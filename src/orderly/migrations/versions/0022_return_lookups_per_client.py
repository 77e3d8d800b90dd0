"""return look-ups per client: failed tries on the return page count per client address

Revision ID: 0022
Revises: 0021

Failed look-ups on the public return page were counted per order number alone, so anyone who
typed a customer's order number five times locked the customer out of their own return. They
are now counted per (client address, order number), and per client address over all numbers
(the row whose order number is empty): a stranger stops only themself. The old counts were
short-lived throttling state and are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM return_lookup_failures")
    op.add_column(
        "return_lookup_failures",
        sa.Column("client", sa.Text(), server_default="", nullable=False),
    )
    op.drop_constraint("pk_return_lookup_failures", "return_lookup_failures", type_="primary")
    op.create_primary_key(
        "pk_return_lookup_failures",
        "return_lookup_failures",
        ["org_id", "client", "order_number"],
    )


def downgrade() -> None:
    op.execute("DELETE FROM return_lookup_failures")
    op.drop_constraint("pk_return_lookup_failures", "return_lookup_failures", type_="primary")
    op.drop_column("return_lookup_failures", "client")
    op.create_primary_key(
        "pk_return_lookup_failures", "return_lookup_failures", ["org_id", "order_number"]
    )
