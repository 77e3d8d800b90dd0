"""The fraud rules behind the capture hook, registered by `install()` where the app and the
worker start (never at import); each rule and what it queries: docs/automation.md, "Fraud
screening".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import fetch_one
from orderly.kit.money import MoneyError, to_minor
from orderly.orders.fraud import (
    FraudRule,
    FraudSignal,
    OrderDraft,
    RuleSetting,
    register_fraud_rule,
)

EXPRESS_TAG = "express"


class ParamsProblem(ValueError):
    """A rule's parameters are wrong; the message names the parameter."""


class VelocityRule:
    """Too many orders in the last hour from one e-mail, one shipping address or one payment
    reference (this order included)."""

    name = "velocity"
    default_score = 50
    default_params: dict[str, Any] = {
        "per_email": 5,
        "per_address": 5,
        "per_payment_reference": 5,
    }

    def check(self, params: Mapping[str, Any]) -> None:
        for key in self.default_params:
            _limit(params, key)

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None:
        params = {**self.default_params, **_setting(self, draft).params}
        address = _address_key(draft.shipping_address)
        row = await fetch_one(
            conn,
            _VELOCITY,
            {
                "org_id": draft.org_id,
                "email": draft.customer_email,
                "address": address,
                "payment_reference": draft.payment_reference,
            },
        )
        counts = {
            "per_email": row.by_email + 1,
            "per_address": row.by_address + 1 if address else 0,
            "per_payment_reference": row.by_payment + 1 if draft.payment_reference else 0,
        }
        over = [
            f"{counts[k]} orders {k.replace('_', ' ')} in the last hour (limit {params[k]})"
            for k in self.default_params
            if params.get(k) is not None and counts[k] > int(params[k])
        ]
        return _signal(self, draft, "; ".join(over)) if over else None


# One query for every velocity limit: the org's orders of the last hour, on its created index.
# Capture's hot path runs it on the driver connection (psycopg placeholders).
_VELOCITY = """
    SELECT count(*) FILTER (WHERE customer_email = %(email)s) AS by_email,
           count(*) FILTER (WHERE CAST(%(address)s AS text) IS NOT NULL
                              AND lower(concat_ws('|',
                                  coalesce(shipping_address ->> 'line1', ''),
                                  coalesce(shipping_address ->> 'postal_code', ''),
                                  coalesce(shipping_address ->> 'country', ''))) = %(address)s)
             AS by_address,
           count(*) FILTER (WHERE payment_reference = CAST(%(payment_reference)s AS text))
             AS by_payment
      FROM orders
     WHERE org_id = %(org_id)s AND created_at > now() - interval '1 hour'
"""

_ORDERED_BEFORE = """
    SELECT EXISTS (SELECT 1 FROM orders
                    WHERE org_id = %(org_id)s AND customer_email = %(email)s) AS ordered_before
"""


class AmountRule:
    """The order's total reaches an amount (in the order's currency)."""

    name = "amount"
    default_score = 40
    default_params: dict[str, Any] = {"amount": "1000.00"}

    def check(self, params: Mapping[str, Any]) -> None:
        amount = params.get("amount", self.default_params["amount"])
        try:
            to_minor(str(amount), "USD")
        except (MoneyError, ValueError):
            raise ParamsProblem("amount must be a decimal string such as '500.00'") from None

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None:
        amount = str({**self.default_params, **_setting(self, draft).params}["amount"])
        try:
            limit = to_minor(amount, draft.currency)
        except MoneyError:
            return None
        if draft.total_minor < limit:
            return None
        return _signal(self, draft, f"total of {draft.total_minor} reaches {limit} (minor units)")


class CountryMismatchRule:
    """The billing address is in another country than the shipping address."""

    name = "country_mismatch"
    default_score = 30
    default_params: dict[str, Any] = {}

    def check(self, params: Mapping[str, Any]) -> None:
        return None

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None:
        billing = str((draft.billing_address or {}).get("country") or "").upper()
        shipping = str((draft.shipping_address or {}).get("country") or "").upper()
        if not billing or not shipping or billing == shipping:
            return None
        return _signal(self, draft, f"billing country {billing}, shipping country {shipping}")


class PostalCodeRule:
    """The order ships to a postal code on the organization's high-risk list."""

    name = "high_risk_postal_code"
    default_score = 40
    default_params: dict[str, Any] = {"postal_codes": []}

    def check(self, params: Mapping[str, Any]) -> None:
        codes = params.get("postal_codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ParamsProblem("postal_codes must be a list of strings")

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None:
        codes = {_postal(c) for c in _setting(self, draft).params.get("postal_codes", [])}
        postal = _postal(str((draft.shipping_address or {}).get("postal_code") or ""))
        if not postal or postal not in codes:
            return None
        return _signal(self, draft, f"ships to high-risk postal code {postal}")


class FirstTimeExpressRule:
    """A customer with no earlier order chooses express shipping (the order is tagged
    `express`)."""

    name = "first_time_express"
    default_score = 30
    default_params: dict[str, Any] = {}

    def check(self, params: Mapping[str, Any]) -> None:
        return None

    async def screen(self, conn: AsyncConnection, draft: OrderDraft) -> FraudSignal | None:
        if not is_express(draft):
            return None
        row = await fetch_one(
            conn, _ORDERED_BEFORE, {"org_id": draft.org_id, "email": draft.customer_email}
        )
        if row.ordered_before:
            return None
        return _signal(self, draft, "first order of this customer, with express shipping")


def is_express(draft: OrderDraft) -> bool:
    return any(tag.strip().lower() == EXPRESS_TAG for tag in draft.tags)


class ConfigurableRule(FraudRule, Protocol):
    """A rule an organization can configure: its defaults, and a check of its parameters."""

    default_score: int
    default_params: dict[str, Any]

    def check(self, params: Mapping[str, Any]) -> None: ...


BUILT_IN_RULES: tuple[ConfigurableRule, ...] = (
    VelocityRule(),
    AmountRule(),
    CountryMismatchRule(),
    PostalCodeRule(),
    FirstTimeExpressRule(),
)


def install() -> None:
    """Register the built-in rules with the capture hook. Idempotent."""
    for rule in BUILT_IN_RULES:
        register_fraud_rule(rule)


def rule_named(name: str) -> ConfigurableRule | None:
    return next((r for r in BUILT_IN_RULES if r.name == name), None)


def _setting(rule: FraudRule, draft: OrderDraft) -> RuleSetting:
    return draft.rule_settings.get(rule.name) or RuleSetting(0)


def _signal(rule: ConfigurableRule, draft: OrderDraft, detail: str) -> FraudSignal:
    return FraudSignal(rule.name, _setting(rule, draft).score, detail)


def _limit(params: Mapping[str, Any], key: str) -> None:
    value = params.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ParamsProblem(f"{key} must be a whole number of orders, or null to switch it off")


def _address_key(address: Mapping[str, Any] | None) -> str | None:
    if not address or not address.get("line1"):
        return None
    parts = (address.get("line1"), address.get("postal_code"), address.get("country"))
    return "|".join(str(p or "") for p in parts).lower()


def _postal(code: str) -> str:
    return code.replace(" ", "").upper()
