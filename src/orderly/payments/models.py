"""Refunds, and store credit with its ledger."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, org_column, updated_at
from orderly.kit.db import metadata

refunds = sa.Table(
    "refunds",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("return_id", sa.BigInteger, sa.ForeignKey("returns.id")),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_reference", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("created_by", sa.Text),
    created_at(),
    sa.UniqueConstraint("org_id", "idempotency_key"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.CheckConstraint("destination IN ('original_payment', 'store_credit')", name="destination"),
    sa.CheckConstraint("status IN ('succeeded', 'failed')", name="status"),
)
sa.Index("ix_refunds_org_order", refunds.c.org_id, refunds.c.order_id)

store_credit_accounts = sa.Table(
    "store_credit_accounts",
    metadata,
    id_column(),
    org_column(),
    sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("balance_minor", sa.BigInteger, nullable=False, server_default="0"),
    updated_at(),
    sa.UniqueConstraint("org_id", "customer_id", "currency"),
    sa.CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
)

# Append-only: the entries of an account sum to its balance.
store_credit_ledger = sa.Table(
    "store_credit_ledger",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "account_id", sa.BigInteger, sa.ForeignKey("store_credit_accounts.id"), nullable=False
    ),
    sa.Column("delta_minor", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("refund_id", sa.BigInteger, sa.ForeignKey("refunds.id")),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id")),
    sa.Column("actor", sa.Text),
    created_at(),
)
sa.Index(
    "ix_store_credit_ledger_account", store_credit_ledger.c.account_id, store_credit_ledger.c.id
)
