"""The fraud-screen hook: rules score an order at capture; a total at or above the
organization's threshold puts the order on hold for review.

Rules are plugged in by name (the automation feature adds velocity, amount, country-mismatch
and similar rules). With no rule registered, screening passes every order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """What a fraud rule may look at: the order as captured, before it is stored."""

    org_id: int
    channel: str
    customer_email: str
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    total_minor: int
    currency: str
    payment_reference: str | None
    delivery_method: str
    line_count: int


@dataclass(frozen=True, slots=True)
class FraudSignal:
    rule: str
    score: int
    detail: str


@dataclass(frozen=True, slots=True)
class FraudVerdict:
    score: int
    signals: tuple[FraudSignal, ...] = field(default=())

    def needs_review(self, threshold: int) -> bool:
        return self.score >= threshold


class FraudRule(Protocol):
    name: str

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None: ...


_RULES: dict[str, FraudRule] = {}


def register_fraud_rule(rule: FraudRule) -> None:
    _RULES[rule.name] = rule


def registered_rules() -> tuple[FraudRule, ...]:
    return tuple(_RULES.values())


async def screen_order(
    conn: AsyncConnection, draft: OrderDraft, rules: Sequence[FraudRule] | None = None
) -> FraudVerdict:
    signals: list[FraudSignal] = []
    for rule in registered_rules() if rules is None else rules:
        signal = await rule.screen(conn, draft)
        if signal is not None and signal.score:
            signals.append(signal)
    return FraudVerdict(sum(s.score for s in signals), tuple(signals))
