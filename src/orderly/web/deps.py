"""What every dashboard view needs: the request's transaction, the signed-in user, the CSRF
check on every form, permissions, and running an action so that a failure rolls back.

Sessions are signed cookies (scoped to /app) holding the user and organization ids, a CSRF token
and the user's session version, which must still be the user's (tenancy.users).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from orderly.kit.db import Database
from orderly.kit.errors import Forbidden, OrderlyError
from orderly.tenancy import users
from orderly.tenancy.domain import Permission
from orderly.tenancy.users import User
from orderly.web.scope import ensure_organization_wide

T = TypeVar("T")

PREFIX = "/app"


class LoginRequired(Exception):
    """Not signed in: the handler sends the browser to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Forbidden):
    code = "csrf_refused"

    def __init__(self) -> None:
        super().__init__(
            "this form has expired or did not come from Orderly; reload the page and try again"
        )


def database(request: Request) -> Database:
    db: Database = request.app.state.parent.state.database
    return db


async def _transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    async with database(request).transaction() as transaction:
        conn = transaction.connection
        yield conn


Conn = Annotated[AsyncConnection, Depends(_transaction, scope="function")]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (403 otherwise)."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefused()
    return form


Form = Annotated[FormData, Depends(checked_form)]


async def _signed_in(request: Request, conn: Conn) -> User:
    user_id = request.session.get("user_id")
    user = await users.active_user(conn, user_id) if isinstance(user_id, int) else None
    if (
        user is None
        or user.org_id != request.session.get("org_id")
        or user.session_version != request.session.get("session_version")
    ):
        request.session.clear()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else PREFIX + "/")
    return user


SignedIn = Annotated[User, Depends(_signed_in)]


async def _signed_in_outside_transaction(request: Request) -> User:
    async with database(request).reading() as conn:
        return await _signed_in(request, conn)


# The user, looked up in a read of its own, for a view that runs its own transactions around a
# call to a vendor (docs/architecture.md, "Calls to carriers").
SignedInOutsideTransaction = Annotated[User, Depends(_signed_in_outside_transaction)]


def start_session(request: Request, user: User, *, keep_flash: bool = False) -> None:
    """A fresh session for the user: nothing from before carries over (but, if asked, the
    messages waiting to be shown)."""
    notes = request.session.get("flash") if keep_flash else None
    request.session.clear()
    request.session.update(
        user_id=user.id, org_id=user.org_id, session_version=user.session_version
    )
    if notes:
        request.session["flash"] = notes


def may(permission: Permission) -> Callable[..., Awaitable[User]]:
    async def dependency(user: SignedIn, form: Form) -> User:
        return _allowed(user, permission)

    return dependency


def _allowed(user: User, permission: Permission) -> User:
    if not user.principal.can(permission):
        raise Forbidden(f"your role ({user.role.value}) may not do this")
    return user


async def _stock_actor_outside_transaction(user: SignedInOutsideTransaction, form: Form) -> User:
    return _allowed(user, Permission.INVENTORY_WRITE)


async def _order_actor_outside_transaction(user: SignedInOutsideTransaction, form: Form) -> User:
    return _allowed(user, Permission.ORDERS_WRITE)


def may_everywhere(permission: Permission) -> Callable[..., Awaitable[User]]:
    """`may`, for a change to what every location shares: users of every location only."""
    allowed = may(permission)

    async def dependency(user: SignedIn, form: Form) -> User:
        await allowed(user, form)
        ensure_organization_wide(user)
        return user

    return dependency


OrderActor = Annotated[User, Depends(may(Permission.ORDERS_WRITE))]
StockActor = Annotated[User, Depends(may(Permission.INVENTORY_WRITE))]
StockActorOutsideTransaction = Annotated[User, Depends(_stock_actor_outside_transaction)]
OrderActorOutsideTransaction = Annotated[User, Depends(_order_actor_outside_transaction)]
AccessActor = Annotated[User, Depends(may_everywhere(Permission.ACCESS_ADMIN))]
SettingsActor = Annotated[User, Depends(may_everywhere(Permission.SETTINGS_WRITE))]


def flash(request: Request, message: str, *, kind: str = "ok", field: str | None = None) -> None:
    notes: list[dict[str, Any]] = list(request.session.get("flash", []))
    notes.append({"kind": kind, "text": message, "field": field})
    request.session["flash"] = notes[-5:]


def take_flash(request: Request) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = list(request.session.pop("flash", []))
    return notes


def back_to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def attempt(
    request: Request,
    conn: AsyncConnection,
    action: Callable[[], Awaitable[T]],
    *,
    done: str | None = None,
    field: str | None = None,
) -> T | None:
    """Run an action in a savepoint. On an OrderlyError nothing of it is kept and its plain
    words are flashed (next to the field it names, or `field`: the id of the input on the
    page); the caller redirects either way."""

    async def in_savepoint() -> T:
        async with conn.begin_nested():
            return await action()

    return await attempt_alone(request, in_savepoint, done=done, field=field)


async def attempt_alone(
    request: Request,
    action: Callable[[], Awaitable[T]],
    *,
    done: str | None = None,
    field: str | None = None,
) -> T | None:
    """`attempt`, for an action that runs its own transactions (a call to a vendor)."""
    try:
        result = await action()
    except OrderlyError as error:
        flash(request, error.detail, kind="error", field=field or _field(error))
        return None
    if done:
        flash(request, done)
    return result


def _field(error: OrderlyError) -> str | None:
    return error.field.rsplit(".", 1)[-1] if error.field else None


def safe_next(value: object, default: str = PREFIX + "/") -> str:
    """Only a path inside the dashboard: never an open redirect."""
    if isinstance(value, str) and value.startswith(PREFIX) and not value.startswith("//"):
        return value
    return default
