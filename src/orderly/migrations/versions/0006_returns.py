"""returns tables: returns, return lines, self-service look-up failures; refunds and store
credit (the payments feature)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETURN_STATUSES = (
    "'requested', 'authorized', 'in_transit', 'received', 'partially_refunded', 'refunded', "
    "'closed', 'rejected', 'cancelled'"
)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _org(table: str) -> list[Any]:
    return [
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_org_id_organizations"),
            ondelete="CASCADE",
        ),
    ]


def _ts(name: str) -> sa.Column[Any]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _fk(table: str, column: str, target: str, **kw: Any) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def _ck(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "returns",
        _id(),
        *_org("returns"),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("shipping_refund_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("exchange_order_id", sa.BigInteger(), nullable=True),
        sa.Column("exchange_credit_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ck("returns", "status", f"status IN ({RETURN_STATUSES})"),
        _ck("returns", "method", "method IN ('ship_back', 'in_store')"),
        _ck("returns", "source", "source IN ('staff', 'customer')"),
        _ck("returns", "refunded_not_negative", "refunded_minor >= 0"),
        _fk("returns", "order_id", "orders"),
        _fk("returns", "location_id", "locations"),
        _fk("returns", "shipment_id", "shipments"),
        _fk("returns", "exchange_order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("org_id", "number", name=op.f("uq_returns_org_id_number")),
    )
    op.create_index("ix_returns_org_order", "returns", ["org_id", "order_id"])
    op.create_index("ix_returns_org_created", "returns", ["org_id", "created_at"])

    op.create_table(
        "return_lines",
        _id(),
        *_org("return_lines"),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "unit_amounts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("restocking_fee_percent", sa.Numeric(5, 2), server_default="0", nullable=False),
        sa.Column("restocked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("damaged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("disposed", sa.Integer(), server_default="0", nullable=False),
        _ck("return_lines", "quantity_positive", "quantity > 0"),
        _ck(
            "return_lines",
            "outcomes_not_negative",
            "restocked >= 0 AND damaged >= 0 AND disposed >= 0",
        ),
        _ck("return_lines", "received_within", "restocked + damaged + disposed <= quantity"),
        _fk("return_lines", "return_id", "returns", ondelete="CASCADE"),
        _fk("return_lines", "sku_id", "skus"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "line_no", name=op.f("uq_return_lines_return_id_line_no")),
    )
    op.create_index("ix_return_lines_org_sku", "return_lines", ["org_id", "sku_id"])

    op.create_table(
        "return_lookup_failures",
        *_org("return_lookup_failures"),
        sa.Column("order_number", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "order_number", name=op.f("pk_return_lookup_failures")),
    )

    op.create_table(
        "refunds",
        _id(),
        *_org("refunds"),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_reference", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        _ts("created_at"),
        _ck("refunds", "amount_positive", "amount_minor > 0"),
        _ck("refunds", "destination", "destination IN ('original_payment', 'store_credit')"),
        _ck("refunds", "status", "status IN ('succeeded', 'failed')"),
        _fk("refunds", "order_id", "orders"),
        _fk("refunds", "return_id", "returns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint(
            "org_id", "idempotency_key", name=op.f("uq_refunds_org_id_idempotency_key")
        ),
    )
    op.create_index("ix_refunds_org_order", "refunds", ["org_id", "order_id"])

    op.create_table(
        "store_credit_accounts",
        _id(),
        *_org("store_credit_accounts"),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), server_default="0", nullable=False),
        _ts("updated_at"),
        _ck("store_credit_accounts", "balance_not_negative", "balance_minor >= 0"),
        _fk("store_credit_accounts", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_accounts")),
        sa.UniqueConstraint(
            "org_id",
            "customer_id",
            "currency",
            name=op.f("uq_store_credit_accounts_org_id_customer_id_currency"),
        ),
    )

    op.create_table(
        "store_credit_ledger",
        _id(),
        *_org("store_credit_ledger"),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("delta_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        _ts("created_at"),
        _fk("store_credit_ledger", "account_id", "store_credit_accounts"),
        _fk("store_credit_ledger", "refund_id", "refunds"),
        _fk("store_credit_ledger", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_ledger")),
    )
    op.create_index("ix_store_credit_ledger_account", "store_credit_ledger", ["account_id", "id"])


def downgrade() -> None:
    op.drop_table("store_credit_ledger")
    op.drop_table("store_credit_accounts")
    op.drop_table("refunds")
    op.drop_table("return_lookup_failures")
    op.drop_table("return_lines")
    op.drop_table("returns")
    op.execute(
        "DO $$ DECLARE s record; BEGIN FOR s IN SELECT sequencename FROM pg_sequences "
        "WHERE sequencename LIKE 'return_number_%' LOOP "
        "EXECUTE format('DROP SEQUENCE %I', s.sequencename); END LOOP; END $$"
    )
