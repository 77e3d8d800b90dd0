"""The operations dashboard: a sub-application mounted at /app.

Mounted rather than merged so that its signed session cookie, its HTML error pages and its
static files never touch the API's hot path or its problem+json errors.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from orderly.kit.errors import OrderlyError
from orderly.kit.query import refuse_nul_characters
from orderly.kit.secrets import secret_key
from orderly.settings import Settings
from orderly.web import (
    auth_views,
    automation_views,
    connection_views,
    fulfillment_views,
    home_views,
    inventory_views,
    order_actions,
    order_views,
    pos_views,
    provider_views,
    returns_views,
    routing_views,
    settings_views,
    store_views,
    template_views,
    webhook_views,
)
from orderly.web.deps import PREFIX, LoginRequired
from orderly.web.rendering import render
from orderly.web.security_headers import SecurityHeaders

SESSION_COOKIE = "orderly_session"
SESSION_HOURS = 12
STATIC = Path(__file__).parent / "static"

log = logging.getLogger(__name__)


def mount_dashboard(app: FastAPI, settings: Settings) -> None:
    app.mount(PREFIX, create_dashboard(app, settings), name="dashboard")


def create_dashboard(parent: FastAPI, settings: Settings) -> FastAPI:
    web = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_nul_characters)],
    )
    web.state.parent = parent
    web.state.trusted_proxies = settings.trusted_proxy_networks()
    web.add_middleware(SecurityHeaders, static_prefix=f"{PREFIX}/static/")
    web.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=int(timedelta(hours=SESSION_HOURS).total_seconds()),
        path=PREFIX,
        same_site="lax",
        https_only=settings.cookies_secure(),
    )
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_pages(web)
    for module in (
        auth_views,
        home_views,
        order_views,
        order_actions,
        inventory_views,
        fulfillment_views,
        store_views,
        pos_views,
        settings_views,
        returns_views,
        automation_views,
        routing_views,
        webhook_views,
        connection_views,
        provider_views,
        template_views,
    ):
        web.include_router(module.router)
    return web


def _error_page(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "error.html", None, status_code=status, title=heading, message=message)


def _install_error_pages(web: FastAPI) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(
            f"{PREFIX}/login?next={quote(exc.next_path, safe='/')}", status_code=303
        )

    async def orderly_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OrderlyError)
        return _error_page(request, exc.status, exc.title, exc.detail)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'the request'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        return _error_page(request, 422, "Some values are not right", fields)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return _error_page(request, 404, "Not found", "There is no such page.")
        return _error_page(request, exc.status_code, "Request failed", str(exc.detail))

    async def unstorable_value(request: Request, exc: Exception) -> Response:
        # A safety net, as on the API: a value that passed the checks but that PostgreSQL
        # cannot take (a number out of range) is the request's fault.
        return _error_page(
            request,
            422,
            "Some values are not right",
            "A value in the request cannot be used (a number or date out of range).",
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("dashboard error on %s", request.url.path, exc_info=exc)
        return _error_page(
            request,
            500,
            "Something went wrong",
            "Orderly could not finish this request. Nothing was changed; try again.",
        )

    web.add_exception_handler(LoginRequired, login_required)
    web.add_exception_handler(OrderlyError, orderly_error)
    web.add_exception_handler(RequestValidationError, invalid_request)
    web.add_exception_handler(StarletteHTTPException, http_error)
    web.add_exception_handler(DataError, unstorable_value)
    web.add_exception_handler(psycopg.DataError, unstorable_value)
    web.add_exception_handler(Exception, unexpected)
