"""automation tables

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


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


def _ref(table: str, column: str, target: str) -> list[Any]:
    return [
        sa.Column(column, sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
        ),
    ]


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    t = "replenishment_rules"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        *_ref(t, "sku_id", "skus"),
        *_ref(t, "location_id", "locations"),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("min_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.UniqueConstraint(
            "org_id", "sku_id", "location_id", name=op.f(f"uq_{t}_org_id_sku_id_location_id")
        ),
        _check(t, "reorder_point_not_negative", "reorder_point >= 0"),
        _check(t, "min_not_negative", "min_quantity >= 0"),
        _check(t, "max_covers_reorder_point", "max_quantity >= reorder_point"),
    )

    t = "sku_suppliers"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        *_ref(t, "sku_id", "skus"),
        *_ref(t, "supplier_location_id", "locations"),
        sa.Column("cost_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pack_size", sa.Integer(), server_default="1", nullable=False),
        _ts("updated_at"),
        sa.UniqueConstraint("org_id", "sku_id", name=op.f(f"uq_{t}_org_id_sku_id")),
        _check(t, "cost_not_negative", "cost_minor >= 0"),
        _check(t, "lead_time_not_negative", "lead_time_days >= 0"),
        _check(t, "pack_size_positive", "pack_size >= 1"),
    )

    t = "purchase_orders"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        *_ref(t, "supplier_location_id", "locations"),
        *_ref(t, "destination_location_id", "locations"),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _check(
            t,
            "status",
            "status IN ('draft', 'submitted', 'partially_received', 'received', 'cancelled')",
        ),
    )
    op.create_index(
        "uq_purchase_orders_one_draft",
        t,
        ["org_id", "supplier_location_id", "destination_location_id"],
        unique=True,
        postgresql_where=sa.text("status = 'draft'"),
    )
    op.create_index("ix_purchase_orders_org_status", t, ["org_id", "status"])

    t = "purchase_order_lines"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        *_ref(t, "purchase_order_id", "purchase_orders"),
        *_ref(t, "sku_id", "skus"),
        sa.Column("quantity_ordered", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unit_cost_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.UniqueConstraint(
            "purchase_order_id", "sku_id", name=op.f(f"uq_{t}_purchase_order_id_sku_id")
        ),
        _check(t, "ordered_positive", "quantity_ordered > 0"),
        _check(
            t,
            "received_within_ordered",
            "quantity_received >= 0 AND quantity_received <= quantity_ordered",
        ),
    )
    op.create_index("ix_purchase_order_lines_org_sku", t, ["org_id", "sku_id"])

    t = "fraud_rules"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column(
            "params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _ts("updated_at"),
        sa.UniqueConstraint("org_id", "rule", name=op.f(f"uq_{t}_org_id_rule")),
        _check(t, "score_not_negative", "score >= 0"),
    )

    t = "late_orders"
    op.create_table(
        t,
        *_id(t),
        *_org(t),
        *_ref(t, "order_id", "orders"),
        sa.Column("promised_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "location_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default="{}",
            nullable=False,
        ),
        _ts("created_at"),
        sa.UniqueConstraint("org_id", "order_id", name=op.f(f"uq_{t}_org_id_order_id")),
    )


def downgrade() -> None:
    for table in (
        "late_orders",
        "fraud_rules",
        "purchase_order_lines",
        "purchase_orders",
        "sku_suppliers",
        "replenishment_rules",
    ):
        op.drop_table(table)
