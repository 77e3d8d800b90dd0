"""Idempotency-Key for POSTs that create something: at most once per key and request.

The rules (scope, expiry, secrets shown once) are in docs/api.md. The key is stored in the
change's own transaction, so that it exists exactly when the change does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
from fastapi import Header
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from orderly.kit.db import Query, Transaction
from orderly.kit.errors import Conflict, InvalidInput

IDEMPOTENCY_KEY_MAX_LENGTH = 255

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Retry-safe creation: the same key on the same request (method, path and "
        "body) replays the first response.",
    ),
]


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_use"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


class IdempotencySecretNotReplayable(Conflict):
    code = "idempotency_secret_not_replayable"


_CLAIM = """
    SELECT pg_try_advisory_xact_lock(
               hashtextextended(CAST(%(org_id)s AS text) || ':' || %(idempotency_key)s, 7))
             AS claimed,
           k.request_hash AS hash, k.status_code AS status, k.response,
           k.secret_withheld AS withheld, k.expires_at <= now() AS expired
      FROM (SELECT 1) AS one
      LEFT JOIN idempotency_keys k
        ON k.org_id = CAST(%(org_id)s AS bigint) AND k.key = %(idempotency_key)s
"""
_STORE = """
    INSERT INTO idempotency_keys
           (org_id, key, request_hash, status_code, response, secret_withheld, expires_at)
    VALUES (%(org_id)s, %(key)s, %(hash)s, %(status)s, %(response)s, %(withheld)s,
            now() + make_interval(hours => CAST(%(ttl_hours)s AS integer)))
"""
# An expired record is replaced, never updated: a live one (stored meanwhile by a request that
# raced past the claim) still makes the INSERT fail, and the change with it.
_FORGET_EXPIRED = """
    DELETE FROM idempotency_keys
     WHERE org_id = %(org_id)s AND key = %(key)s AND expires_at <= now()
"""
_PRUNE = sa.text("DELETE FROM idempotency_keys WHERE expires_at <= now()")

Created = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class CreatedWithSecret:
    """A creation whose response shows a secret once (an API key, a signing secret). Only
    ``kept``, the same response without the secret, is stored; a replay is refused with 409
    `idempotency_secret_not_replayable`, naming what was created."""

    status: int
    content: bytes
    kept: bytes


class Replayed(Exception):
    """The key's first request is done: its stored response is the answer. Raised through the
    transaction, which rolls back, and answered by `replayed_response`."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


async def replayed_response(request: Request, exc: Exception) -> Response:
    """The exception handler for `Replayed`."""
    assert isinstance(exc, Replayed)
    return exc.response


@dataclass
class _Claim:
    """The claim of one key, settled when its row comes back."""

    request_hash: bytes
    settled: bool = False
    replaces_expired: bool = False

    def settle(self, rows: list[Any]) -> None:
        self.replaces_expired = _settle(rows[0], self.request_hash)
        self.settled = True


async def run_idempotent(
    tx: Transaction,
    request: Request,
    *,
    org_id: int,
    key: str | None,
    create: Callable[[], Awaitable[Created | CreatedWithSecret]],
    claim_rides: bool = False,
) -> Response:
    """Run ``create`` (returning status and JSON body) at most once per key and request.

    The key is claimed before ``create`` runs, in a round trip of its own; with
    ``claim_rides`` the claim rides on ``create``'s first round trip instead (one trip less),
    which is right only for a ``create`` whose first trip goes through ``tx`` and changes
    nothing outside the database before it (order capture). A stored response is raised as
    `Replayed`, and the transaction rolls back."""
    if key is None:
        return _response(await create())
    claim = _Claim(await _request_hash(request))
    tx.ride(Query(_CLAIM, {"org_id": org_id, "idempotency_key": key}), claim.settle)
    if not claim_rides:
        await tx.send_riders()
    created = await create()
    if not claim.settled:
        await tx.send_riders()
    _store(tx, _ttl_hours(request), org_id, key, claim, created)
    return _response(created)


