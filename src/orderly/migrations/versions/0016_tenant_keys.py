"""tenant keys: the rows a capture writes reference their parent together with its organization

Revision ID: 0016
Revises: 0015

Order lines, allocations, fulfillment orders and their lines each had a foreign key to their
organization and one to their parent (order, fulfillment order); a ledger row had only the one
to its organization. PostgreSQL checks a foreign key row by row with a small query that also
locks the referenced row for key share, and every one of these keys locked the same row, the
organization's, from every transaction that writes an order: a captured order of three lines
from two warehouses made fourteen such checks on it, besides the order's own. One key over
(org_id, parent) replaces each pair:

- order lines and allocations -> orders (org_id, id);
- fulfillment orders -> orders (org_id, id); fulfillment order lines -> fulfillment orders
  (org_id, id), which needs that pair unique;
- a ledger row -> its stock level (org_id, sku_id, location_id): the level the row changed,
  which the same transaction has locked to update it already: no other transaction's lock
  is in the way of the check.

Each key says more than the two it replaces: the row belongs to a parent *of its own
organization*, and a ledger row to a stock level that exists. The organization is still
reached through the parent, whose own key to it stays. A captured order of three lines makes
eleven checks fewer, and fourteen fewer on the organization's row (measured in
docs/performance.md). Deleting a parent deletes these rows with it (ON DELETE CASCADE, as the
organization's keys did); Orderly deletes none of these parents.

The pairs these keys point at are unique as (id, org_id), id first, for orders (0015 made it
(org_id, id)) and fulfillment orders. An index led by org_id is one more that PostgreSQL may
choose for a lookup of an organization's rows by some other column, with org_id alone as its
condition, while a table has no statistics yet (a new database, until autovacuum first
analyzes it), and capture keeps its plans for the connection's life (orders.repository). It
did so for capture's lookup of an order by its external id: every capture read every order of
its organization, and an order cost the database 3 ms of CPU after the first hundreds and 6 ms
after 5,000. Led by id, the index serves the keys and nothing else (capture now also skips that
lookup for an order without an external id).
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
