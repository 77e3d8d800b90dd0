"""Signing in and out."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.tenancy import users
from orderly.web.deps import Conn, Form, back_to, safe_next
from orderly.web.rendering import render

router = APIRouter()

# A failed sign-in answers a little later, which slows password guessing without a lock.
FAILURE_DELAY_SECONDS = 0.5


@router.get("/login")
async def login_page(request: Request, next: str = "/app/") -> Response:
    return render(request, "login.html", None, title="Sign in", next=safe_next(next), values={})


@router.post("/login")
async def login(request: Request, conn: Conn, form: Form) -> Response:
    org = str(form.get("organization", ""))
    email = str(form.get("email", ""))
    try:
        user = await users.authenticate(
            conn, org=org, email=email, password=str(form.get("password", ""))
        )
    except users.SignInFailed as failed:
        await asyncio.sleep(FAILURE_DELAY_SECONDS)
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            title="Sign in",
            next=safe_next(form.get("next")),
            values={"organization": org, "email": email},
            error=failed.detail,
        )
    # A fresh session on every sign-in: nothing from before carries over.
    request.session.clear()
    request.session.update(user_id=user.id, org_id=user.org_id)
    return back_to(safe_next(form.get("next")))


@router.post("/logout")
async def logout(request: Request, form: Form) -> Response:
    request.session.clear()
    return back_to("/app/login")
