"""Settings: routing rules per channel (the organization's default, or one channel's own), and
a simulate button that shows the plan and each location's decision without reserving."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from orderly.kit.errors import InvalidInput
from orderly.sourcing import service as sourcing
from orderly.sourcing import simulation
from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.schemas import SimulateIn, SimulationOut
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, SettingsActor, SignedIn, attempt, back_to, flash
from orderly.web.lookups import org_channels
from orderly.web.rendering import render
from orderly.web.scope import location_codes, visible_order

router = APIRouter()

HERE = "/app/settings/routing"


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _channel_url(channel: str | None) -> str:
    return HERE + (f"?channel={channel}" if channel else "")


def parse_config(text: str, field: str = "config") -> RoutingConfig:
    """The configuration typed in the editor, or an error naming where it is wrong."""
    try:
        return RoutingConfig.model_validate_json(text or "{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the configuration"
        raise InvalidInput(f"{where}: {first['msg']}", field=field) from None


async def _page(
    request: Request,
    conn: Conn,
    user: User,
    channel: str | None,
    *,
    editor: str | None = None,
    simulation_result: SimulationOut | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    channels = await org_channels(conn, user)
    if channel is not None and channel not in {c.code for c in channels}:
        raise InvalidInput(f"there is no channel {channel!r}", field="channel")
    saved = await sourcing.get_routing_config(conn, user.org_id, channel)
    return render(
        request,
        "routing.html",
        user,
        status_code=status,
        title="Routing rules",
        channel=channel or "",
        channels=[c.code for c in channels],
        saved=saved,
        editor=editor
        if editor is not None
        else json.dumps(saved.config.model_dump(mode="json"), indent=2),
        result=simulation_result,
        values=values or {},
    )


@router.get("/settings/routing")
async def routing(request: Request, conn: Conn, user: SignedIn) -> Response:
    return await _page(request, conn, user, request.query_params.get("channel") or None)


@router.post("/settings/routing")
async def save_routing(request: Request, conn: Conn, user: SettingsActor, form: Form) -> Response:
    channel = _text(form, "channel") or None
    text = str(form.get("config", ""))
    try:
        config = parse_config(text)
    except InvalidInput as error:
        flash(request, error.detail, kind="error", field=error.field)
        return await _page(request, conn, user, channel, editor=text, status=422)
    saved = await attempt(
        request,
        conn,
        lambda: sourcing.put_routing_config(conn, user.org_id, config, channel),
        done=f"Routing rules saved for {'channel ' + channel if channel else 'every channel'}.",
        field="config",
    )
    if saved is None:
        return await _page(request, conn, user, channel, editor=text, status=422)
    return back_to(_channel_url(channel))


def _simulation_body(form: FormData, channel: str | None) -> SimulateIn:
    order_id = _text(form, "order_id")
    config = parse_config(str(form.get("config", ""))) if form.get("try_edit") else None
    if order_id:
        if not order_id.isdigit():
            raise InvalidInput("an existing order is given by its id", field="order_id")
        return SimulateIn(order_id=int(order_id), config=config)
    lines: list[dict[str, Any]] = []
    for n, row in enumerate(_text(form, "lines").splitlines()):
        parts = row.split()
        if not parts:
            continue
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            raise InvalidInput(
                f"line {n + 1}: write a SKU and a quantity, e.g. MUG 2", field="lines"
            )
        lines.append({"sku": parts[0], "quantity": int(parts[1]) if len(parts) == 2 else 1})
    if not lines:
        raise InvalidInput("give an order id, or SKUs and quantities", field="lines")
    country = _text(form, "country").upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("enter a 2-letter country code", field="country")
    try:
        return SimulateIn(
            channel=channel or "web",
            lines=lines,
            shipping_address={
                "country": country,
                "postal_code": _text(form, "postal_code") or None,
            },
            config=config,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(str(first["msg"]), field="lines") from None


def _seen_by(result: SimulationOut, codes: frozenset[str] | None) -> SimulationOut:
    """A location-limited user sees the plan's shipments and decisions at their locations."""
    if codes is None:
        return result
    return result.model_copy(
        update={
            "shipments": [s for s in result.shipments if s.location in codes],
            "locations": [d for d in result.locations if d.location in codes],
            "explanation": [],
        }
    )


@router.post("/settings/routing/simulate")
async def simulate(request: Request, conn: Conn, user: SignedIn, form: Form) -> Response:
    """A read: any role may simulate; nothing is reserved or saved."""
    channel = _text(form, "channel") or None
    values = {k: _text(form, k) for k in ("order_id", "lines", "country", "postal_code")}
    values["try_edit"] = "1" if form.get("try_edit") else ""
    editor = str(form.get("config", "")) or None
    try:
        body = _simulation_body(form, channel)
    except InvalidInput as error:
        flash(request, error.detail, kind="error", field=error.field)
        return await _page(request, conn, user, channel, editor=editor, values=values, status=422)
    if body.order_id is not None:
        await visible_order(conn, user, body.order_id)
    result = await attempt(
        request,
        conn,
        lambda: simulation.simulate(conn, user.org_id, body),
        field="order_id" if body.order_id else "lines",
    )
    if result is not None:
        result = _seen_by(result, await location_codes(conn, user))
    return await _page(
        request,
        conn,
        user,
        channel,
        editor=editor,
        simulation_result=result,
        values=values,
        status=200 if result is not None else 422,
    )
