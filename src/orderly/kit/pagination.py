"""Cursor pagination: opaque cursors that encode the last row's sort key."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from starlette.responses import Response

from orderly.kit.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the previous page")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_response(items: Sequence[Any], next_cursor: str | None) -> Response:
    """A `Page` written straight from plain values (dicts, lists, str, int, datetime): the
    document pydantic writes for `Page[T]`, UTC times ending in Z, without a model built and
    validated per item. For lists read often and long (an order list, a SKU's stock across the
    network); the route keeps `response_model=Page[T]`, which documents it."""
    body = orjson.dumps({"items": items, "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)
    return Response(body, media_type="application/json")


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def id_cursor(cursor: str | None) -> int | None:
    """The row id a one-value cursor holds (None without a cursor); 422 naming `cursor` for
    anything else, a forged or damaged cursor included."""
    if cursor is None:
        return None
    (last_id,) = decode_cursor(cursor)
    if isinstance(last_id, bool) or not isinstance(last_id, int) or not 0 <= last_id < 2**63:
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return last_id


def decode_cursor(cursor: str, arity: int = 1) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return values
