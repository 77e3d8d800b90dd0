"""Database access: the engine (`engine`), the transaction and what travels with its round trips
(`transaction`), and statements on the driver connection (`driver`)."""

from orderly.kit.db.driver import (
    Query,
    compact_sql,
    driver_connection,
    execute,
    fetch_all,
    fetch_one,
    fetch_together,
    int_array,
    row_dict,
    text_array,
)
from orderly.kit.db.engine import NAMING_CONVENTION, Database, async_url, metadata, plain_url
from orderly.kit.db.transaction import Transaction

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "Query",
    "Transaction",
    "async_url",
    "compact_sql",
    "driver_connection",
    "execute",
    "fetch_all",
    "fetch_one",
    "fetch_together",
    "int_array",
    "metadata",
    "plain_url",
    "row_dict",
    "text_array",
]
