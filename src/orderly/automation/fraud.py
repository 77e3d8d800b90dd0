"""Fraud screening settings per organization, and the review queue of held orders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation.errors import InvalidFraudRule, NotInFraudReview, UnknownFraudRule
from orderly.automation.fraud_rules import BUILT_IN_RULES, ParamsProblem, rule_named
from orderly.automation.models import fraud_rules
from orderly.automation.schemas import FraudRuleIn, FraudRuleOut, FraudRulesIn, FraudRulesOut
from orderly.kit.money import to_minor
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.order_flows import cancellation, release
from orderly.orders import service as orders
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import HoldReason, OrderStatus, PaymentStatus
from orderly.orders.schemas import OrderOut
from orderly.payments import service as payments
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Principal

REJECT_REASON = "fraud_rejected"


async def get_rules(conn: AsyncConnection, org_id: int) -> FraudRulesOut:
    threshold = await tenancy.fraud_hold_threshold(conn, org_id)
    stored = {
        row.rule: row
        for row in await conn.execute(sa.select(fraud_rules).where(fraud_rules.c.org_id == org_id))
    }
    items = []
    for rule in BUILT_IN_RULES:
        row = stored.get(rule.name)
        items.append(
            FraudRuleOut(
                rule=rule.name,
                description=" ".join((rule.__doc__ or "").split()),
                enabled=bool(row and row.enabled),
                score=row.score if row else rule.default_score,
                params={**rule.default_params, **(row.params if row else {})},
            )
        )
    return FraudRulesOut(hold_threshold=threshold, rules=items)


async def put_rules(conn: AsyncConnection, org_id: int, data: FraudRulesIn) -> FraudRulesOut:
    """Set the hold threshold and any rules named; rules not named keep their settings."""
    rows = [_row(org_id, n, item) for n, item in enumerate(data.rules)]
    if rows:
        stmt = insert(fraud_rules).values(rows)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id", "rule"],
                set_={
                    "enabled": stmt.excluded.enabled,
                    "score": stmt.excluded.score,
                    "params": stmt.excluded.params,
                    "updated_at": sa.func.now(),
                },
            )
        )
    if data.hold_threshold is not None:
        await tenancy.set_fraud_hold_threshold(conn, org_id, data.hold_threshold)
    return await get_rules(conn, org_id)


def _row(org_id: int, n: int, item: FraudRuleIn) -> dict[str, Any]:
    rule = rule_named(item.rule)
    if rule is None:
        known = ", ".join(r.name for r in BUILT_IN_RULES)
        raise UnknownFraudRule(
            f"no fraud rule {item.rule!r} (known: {known})", field=f"rules.{n}.rule"
        )
    params = {**rule.default_params, **(item.params or {})}
    unknown = sorted(set(params) - set(rule.default_params))
    if unknown:
        raise InvalidFraudRule(
            f"{rule.name} has no parameter {unknown[0]!r}", field=f"rules.{n}.params.{unknown[0]}"
        )
    try:
        rule.check(params)
    except ParamsProblem as exc:
        raise InvalidFraudRule(str(exc), field=f"rules.{n}.params") from None
    return {
        "org_id": org_id,
        "rule": rule.name,
        "enabled": item.enabled,
        "score": rule.default_score if item.score is None else item.score,
        "params": params,
    }


# The review queue --------------------------------------------------------------------------

_IN_REVIEW = sa.text(
    f"""
    SELECT o.id FROM orders o
     WHERE o.org_id = :org_id AND o.status = 'on_hold' AND 'fraud_review' = ANY(o.hold_reasons)
       AND (CAST(:after AS bigint) IS NULL OR o.id > :after)
       AND (CAST(:location_ids AS bigint[]) IS NULL OR {orders.allocated_at("o")})
     ORDER BY o.id
     LIMIT :limit
    """  # noqa: S608 (constant SQL only)
)


async def review_queue(
    conn: AsyncConnection,
    org_id: int,
    *,
    limit: int,
    cursor: str | None,
    location_ids: Sequence[int] | None = None,
) -> Page[OrderOut]:
    """Orders held for fraud review, oldest first (with units at `location_ids`, if given)."""
    after = id_cursor(cursor)
    params = {
        "org_id": org_id,
        "after": after,
        "limit": limit + 1,
        "location_ids": None if location_ids is None else list(location_ids),
    }
    ids = [row.id for row in await conn.execute(_IN_REVIEW, params)]
    items = [await orders.get_order(conn, org_id, order_id) for order_id in ids[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(ids) > limit else None)


async def approve(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str | None
) -> OrderOut:
    """Release the fraud-review hold: with no other hold left the order moves on."""
    await _in_review(conn, principal.org_id, order_id)
    await order_timeline.append_events(
        conn, principal.org_id, order_id, [("fraud.approved", {"reason": reason})], principal.actor
    )
    return await release.release_order(
        conn,
        principal,
        order_id,
        hold=HoldReason.FRAUD_REVIEW,
        reason=reason or "fraud review approved",
    )


async def reject(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str | None
) -> OrderOut:
    """Cancel the order (its stock goes back) and give back what the customer paid, once:
    an authorised payment is voided, a captured one refunded."""
    order = await _in_review(conn, principal.org_id, order_id)
    await cancellation.cancel_order(conn, principal, order_id, REJECT_REASON)
    refund = await _give_back_payment(conn, principal, order)
    await order_timeline.append_events(
        conn,
        principal.org_id,
        order_id,
        [("fraud.rejected", {"reason": reason, "refund": refund})],
        principal.actor,
    )
    return await orders.get_order(conn, principal.org_id, order_id)


_LOCK_ORDER = sa.text("SELECT id FROM orders WHERE org_id = :org_id AND id = :order_id FOR UPDATE")


async def _in_review(conn: AsyncConnection, org_id: int, order_id: int) -> OrderOut:
    """The order, locked until commit, so that two reviewers cannot both decide it."""
    await conn.execute(_LOCK_ORDER, {"org_id": org_id, "order_id": order_id})
    order = await orders.get_order(conn, org_id, order_id)
    if order.status is not OrderStatus.ON_HOLD or HoldReason.FRAUD_REVIEW not in order.hold_reasons:
        raise NotInFraudReview(f"order {order.number} is not held for fraud review")
    return order


async def _give_back_payment(conn: AsyncConnection, principal: Principal, order: OrderOut) -> str:
    """Give back what the customer paid, once, by the means it was taken (the payments
    feature: an authorisation is voided, a capture refunded, store credit back to the balance,
    which the cancel did already)."""
    if to_minor(order.payment.amount, order.currency) <= 0:
        return "not_needed"
    status = await payments.give_back_payment(
        conn, principal, order.id, key=f"fraud-reject:{order.id}", reason=REJECT_REASON
    )
    return _OUTCOMES.get(status, "not_needed")


# What the `fraud.rejected` event says was done with the payment.
# An authorization still held was declined, or is being released by a job: the payment's
# `problem` and the timeline say which.
_OUTCOMES = {
    PaymentStatus.VOIDED: "voided",
    PaymentStatus.REFUNDED: "issued",
    PaymentStatus.AUTHORIZED: "not_voided",
    PaymentStatus.PARTIALLY_CAPTURED: "not_voided",
}
