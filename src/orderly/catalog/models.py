import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, org_column, updated_at
from orderly.kit.db import metadata

# A product is the style customers browse; a SKU is the unit that is stocked and sold.
products = sa.Table(
    "products",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("brand_id", sa.BigInteger, sa.ForeignKey("brands.id")),
    created_at(),
    sa.UniqueConstraint("org_id", "code"),
)

skus = sa.Table(
    "skus",
    metadata,
    id_column(),
    org_column(),
    sa.Column("product_id", sa.BigInteger, sa.ForeignKey("products.id"), nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("gtin", sa.Text),
    sa.Column("weight_grams", sa.Integer, nullable=False, server_default="0"),
    sa.Column("length_mm", sa.Integer),
    sa.Column("width_mm", sa.Integer),
    sa.Column("height_mm", sa.Integer),
    sa.Column("hazmat", sa.Boolean, nullable=False, server_default=sa.false()),
    # What a customs declaration says of the goods (migration 0025).
    sa.Column("hs_code", sa.Text),
    sa.Column("country_of_origin", sa.Text),
    # Reserved without locking its stock rows while an order is planned (migration 0012).
    sa.Column("high_demand", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # The price a store charges at its counter (migration 0032), in minor units.
    sa.Column("list_price_minor", sa.BigInteger),
    sa.Column("list_price_currency", sa.CHAR(3)),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "code"),
    sa.CheckConstraint("weight_grams >= 0", name="weight"),
    sa.CheckConstraint(
        "(list_price_minor IS NULL) = (list_price_currency IS NULL) AND list_price_minor >= 0",
        name="list_price",
    ),
    sa.CheckConstraint("hs_code ~ '^[0-9]{6,10}$'", name="hs_code"),
    sa.CheckConstraint("country_of_origin ~ '^[A-Z]{2}$'", name="country_of_origin"),
)
