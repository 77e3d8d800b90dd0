"""Per-API-key rate limit shared by every API process, at a fraction of a round trip a request.

Each process counts locally and adds to a shared per-minute counter in PostgreSQL every `batch`
requests: docs/security.md, "Rate limits".
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from starlette.types import ASGIApp, Receive, Scope, Send

from orderly.kit.db import Database
from orderly.kit.problems import PROBLEM_JSON
from orderly.kit.rate_limit_models import rate_limit_windows

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# Overshoot allowed per process and window, as a share of the limit (and never above MAX_BATCH).
BATCH_SHARE = 200
MAX_BATCH = 50


def default_batch(per_minute: int) -> int:
    return max(1, min(MAX_BATCH, per_minute // BATCH_SHARE))


def _now() -> float:
    return time.time()


def key_id(token: bytes) -> str:
    return hashlib.sha256(token).hexdigest()[:16]


@dataclass
class _Window:
    number: int
    shared: int = 0  # requests let through by every process, as of the last sync
    pending: int = 0  # requests let through by this process since the last sync


class RateLimit:
    """Pure ASGI middleware: 429 `rate_limited` with Retry-After once a key has used its minute."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        batch: int = 0,
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.batch = batch or default_batch(per_minute)
        self._windows: dict[str, _Window] = {}
        self._current = 0
        self._prune = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.per_minute <= 0:
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        now = _now()
        if not await self._admit(scope, key_id(token), int(now // WINDOW_SECONDS)):
            retry_after = max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))
            await self._refuse(send, retry_after)
            return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope, key: str, number: int) -> bool:
        if number != self._current:
            # A new minute: yesterday's counts are of no use, and dropping them bounds memory.
            self._windows.clear()
            self._current = number
            self._prune = True
        window = self._windows.setdefault(key, _Window(number))
        if window.shared + window.pending >= self.per_minute:
            return False
        window.pending += 1
        if window.pending < self.batch:
            return True
        total = await self._sync(scope, key, window)
        return total is None or total <= self.per_minute

    async def _sync(self, scope: Scope, key: str, window: _Window) -> int | None:
        counted, window.pending = window.pending, 0
        database: Database | None = getattr(scope["app"].state, "database", None)
        if database is None:
            return None
        counter = insert(rate_limit_windows).values(
            key_id=key, window=window.number, requests=counted
        )
        statement = counter.on_conflict_do_update(
            index_elements=[rate_limit_windows.c.key_id, rate_limit_windows.c.window],
            set_={"requests": rate_limit_windows.c.requests + counter.excluded.requests},
        ).returning(rate_limit_windows.c.requests)
        try:
            # One statement in autocommit: a single round trip, no BEGIN/COMMIT.
            async with database.engine.connect() as connection:
                conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
                total = int((await conn.execute(statement)).scalar_one())
                if self._prune:
                    # Once per process and minute: forget the windows that are over.
                    self._prune = False
                    await conn.execute(
                        sa.delete(rate_limit_windows).where(
                            rate_limit_windows.c.window < window.number
                        )
                    )
        except sa.exc.SQLAlchemyError:
            # Fail open: a database that cannot count cannot serve the request either, and the
            # request itself will say so.
            log.warning("rate limit counter unavailable", exc_info=True)
            window.pending += counted
            return None
        # Another request of this process may have synced meanwhile with a later total.
        window.shared = max(window.shared, total)
        return total

    async def _refuse(self, send: Send, retry_after: int) -> None:
        body = orjson.dumps(
            {
                "type": "https://orderly.dev/problems/rate_limited",
                "title": "Too many requests",
                "status": 429,
                "code": "rate_limited",
                "detail": f"this API key may make {self.per_minute} requests a minute; "
                f"retry in {retry_after} s",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _bearer_token(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = bytes(token).strip()
            if scheme.lower() == b"bearer" and token:
                return token
            return None
    return None
