"""Idempotency-Key for POSTs that create something.

Same key and same body replays the first response; same key with another body is 422; a
request still in flight with the key is 409. The key is claimed with a transaction-scoped
advisory lock and stored in the same transaction as the change, so it exists exactly when
the change does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from orderly.kit.db import Query, execute_at_commit, fetch_one_opening
from orderly.kit.errors import Conflict, InvalidInput

IDEMPOTENCY_KEY_MAX_LENGTH = 255

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Retry-safe creation: the same key and body replay the first response.",
    ),
]


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_use"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


def claim_query(org_id: str) -> str:
    """The claim for the organization given by the SQL expression ``org_id``: a transaction-
    scoped advisory lock on (organization, key) and the stored response, if there is one.

    Alone it is one round trip; the API-key lookup that opens every request can carry it
    instead (tenancy.service.authenticate_api_key), so a creating POST saves that trip.
    """
    # Composed only from constant SQL expressions of this code base, never from input.
    return f"""
    SELECT pg_try_advisory_xact_lock(
               hashtextextended(CAST({org_id} AS text) || ':' || %(idempotency_key)s, 7))
             AS claimed,
           k.request_hash AS hash, k.status_code AS status, k.response
      FROM (SELECT 1) AS one
      LEFT JOIN idempotency_keys k ON k.org_id = {org_id} AND k.key = %(idempotency_key)s
    """  # noqa: S608


_CLAIM = claim_query("CAST(%(org_id)s AS bigint)")
_CLAIMED = "orderly.idempotency_claim"
_STORE = """
    INSERT INTO idempotency_keys (org_id, key, request_hash, status_code, response)
    VALUES (%(org_id)s, %(key)s, %(hash)s, %(status)s, %(response)s)
"""

Created = tuple[int, bytes]


def remember_claim(conn: AsyncConnection, key: str, row: Any) -> None:
    """Keep a claim made by an earlier statement of this transaction for `run_idempotent`."""
    conn.info[_CLAIMED] = (key, row)


async def run_idempotent(
    conn: AsyncConnection,
    *,
    org_id: int,
    key: str | None,
    body: bytes,
    create: Callable[[], Awaitable[Created]],
) -> Response:
    """Run ``create`` (returning status and JSON body) at most once per key."""
    if key is None:
        status, content = await create()
        return Response(content, status_code=status, media_type="application/json")
    request_hash = hashlib.sha256(body).digest()
    row = _claimed(conn, key)
    if row is None:
        # Often the transaction's first statement: BEGIN travels with it.
        row = await fetch_one_opening(conn, _CLAIM, {"org_id": org_id, "idempotency_key": key})
    try:
        _settle(row, request_hash)
    except Replayed as replay:
        return replay.response
    status, content = await create()
    return _stored(conn, org_id, key, request_hash, status, content)


@dataclass
class Claim:
    """An Idempotency-Key claim that `run_idempotent_claiming`'s ``create`` sends in its own
    first round trip (one trip less): it must hand the claim's rows to `settle` before it
    uses anything that trip read, and write nothing before."""

    query: Query
    request_hash: bytes
    settled: bool = False

    def settle(self, rows: list[Any]) -> None:
        """Raise `Replayed` (the stored response), or the key's conflict, or return."""
        _settle(rows[0], self.request_hash)
        self.settled = True


async def run_idempotent_claiming(
    conn: AsyncConnection,
    *,
    org_id: int,
    key: str | None,
    body: bytes,
    create: Callable[[Claim | None], Awaitable[Created]],
) -> Response:
    """`run_idempotent` for a ``create`` that sends the claim with its first statements (order
    capture): ``create`` gets the `Claim` to send, or None when there is no key or the key
    was claimed already (with the API-key lookup)."""
    if key is None:
        status, content = await create(None)
        return Response(content, status_code=status, media_type="application/json")
    request_hash = hashlib.sha256(body).digest()
    row = _claimed(conn, key)
    claim = None
    try:
        if row is not None:
            _settle(row, request_hash)
        else:
            claim = Claim(Query(_CLAIM, {"org_id": org_id, "idempotency_key": key}), request_hash)
        status, content = await create(claim)
    except Replayed as replay:
        return replay.response
    if claim is not None and not claim.settled:
        raise RuntimeError("create() did not settle the Idempotency-Key claim it was given")
    return _stored(conn, org_id, key, request_hash, status, content)


class Replayed(Exception):
    """The key's first request is done: its stored response is the answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


def _claimed(conn: AsyncConnection, key: str) -> Any:
    claimed: tuple[str, Any] | None = conn.info.pop(_CLAIMED, None)
    return claimed[1] if claimed is not None and claimed[0] == key else None


def _settle(row: Any, request_hash: bytes) -> None:
    if row.hash is not None:
        if bytes(row.hash) != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request body",
                field="Idempotency-Key",
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


def _stored(
    conn: AsyncConnection, org_id: int, key: str, request_hash: bytes, status: int, content: bytes
) -> Response:
    # Sent with COMMIT: the record exists exactly when the change does.
    execute_at_commit(
        conn,
        _STORE,
        {"org_id": org_id, "key": key, "hash": request_hash, "status": status, "response": content},
    )
    return Response(content, status_code=status, media_type="application/json")
