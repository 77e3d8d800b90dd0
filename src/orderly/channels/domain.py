"""Sales channels: where orders come from, and how they may be fulfilled."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelKind(StrEnum):
    WEB = "web"
    APP = "app"
    MARKETPLACE = "marketplace"
    POS = "pos"
    B2B = "b2b"


DEFAULT_CHANNEL_CODE = "web"

# Suppliers hold stock that is not yet ours to sell: they fulfil only when a channel says so.
DEFAULT_FULFILLMENT_KINDS: tuple[str, ...] = ("warehouse", "store", "3pl")


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """What order capture needs to know about a channel."""

    id: int
    code: str
    kind: ChannelKind
    allow_backorders: bool
    fulfillment_location_kinds: tuple[str, ...]

    @property
    def eligible_location_kinds(self) -> tuple[str, ...]:
        return self.fulfillment_location_kinds or DEFAULT_FULFILLMENT_KINDS


class FulfillmentLocationKind(StrEnum):
    """The kinds of location a channel may let fulfil its orders (the kinds of locations)."""

    WAREHOUSE = "warehouse"
    STORE = "store"
    THIRD_PARTY_LOGISTICS = "3pl"
    SUPPLIER = "supplier"


# Settings are free-form per channel (connector options and the like), but bounded.
MAX_SETTINGS_KEYS = 50
