"""Query and path parameters checked at the edge: what PostgreSQL cannot take (a NUL
character, a number past bigint, a date past the calendar) is the client's 4xx naming the
parameter, never a server error."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator
from starlette.requests import Request

from orderly.kit.errors import InvalidInput

MAX_ID = 2**63 - 1
OUTSIDE_CALENDAR = "enter a date between 0001-01-02 and 9999-12-30"


def _inside_calendar(day: date) -> date:
    if not date.min < day < date.max:
        raise ValueError(OUTSIDE_CALENDAR)
    return day


# A day with a day on either side of it, so that a range can end the day after.
Day = Annotated[date, AfterValidator(_inside_calendar)]


async def refuse_nul_characters(request: Request) -> None:
    """A dependency of every route: PostgreSQL text cannot hold NUL, so no parameter may."""
    query = request.scope["query_string"]
    if b"%00" not in query and b"\x00" not in query and "\x00" not in request.scope["path"]:
        return  # nothing to look at: the parameters are not even parsed
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidInput(f"{_printable(name)} holds a NUL character", field=_printable(name))
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(f"{name} holds a NUL character", field=name)


def query_day(value: str, field: str) -> date | None:
    """A day given as YYYY-MM-DD (None when empty), with a day on either side of it, so that
    a range can end the day after."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter a date as YYYY-MM-DD", field=field) from None
    try:
        return _inside_calendar(day)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def query_id(value: str, field: str) -> int | None:
    """An id given as digits (None when empty), within PostgreSQL's bigint."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput(f"{field} is given by its id (a whole number from 1)", field=field)
    return int(value)


def _printable(name: str) -> str:
    return name.replace("\x00", "\\x00")
