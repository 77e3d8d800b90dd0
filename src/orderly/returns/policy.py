"""A channel's return policy: `settings["return_policy"]` on the channel, validated here."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from orderly.returns.errors import ReturnPolicyInvalid

DEFAULT_REASONS = (
    "damaged",
    "wrong_item",
    "too_small",
    "too_large",
    "not_as_described",
    "changed_mind",
)
# The customer is not to blame: the shipping they paid comes back too.
DEFAULT_SHIPPING_REFUND_REASONS = ("damaged", "wrong_item", "not_as_described")

Reason = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class ReturnPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: int = Field(default=30, ge=0, le=3650)
    non_returnable_skus: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=10_000
    )
    reasons: list[Reason] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), min_length=1, max_length=50
    )
    restocking_fee_percent: dict[Reason, Percent] = Field(default_factory=dict)
    shipping_refund_reasons: list[Reason] = Field(
        default_factory=lambda: list(DEFAULT_SHIPPING_REFUND_REASONS)
    )
    # Where shipped-back units go; the first active location with the `returns` capability
    # (by priority) when unset.
    returns_location: Annotated[str, StringConstraints(max_length=100)] | None = None

    def fee_percent(self, reason: str) -> Decimal:
        return self.restocking_fee_percent.get(reason, Decimal(0))

    def refunds_shipping(self, reasons: set[str]) -> bool:
        return bool(reasons & set(self.shipping_refund_reasons))


def parse_policy(settings: dict[str, Any]) -> ReturnPolicy:
    raw = settings.get("return_policy") or {}
    try:
        return ReturnPolicy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReturnPolicyInvalid(
            f"the channel's return_policy is invalid: {where}: {first['msg']}",
            field=f"settings.return_policy.{where}",
        ) from None
