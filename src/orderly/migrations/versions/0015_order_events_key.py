"""order events key: a timeline event references its order together with its organization

Revision ID: 0015
Revises: 0014

One key, (org_id, order_id) -> orders (org_id, id), checked once per event instead of two:
docs/architecture.md, "Keys that carry the organization".
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_unique_constraint("uq_orders_org_id_id", "orders", ["org_id", "id"])
    op.drop_constraint("fk_order_events_org_id_organizations", "order_events", type_="foreignkey")
    op.drop_constraint("fk_order_events_order_id_orders", "order_events", type_="foreignkey")
    op.create_foreign_key(
        "fk_order_events_org_id_orders",
        "order_events",
        "orders",
        ["org_id", "order_id"],
        ["org_id", "id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint("fk_order_events_org_id_orders", "order_events", type_="foreignkey")
    op.create_foreign_key(
        "fk_order_events_order_id_orders", "order_events", "orders", ["order_id"], ["id"]
    )
    op.create_foreign_key(
        "fk_order_events_org_id_organizations",
        "order_events",
        "organizations",
        ["org_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_constraint("uq_orders_org_id_id", "orders", type_="unique")
