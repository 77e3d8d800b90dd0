"""Notifications over HTTP: templates (with preview), the messages sent, webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import CreatedWithSecret, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.kit.vault import Vault, vault_for
from orderly.notifications import service, template_store, webhooks
from orderly.notifications.domain import DeliveryStatus, NotificationKind, NotificationStatus
from orderly.notifications.schemas import (
    NotificationDetail,
    NotificationOut,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from orderly.settings import Settings
from orderly.tenancy.deps import Reader, SettingsWriter, authorize
from orderly.tenancy.domain import Permission

router = APIRouter(tags=["notifications"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Channel = Annotated[
    str | None,
    Query(max_length=100, description="A sales channel's code; omitted: every channel"),
]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _vault(request: Request) -> Vault:
    return vault_for(request.app.state.settings)


AppSettings = Annotated[Settings, Depends(_settings)]
SecretVault = Annotated[Vault, Depends(_vault)]


# Templates ----------------------------------------------------------------------------------


@router.get(
    "/notification-templates/{kind}",
    response_model=TemplateOut,
    summary="The template a kind of message uses",
    responses=responses(404, 422),
)
async def get_template(
    kind: NotificationKind, conn: Conn, principal: Reader, channel: Channel = None
) -> TemplateOut:
    return await template_store.get_template(conn, principal.org_id, kind, channel)


@router.put(
    "/notification-templates/{kind}",
    response_model=TemplateOut,
    summary="Set the organization's template for a kind of message (for one channel or all)",
    responses=responses(403, 422),
)
async def put_template(
    kind: NotificationKind,
    data: TemplateIn,
    conn: Conn,
    principal: SettingsWriter,
    channel: Channel = None,
) -> TemplateOut:
    return await template_store.put_template(conn, principal.org_id, kind, channel, data)


@router.delete(
    "/notification-templates/{kind}",
    response_model=TemplateOut,
    summary="Go back to the default template; returns the one now in use",
    responses=responses(403, 422),
)
async def reset_template(
    kind: NotificationKind, conn: Conn, principal: SettingsWriter, channel: Channel = None
) -> TemplateOut:
    return await template_store.reset_template(conn, principal.org_id, kind, channel)


@router.post(
    "/notification-templates/{kind}/preview",
    response_model=PreviewOut,
    summary="Render a template with an order (or the sample order), without sending",
    description="Any role may preview the saved template; rendering an unsaved `template` "
    "(code the caller wrote) needs the settings permission, like saving it.",
    responses=responses(403, 404, 422),
)
async def preview_template(
    kind: NotificationKind,
    data: PreviewIn,
    conn: Conn,
    principal: Reader,
    settings: AppSettings,
) -> PreviewOut:
    if data.template is not None:
        authorize(principal, Permission.SETTINGS_WRITE)
    rendered = await template_store.preview(conn, principal.org_id, kind, data, settings=settings)
    return PreviewOut(
        subject=rendered.subject, body_text=rendered.body_text, body_html=rendered.body_html
    )


# Messages -----------------------------------------------------------------------------------


@router.get("/notifications", response_model=Page[NotificationOut], summary="Customer messages")
async def list_notifications(
    conn: Conn,
    principal: Reader,
    status: NotificationStatus | None = None,
    kind: NotificationKind | None = None,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    return await service.list_notifications(
        conn,
        principal.org_id,
        status=status,
        kind=kind,
        recipient=recipient,
        order_id=order_id,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationDetail,
    summary="A customer message with its bodies",
    responses=responses(404),
)
async def get_notification(
    notification_id: Id, conn: Conn, principal: Reader
) -> NotificationDetail:
    return await service.get_notification(conn, principal.org_id, notification_id)


@router.get(
    "/notifications/{notification_id}/raw",
    summary="The message as an .eml file (RFC 5322)",
    response_class=Response,
    responses={
        200: {"content": {"message/rfc822": {}}},
        **responses(404, described={409: "Not composed yet (`notification_not_rendered`)"}),
    },
)
async def raw_notification(
    notification_id: Id, conn: Conn, principal: Reader, settings: AppSettings
) -> Response:
    raw = await service.raw_message(conn, principal.org_id, notification_id, settings)
    return Response(
        raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{notification_id}.eml"'},
    )


# Webhooks -----------------------------------------------------------------------------------


@router.post(
    "/webhooks",
    response_model=WebhookCreated,
    status_code=201,
    summary="Subscribe a URL to events; the signing secret is in this response only",
    description="The URL may not lead to loopback, private or link-local addresses (checked "
    "again, resolved, at each delivery), unless `allowed_networks` grants its network.",
    responses=responses(
        403,
        422,
        described={409: "The Idempotency-Key is in use, or its secret was shown already"},
    ),
)
async def create_webhook(
    data: WebhookIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    vault: SecretVault,
    settings: AppSettings,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A replay of the request with the same Idempotency-Key is 409
    `idempotency_secret_not_replayable`: the secret is not kept for it."""

    async def create() -> CreatedWithSecret:
        webhook = await webhooks.create_subscription(
            conn, principal, data, vault, allow_private_urls=settings.allow_private_urls
        )
        return CreatedWithSecret(
            201,
            webhook.model_dump_json().encode(),
            kept=webhook.model_dump_json(exclude={"secret"}).encode(),
        )

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/webhooks", response_model=Page[WebhookOut], summary="Webhook subscriptions")
async def list_webhooks(
    conn: Conn, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookOut]:
    return await webhooks.list_subscriptions(conn, principal.org_id, limit=limit, cursor=cursor)


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="A webhook",
    responses=responses(404),
)
async def get_webhook(webhook_id: Id, conn: Conn, principal: Reader) -> WebhookOut:
    return await webhooks.get_subscription(conn, principal.org_id, webhook_id)


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="Change a webhook's URL, event types, allowed networks or state",
    responses=responses(403, 404, 422),
)
async def update_webhook(
    webhook_id: Id, data: WebhookPatch, conn: Conn, principal: SettingsWriter, settings: AppSettings
) -> WebhookOut:
    return await webhooks.update_subscription(
        conn, principal, webhook_id, data, allow_private_urls=settings.allow_private_urls
    )


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook and its delivery log",
    responses=responses(403, 404),
)
async def delete_webhook(webhook_id: Id, conn: Conn, principal: SettingsWriter) -> Response:
    await webhooks.delete_subscription(conn, principal.org_id, webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Page[WebhookDeliveryOut],
    summary="A webhook's delivery log, newest first",
    responses=responses(404),
)
async def list_webhook_deliveries(
    webhook_id: Id,
    conn: Conn,
    principal: Reader,
    status: DeliveryStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[WebhookDeliveryOut]:
    return await webhooks.list_deliveries(
        conn,
        principal.org_id,
        subscription_id=webhook_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/webhook-deliveries",
    response_model=Page[WebhookDeliveryOut],
    summary="Deliveries of every webhook; `status=dead` is the dead-letter list",
)
async def list_deliveries(
    conn: Conn,
    principal: Reader,
    status: DeliveryStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[WebhookDeliveryOut]:
    return await webhooks.list_deliveries(
        conn, principal.org_id, subscription_id=None, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/webhook-deliveries/{delivery_id}",
    response_model=WebhookDeliveryOut,
    summary="One delivery with its attempts",
    responses=responses(404),
)
async def get_delivery(delivery_id: Id, conn: Conn, principal: Reader) -> WebhookDeliveryOut:
    return await webhooks.get_delivery(conn, principal.org_id, delivery_id)


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryOut,
    status_code=202,
    summary="Send a delivery again (from the dead-letter list, or a delivered one)",
    responses=responses(403, 404, described={409: "Still being tried"}),
)
async def redeliver(delivery_id: Id, conn: Conn, principal: SettingsWriter) -> WebhookDeliveryOut:
    return await webhooks.redeliver(conn, principal.org_id, delivery_id)
