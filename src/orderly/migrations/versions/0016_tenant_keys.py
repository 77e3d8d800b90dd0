"""tenant keys: the rows a capture writes reference their parent together with its organization

Revision ID: 0016
Revises: 0015

One key over (org_id, parent) replaces each pair of keys to the organization and to the parent,
and the referenced pairs are unique as (id, org_id), id first: docs/architecture.md, "Keys that
carry the organization".
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keys replaced: (table, name, columns, referenced table, referenced columns, on delete).
_OLD_KEYS = [
    (
        "order_lines",
        "fk_order_lines_org_id_organizations",
        ["org_id"],
        "organizations",
        ["id"],
        "CASCADE",
    ),
    ("order_lines", "fk_order_lines_order_id_orders", ["order_id"], "orders", ["id"], None),
    (
        "order_allocations",
        "fk_order_allocations_org_id_organizations",
        ["org_id"],
        "organizations",
        ["id"],
        "CASCADE",
    ),
    (
        "order_allocations",
        "fk_order_allocations_order_id_orders",
        ["order_id"],
        "orders",
        ["id"],
        None,
    ),
    (
        "fulfillment_orders",
        "fk_fulfillment_orders_org_id_organizations",
        ["org_id"],
        "organizations",
        ["id"],
        "CASCADE",
    ),
    (
        "fulfillment_orders",
        "fk_fulfillment_orders_order_id_orders",
        ["order_id"],
        "orders",
        ["id"],
        None,
    ),
    (
        "fulfillment_order_lines",
        "fk_fulfillment_order_lines_org_id_organizations",
        ["org_id"],
        "organizations",
        ["id"],
        "CASCADE",
    ),
    (
        "fulfillment_order_lines",
        "fk_fulfillment_order_lines_fulfillment_order",
        ["fulfillment_order_id"],
        "fulfillment_orders",
        ["id"],
        None,
    ),
    (
        "stock_ledger",
        "fk_stock_ledger_org_id_organizations",
        ["org_id"],
        "organizations",
        ["id"],
        "CASCADE",
    ),
]

# The keys that replace them, each on delete cascade.
_NEW_KEYS = [
    (
        "order_lines",
        "fk_order_lines_org_id_orders",
        ["org_id", "order_id"],
        "orders",
        ["org_id", "id"],
    ),
    (
        "order_allocations",
        "fk_order_allocations_org_id_orders",
        ["org_id", "order_id"],
        "orders",
        ["org_id", "id"],
    ),
    (
        "fulfillment_orders",
        "fk_fulfillment_orders_org_id_orders",
        ["org_id", "order_id"],
        "orders",
        ["org_id", "id"],
    ),
    (
        "fulfillment_order_lines",
        "fk_fulfillment_order_lines_org_id_fulfillment_orders",
        ["org_id", "fulfillment_order_id"],
        "fulfillment_orders",
        ["org_id", "id"],
    ),
    (
        "stock_ledger",
        "fk_stock_ledger_org_id_stock_levels",
        ["org_id", "sku_id", "location_id"],
        "stock_levels",
        ["org_id", "sku_id", "location_id"],
    ),
]


_EVENTS_KEY = (
    "order_events",
    "fk_order_events_org_id_orders",
    ["org_id", "order_id"],
    "orders",
    ["org_id", "id"],
)


def upgrade() -> None:
    # The timeline's key (0015) is built on the unique pair it is moved from.
    op.drop_constraint("fk_order_events_org_id_orders", "order_events", type_="foreignkey")
    op.drop_constraint("uq_orders_org_id_id", "orders", type_="unique")
    op.create_unique_constraint("uq_orders_id_org_id", "orders", ["id", "org_id"])
    op.create_unique_constraint(
        "uq_fulfillment_orders_id_org_id", "fulfillment_orders", ["id", "org_id"]
    )
    for table, name, *_ in _OLD_KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    for table, name, columns, referred, referred_columns in [_EVENTS_KEY, *_NEW_KEYS]:
        op.create_foreign_key(name, table, referred, columns, referred_columns, ondelete="CASCADE")


def downgrade() -> None:
    for table, name, *_ in [_EVENTS_KEY, *_NEW_KEYS]:
        op.drop_constraint(name, table, type_="foreignkey")
    for table, name, columns, referred, referred_columns, ondelete in _OLD_KEYS:
        op.create_foreign_key(name, table, referred, columns, referred_columns, ondelete=ondelete)
    op.drop_constraint("uq_fulfillment_orders_id_org_id", "fulfillment_orders", type_="unique")
    op.drop_constraint("uq_orders_id_org_id", "orders", type_="unique")
    op.create_unique_constraint("uq_orders_org_id_id", "orders", ["org_id", "id"])
    table, name, columns, referred, referred_columns = _EVENTS_KEY
    op.create_foreign_key(name, table, referred, columns, referred_columns, ondelete="CASCADE")
