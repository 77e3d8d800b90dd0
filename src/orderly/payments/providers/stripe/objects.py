"""What Orderly reads of Stripe's answers: a PaymentIntent (with its latest charge expanded)
and a Refund, as small frozen values. An answer without the fields Orderly relies on is
refused here rather than read as zeros."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from orderly.payments.providers.stripe.errors import EXPIRED, StripeOutcomeUnknown


class IntentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"


class CancellationReason(StrEnum):
    """The reasons Stripe accepts from us when a PaymentIntent is cancelled."""

    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    ABANDONED = "abandoned"


class RefundStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


MULTICAPTURE_AVAILABLE = "available"


@dataclass(frozen=True, slots=True)
class StripePaymentIntent:
    id: str
    status: str
    amount: int
    amount_capturable: int
    amount_received: int
    currency: str  # ISO 4217, upper case (Stripe writes it in lower case)
    # Whether this authorization may be captured several times (one capture per shipment).
    multicapture_available: bool
    # When the card authorization runs out, as the latest charge reports it.
    authorization_expires_at: datetime | None
    latest_charge_id: str | None
    amount_refunded: int
    cancellation_reason: str | None

    @property
    def capturable(self) -> bool:
        return self.status == IntentStatus.REQUIRES_CAPTURE and self.amount_capturable > 0

    @property
    def authorization_expired(self) -> bool:
        """Stripe cancelled the PaymentIntent because its authorization ran out."""
        return self.status == IntentStatus.CANCELED and self.cancellation_reason == EXPIRED

    def expires_within(self, seconds: float, *, now: datetime) -> bool:
        """Still capturable, and its authorization runs out within `seconds` of `now`."""
        if not self.capturable or self.authorization_expires_at is None:
            return False
        return (self.authorization_expires_at - now).total_seconds() <= seconds


@dataclass(frozen=True, slots=True)
class StripeRefund:
    id: str
    payment_intent_id: str
    amount: int
    currency: str
    status: str
    failure_reason: str | None

    @property
    def accepted(self) -> bool:
        """Succeeded, or on its way (`pending`): the money is going back."""
        return self.status in (RefundStatus.SUCCEEDED, RefundStatus.PENDING)


def payment_intent(body: dict[str, Any]) -> StripePaymentIntent:
    if body.get("object") != "payment_intent":
        raise _unreadable("a PaymentIntent", body)
    charge = body.get("latest_charge")
    card = _card_details(charge) if isinstance(charge, dict) else {}
    multicapture = card.get("multicapture")
    capture_before = card.get("capture_before")
    return StripePaymentIntent(
        id=_string(body, "id"),
        status=_string(body, "status"),
        amount=_amount(body, "amount"),
        amount_capturable=_amount(body, "amount_capturable"),
        amount_received=_amount(body, "amount_received"),
        currency=_string(body, "currency").upper(),
        multicapture_available=isinstance(multicapture, dict)
        and multicapture.get("status") == MULTICAPTURE_AVAILABLE,
        authorization_expires_at=_moment(capture_before),
        latest_charge_id=_charge_id(charge),
        amount_refunded=_amount(charge, "amount_refunded") if isinstance(charge, dict) else 0,
        cancellation_reason=_optional_string(body.get("cancellation_reason")),
    )


def refund(body: dict[str, Any]) -> StripeRefund:
    if body.get("object") != "refund":
        raise _unreadable("a Refund", body)
    return StripeRefund(
        id=_string(body, "id"),
        payment_intent_id=_charge_id(body.get("payment_intent")) or "",
        amount=_amount(body, "amount"),
        currency=_string(body, "currency").upper(),
        status=_string(body, "status"),
        failure_reason=_optional_string(body.get("failure_reason")),
    )


def _card_details(charge: dict[str, Any]) -> dict[str, Any]:
    details = charge.get("payment_method_details")
    card = details.get("card") if isinstance(details, dict) else None
    return card if isinstance(card, dict) else {}


def _charge_id(value: Any) -> str | None:
    """An expandable field: the id, or the object that carries it."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _unreadable(f"`{key}`", body)
    return value


def _optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _amount(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _unreadable(f"`{key}`", body)
    return value


def _unreadable(what: str, body: dict[str, Any]) -> StripeOutcomeUnknown:
    return StripeOutcomeUnknown(
        f"Stripe answered without {what} Orderly can read (object {body.get('object')!r})"
    )