class KeyAcrossTransactions:
    """An Idempotency-Key of a request done in two transactions around a call to a vendor (a
    label purchase, docs/architecture.md): checked in the first, where a stored response is
    raised as `Replayed`, and stored with the second's change."""

    def __init__(self, request_hash: bytes, *, org_id: int, key: str, ttl_hours: int) -> None:
        self._claim = _Claim(request_hash)
        self._org_id = org_id
        self._key = key
        self._ttl_hours = ttl_hours

    @classmethod
    async def of(
        cls, request: Request, *, org_id: int, key: str | None
    ) -> KeyAcrossTransactions | None:
        if key is None:
            return None
        return cls(
            await _request_hash(request), org_id=org_id, key=key, ttl_hours=_ttl_hours(request)
        )

    async def check(self, tx: Transaction) -> None:
        """In the first transaction: replay a stored response, or refuse a key in use."""
        query = Query(_CLAIM, {"org_id": self._org_id, "idempotency_key": self._key})
        tx.ride(query, self._claim.settle)
        await tx.send_riders()

    def remember(self, tx: Transaction, created: Created) -> None:
        """In the second transaction: the response, stored when it commits."""
        _store(tx, self._ttl_hours, self._org_id, self._key, self._claim, created)


async def prune_expired_keys(conn: AsyncConnection) -> int:
    """Forget every expired Idempotency-Key (a claim treats one as absent already); returns
    how many were forgotten."""
    result = await conn.execute(_PRUNE)
    return int(result.rowcount)


async def _request_hash(request: Request) -> bytes:
    """What a key is bound to: method, route, path parameters and body. The route is the
    template (`/v1/orders/{order_id}/refunds`) and the parameters its values."""
    route = request.scope.get("route")
    template = getattr(route, "path", None) or request.url.path
    params = sorted(request.path_params.items())
    digest = hashlib.sha256(f"{request.method} {template} {params!r}\n".encode())
    digest.update(await request.body())
    return digest.digest()


def _settle(row: Any, request_hash: bytes) -> bool:
    """Raise what a stored record of the key answers, or the key's conflict; else return
    whether an expired record of the key is to be replaced."""
    if row.hash is not None and not row.expired:
        if bytes(row.hash) != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with another request (method, path or body)",
                field="Idempotency-Key",
            )
        if row.withheld:
            raise IdempotencySecretNotReplayable(
                "the first request with this Idempotency-Key created a secret that is shown "
                "only once; `resource` is what it created",
                field="Idempotency-Key",
                extra={"resource": orjson.loads(bytes(row.response))},
            )
        raise Replayed(
            Response(
                bytes(row.response),
                status_code=row.status,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        )
    if not row.claimed:
        raise IdempotencyKeyInFlight(
            "a request with this Idempotency-Key is still being processed; retry later",
            field="Idempotency-Key",
        )
    return row.hash is not None


def _ttl_hours(request: Request) -> int:
    ttl_hours: int = request.app.state.settings.idempotency_key_ttl_hours
    return ttl_hours


def _store(
    tx: Transaction,
    ttl_hours: int,
    org_id: int,
    key: str,
    claim: _Claim,
    created: Created | CreatedWithSecret,
) -> None:
    # Sent with COMMIT: the record exists exactly when the change does.
    if claim.replaces_expired:
        tx.at_commit(_FORGET_EXPIRED, {"org_id": org_id, "key": key})
    if isinstance(created, CreatedWithSecret):
        status, kept, withheld = created.status, created.kept, True
    else:
        (status, kept), withheld = created, False
    tx.at_commit(
        _STORE,
        {
            "org_id": org_id,
            "key": key,
            "hash": claim.request_hash,
            "status": status,
            "response": kept,
            "withheld": withheld,
            "ttl_hours": ttl_hours,
        },
    )


def _response(created: Created | CreatedWithSecret) -> Response:
    if isinstance(created, CreatedWithSecret):
        status, content = created.status, created.content
    else:
        status, content = created
    return Response(content, status_code=status, media_type="application/json")
