"""customs details on SKUs: the HS code and the country the goods were made in

Revision ID: 0025
Revises: 0024

A shipment that crosses a customs border declares its goods line by line. The declaration
takes each SKU's Harmonized System code (6 to 10 digits) and country of origin from the
catalog. Both are optional: a SKU never sent abroad needs neither.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("skus", sa.Column("hs_code", sa.Text))
    op.add_column("skus", sa.Column("country_of_origin", sa.Text))
    op.create_check_constraint(op.f("ck_skus_hs_code"), "skus", "hs_code ~ '^[0-9]{6,10}$'")
    op.create_check_constraint(
        op.f("ck_skus_country_of_origin"), "skus", "country_of_origin ~ '^[A-Z]{2}$'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_skus_country_of_origin"), "skus", type_="check")
    op.drop_constraint(op.f("ck_skus_hs_code"), "skus", type_="check")
    op.drop_column("skus", "country_of_origin")
    op.drop_column("skus", "hs_code")
