"""line quantities: an order line records the units cancelled, and a view adds each line up

Revision ID: 0020
Revises: 0019

A line's `quantity` is what the customer ordered. `cancelled_quantity` holds the units taken
off it (short at capture under the `cancel_line` policy, the unshipped rest of a partially
shipped order, or every unit of a cancelled order). The view `order_line_quantities` reads
one row per line in which, always, ordered = allocated + shipped + cancelled + backordered:
allocated and shipped are the line's `reserved` and `shipped` allocations, backordered the
units nothing holds yet. Lines of orders cancelled before this revision get their cancelled
units filled in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "order_lines",
        sa.Column("cancelled_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(
        "ALTER TABLE order_lines ADD CONSTRAINT ck_order_lines_cancelled_within_quantity"
        " CHECK (cancelled_quantity >= 0 AND cancelled_quantity <= quantity)"
    )
    op.execute(
        """
        UPDATE order_lines ol
           SET cancelled_quantity = ol.quantity - coalesce(
                   (SELECT sum(a.quantity) FROM order_allocations a
                     WHERE a.order_id = ol.order_id AND a.line_no = ol.line_no
                       AND a.status = 'shipped'), 0)
          FROM orders o
         WHERE o.id = ol.order_id AND o.org_id = ol.org_id AND o.status = 'cancelled'
        """
    )
    op.execute(
        """
        CREATE VIEW order_line_quantities AS
        SELECT ol.org_id, ol.order_id, ol.line_no, ol.sku_id,
               ol.quantity AS ordered,
               coalesce(a.reserved, 0) AS allocated,
               coalesce(a.shipped, 0) AS shipped,
               ol.cancelled_quantity AS cancelled,
               ol.quantity - ol.cancelled_quantity - coalesce(a.reserved, 0)
                   - coalesce(a.shipped, 0) AS backordered
          FROM order_lines ol
          LEFT JOIN (SELECT order_id, line_no,
                            sum(quantity) FILTER (WHERE status = 'reserved') AS reserved,
                            sum(quantity) FILTER (WHERE status = 'shipped') AS shipped
                       FROM order_allocations
                      GROUP BY order_id, line_no) a
            ON a.order_id = ol.order_id AND a.line_no = ol.line_no
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW order_line_quantities")
    op.execute("ALTER TABLE order_lines DROP CONSTRAINT ck_order_lines_cancelled_within_quantity")
    op.drop_column("order_lines", "cancelled_quantity")
