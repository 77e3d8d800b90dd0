"""Signing in and out, and changing one's own password. A failed sign-in gets the same page
whatever was wrong; tenancy.sign_in throttles per client."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.client_address import request_client_address
from orderly.kit.errors import OrderlyError
from orderly.tenancy import sign_in, users
from orderly.web.deps import Conn, Form, SignedIn, back_to, flash, safe_next, start_session
from orderly.web.rendering import render

router = APIRouter()


@router.get("/login")
async def login_page(request: Request, next: str = "/app/") -> Response:
    return render(request, "login.html", None, title="Sign in", next=safe_next(next), values={})


@router.post("/login")
async def login(request: Request, conn: Conn, form: Form) -> Response:
    org = str(form.get("organization", ""))
    email = str(form.get("email", ""))
    try:
        user = await sign_in.sign_in(
            conn,
            client=_client(request),
            org=org,
            email=email,
            password=str(form.get("password", "")),
        )
    except (users.SignInFailed, sign_in.SignInThrottled) as failed:
        delay = request.app.state.parent.state.settings.sign_in_failure_delay_seconds
        await asyncio.sleep(delay)
        response = render(
            request,
            "login.html",
            None,
            status_code=failed.status,
            title="Sign in",
            next=safe_next(form.get("next")),
            values={"organization": org, "email": email},
            error=failed.detail,
        )
        if failed.retry_after:
            response.headers["Retry-After"] = str(failed.retry_after)
        return response
    start_session(request, user)
    return back_to(safe_next(form.get("next")))


@router.post("/logout")
async def logout(request: Request, conn: Conn, form: Form) -> Response:
    user_id = request.session.get("user_id")
    user = await users.active_user(conn, user_id) if isinstance(user_id, int) else None
    if user is not None and user.session_version == request.session.get("session_version"):
        # Signing out ends this user's every session: a copied cookie stops working too.
        await users.end_sessions(conn, user)
    request.session.clear()
    return back_to("/app/login")


@router.get("/account")
async def account_page(request: Request, user: SignedIn) -> Response:
    return render(request, "account.html", user, title="Your account")


@router.post("/account/password")
async def change_password(request: Request, conn: Conn, user: SignedIn, form: Form) -> Response:
    try:
        changed = await sign_in.change_password(
            conn,
            client=_client(request),
            user=user,
            current=str(form.get("current_password", "")),
            new=str(form.get("new_password", "")),
        )
    except OrderlyError as error:
        # Nothing of the change was written; a wrong current password stays counted.
        flash(request, error.detail, kind="error", field=error.field)
        return back_to("/app/account")
    flash(request, "Password changed: every other session is signed out.")
    start_session(request, changed, keep_flash=True)
    return back_to("/app/account")


def _client(request: Request) -> str:
    return request_client_address(request, request.app.state.trusted_proxies)
