"""order payments: an order has payments, each authorized, captured and refunded on its own

Revision ID: 0030
Revises: 0029

An order's payments (`order_payments`, one per tender) hold what each was for and what its
provider authorized, captured and refunded; the order's `payment_*` columns sum them up.
Captures at shipment, voids at cancellation and refunds are operations (`payment_operations`)
sent to the provider by a job when it is reached over the network. Payment accounts hold an
organization's provider credentials, sealed by the vault. Every order that carried a payment
gets it as its first payment; refunds may wait for a provider
(`pending`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'failed', 'voided'"
)
_STATUSES = (
    "'pending', 'authorized', 'partially_captured', 'captured', 'partially_refunded', "
    "'refunded', 'failed', 'voided'"
)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def upgrade() -> None:
    op.drop_constraint(op.f("ck_orders_payment_status"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_payment_status"), "orders", f"payment_status IN ({_STATUSES})"
    )
    op.create_table(
        "order_payments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("org_id", sa.BigInteger, nullable=False),
        sa.Column("order_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("method", sa.Text),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("account_id", sa.BigInteger),
        sa.Column("reference", sa.Text),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("authorized_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("captured_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("refunded_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("authorization_expires_at", sa.DateTime(timezone=True)),
        sa.Column("multicapture", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("problem", sa.Text),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["org_id", "order_id"],
            ["orders.org_id", "orders.id"],
            name=op.f("fk_order_payments_org_id_orders"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "order_id", "position", name=op.f("uq_order_payments_order_id_position")
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_order_payments_amount_not_negative")),
        sa.CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= captured_minor "
            "AND captured_minor <= authorized_minor",
            name=op.f("ck_order_payments_refunded_within_captured_within_authorized"),
        ),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_order_payments_status")),
    )
    op.create_index(
        "ix_order_payments_expiring",
        "order_payments",
        ["authorization_expires_at"],
        postgresql_where=sa.text("status IN ('authorized', 'partially_captured')"),
    )
    op.create_table(
        "payment_accounts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "org_id",
            sa.BigInteger,
            sa.ForeignKey(
                "organizations.id",
                name=op.f("fk_payment_accounts_org_id_organizations"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("credentials", sa.LargeBinary, nullable=False),
        sa.Column("settings", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_stamps(),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_payment_accounts_org_id_code")),
    )
    op.drop_constraint(op.f("ck_refunds_status"), "refunds", type_="check")
    op.create_check_constraint(
        op.f("ck_refunds_status"), "refunds", "status IN ('pending', 'succeeded', 'failed')"
    )
    op.create_table(
        "payment_operations",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "org_id",
            sa.BigInteger,
            sa.ForeignKey(
                "organizations.id",
                name=op.f("fk_payment_operations_org_id_organizations"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey("orders.id", name=op.f("fk_payment_operations_order_id_orders")),
            nullable=False,
        ),
        sa.Column(
            "payment_id",
            sa.BigInteger,
            sa.ForeignKey(
                "order_payments.id", name=op.f("fk_payment_operations_payment_id_order_payments")
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "refund_id",
            sa.BigInteger,
            sa.ForeignKey("refunds.id", name=op.f("fk_payment_operations_refund_id_refunds")),
        ),
        sa.Column("reason", sa.Text),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("provider_reference", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("actor", sa.Text),
        *_stamps(),
        sa.UniqueConstraint(
            "org_id", "idempotency_key", name=op.f("uq_payment_operations_org_id_idempotency_key")
        ),
        sa.CheckConstraint(
            "kind IN ('capture', 'void', 'refund')", name=op.f("ck_payment_operations_kind")
        ),
        sa.CheckConstraint(
            "amount_minor >= 0", name=op.f("ck_payment_operations_amount_not_negative")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'declined')",
            name=op.f("ck_payment_operations_status"),
        ),
    )
    op.create_index("ix_payment_operations_order", "payment_operations", ["order_id"])
    op.create_index(
        "ix_payment_operations_pending",
        "payment_operations",
        ["id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    # Every order that carried a payment gets it as its first payment.
    op.execute(
        """
        WITH refunded AS (
            SELECT order_id, sum(amount_minor) AS minor FROM refunds
             WHERE status = 'succeeded' GROUP BY order_id
        )
        INSERT INTO order_payments (org_id, order_id, position, method, provider, reference,
                                    currency, amount_minor, authorized_minor, captured_minor,
                                    refunded_minor, status, created_at, updated_at)
        SELECT o.org_id, o.id, 1, o.payment_method,
               CASE WHEN o.payment_method = 'store_credit' THEN 'store_credit'
                    ELSE coalesce(c.settings ->> 'payment_provider', 'manual') END,
               o.payment_reference, o.currency, o.payment_amount_minor,
               CASE WHEN o.payment_status IN ('authorized', 'captured', 'partially_refunded',
                                              'refunded', 'voided')
                    THEN o.payment_amount_minor ELSE 0 END,
               CASE WHEN o.payment_status IN ('captured', 'partially_refunded', 'refunded')
                    THEN o.payment_amount_minor ELSE 0 END,
               CASE WHEN o.payment_status IN ('captured', 'partially_refunded', 'refunded')
                    THEN least(coalesce(r.minor, 0), o.payment_amount_minor) ELSE 0 END,
               o.payment_status, o.created_at, o.updated_at
          FROM orders o
          JOIN channels c ON c.id = o.channel_id
          LEFT JOIN refunded r ON r.order_id = o.id
         WHERE o.payment_amount_minor > 0 OR o.payment_method IS NOT NULL
            OR o.payment_reference IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_table("payment_operations")
    op.drop_constraint(op.f("ck_refunds_status"), "refunds", type_="check")
    op.execute("DELETE FROM refunds WHERE status = 'pending'")
    op.create_check_constraint(
        op.f("ck_refunds_status"), "refunds", "status IN ('succeeded', 'failed')"
    )
    op.drop_table("payment_accounts")
    op.drop_table("order_payments")
    op.execute(
        "UPDATE orders SET payment_status = 'authorized' "
        "WHERE payment_status = 'partially_captured'"
    )
    op.drop_constraint(op.f("ck_orders_payment_status"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_payment_status"), "orders", f"payment_status IN ({_BEFORE})"
    )
