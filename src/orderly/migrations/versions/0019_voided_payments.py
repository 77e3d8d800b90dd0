"""voided payments: an order's payment can be voided

Revision ID: 0019
Revises: 0018

A fraud reject gives back an authorised payment by voiding the authorisation at the provider
(nothing was captured, so nothing is refunded); the order's `payment_status` then says
`voided`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITHOUT_VOIDED = "'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'failed'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_orders_payment_status"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_payment_status"),
        "orders",
        f"payment_status IN ({_WITHOUT_VOIDED}, 'voided')",
    )


def downgrade() -> None:
    op.execute("UPDATE orders SET payment_status = 'authorized' WHERE payment_status = 'voided'")
    op.drop_constraint(op.f("ck_orders_payment_status"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_payment_status"), "orders", f"payment_status IN ({_WITHOUT_VOIDED})"
    )
