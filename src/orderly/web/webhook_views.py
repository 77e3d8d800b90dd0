"""Settings: webhook subscriptions (the signing secret shown once, in the page that made it),
pausing and deleting them, and each one's delivery log with redeliver. Deliveries carry every
location's events, so these pages are for users of every location."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from orderly.kit.errors import InvalidInput
from orderly.kit.vault import vault_for
from orderly.notifications import webhooks
from orderly.notifications.domain import DeliveryStatus
from orderly.notifications.schemas import WebhookCreated, WebhookIn, WebhookPatch
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, SettingsActor, SignedIn, attempt, back_to, flash
from orderly.web.rendering import render
from orderly.web.scope import ensure_organization_wide

router = APIRouter()

HERE = "/app/settings/webhooks"
MOST = 100
LOG_PAGE = 50
FAMILIES = ("order.*", "fulfillment.*", "shipment.*", "return.*", "refund.*")


async def _list_page(
    request: Request,
    conn: Conn,
    user: User,
    *,
    status: int = 200,
    created: WebhookCreated | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ensure_organization_wide(user)
    subscriptions = await webhooks.list_subscriptions(conn, user.org_id, limit=MOST, cursor=None)
    dead = await webhooks.list_deliveries(
        conn,
        user.org_id,
        subscription_id=None,
        status=DeliveryStatus.DEAD,
        limit=LOG_PAGE,
        cursor=None,
    )
    return render(
        request,
        "webhooks.html",
        user,
        status_code=status,
        title="Webhooks",
        subscriptions=subscriptions.items,
        dead=dead.items,
        families=FAMILIES,
        created=created,
        values=values or {},
    )


@router.get("/settings/webhooks")
async def webhook_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    return await _list_page(request, conn, user)


def _event_types(text: str) -> list[str]:
    return sorted({t for t in text.replace(",", " ").split() if t})


@router.post("/settings/webhooks")
async def create_webhook(request: Request, conn: Conn, user: SettingsActor, form: Form) -> Response:
    values = {k: str(form.get(k, "")).strip() for k in ("url", "event_types", "description")}
    try:
        data = WebhookIn(
            url=values["url"],
            event_types=_event_types(values["event_types"]),
            description=values["description"] or None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "url"
        message = (
            "list event types such as order.shipped, order.* or *"
            if field == "event_types"
            else "enter the URL to call, http:// or https://"
            if field == "url"
            else str(first["msg"])
        )
        flash(request, message, kind="error", field=field)
        return await _list_page(request, conn, user, values=values, status=422)
    settings = request.app.state.parent.state.settings
    created = await attempt(
        request,
        conn,
        lambda: webhooks.create_subscription(
            conn,
            user.principal,
            data,
            vault_for(settings),
            allow_private_urls=settings.allow_private_urls,
        ),
    )
    if created is None:
        return await _list_page(request, conn, user, values=values, status=422)
    # The secret is in this answer only: never in the session cookie or a redirect.
    response = await _list_page(request, conn, user, created=created)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/webhooks/{webhook_id}/active")
async def set_active(
    request: Request, webhook_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    active = form.get("active") == "true"
    await attempt(
        request,
        conn,
        lambda: webhooks.update_subscription(
            conn, user.principal, webhook_id, WebhookPatch(active=active)
        ),
        done="Resumed." if active else "Paused: new events wait until it is resumed.",
    )
    return back_to(f"{HERE}/{webhook_id}")


@router.post("/settings/webhooks/{webhook_id}/delete")
async def delete_webhook(
    request: Request, webhook_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    await attempt(
        request,
        conn,
        lambda: webhooks.delete_subscription(conn, user.org_id, webhook_id),
        done="The webhook and its delivery log are deleted.",
    )
    return back_to(HERE)


@router.get("/settings/webhooks/{webhook_id}")
async def webhook_detail(request: Request, webhook_id: int, conn: Conn, user: SignedIn) -> Response:
    ensure_organization_wide(user)
    subscription = await webhooks.get_subscription(conn, user.org_id, webhook_id)
    status = request.query_params.get("status", "").strip()
    if status and status not in DeliveryStatus.__members__.values():
        raise InvalidInput(f"there is no delivery status {status!r}", field="status")
    cursor = request.query_params.get("cursor") or None
    log = await webhooks.list_deliveries(
        conn,
        user.org_id,
        subscription_id=webhook_id,
        status=DeliveryStatus(status) if status else None,
        limit=LOG_PAGE,
        cursor=cursor,
    )
    return render(
        request,
        "webhook.html",
        user,
        title=f"Webhook {subscription.id}",
        subscription=subscription,
        deliveries=log.items,
        next_cursor=log.next_cursor,
        status=status,
        statuses=[s.value for s in DeliveryStatus],
    )


@router.post("/settings/webhook-deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request, delivery_id: int, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    done = await attempt(
        request,
        conn,
        lambda: webhooks.redeliver(conn, user.org_id, delivery_id),
        done="It will be sent again within seconds.",
    )
    back = str(form.get("back", ""))
    if done is not None and not back.startswith(HERE):
        back = f"{HERE}/{done.subscription_id}"
    return back_to(back if back.startswith(HERE) else HERE)
