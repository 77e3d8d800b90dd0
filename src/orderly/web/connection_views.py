"""Settings > Connections: connect a channel to its store, copy the webhook URL, see health, the
last sync, waiting events and errors, and sync now. Credentials go in masked and never come out.
A connection serves every location, so these pages are for users of every location."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from orderly.channels import service as channels
from orderly.connections import service as connections
from orderly.connections.registry import connector_class, platform_names
from orderly.connections.schemas import ConnectionIn, ConnectionPatch, ConnectionSettings
from orderly.kit.errors import OrderlyError
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, SettingsActor, SignedIn, attempt, back_to, flash
from orderly.web.rendering import render
from orderly.web.scope import ensure_organization_wide

router = APIRouter()

HERE = "/app/settings/connections"
PLATFORM_NAMES = {
    "shopify": "Shopify",
    "woocommerce": "WooCommerce",
    "bigcommerce": "BigCommerce",
    "magento": "Magento",
    "square": "Square",
}


def _installation(request: Request) -> connections.Installation:
    settings = request.app.state.parent.state.settings
    return connections.Installation.of(settings)


def _platforms() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "title": PLATFORM_NAMES.get(name, name),
            "keys": connector_class(name).credential_keys,
        }
        for name in platform_names()
        if name in PLATFORM_NAMES
    ]


async def _list_page(
    request: Request,
    conn: Conn,
    user: User,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    ensure_organization_wide(user)
    page = await connections.list_connections(
        conn, user.org_id, limit=100, after_id=None, installation=_installation(request)
    )
    connected = {c.channel for c in page.items}
    all_channels = await channels.list_channels(
        conn, user.org_id, kind=None, active=True, limit=100, cursor=None
    )
    return render(
        request,
        "connections.html",
        user,
        status_code=status,
        title="Connections",
        connections=page.items,
        free_channels=[(c.code, c.name) for c in all_channels.items if c.code not in connected],
        platforms=_platforms(),
        values=values or {},
    )


@router.get("/settings/connections")
async def connection_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    return await _list_page(request, conn, user)


def _credentials(form: FormData, platform: str) -> dict[str, str]:
    return {
        key: str(form.get(f"{platform}.{key}", "")).strip()
        for key in connector_class(platform).credential_keys
        if str(form.get(f"{platform}.{key}", "")).strip()
    }


@router.post("/settings/connections")
async def create_connection(
    request: Request, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    platform = str(form.get("platform", ""))
    values = {
        "platform": platform,
        "channel": str(form.get(f"{platform}.channel", "")),
        "base_url": str(form.get(f"{platform}.base_url", "")).strip(),
    }
    if platform not in PLATFORM_NAMES:
        flash(request, "choose a platform", kind="error")
        return await _list_page(request, conn, user, values=values, status=422)
    try:
        data = ConnectionIn(
            channel=values["channel"],
            platform=platform,
            base_url=values["base_url"],
            credentials=_credentials(form, platform),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "base_url"
        flash(request, f"{field}: {first['msg']}", kind="error", field=f"{platform}.{field}")
        return await _list_page(request, conn, user, values=values, status=422)
    try:
        async with conn.begin_nested():
            created = await connections.create_connection(
                conn, user.org_id, data, installation=_installation(request)
            )
    except OrderlyError as error:
        # The form's fields are named after their platform ("shopify.base_url").
        named = (error.field or "base_url").split(".", 1)[0]
        flash(request, error.detail, kind="error", field=f"{platform}.{named}")
        return await _list_page(request, conn, user, values=values, status=422)
    flash(request, "Connected. Orderly checks the store and subscribes its webhooks now.")
    return back_to(f"{HERE}/{created.id}")


@router.get("/settings/connections/{connection_id}")
async def connection_detail(
    request: Request, connection_id: int, conn: Conn, user: SignedIn
) -> Response:
    ensure_organization_wide(user)
    connection = await connections.get_connection(
        conn, user.org_id, connection_id, installation=_installation(request)
    )
    waiting = await connections.list_events(
        conn, user.org_id, connection_id, status="needs_mapping", limit=20
    )
    failed = await connections.list_events(
        conn, user.org_id, connection_id, status="failed", limit=20
    )
    platform_title = PLATFORM_NAMES.get(connection.platform, connection.platform)
    return render(
        request,
        "connection.html",
        user,
        title=f"{platform_title} · {connection.channel}",
        connection=connection,
        platform_title=platform_title,
        keys=connector_class(connection.platform).credential_keys,
        waiting=waiting,
        failed=failed,
    )


@router.post("/settings/connections/{connection_id}/sync")
async def sync_now(
    request: Request, connection_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    await attempt(
        request,
        conn,
        lambda: connections.request_pull(conn, user.org_id, connection_id),
        done="A pull of the orders changed since the last one is on its way.",
    )
    return back_to(f"{HERE}/{connection_id}")


@router.post("/settings/connections/{connection_id}/inventory-resync")
async def inventory_resync(
    request: Request, connection_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    await attempt(
        request,
        conn,
        lambda: connections.request_stock_resync(conn, user.org_id, connection_id),
        done="Every SKU's stock will be pushed to the store.",
    )
    return back_to(f"{HERE}/{connection_id}")


@router.post("/settings/connections/{connection_id}")
async def update_connection(
    request: Request, connection_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    installation = _installation(request)
    current = await connections.get_connection(
        conn, user.org_id, connection_id, installation=installation
    )
    credentials = {
        key: str(form.get(f"credentials.{key}", "")).strip()
        for key in connector_class(current.platform).credential_keys
    }
    try:
        settings = ConnectionSettings.model_validate(
            {
                **current.settings.model_dump(),
                "stock_buffer": int(str(form.get("stock_buffer", "0")) or 0),
                "on_shortage": str(form.get("on_shortage", "backorder")),
                "push_stock": form.get("push_stock") == "on",
                "push_fulfillments": form.get("push_fulfillments") == "on",
            }
        )
        patch = ConnectionPatch(
            base_url=str(form.get("base_url", "")).strip() or None,
            # Blank credential fields keep what is stored; all of them are replaced together.
            credentials=credentials if any(credentials.values()) else None,
            settings=settings,
            active=form.get("active") == "on",
        )
    except (ValidationError, ValueError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        flash(request, message, kind="error", field="stock_buffer")
        return back_to(f"{HERE}/{connection_id}")
    await attempt(
        request,
        conn,
        lambda: connections.update_connection(
            conn, user.org_id, connection_id, patch, installation=installation
        ),
        done="Saved.",
    )
    return back_to(f"{HERE}/{connection_id}")


@router.post("/settings/connections/{connection_id}/delete")
async def delete_connection(
    request: Request, connection_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    await attempt(
        request,
        conn,
        lambda: connections.delete_connection(conn, user.org_id, connection_id),
        done="The connection is removed; the orders it brought stay.",
    )
    return back_to(HERE)
