"""The fraud-screen hook: rules, plugged in by name, score an order at capture; a total at or
above the organization's threshold puts it on hold. No rule enabled costs no query
(docs/automation.md, "Fraud screening").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """An organization's setting of one rule: the score it adds and its parameters."""

    score: int
    params: Mapping[str, Any] = field(default_factory=dict)


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
    tags: tuple[str, ...] = ()
    notes: str | None = None
    # The rules this organization has enabled, by name.
    rule_settings: Mapping[str, RuleSetting] = field(default_factory=dict)


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

    def describe(self, threshold: int) -> str:
        """The timeline's account: the score, and what each rule that fired added."""
        fired = "".join(f"; {s.rule} +{s.score}: {s.detail}" for s in self.signals)
        return f"score {self.score} (hold at {threshold}){fired}"


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
    """Run the rules the organization enabled (all given ones when `rules` is passed)."""
    signals: list[FraudSignal] = []
    if rules is None:
        rules = [r for r in registered_rules() if r.name in draft.rule_settings]
    for rule in rules:
        signal = await rule.screen(conn, draft)
        if signal is not None and signal.score:
            signals.append(signal)
    return FraudVerdict(sum(s.score for s in signals), tuple(signals))
