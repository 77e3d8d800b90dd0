"""The route of order capture (`POST /v1/orders`), the busiest route of the API.

`CaptureRoute` resolves a plain request's parameters itself and leaves any other request to
FastAPI's handler: docs/architecture.md, "The capture route resolves its own parameters".
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from orderly.kit.deps import database
from orderly.kit.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH
from orderly.orders.schemas import OrderIn
from orderly.tenancy.deps import authorize, principal_of
from orderly.tenancy.domain import Permission

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class CaptureRoute(APIRoute):
    """An `APIRoute` whose plain requests skip FastAPI's dependency solver (module docstring).

    Its endpoint takes ``request``, ``payload``, ``tx``, ``principal`` and
    ``idempotency_key``, with the meaning those have in `orders.endpoints.create_order`, whose
    principal must hold `permission` (its dependency there is `OrderWriter`)."""

    permission = Permission.ORDERS_WRITE

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            payload = await _plain_order(request)
            if payload is None:
                return await standard(request)
            async with database(request).transaction() as tx:
                principal = authorize(await principal_of(request, tx.connection), self.permission)
                response: Response = await endpoint(
                    request=request,
                    payload=payload,
                    tx=tx,
                    principal=principal,
                    idempotency_key=request.headers.get("idempotency-key"),
                )
            return response

        return handle


async def _plain_order(request: Request) -> OrderIn | None:
    """The order of a plain capture request, or None for any other request."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return None
    body = await request.body()  # kept by the request: FastAPI's handler reads it again
    try:
        return OrderIn.model_validate(orjson.loads(body))
    except Exception:
        # Whatever the body's fault, FastAPI's handler reports it, after the checks it makes
        # first (the API key), as on every route.
        return None
