"""Payment accounts, the operations sent to providers, refunds, and store credit with its
ledger."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
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
    # pending: sent to a provider over the network, by a job (payment_operations).
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
)
sa.Index("ix_refunds_org_order", refunds.c.org_id, refunds.c.order_id)

# An organization's account at a payment provider (Stripe), its credentials sealed by the vault.
# A channel names the account its orders are paid through (`settings["payment_account"]`).
payment_accounts = sa.Table(
    "payment_accounts",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("credentials", sa.LargeBinary, nullable=False),
    jsonb("settings", nullable=False, default="{}"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "code"),
)

# What Orderly asked a provider to do with a payment: capture (at shipment), void (at
# cancellation), refund. A provider over the network is called by a job with no transaction
# open, with the operation's own idempotency key, so a retry never moves money twice.
payment_operations = sa.Table(
    "payment_operations",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("payment_id", sa.BigInteger, sa.ForeignKey("order_payments.id"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    # A final capture releases what is left of the authorization.
    sa.Column("final", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("refund_id", sa.BigInteger, sa.ForeignKey("refunds.id")),
    sa.Column("reason", sa.Text),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("provider_reference", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("actor", sa.Text),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "idempotency_key"),
    sa.CheckConstraint("kind IN ('capture', 'void', 'refund')", name="kind"),
    sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'declined')", name="status"),
)
sa.Index("ix_payment_operations_order", payment_operations.c.order_id)
sa.Index(
    "ix_payment_operations_pending",
    payment_operations.c.id,
    postgresql_where=payment_operations.c.status == "pending",
)

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

# Each event a provider's webhook delivered (Stripe's), kept by its id per account so that an
# event sent twice is applied once.
payment_webhook_events = sa.Table(
    "payment_webhook_events",
    metadata,
    id_column(),
    org_column(),
    sa.Column("account_id", sa.BigInteger, sa.ForeignKey("payment_accounts.id"), nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    # The event as Stripe sent it, applied by a job (`applied_at`, with what became of it).
    jsonb("payload", nullable=False, default="{}"),
    sa.Column(
        "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("applied_at", sa.DateTime(timezone=True)),
    sa.Column("outcome", sa.Text),
    sa.UniqueConstraint("account_id", "event_id"),
)
