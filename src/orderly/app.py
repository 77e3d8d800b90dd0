"""create_app(settings): the one ASGI app with every feature's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from orderly import __version__, wiring
from orderly.automation.endpoints import router as automation
from orderly.catalog.endpoints import router as catalog
from orderly.channels.endpoints import router as channels
from orderly.connections.endpoints import hooks as connection_hooks
from orderly.connections.endpoints import router as connections
from orderly.fulfillment.endpoints import router as fulfillment
from orderly.health import router as health
from orderly.inventory.endpoints import router as inventory
from orderly.kit import heap
from orderly.kit.body_limit import BodySizeLimit
from orderly.kit.db import Database
from orderly.kit.idempotency import Replayed, replayed_response
from orderly.kit.problems import document_problems, install_problem_handlers
from orderly.kit.query import refuse_nul_characters
from orderly.kit.rate_limit import RateLimit
from orderly.locations.endpoints import router as locations
from orderly.notifications.endpoints import router as notifications
from orderly.order_flows.endpoints import router as order_flows
from orderly.orders.endpoints import customers_router as customers
from orderly.orders.endpoints import router as orders
from orderly.outside.endpoints import router as outside
from orderly.outside.hooks import hooks as provider_hooks
from orderly.outside.pages import public_router as drop_ship_page
from orderly.payments.account_endpoints import router as payment_accounts
from orderly.payments.endpoints import router as payments
from orderly.payments.hooks import hooks as payment_hooks
from orderly.pos.endpoints import router as point_of_sale
from orderly.reporting.endpoints import router as reports
from orderly.returns.endpoints import router as returns
from orderly.returns.pages import public_router as return_page
from orderly.settings import Settings
from orderly.shipping import accounts as carrier_accounts
from orderly.shipping.address_check_endpoints import router as address_checks
from orderly.shipping.endpoints import public_router as tracking_page
from orderly.shipping.endpoints import router as shipping
from orderly.shipping.purchase_endpoints import router as label_purchases
from orderly.sourcing.endpoints import router as sourcing
from orderly.tenancy import key_cache
from orderly.tenancy.endpoints import router as organization
from orderly.web.app import mount_dashboard

API_DESCRIPTION = """\
Orderly is an Order Management System: order capture from every channel, stock across
every location with no overselling, and the order lifecycle.

Authenticate with `Authorization: Bearer <api key>`. Errors are `application/problem+json`
with a stable `code`. POSTs that create something accept an `Idempotency-Key` header.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    wiring.install()
    carrier_accounts.use_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if getattr(app.state, "database", None) is None:
            owned = Database(
                database_url(settings),
                pool_size=settings.pool_size,
                max_overflow=settings.max_overflow,
                read_pool_size=settings.read_pool_size,
            )
            app.state.database = owned
        heap.settle_after_startup()
        try:
            async with key_cache.listening(app.state.api_keys, app.state.database.url):
                yield
        finally:
            if owned is not None:
                await owned.dispose()

    app = FastAPI(
        title="Orderly",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.database = database
    # Filled and listening only while the lifespan runs (see tenancy.key_cache).
    app.state.api_keys = key_cache.ApiKeyCache()
    install_problem_handlers(app)
    app.add_exception_handler(Replayed, replayed_response)
    _include_routers(app)
    mount_dashboard(app, settings)
    document_problems(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Outermost, so a key over its limit is refused before its body is read.
    app.add_middleware(
        RateLimit, per_minute=settings.rate_limit_per_minute, batch=settings.rate_limit_batch
    )
    return app


def database_url(settings: Settings) -> str:
    return settings.resolved_database_url()


def _include_routers(app: FastAPI) -> None:
    app.include_router(health)
    # Routes are matched in this order: order flows first, as order capture is the busiest
    # route (no other router has a path that an order route could take for its own).
    routers = (
        order_flows,
        orders,
        customers,
        organization,
        locations,
        outside,
        catalog,
        channels,
        connections,
        inventory,
        sourcing,
        shipping,
        label_purchases,
        address_checks,
        fulfillment,
        automation,
        returns,
        payments,
        payment_accounts,
        point_of_sale,
        reports,
        notifications,
    )
    for router in routers:
        app.include_router(router, prefix="/v1")
    # Before the platforms' `/hooks/{platform}/...`, which would take `outside` for a platform.
    app.include_router(provider_hooks)
    app.include_router(payment_hooks)
    app.include_router(connection_hooks)
    app.include_router(tracking_page)
    app.include_router(return_page)
    app.include_router(drop_ship_page)
