"""Jinja2 templates for the dashboard: one environment, a few filters, one `render`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse

from orderly import __version__
from orderly.tenancy.domain import Permission
from orderly.tenancy.users import User
from orderly.web.deps import csrf_token, take_flash

TEMPLATES = Path(__file__).parent / "templates"

# (path, label) of the main navigation; pages of features still to come are added here.
NAVIGATION = [
    ("/app/", "Home"),
    ("/app/orders", "Orders"),
    ("/app/inventory", "Inventory"),
    ("/app/fulfillment", "Fulfillment"),
    ("/app/store", "Store"),
    ("/app/pos", "Till"),
    ("/app/returns", "Returns"),
    ("/app/automation", "Automation"),
    ("/app/settings", "Settings"),
]


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _label(value: object) -> str:
    """A stored code in plain words: on_hold -> on hold."""
    return str(value or "").replace("_", " ")


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def _pairs(values: Iterable[object]) -> list[tuple[str, str]]:
    """Options whose value is their text."""
    return [(str(v), str(v)) for v in values]


def _zip_labels(values: Iterable[object]) -> list[tuple[str, str]]:
    """Options whose text is the value in plain words."""
    return [(str(v), _label(v)) for v in values]


def _location_code(location_id: int, codes: dict[int, str]) -> str:
    return codes.get(location_id, f"#{location_id}")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["label"] = _label
    env.filters["hours"] = _hours
    env.filters["pairs"] = _pairs
    env.filters["zip_labels"] = _zip_labels
    env.filters["location_code"] = _location_code
    env.globals["navigation"] = NAVIGATION
    env.globals["version"] = __version__
    return env


def render(
    request: Request,
    template: str,
    user: User | None,
    *,
    status_code: int = 200,
    title: str = "",
    **context: Any,
) -> HTMLResponse:
    flashes = take_flash(request)
    errors = {f["field"]: f["text"] for f in flashes if f["kind"] == "error" and f["field"]}

    def can(permission: str) -> bool:
        return user is not None and user.principal.can(Permission(permission))

    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            path=request.url.path,
            user=user,
            title=title,
            csrf_token=csrf_token(request),
            flashes=flashes,
            field_errors=errors,
            can=can,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)
