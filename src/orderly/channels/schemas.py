from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
)

from orderly.channels.domain import MAX_SETTINGS_KEYS, ChannelKind, FulfillmentLocationKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name or code needs a control character.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _storable(settings: dict[str, JsonValue]) -> dict[str, JsonValue]:
    # JSONB cannot hold a NUL character anywhere, key or value.
    if _holds_nul(settings):
        raise ValueError("must not contain NUL characters")
    return settings


def _holds_nul(value: JsonValue) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_printable),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
LocationKinds = Annotated[
    list[FulfillmentLocationKind],
    AfterValidator(_distinct),
    Field(description="Location kinds that may fulfil; empty means every kind but suppliers"),
]
Settings = Annotated[
    dict[str, JsonValue],
    Field(max_length=MAX_SETTINGS_KEYS, description="Free-form options, at most 50 keys"),
    AfterValidator(_storable),
]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Text
    kind: ChannelKind
    allow_backorders: bool = False
    fulfillment_location_kinds: LocationKinds = []
    settings: Settings = {}


class ChannelPatch(BaseModel):
    """A partial update: only the fields sent change (`settings` is replaced whole); `code`
    cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    kind: ChannelKind | None = None
    allow_backorders: bool | None = None
    fulfillment_location_kinds: LocationKinds | None = None
    settings: Settings | None = None

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on fields that were sent, so this refuses an explicit null.
        if value is None:
            raise ValueError("may not be null")
        return value


class ChannelOut(BaseModel):
    id: int
    code: str
    name: str
    kind: ChannelKind
    allow_backorders: bool
    fulfillment_location_kinds: list[FulfillmentLocationKind]
    settings: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime
