"""The order record is the one shape of an order that capture writes, the query reads back and
the presenter shows: a column of orders that it lacks would never be written at capture."""

from __future__ import annotations

from dataclasses import fields

from orderly.orders.models import orders
from orderly.orders.records import OrderRecord
from orderly.orders.schemas import OrderOut


def test_every_column_of_orders_is_a_field_of_the_record() -> None:
    record_fields = {f.name for f in fields(OrderRecord)}
    # The customer's id comes from the customers table's row, upserted by the same statement.
    missing = {c.name for c in orders.c} - record_fields - {"customer_id"}
    assert missing == set()


def test_every_field_of_the_api_order_comes_from_the_record() -> None:
    record_fields = {f.name for f in fields(OrderRecord)}
    shown_from_other_fields = {
        "channel",
        "customer",
        "pickup_location",
        "subtotal",
        "discount",
        "tax",
        "shipping",
        "total",
        "payment",
    }
    unexplained = set(OrderOut.model_fields) - record_fields - shown_from_other_fields
    assert unexplained == set()
