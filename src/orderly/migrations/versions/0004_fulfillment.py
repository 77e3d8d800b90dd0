"""fulfillment tables

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


STATUSES = (
    "'pending', 'accepted', 'rejected', 'picking', 'packed', 'ready_for_pickup', 'shipped', "
    "'delivered', 'cancelled'"
)


def upgrade() -> None:
    op.create_table(
        "pick_lists",
        _id(),
        *_org("pick_lists"),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("status IN ('open', 'confirmed')", name=op.f("ck_pick_lists_status")),
        _fk("pick_lists", "location_id", "locations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_lists")),
    )
    op.create_index("ix_pick_lists_org_location", "pick_lists", ["org_id", "location_id"])

    op.create_table(
        "fulfillment_orders",
        _id(),
        *_org("fulfillment_orders"),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("pickup", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("pick_list_id", sa.BigInteger(), nullable=True),
        sa.Column("pickup_code_hash", sa.Text(), nullable=True),
        sa.Column("pickup_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("packed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_fulfillment_orders_status")),
        _fk("fulfillment_orders", "order_id", "orders"),
        _fk("fulfillment_orders", "location_id", "locations"),
        _fk("fulfillment_orders", "pick_list_id", "pick_lists"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_orders")),
    )
    op.create_index("ix_fulfillment_orders_org_order", "fulfillment_orders", ["org_id", "order_id"])
    op.create_index(
        "ix_fulfillment_orders_org_location_status",
        "fulfillment_orders",
        ["org_id", "location_id", "status", "id"],
    )
    op.create_index(
        "ix_fulfillment_orders_pickup_expiry",
        "fulfillment_orders",
        ["pickup_expires_at"],
        postgresql_where=sa.text("status = 'ready_for_pickup'"),
    )

    op.create_table(
        "fulfillment_order_lines",
        _id(),
        *_org("fulfillment_order_lines"),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("picked", sa.Integer(), nullable=True),
        sa.Column("packed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("shipped", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_fulfillment_order_lines_quantity_positive")
        ),
        sa.CheckConstraint(
            "rejected >= 0 AND rejected <= quantity",
            name=op.f("ck_fulfillment_order_lines_rejected_within_quantity"),
        ),
        sa.CheckConstraint(
            "picked IS NULL OR picked >= 0",
            name=op.f("ck_fulfillment_order_lines_picked_not_negative"),
        ),
        sa.CheckConstraint(
            "packed >= 0 AND shipped >= 0",
            name=op.f("ck_fulfillment_order_lines_packed_shipped_not_negative"),
        ),
        sa.CheckConstraint(
            "shipped + rejected <= quantity",
            name=op.f("ck_fulfillment_order_lines_shipped_within_quantity"),
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_fulfillment_order_lines_fulfillment_order"),
        ),
        _fk("fulfillment_order_lines", "sku_id", "skus"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_order_lines")),
        sa.UniqueConstraint(
            "fulfillment_order_id",
            "line_no",
            name=op.f("uq_fulfillment_order_lines_fulfillment_order_id_line_no"),
        ),
    )

    op.create_table(
        "fulfillment_parcels",
        _id(),
        *_org("fulfillment_parcels"),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=False),
        sa.Column("box_code", sa.Text(), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column(
            "items",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.Text(), server_default="packed", nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=True),
        sa.Column("tracking_number", sa.Text(), nullable=True),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(
            "status IN ('packed', 'shipped', 'delivered')",
            name=op.f("ck_fulfillment_parcels_status"),
        ),
        sa.CheckConstraint(
            "weight_grams >= 0", name=op.f("ck_fulfillment_parcels_weight_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_fulfillment_parcels_fulfillment_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_parcels")),
    )
    op.create_index("ix_fulfillment_parcels_order", "fulfillment_parcels", ["fulfillment_order_id"])
    op.create_index(
        "ix_fulfillment_parcels_shipment", "fulfillment_parcels", ["org_id", "shipment_id"]
    )

    # The shipments table came first (0003); its link to fulfillment orders lands here.
    op.create_foreign_key(
        op.f("fk_shipments_fulfillment_order_id_fulfillment_orders"),
        "shipments",
        "fulfillment_orders",
        ["fulfillment_order_id"],
        ["id"],
    )

    op.create_table(
        "sku_bins",
        _id(),
        *_org("sku_bins"),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("bin", sa.Text(), nullable=False),
        _ts("updated_at"),
        _fk("sku_bins", "location_id", "locations"),
        _fk("sku_bins", "sku_id", "skus"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_bins")),
        sa.UniqueConstraint(
            "org_id", "location_id", "sku_id", name=op.f("uq_sku_bins_org_id_location_id_sku_id")
        ),
    )

    op.create_table(
        "boxes",
        _id(),
        *_org("boxes"),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("max_weight_grams", sa.Integer(), nullable=False),
        sa.Column("tare_grams", sa.Integer(), server_default="0", nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0",
            name=op.f("ck_boxes_dimensions_positive"),
        ),
        sa.CheckConstraint(
            "max_weight_grams > 0 AND tare_grams >= 0", name=op.f("ck_boxes_weights")
        ),
        _fk("boxes", "location_id", "locations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boxes")),
        sa.UniqueConstraint(
            "org_id", "location_id", "code", name=op.f("uq_boxes_org_id_location_id_code")
        ),
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_shipments_fulfillment_order_id_fulfillment_orders"),
        "shipments",
        type_="foreignkey",
    )
    op.drop_table("boxes")
    op.drop_table("sku_bins")
    op.drop_index("ix_fulfillment_parcels_shipment", table_name="fulfillment_parcels")
    op.drop_index("ix_fulfillment_parcels_order", table_name="fulfillment_parcels")
    op.drop_table("fulfillment_parcels")
    op.drop_table("fulfillment_order_lines")
    op.drop_index("ix_fulfillment_orders_pickup_expiry", table_name="fulfillment_orders")
    op.drop_index("ix_fulfillment_orders_org_location_status", table_name="fulfillment_orders")
    op.drop_index("ix_fulfillment_orders_org_order", table_name="fulfillment_orders")
    op.drop_table("fulfillment_orders")
    op.drop_index("ix_pick_lists_org_location", table_name="pick_lists")
    op.drop_table("pick_lists")
