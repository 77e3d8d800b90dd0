"""label purchases: a carrier is called outside any transaction, between an intent and its outcome

Revision ID: 0024
Revises: 0023

A label bought from a carrier is first recorded as a `buying` purchase with our own reference,
committed, then the carrier is called, then the outcome is recorded in a second transaction.
Parcels being labelled point at their purchase, so that a second attempt on them waits for the
first. Shipments gain the carrier's master tracking number (several parcels, one shipment at
the carrier), the purchase that made them, and the status returned_to_sender.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = (
    "'label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'cancelled'"
)
NEW_STATUSES = (
    "'label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', "
    "'returned_to_sender', 'cancelled'"
)


def upgrade() -> None:
    op.create_table(
        "label_purchases",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=True),
        sa.Column("carrier_account_id", sa.BigInteger(), nullable=True),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="buying", nullable=False),
        sa.Column("tracking_number", sa.Text(), nullable=True),
        sa.Column(
            "stray_tracking_numbers",
            postgresql.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('buying', 'bought', 'failed', 'needs_attention', 'resolved')",
            name=op.f("ck_label_purchases_status"),
        ),
        sa.ForeignKeyConstraint(
            ["carrier_account_id"],
            ["carrier_accounts.id"],
            name=op.f("fk_label_purchases_carrier_account_id_carrier_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_label_purchases_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_label_purchases_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_purchases")),
        sa.UniqueConstraint(
            "org_id", "reference", name=op.f("uq_label_purchases_org_id_reference")
        ),
    )
    op.create_index(
        "ix_label_purchases_open",
        "label_purchases",
        ["org_id", "status"],
        postgresql_where=sa.text("status IN ('buying', 'needs_attention')"),
    )
    op.add_column("shipments", sa.Column("master_tracking_number", sa.Text(), nullable=True))
    op.add_column("shipments", sa.Column("label_purchase_id", sa.BigInteger(), nullable=True))
    op.drop_constraint(op.f("ck_shipments_status"), "shipments", type_="check")
    op.create_check_constraint(
        op.f("ck_shipments_status"), "shipments", f"status IN ({NEW_STATUSES})"
    )
    op.add_column(
        "fulfillment_parcels", sa.Column("label_purchase_id", sa.BigInteger(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("fulfillment_parcels", "label_purchase_id")
    op.execute("UPDATE shipments SET status = 'exception' WHERE status = 'returned_to_sender'")
    op.drop_constraint(op.f("ck_shipments_status"), "shipments", type_="check")
    op.create_check_constraint(
        op.f("ck_shipments_status"), "shipments", f"status IN ({OLD_STATUSES})"
    )
    op.drop_column("shipments", "label_purchase_id")
    op.drop_column("shipments", "master_tracking_number")
    op.drop_index("ix_label_purchases_open", table_name="label_purchases")
    op.drop_table("label_purchases")
