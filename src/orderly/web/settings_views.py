"""Settings: locations, channels and carriers (read), users and API keys (managed by those
who hold access:admin). A new API key is shown once, in the page that made it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.errors import Forbidden, OrderlyError
from orderly.shipping import address_checks, purchase_review
from orderly.shipping import service as shipping
from orderly.shipping.domain import FEATURE_NAMES
from orderly.tenancy import access, users
from orderly.tenancy.domain import Permission, Role
from orderly.web.deps import AccessActor, Conn, Form, SignedIn, attempt, back_to, flash
from orderly.web.lookups import org_channels, org_locations
from orderly.web.rendering import render
from orderly.web.scope import ensure_organization_wide

router = APIRouter()


@router.get("/settings")
async def overview(request: Request, conn: Conn, user: SignedIn) -> Response:
    carriers = await shipping.list_carrier_accounts(conn, user.org_id, limit=100, cursor=None)
    # Orders of every location: not for a user limited to some.
    unsettled, undeliverable = [], []
    if not user.limited:
        purchases = await purchase_review.list_label_purchases(
            conn, user.org_id, status="needs_attention", order_id=None, limit=50, cursor=None
        )
        checks = await address_checks.list_address_checks(
            conn, user.org_id, verdict="undeliverable", order_id=None, limit=50, cursor=None
        )
        unsettled, undeliverable = purchases.items, checks.items
    return render(
        request,
        "settings.html",
        user,
        title="Settings",
        locations=[loc for loc in await org_locations(conn, user) if user.may_work_at(loc.id)],
        channels=await org_channels(conn, user),
        carriers=carriers.items,
        feature_names=FEATURE_NAMES,
        unsettled_purchases=unsettled,
        undeliverable=undeliverable,
    )


def _admin_only(user: SignedIn) -> None:
    if not user.principal.can(Permission.ACCESS_ADMIN):
        raise Forbidden(f"your role ({user.role.value}) may not manage users and keys")
    ensure_organization_wide(user)


async def _users_page(request: Request, conn: Conn, user: SignedIn, **extra: Any) -> Response:
    _admin_only(user)
    locations = await org_locations(conn, user)
    return render(
        request,
        "users.html",
        user,
        title="Users",
        users=await users.list_users(conn, user.org_id),
        location_codes={loc.id: loc.code for loc in locations},
        locations=locations,
        roles=[r.value for r in Role if r is not Role.INTEGRATION and user.principal.may_manage(r)],
        **extra,
    )


@router.get("/settings/users")
async def user_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    return await _users_page(request, conn, user, values={})


@router.post("/settings/users")
async def create_user(request: Request, conn: Conn, user: AccessActor, form: Form) -> Response:
    email = str(form.get("email", "")).strip()
    role = str(form.get("role", ""))
    location_ids = [int(str(v)) for v in form.getlist("locations") if str(v).isdigit()]
    allowed = {loc.id for loc in await org_locations(conn, user)}
    try:
        if role not in Role.__members__.values():
            raise users.InvalidUser("choose a role", field="role")
        async with conn.begin_nested():
            await users.create_user(
                conn,
                org_id=user.org_id,
                email=email,
                password=str(form.get("password", "")),
                role=Role(role),
                location_ids=[i for i in location_ids if i in allowed],
                granted_by=user.principal,
            )
    except OrderlyError as error:
        flash(request, error.detail, kind="error", field=error.field)
        return await _users_page(
            request, conn, user, values={"email": email, "role": role}, status_code=422
        )
    flash(request, f"{email} can sign in now.")
    return back_to("/app/settings/users")


@router.post("/settings/users/{user_id}/active")
async def set_active(
    request: Request, user_id: int, conn: Conn, user: AccessActor, form: Form
) -> Response:
    active = form.get("active") == "true"
    await attempt(
        request,
        conn,
        lambda: users.set_user_active(conn, user.principal, user_id, active=active),
        done="Activated." if active else "Deactivated: that user cannot sign in any more.",
    )
    return back_to("/app/settings/users")


@router.post("/settings/users/{user_id}/role")
async def set_role(
    request: Request, user_id: int, conn: Conn, user: AccessActor, form: Form
) -> Response:
    role = str(form.get("role", ""))
    if role not in Role.__members__.values():
        flash(request, "choose a role", kind="error", field="role")
        return back_to("/app/settings/users")
    await attempt(
        request,
        conn,
        lambda: users.set_user_role(conn, user.principal, user_id, role=Role(role)),
        done=f"The role is now {role}; that user signs in again to use it.",
    )
    return back_to("/app/settings/users")


async def _keys_page(request: Request, conn: Conn, user: SignedIn, **extra: Any) -> Response:
    _admin_only(user)
    return render(
        request,
        "api_keys.html",
        user,
        title="API keys",
        keys=await access.list_api_keys(conn, user.org_id),
        roles=[r.value for r in Role if user.principal.may_manage(r)],
        **extra,
    )


@router.get("/settings/api-keys")
async def key_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    return await _keys_page(request, conn, user, new_key=None)


@router.post("/settings/api-keys")
async def issue_key(request: Request, conn: Conn, user: AccessActor, form: Form) -> Response:
    name = str(form.get("name", "")).strip()[:100] or "api key"
    role = str(form.get("role", ""))
    if role not in Role.__members__.values():
        flash(request, "choose a role", kind="error", field="role")
        return back_to("/app/settings/api-keys")
    new = await attempt(
        request,
        conn,
        lambda: access.issue_api_key(conn, user.principal, name=name, role=Role(role)),
    )
    if new is None:
        return back_to("/app/settings/api-keys")
    # Shown in this answer only: never put in the session cookie or a redirect.
    response = await _keys_page(request, conn, user, new_key=new)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/api-keys/{key_id}/revoke")
async def revoke_key(
    request: Request, key_id: int, conn: Conn, user: AccessActor, form: Form
) -> Response:
    await attempt(
        request,
        conn,
        lambda: access.revoke_api_key(conn, user.principal, key_id),
        done="The key is revoked.",
    )
    return back_to("/app/settings/api-keys")
