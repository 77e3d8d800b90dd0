"""Settings: the customer e-mail templates, for every channel or one, with a preview that
renders an edit (or, for a role that may not edit, the saved template) with the sample order or a
real one, sending nothing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from orderly.kit.errors import InvalidInput
from orderly.notifications import template_store
from orderly.notifications.domain import NotificationKind
from orderly.notifications.schemas import PreviewIn, PreviewOut, TemplateDraft, TemplateIn
from orderly.tenancy.domain import Permission
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, SettingsActor, SignedIn, attempt, back_to, flash
from orderly.web.lookups import org_channels
from orderly.web.rendering import render
from orderly.web.scope import visible_order
from orderly.web.security_headers import EMAIL_PREVIEW_POLICY

router = APIRouter()

HERE = "/app/settings/notification-templates"
PARTS = ("subject", "body_text", "body_html")


def _kind(value: str) -> NotificationKind:
    if value not in NotificationKind.__members__.values():
        raise InvalidInput(f"there is no kind of message {value!r}", field="kind")
    return NotificationKind(value)


async def _channel(conn: Conn, user: User, value: str) -> str | None:
    if value and value not in {c.code for c in await org_channels(conn, user)}:
        raise InvalidInput(f"there is no channel {value!r}", field="channel")
    return value or None


def _url(kind: NotificationKind, channel: str | None) -> str:
    return f"{HERE}/{kind.value}" + (f"?channel={channel}" if channel else "")


@router.get("/settings/notification-templates")
async def template_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    channel = await _channel(conn, user, request.query_params.get("channel", "").strip())
    # One read per kind of message: a fixed eight, whatever the data.
    templates = [
        await template_store.get_template(conn, user.org_id, kind, channel)
        for kind in NotificationKind
    ]
    return render(
        request,
        "notification_templates.html",
        user,
        title="Notification templates",
        templates=templates,
        channel=channel or "",
        channels=[c.code for c in await org_channels(conn, user)],
    )


async def _editor(
    request: Request,
    conn: Conn,
    user: User,
    kind: NotificationKind,
    channel: str | None,
    *,
    draft: dict[str, str] | None = None,
    preview: PreviewOut | None = None,
    order_id: str = "",
    status: int = 200,
) -> Response:
    current = await template_store.get_template(conn, user.org_id, kind, channel)
    response = render(
        request,
        "notification_template.html",
        user,
        status_code=status,
        title=f"Template {kind.value}",
        kind=kind.value,
        channel=channel or "",
        current=current,
        draft=draft or {p: getattr(current, p) for p in PARTS},
        enabled=current.enabled if draft is None else draft.get("enabled") == "1",
        preview=preview,
        order_id=order_id,
    )
    if preview is not None:
        response.headers["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
    return response


@router.get("/settings/notification-templates/{kind}")
async def template_editor(request: Request, kind: str, conn: Conn, user: SignedIn) -> Response:
    found = _kind(kind)
    channel = await _channel(conn, user, request.query_params.get("channel", "").strip())
    return await _editor(request, conn, user, found, channel)


def _draft(form: FormData) -> dict[str, str]:
    draft = {p: str(form.get(p, "")) for p in PARTS}
    draft["enabled"] = "1" if form.get("enabled") else ""
    return draft


@router.post("/settings/notification-templates/{kind}")
async def save_template(
    request: Request, kind: str, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    found = _kind(kind)
    channel = await _channel(conn, user, str(form.get("channel", "")).strip())
    draft = _draft(form)
    try:
        data = TemplateIn(
            subject=draft["subject"].strip(),
            body_text=draft["body_text"],
            body_html=draft["body_html"],
            enabled=bool(draft["enabled"]),
        )
    except ValidationError:
        flash(request, "the subject must not be empty", kind="error", field="subject")
        return await _editor(request, conn, user, found, channel, draft=draft, status=422)
    saved = await attempt(
        request,
        conn,
        lambda: template_store.put_template(conn, user.org_id, found, channel, data),
        done="Template saved.",
    )
    if saved is None:
        return await _editor(request, conn, user, found, channel, draft=draft, status=422)
    return back_to(_url(found, channel))


@router.post("/settings/notification-templates/{kind}/reset")
async def reset_template(
    request: Request, kind: str, conn: Conn, user: SettingsActor, form: Form
) -> Response:
    found = _kind(kind)
    channel = await _channel(conn, user, str(form.get("channel", "")).strip())
    await attempt(
        request,
        conn,
        lambda: template_store.reset_template(conn, user.org_id, found, channel),
        done="Back to the next template in line.",
    )
    return back_to(_url(found, channel))


@router.post("/settings/notification-templates/{kind}/preview")
async def preview_template(
    request: Request, kind: str, conn: Conn, user: SignedIn, form: Form
) -> Response:
    """Nothing is saved or sent. A draft is code the user typed, so only a role that may edit
    templates renders its own; any other role previews the saved template."""
    found = _kind(kind)
    channel = await _channel(conn, user, str(form.get("channel", "")).strip())
    may_edit = user.principal.can(Permission.SETTINGS_WRITE)
    draft = _draft(form) if may_edit else None
    order_id = str(form.get("order_id", "")).strip()
    if order_id and not order_id.isdigit():
        flash(request, "an order is given by its id", kind="error", field="order_id")
        return await _editor(request, conn, user, found, channel, draft=draft, status=422)
    if order_id:
        await visible_order(conn, user, int(order_id))
    body = PreviewIn(
        order_id=int(order_id) if order_id else None,
        channel=channel,
        template=None
        if draft is None
        else TemplateDraft(
            subject=draft["subject"].strip() or "(no subject)",
            body_text=draft["body_text"],
            body_html=draft["body_html"],
        ),
    )
    settings = request.app.state.parent.state.settings

    async def rendered() -> PreviewOut:
        message = await template_store.preview(conn, user.org_id, found, body, settings=settings)
        return PreviewOut(
            subject=message.subject, body_text=message.body_text, body_html=message.body_html
        )

    shown = await attempt(request, conn, rendered)
    return await _editor(
        request,
        conn,
        user,
        found,
        channel,
        draft=draft,
        preview=shown,
        order_id=order_id,
        status=200 if shown is not None else 422,
    )
