"""The transaction object: statements queued for COMMIT, and queries that ride on the next round
trip, settled before anyone reads what that trip brought back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from orderly.kit.db import Database, Query
from orderly.kit.errors import Conflict


class Refused(Conflict):
    code = "refused_for_the_test"


_NEW_ORG = "INSERT INTO organizations (slug, name) VALUES (%(slug)s, 'Test') RETURNING id"
_REFUSE = "SELECT orderly_refuse(%(code)s, 'refused')"


async def organizations_named(db: Database, slug: str) -> int:
    async with db.reading() as conn:
        query = sa.text("SELECT count(*) FROM organizations WHERE slug = :slug")
        return int((await conn.execute(query, {"slug": slug})).scalar_one())


async def test_a_rider_is_settled_before_its_trip_answers(db: Database) -> None:
    settled: list[Any] = []
    async with db.transaction() as tx:
        tx.ride(Query("SELECT 1 AS one", {}), settled.append)
        assert settled == []  # nothing sent yet

        (rows,) = await tx.fetch_together(Query("SELECT 2 AS two", {}))

        assert [r.one for r in settled[0]] == [1]
        assert [r.two for r in rows] == [2]
        # a rider travels once
        assert [r.three for r in await tx.fetch_all("SELECT 3 AS three", {})] == [3]
        assert len(settled) == 1


async def test_a_rider_that_refuses_rolls_back_what_travelled_with_it(db: Database) -> None:
    slug = f"rider-{uuid.uuid4().hex[:8]}"

    def refuse(rows: list[Any]) -> None:
        raise Refused("the rider says no")

    with pytest.raises(Refused):
        async with db.transaction() as tx:
            tx.ride(Query("SELECT 1", {}), refuse)
            await tx.fetch_together(Query(_NEW_ORG, {"slug": slug}))

    assert await organizations_named(db, slug) == 0


async def test_a_rider_no_trip_carried_is_sent_before_commit(db: Database) -> None:
    settled: list[Any] = []
    async with db.transaction() as tx:
        tx.ride(Query("SELECT 1 AS one", {}), settled.append)
    assert [r.one for r in settled[0]] == [1]


async def test_queued_statements_are_written_with_commit(db: Database) -> None:
    slug = f"queued-{uuid.uuid4().hex[:8]}"
    async with db.transaction() as tx:
        tx.at_commit(_NEW_ORG, {"slug": slug})
        # not written yet: this transaction sees no such organization
        found = await tx.fetch_one(
            "SELECT count(*) AS n FROM organizations WHERE slug = %(s)s", {"s": slug}
        )
        assert found.n == 0
    assert await organizations_named(db, slug) == 1


async def test_a_refusal_at_commit_raises_its_error_and_keeps_nothing(db: Database) -> None:
    slug = f"refused-{uuid.uuid4().hex[:8]}"
    refusal = Refused("no")
    with pytest.raises(Refused):
        async with db.transaction() as tx:
            tx.at_commit(_NEW_ORG, {"slug": slug})
            tx.at_commit(_REFUSE, {"code": refusal.code}, refusal=refusal, last=True)
    assert await organizations_named(db, slug) == 0


class RefusedFirst(Conflict):
    code = "refused_first_for_the_test"


async def test_statements_queued_last_go_after_the_others(db: Database) -> None:
    """Two statements that both refuse: the one queued last, though queued first, runs after
    the other, so the other's refusal is the one raised."""
    last, first = Refused("last"), RefusedFirst("first")
    with pytest.raises(RefusedFirst):
        async with db.transaction() as tx:
            tx.at_commit(_REFUSE, {"code": last.code}, refusal=last, last=True)
            tx.at_commit(_REFUSE, {"code": first.code}, refusal=first)


async def test_send_queued_writes_them_now_and_refuses_there(db: Database) -> None:
    slug = f"sent-{uuid.uuid4().hex[:8]}"
    async with db.transaction() as tx:
        tx.at_commit(_NEW_ORG, {"slug": slug})
        await tx.send_queued()
        found = await tx.fetch_one(
            "SELECT count(*) AS n FROM organizations WHERE slug = %(s)s", {"s": slug}
        )
        assert found.n == 1

    refusal = Refused("no")
    with pytest.raises(Refused):
        async with db.transaction() as tx:
            tx.at_commit(_REFUSE, {"code": refusal.code}, refusal=refusal)
            await tx.send_queued()
