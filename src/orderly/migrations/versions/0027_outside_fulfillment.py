"""outside fulfillment: locations operated by others (3PLs, drop-shipping suppliers)

Revision ID: 0027
Revises: 0026

A 3pl or supplier location may have one fulfillment provider (ShipBob, an SFTP file exchange, a
supplier by e-mail). Its fulfillment orders are sent to it (provider_orders: the intent with
our reference, then the provider's id), its news is applied once per event id
(provider_events), what went wrong is kept (provider_errors), and its stock counts that differ
from ours wait for a person (stock_differences).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


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
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _at(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column[Any]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=NOW if now else None, nullable=nullable
    )


def _provider_key(table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["provider_id"],
        ["fulfillment_providers.id"],
        name=op.f(f"fk_{table}_provider_id_fulfillment_providers"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    t = "fulfillment_providers"
    op.create_table(
        t,
        _id(),
        *_org(t),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("credentials_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("health", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("health_detail", sa.Text(), nullable=True),
        _at("last_exchange_at"),
        _at("last_error_at"),
        _at("last_poll_at"),
        _at("last_stock_at"),
        _at("created_at", nullable=False, now=True),
        _at("updated_at", nullable=False, now=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f(f"fk_{t}_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("org_id", "location_id", name=op.f(f"uq_{t}_org_id_location_id")),
        sa.UniqueConstraint("id", "org_id", name=op.f(f"uq_{t}_id_org_id")),
    )
    t = "provider_orders"
    op.create_table(
        t,
        _id(),
        *_org(t),
        sa.Column("provider_id", sa.BigInteger(), nullable=True),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="sending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _at("next_attempt_at", nullable=False, now=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancel_order", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _at("sent_at"),
        _at("created_at", nullable=False, now=True),
        _at("updated_at", nullable=False, now=True),
        _provider_key(t, "SET NULL"),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f(f"fk_{t}_fulfillment_order_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("fulfillment_order_id", name=op.f(f"uq_{t}_fulfillment_order_id")),
        sa.UniqueConstraint("reference", name=op.f(f"uq_{t}_reference")),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'cancel_requested', 'shipped', 'cancelled', 'refused')",
            name=op.f(f"ck_{t}_status"),
        ),
    )
    op.create_index("ix_provider_orders_order", t, ["org_id", "order_id"])
    op.create_index(
        "ix_provider_orders_open",
        t,
        ["provider_id", "status"],
        postgresql_where=sa.text("status IN ('sending', 'sent', 'cancel_requested')"),
    )
    t = "provider_events"
    op.create_table(
        t,
        _id(),
        *_org(t),
        sa.Column("provider_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _at("created_at", nullable=False, now=True),
        _provider_key(t, "CASCADE"),
        sa.UniqueConstraint("provider_id", "event_id", name=op.f(f"uq_{t}_provider_id_event_id")),
        sa.CheckConstraint("status IN ('applied', 'refused')", name=op.f(f"ck_{t}_status")),
    )
    t = "provider_errors"
    op.create_table(
        t,
        _id(),
        *_org(t),
        sa.Column("provider_id", sa.BigInteger(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        _at("created_at", nullable=False, now=True),
        _provider_key(t, "CASCADE"),
    )
    op.create_index("ix_provider_errors_recent", t, ["provider_id", "id"])
    t = "stock_differences"
    op.create_table(
        t,
        _id(),
        *_org(t),
        sa.Column("provider_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("snapshot_id", sa.Text(), nullable=False),
        _at("counted_at", nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        _at("decided_at"),
        _at("created_at", nullable=False, now=True),
        _provider_key(t, "CASCADE"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f(f"fk_{t}_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f(f"fk_{t}_sku_id_skus")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'dismissed', 'superseded')",
            name=op.f(f"ck_{t}_status"),
        ),
        sa.CheckConstraint("counted >= 0", name=op.f(f"ck_{t}_counted_not_negative")),
    )
    op.create_index(
        "uq_stock_differences_pending",
        t,
        ["provider_id", "sku_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("stock_differences")
    op.drop_table("provider_errors")
    op.drop_table("provider_events")
    op.drop_table("provider_orders")
    op.drop_table("fulfillment_providers")
