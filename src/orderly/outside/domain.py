"""Rules of locations operated by others: which provider fits which location, our references,
the states of an order sent out and of a stock difference, SKU names on both sides, and the
supplier's confirmation link. No I/O."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from orderly.kit.errors import IllegalTransition

DROP_SHIP_PREFIX = "DS-"
OUTSIDE_PREFIX = "FO-"


class ProviderOrderStatus(StrEnum):
    # Intent recorded; the provider has been (or is being) called, the answer not recorded.
    SENDING = "sending"
    SENT = "sent"
    CANCEL_REQUESTED = "cancel_requested"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUSED = "refused"


P = ProviderOrderStatus
PROVIDER_ORDER_TRANSITIONS: dict[P, frozenset[P]] = {
    P.SENDING: frozenset({P.SENT, P.REFUSED, P.CANCEL_REQUESTED, P.CANCELLED}),
    P.SENT: frozenset({P.SHIPPED, P.CANCEL_REQUESTED, P.CANCELLED, P.REFUSED}),
    # A refused cancellation goes back to sent; a provider may ship what it was asked to cancel.
    P.CANCEL_REQUESTED: frozenset({P.SENT, P.SHIPPED, P.CANCELLED, P.REFUSED}),
    P.SHIPPED: frozenset(),
    P.CANCELLED: frozenset(),
    P.REFUSED: frozenset(),
}
# In the provider's hands: we do not pick, pack, reject or cancel them ourselves.
OUT_AT_PROVIDER = frozenset({P.SENDING, P.SENT, P.CANCEL_REQUESTED})


def ensure_provider_order_transition(current: P, target: P) -> None:
    if target not in PROVIDER_ORDER_TRANSITIONS[current]:
        raise IllegalTransition(
            f"an order sent out that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


class DifferenceStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
    # A newer snapshot counted the SKU again.
    SUPERSEDED = "superseded"


D = DifferenceStatus
DIFFERENCE_TRANSITIONS: dict[D, frozenset[D]] = {
    D.PENDING: frozenset({D.ACCEPTED, D.DISMISSED, D.SUPERSEDED}),
    D.ACCEPTED: frozenset(),
    D.DISMISSED: frozenset(),
    D.SUPERSEDED: frozenset(),
}


def ensure_difference_transition(current: D, target: D) -> None:
    if target not in DIFFERENCE_TRANSITIONS[current]:
        raise IllegalTransition(
            f"a stock difference that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


# Which provider kinds may operate which location kinds.
PROVIDERS_FOR_LOCATION: Mapping[str, frozenset[str]] = {
    "3pl": frozenset({"shipbob", "sftp"}),
    "supplier": frozenset({"email", "sftp"}),
}


def location_refusal(location_kind: str, provider_kind: str) -> str | None:
    """Why this location cannot have this kind of provider, or None when it can."""
    fitting = PROVIDERS_FOR_LOCATION.get(location_kind)
    if fitting is None:
        return (
            f"a {location_kind} location is operated by us: only 3pl and supplier locations"
            " take a provider"
        )
    if provider_kind not in fitting:
        return (
            f"a {location_kind} location takes a provider of kind {' or '.join(sorted(fitting))},"
            f" not {provider_kind}"
        )
    return None


def reference_for(location_kind: str, fulfillment_order_id: int) -> str:
    """Our reference for an order sent out: a drop-ship purchase order's number at a supplier
    (DS-…), the fulfillment order's elsewhere (FO-…). Unique, as fulfillment order ids are."""
    prefix = DROP_SHIP_PREFIX if location_kind == "supplier" else OUTSIDE_PREFIX
    return f"{prefix}{fulfillment_order_id}"


@dataclass(frozen=True, slots=True)
class SkuMap:
    """Our SKU codes and the provider's, where they differ (`settings.sku_map`)."""

    ours_to_theirs: Mapping[str, str]

    def theirs(self, sku: str) -> str:
        return self.ours_to_theirs.get(sku, sku)

    def ours(self, provider_sku: str) -> str:
        for ours, theirs in self.ours_to_theirs.items():
            if theirs == provider_sku:
                return ours
        return provider_sku

    def ours_of(self, units: Mapping[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for provider_sku, quantity in units.items():
            sku = self.ours(provider_sku)
            out[sku] = out.get(sku, 0) + quantity
        return out


@dataclass(frozen=True, slots=True)
class Difference:
    sku: str
    expected: int  # our on-hand at the location when the snapshot was read
    counted: int  # the provider's

    @property
    def delta(self) -> int:
        return self.counted - self.expected


def differences(counted: Mapping[str, int], ours: Mapping[str, int]) -> list[Difference]:
    """Every SKU the provider counted whose count is not ours (a SKU we never held there
    counts as 0 on our side), by SKU."""
    return [
        Difference(sku, ours.get(sku, 0), units)
        for sku, units in sorted(counted.items())
        if units != ours.get(sku, 0)
    ]


def retry_after_attempts(attempts: int) -> timedelta:
    """How long a send that failed waits before the next attempt: 10 s, doubling, at most
    15 minutes."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 900))


def confirmation_token(secret: str, org_id: int, po_number: str) -> str:
    """The token of a supplier's confirmation link: only our installation can make it, and it
    opens one purchase order only."""
    message = f"drop-ship-confirmation:{org_id}:{po_number}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def token_matches(secret: str, org_id: int, po_number: str, token: str) -> bool:
    return hmac.compare_digest(confirmation_token(secret, org_id, po_number), token)


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
