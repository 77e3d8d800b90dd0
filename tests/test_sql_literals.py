"""Array literals for hot-path parameters read back as the values they were made from."""

from __future__ import annotations

import sqlalchemy as sa

from orderly.kit.db import Database, compact_sql, fetch_one, int_array, text_array


async def test_array_literals_round_trip_through_postgresql(db: Database) -> None:
    codes = ["A,B", 'q"uote', "back\\slash", "{brace}", "NULL", "", " spaced ", "ÿ-ü"]
    numbers = [0, -3, 9_007_199_254_740_993]
    async with db.transaction() as transaction:
        conn = transaction.connection
        row = await fetch_one(
            conn,
            "SELECT CAST(%(codes)s AS text[]) AS codes, CAST(%(numbers)s AS bigint[]) AS numbers,"
            " CAST(%(none)s AS text[]) AS none",
            {"codes": text_array(codes), "numbers": int_array(numbers), "none": text_array([])},
        )
    assert row.codes == codes
    assert row.numbers == numbers
    assert row.none == []


async def test_compacted_statements_keep_their_quoted_text(db: Database) -> None:
    sql = """
        SELECT 'two  spaces -- not a comment' AS said,  -- a comment
               "x  y".n
          FROM (SELECT 1 AS n) AS "x  y"
    """
    assert "\n" not in compact_sql(sql)
    async with db.transaction() as transaction:
        conn = transaction.connection
        row = (await conn.execute(sa.text(compact_sql(sql)))).one()
    assert row.said == "two  spaces -- not a comment"
    assert row.n == 1
