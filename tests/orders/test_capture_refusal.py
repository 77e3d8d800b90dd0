"""The capture's write statements travel with COMMIT: when one of them is refused (a stock
row found short, an Idempotency-Key stored meanwhile), nothing of the order is left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.order_flows import capture
from orderly.orders.errors import StockContention
from orderly.orders.schemas import OrderIn
from orderly.sourcing.domain import SourcingPlan
from orderly.tenancy.domain import Principal, Role
from tests.factories import Org, create_location, create_sku, order_body, receive_stock
from tests.orders.helpers import ledger_mismatches, order_count, stock_of
from tests.orders.test_high_demand import mark_high_demand


def planning_nine_units(real_plan: Callable[..., SourcingPlan]) -> Callable[..., SourcingPlan]:
    """A routing engine whose plans take 9 units a line: more than the level of 5 has, a plan
    the locked snapshot could never give."""

    def plan_more_than_there_is(**kwargs: Any) -> SourcingPlan:
        plan = real_plan(**kwargs)
        return replace(plan, allocations=tuple(replace(a, quantity=9) for a in plan.allocations))

    return plan_more_than_there_is


# An order with a SKU in high demand writes its reservations in a statement of their own, the
# last before COMMIT (orders.order_write): refused there, the order written before goes too.
@pytest.mark.parametrize("high_demand", [False, True], ids=["ordinary", "high-demand"])
async def test_a_guard_that_does_not_hold_refuses_the_whole_order(
    client: httpx.AsyncClient,
    org: Org,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    high_demand: bool,
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    if high_demand:
        await mark_high_demand(client, org, "MUG")
    real_plan = capture.plan_sourcing
    monkeypatch.setattr(capture, "plan_sourcing", planning_nine_units(real_plan))
    before = await order_count(db, org.id)

    response = await client.post(
        "/v1/orders",
        json=order_body([("MUG", 1)]),
        headers={**org.headers, "Idempotency-Key": "refused-1"},
    )

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "stock_contention"
    assert problem["retryable"] is True
    assert await order_count(db, org.id) == before
    assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 0
    assert await ledger_mismatches(db, org.id) == []

    # Nothing was remembered under the Idempotency-Key either: a retry is a new attempt.
    monkeypatch.setattr(capture, "plan_sourcing", real_plan)
    retried = await client.post(
        "/v1/orders",
        json=order_body([("MUG", 1)]),
        headers={**org.headers, "Idempotency-Key": "refused-1"},
    )
    assert retried.status_code == 201, retried.text
    assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 1


async def test_a_capture_whose_write_is_sent_at_once_is_refused_at_once(
    client: httpx.AsyncClient, org: Org, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exchange captures its replacement order and goes on with it in the same transaction:
    it sends the queued write at once, and the refusal comes back from there."""
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    monkeypatch.setattr(capture, "plan_sourcing", planning_nine_units(capture.plan_sourcing))
    principal = Principal(org_id=org.id, role=Role.ADMIN, actor="test")
    payload = OrderIn.model_validate(order_body([("MUG", 1)]))

    with pytest.raises(StockContention):
        async with db.transaction() as transaction:
            await capture.capture_order(transaction, principal, payload)
            await transaction.send_queued()

    assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 0
    assert await order_count(db, org.id) == 0


async def test_an_idempotency_key_stored_by_a_racing_request_refuses_the_commit(
    client: httpx.AsyncClient, org: Org, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with one key passed the claim in the same instant: the second COMMIT finds
    the key stored, nothing of the second request is kept, and a retry replays the first."""
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    first = await client.post(
        "/v1/orders",
        json=order_body([("MUG", 1)]),
        headers={**org.headers, "Idempotency-Key": "first"},
    )
    assert first.status_code == 201
    real_screen_order = capture.screen_order

    async def screen_while_the_other_request_commits(*args: Any, **kwargs: Any) -> Any:
        # The racing request commits its record under the same key right now.
        async with db.transaction() as transaction:
            other = transaction.connection
            await other.execute(
                sa.text(
                    "INSERT INTO idempotency_keys (org_id, key, request_hash, status_code,"
                    " response, expires_at) SELECT org_id, 'raced', request_hash, status_code,"
                    " response, expires_at FROM idempotency_keys"
                    " WHERE org_id = :org AND key = 'first'"
                ),
                {"org": org.id},
            )
        return await real_screen_order(*args, **kwargs)

    # The order is screened after the claim (which rides on the first round trip) and before
    # the commit.
    monkeypatch.setattr(capture, "screen_order", screen_while_the_other_request_commits)
    orders_before = await order_count(db, org.id)

    raced = await client.post(
        "/v1/orders",
        json=order_body([("MUG", 1)]),
        headers={**org.headers, "Idempotency-Key": "raced"},
    )

    assert raced.status_code == 409, raced.text
    assert raced.json()["code"] == "idempotency_key_in_use"
    assert raced.headers["Retry-After"] == "1"
    assert await order_count(db, org.id) == orders_before
    assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 1
    assert await ledger_mismatches(db, org.id) == []
