"""The order record is the one shape of an order that capture writes, the query reads back and
the presenter shows: a column of orders that it lacked would be stored empty at capture."""

from __future__ import annotations

from dataclasses import fields

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

from orderly.inventory.reservations import capture_snapshot_query
from orderly.kit.db import compact_sql
from orderly.orders import order_write, repository
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


def test_the_capture_statements_fit_the_drivers_statement_cache() -> None:
    """psycopg converts a statement's placeholders once and keeps the result only for
    statements up to 4 kB; a longer one is parsed again on every order."""
    snapshot = capture_snapshot_query(
        org_id=1,
        sku_codes=["MUG"],
        channel="web",
        default_kinds=("warehouse",),
        capability="ship",
        country="US",
        pickup_code=None,
    )
    statements = {
        "reserve and write": order_write._RESERVE_AND_WRITE,
        "write only": order_write._WRITE_ONLY,
        "reserve": order_write._RESERVE,
        "context": repository._CONTEXT,
        "snapshot": snapshot.sql,
    }
    too_long = {
        name: len(compact_sql(sql).encode())
        for name, sql in statements.items()
        if len(compact_sql(sql).encode()) > MAX_CACHED_STATEMENT_LENGTH
    }
    assert too_long == {}
