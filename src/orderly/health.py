"""Liveness and readiness."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request

from orderly.kit.errors import OrderlyError
from orderly.kit.problems import DATABASE_RETRY_AFTER

router = APIRouter(tags=["health"])


class DatabaseUnavailable(OrderlyError):
    code = "database_unavailable"
    status = 503
    title = "Service unavailable"
    retry_after = DATABASE_RETRY_AFTER


@router.get("/healthz", summary="Health: the API is up and reaches its database")
async def healthz(request: Request) -> dict[str, str]:
    try:
        async with request.app.state.database.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        raise DatabaseUnavailable("the database cannot be reached") from exc
    return {"status": "ok"}
