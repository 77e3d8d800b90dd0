"""A shipment that crosses a customs border declares its goods from the catalog, valued at what
the customer paid; one that stays inside a customs area declares nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from orderly.fulfillment import dispatch
from orderly.kit.db import Database
from orderly.shipping.customs import crosses_customs_border
from orderly.shipping.domain import CustomsLine
from orderly.shipping.errors import CustomsDetailsMissing
from tests.factories import (
    Org,
    create_sku,
    fulfillment_orders_of,
    order_view,
    place_order,
    receive_stock,
    ship_order,
)
from tests.shipping.scripted_carrier import shop

pytestmark = pytest.mark.usefixtures("scripted")

TORONTO = {
    "name": "Bo",
    "line1": "1 King St W",
    "city": "Toronto",
    "postal_code": "M5H 1A1",
    "country": "CA",
    "phone": "+1 416 555 0100",
}


async def tees(db: Database, org: Org) -> None:
    await create_sku(db, org, "TEE", name="Cotton tee", hs_code="6109.10", country_of_origin="PT")
    await receive_stock(db, org, "TEE", "WH1", 10)


def a_discounted_pair(sku: str) -> dict[str, Any]:
    return {"sku": sku, "quantity": 2, "unit_price": "19.99", "discount": "4.00"}


@pytest.mark.parametrize(
    ("origin", "destination", "declared"),
    [
        ("US", "US", False),
        ("US", "CA", True),
        ("DE", "FR", False),
        ("DE", "CH", True),
        ("FR", "MC", False),
        ("IE", "GB", True),
    ],
)
def test_which_shipments_cross_a_customs_border(
    origin: str, destination: str, declared: bool
) -> None:
    assert crosses_customs_border(origin, destination) is declared


async def test_an_export_declares_each_sku_with_its_code_origin_and_price_paid(
    db: Database, org: Org
) -> None:
    book = await shop(db, org, "customs")
    await tees(db, org)
    order = await place_order(
        db,
        org,
        [],
        lines=[a_discounted_pair("TEE")],
        shipping_address=TORONTO,
        payment={"status": "authorized", "amount": "35.98"},
    )
    await ship_order(db, org, order["id"])
    [asked] = book.asked
    assert asked.ship_to["country"] == "CA"
    assert asked.ship_to["email"] == "a@example.com"  # the customer's, for the broker
    assert asked.customs is not None
    assert asked.customs.lines == (
        CustomsLine(
            description="Cotton tee",
            hs_code="610910",
            origin_country="PT",
            quantity=2,
            unit_value_minor=1799,
            currency="USD",
            unit_weight_grams=200,
            sku="TEE",
        ),
    )
    assert asked.customs.declared_value_minor == 3598
    assert (await order_view(db, org, order["id"]))["status"] == "shipped"


async def test_a_domestic_shipment_declares_nothing(db: Database, org: Org) -> None:
    book = await shop(db, org, "customs")
    order = await place_order(db, org, [("MUG", 1)])
    await ship_order(db, org, order["id"])
    [asked] = book.asked
    assert asked.customs is None


async def test_an_export_of_a_sku_without_customs_details_is_refused_before_buying(
    db: Database, org: Org
) -> None:
    book = await shop(db, org, "customs")
    order = await place_order(db, org, [("MUG", 1)], shipping_address=TORONTO)
    with pytest.raises(CustomsDetailsMissing) as refused:
        await ship_order(db, org, order["id"])
    assert refused.value.field == "customs.lines[0].hs_code"
    assert "MUG" in refused.value.detail
    assert book.made == []  # no label was bought
    async with db.reading() as conn:
        statuses = (
            (
                await conn.execute(
                    sa.text("SELECT status FROM fulfillment_parcels WHERE org_id = :o"),
                    {"o": org.id},
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["packed"]  # the parcel waits to be shipped again
    # Once the catalog has them, the same parcel ships.
    async with db.transaction() as tx:
        await tx.connection.execute(
            sa.text(
                "UPDATE skus SET hs_code = '691200', country_of_origin = 'CN' "
                "WHERE org_id = :o AND code = 'MUG'"
            ),
            {"o": org.id},
        )
    [fo] = await fulfillment_orders_of(db, org, order["id"])
    await dispatch.ship(db, org.principal, fo["id"], parcel_ids=None, service_code=None)
    assert [line.hs_code for line in book.asked[-1].customs.lines] == ["691200"]  # type: ignore[union-attr]
    assert (await order_view(db, org, order["id"]))["status"] == "shipped"


async def test_a_carrier_that_files_no_declaration_ships_without_one(
    db: Database, org: Org
) -> None:
    book = await shop(db, org)
    order = await place_order(db, org, [("MUG", 1)], shipping_address=TORONTO)
    await ship_order(db, org, order["id"])
    assert len(book.made) == 1
    assert (await order_view(db, org, order["id"]))["status"] == "shipped"
